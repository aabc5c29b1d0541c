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
    assert len(batch) == 2 and int(lengths[0]) == padded.shape[1]
    return pooled


if __name__ == "__main__":
    import sys

    print(features(sys.argv[1]).shape)
