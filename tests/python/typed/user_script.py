"""A small user script that `mypy --strict` must accept against featpool's
stubs (tests/python/test_stubs.py runs it and checks it)."""
import pickle

import numpy as np
from numpy.typing import NDArray

import featpool


def features(path: str) -> NDArray[np.float32]:
    samples, rate = featpool.read_audio(path, feature="fbank")
    opts = featpool.FbankOptions(num_mel_bins=40, snip_edges=False)
    fbank: NDArray[np.float32] = featpool.fbank(samples, rate, options=opts)
    again = featpool.FbankOptions.from_dict(opts.as_dict())
    assert again == opts and again.num_mel_bins == 40
    pooled, indices = featpool.pool(fbank, "max", kernel=(2, 2), return_indices=True)
    assert indices.dtype == np.int64
    batch = featpool.mfcc_batch([samples, samples[:8000]], rate, num_threads=2)
    padded, lengths = featpool.fbank_batch([samples], padded=True)
    extractor = featpool.OnlineExtractor(opts, sample_scale="int16")
    extractor.accept_waveform(rate, samples)
    extractor.input_finished()
    frames: NDArray[np.float32] = extractor.take_frames()
    pooler = pickle.loads(pickle.dumps(featpool.OnlinePooler(extractor.dim, "avg", kernel=2)))
    pooler.accept_frames(frames)
    stream = featpool.OnlineExtractor(preset="kaldi-fbank-80", cmvn="sliding", deltas=2)
    stages: list[str] = stream.stages
    lag: int = stream.frame_lag + stream.samples_needed_for_frame(0)
    assert stages == ["cmvn", "deltas"] and lag > 0
    assert len(batch) == 2 and int(lengths[0]) == padded.shape[1]
    presets: dict[str, str] = featpool.list_presets()
    settings = featpool.preset_options("whisper")
    unit, unit_rate = featpool.read_audio(path, preset="whisper")
    whisper: NDArray[np.float32] = featpool.extract(unit, unit_rate, preset="whisper", n_mels=80,
                                                    cmvn="none", pool="max", pool_kernel=2)
    outs = featpool.extract_batch([unit], unit_rate, preset="espnet", num_threads=2)
    stacked, rows = featpool.extract_batch([unit], unit_rate, feature="fbank", padded=True,
                                           pool=featpool.PoolOptions(mode="stack"))
    assert "whisper" in presets and settings["n_mels"] == 80 and whisper.shape[1] == 80
    assert len(outs) == 1 and int(rows[0]) == stacked.shape[1]
    featpool.plot("whisper.png", samples=unit, sample_rate=unit_rate, preset="whisper",
                  width=800, cmvn="utterance")
    featpool.plot("mel.png", whisper, preset="whisper", title="log-mel")
    return pooled


def dataset(corpus: str) -> int:
    summary = featpool.extract_dataset([corpus], "ark,scp:feats.ark,feats.scp", feature="mfcc",
                                       num_ceps=13, cmvn="utterance",
                                       pool=featpool.PoolOptions(mode="max", kernel=(2, 1)),
                                       jobs=2, shard="1/2", resume=False, manifest=None)
    errors: list[str] = summary["errors"]
    seconds: float = summary["audio_seconds"]
    assert seconds >= 0 and len(errors) <= summary["failed"] + summary["failed_before"]
    return summary["exit_status"]


if __name__ == "__main__":
    import sys

    print(features(sys.argv[1]).shape)
