"""featpool.OnlineExtractor with presets and stages: its frames are those of
featpool.extract() with the same keywords, bit for bit, whatever the
chunking (one sample, empty chunks, random sizes); stages that need the
whole utterance are refused naming their keyword; the latency is the stage
chain's; pickling keeps the whole configuration."""

import multiprocessing
import os
import pickle

import numpy as np
import pytest

if os.environ.get("FEATPOOL_PYTHON_REQUIRED"):
    import featpool
else:
    featpool = pytest.importorskip("featpool", reason="the featpool module is not built")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEECH = os.path.join(ROOT, "data", "speech-16k.wav")
# FunASR's am.mvn (what funasr-paraformer needs, as --cmvn-stats).
AM_MVN = os.path.join(ROOT, "tests", "data", "dialects", "presets", "am.mvn")


@pytest.fixture(scope="module")
def int16():
    return featpool.read_audio(SPEECH)


@pytest.fixture(scope="module")
def unit():
    return featpool.read_audio(SPEECH, sample_scale="unit")


def chunks(n, seed):
    """One sample at a time for a while, then random sizes with empty chunks."""
    rng = np.random.default_rng(seed)
    bounds = [(i, i + 1) for i in range(1200)]
    pos = 1200
    while pos < n:
        size = int(rng.choice([0, 1, 2, 159, 160, 161, 400, 1023, 4000, 20000]))
        bounds.append((pos, min(n, pos + size)))
        pos += size
    return bounds


def stream(extractor, samples, rate, seed):
    parts = []
    for begin, end in chunks(len(samples), seed):
        extractor.accept_waveform(rate, samples[begin:end])
        parts.append(extractor.take_frames())
    extractor.input_finished()
    parts.append(extractor.take_frames())
    assert all(p.dtype == np.float32 and p.shape[1] == extractor.dim for p in parts)
    return np.concatenate(parts)


def same_bits(a, b):
    return a.dtype == b.dtype == np.float32 and a.shape == b.shape and a.tobytes() == b.tobytes()


STREAMING = [
    ("kaldi", dict(preset="kaldi-fbank-80")),
    ("sliding", dict(preset="kaldi-fbank-80", cmvn="sliding")),
    ("sliding-centred", dict(preset="kaldi-fbank-80", cmvn="sliding", cmn_window=50, min_cmn_window=20,
                             cmn_center=True, norm_vars=True)),
    ("deltas", dict(preset="kaldi-fbank-80", deltas=2)),
    ("splice", dict(preset="kaldi-fbank-80", left_context=3, right_context=2)),
    ("pool-avg", dict(preset="kaldi-fbank-80", pool="avg", pool_kernel=(3, 2),
                      pool_stride=(2, 2))),
    ("all", dict(preset="kaldi-fbank-80", cmvn="sliding", deltas=1, left_context=2,
                 right_context=2, pool="max", pool_kernel=(3, 1))),
    ("funasr", dict(preset="funasr-paraformer", cmvn_stats=AM_MVN)),
    ("mel-centred", dict(feature="melspectrogram", center=True, n_fft=512, hop_length=160,
                         n_mels=40, log="ln")),
    ("mel-stats", dict(feature="melspectrogram", center=True, n_mels=32, log="ln",
                       pool="stats")),
    ("whisper-without-normalize", dict(preset="whisper", normalize=None)),
]


@pytest.mark.parametrize("name, keywords", STREAMING, ids=[n for n, _ in STREAMING])
def test_streamed_frames_are_extracts_bit_for_bit(int16, unit, name, keywords):
    extractor = featpool.OnlineExtractor(**keywords)
    samples, rate = unit if extractor.options.__class__.__name__ == "MelspectrogramOptions" \
        else int16
    expected = featpool.extract(samples, rate, **keywords)
    assert extractor.dim == expected.shape[1]
    for seed in (1, 2):
        fresh = featpool.OnlineExtractor(**keywords)
        got = stream(fresh, samples, rate, seed)
        assert same_bits(got, expected), name
        assert fresh.num_frames_ready == len(expected) and fresh.is_finished


def test_frames_come_as_soon_as_the_chain_says(int16):
    samples, rate = int16
    keywords = dict(preset="kaldi-fbank-80", deltas=2, left_context=1, right_context=3)
    extractor = featpool.OnlineExtractor(**keywords)
    assert extractor.stages == ["deltas", "splice"]
    # deltas order 2, window 2: 4 frames ahead; splicing 3 more.
    assert extractor.frame_lag == 7
    assert extractor.feature_frames_needed(0) == 8
    assert extractor.feature_frames_needed(10) == 18
    need = extractor.samples_needed_for_frame(10)
    assert need == 400 + 17 * 160
    extractor.accept_waveform(rate, samples[:need - 1])
    assert extractor.num_frames_ready == 10
    extractor.accept_waveform(rate, samples[need - 1:need])
    assert extractor.num_frames_ready == 11
    expected = featpool.extract(samples, rate, **keywords)
    np.testing.assert_array_equal(extractor.get_frame(10), expected[10])
    np.testing.assert_array_equal(extractor.get_frames(2, 5), expected[2:5])
    extractor.release_frames_before(4)
    assert extractor.first_available_frame == 4
    with pytest.raises(featpool.Error, match="not available"):
        extractor.get_frames(0, 3)
    np.testing.assert_array_equal(extractor.take_frames(), expected[4:11])
    # Without stages: the features' own latency; statistics pooling: the end.
    plain = featpool.OnlineExtractor(preset="kaldi-fbank-80")
    assert plain.stages == [] and plain.frame_lag == 0
    assert plain.samples_needed_for_frame(2) == 720
    stats = featpool.OnlineExtractor(preset="kaldi-fbank-80", pool="stats")
    assert stats.frame_lag == -1 and stats.samples_needed_for_frame(0) == -1
    # LFR: row r stacks frames [6r - 3, 6r + 4) (the first padded).
    funasr = featpool.OnlineExtractor(preset="funasr-paraformer", cmvn_stats=AM_MVN)
    assert funasr.stages == ["pool", "cmvn"] and funasr.dim == 560
    assert [funasr.feature_frames_needed(r) for r in range(3)] == [4, 10, 16]


@pytest.mark.parametrize("keywords, stage", [
    (dict(preset="whisper"), "normalize=whisper"),
    (dict(preset="whisper-128"), "normalize=whisper"),
    (dict(preset="nemo-80"), "normalize=per-feature"),
    (dict(preset="speechbrain"), "normalize=top-db"),
    (dict(preset="espnet"), "cmvn=utterance"),
    (dict(preset="kaldi-fbank-80", cmvn="utterance"), "cmvn=utterance"),
    (dict(subtract_mean=True), "subtract_mean=True"),
    (dict(preset="kaldi-fbank-80", pool="adaptive-avg", pool_output_size=4), "pool=adaptive-avg"),
])
def test_stages_that_need_the_whole_utterance_are_refused(keywords, stage):
    with pytest.raises(featpool.Error, match="^%s: cannot stream: .*; drop %s to stream$"
                       % (stage, stage.split("=")[0])):
        featpool.OnlineExtractor(**keywords)


def test_keywords_are_extracts(int16):
    samples, rate = int16
    with pytest.raises(TypeError, match="cmvn_typo"):
        featpool.OnlineExtractor(preset="kaldi-fbank-80", cmvn_typo="sliding")
    with pytest.raises(TypeError, match="n_mels is an option of .*not of feature=fbank"):
        featpool.OnlineExtractor(preset="kaldi-fbank-80", n_mels=40)
    with pytest.raises(featpool.Error, match="cmvn=bogus"):
        featpool.OnlineExtractor(cmvn="bogus")
    with pytest.raises(featpool.Error, match="pool_kernel needs pool=MODE"):
        featpool.OnlineExtractor(pool_kernel=2)
    with pytest.raises(featpool.Error, match="unknown preset='nope'"):
        featpool.OnlineExtractor(preset="nope")
    with pytest.raises(featpool.Error, match="cmvn_stats"):
        featpool.OnlineExtractor(preset="funasr-paraformer")
    # The signature is extract()'s keywords (feature first, no channel).
    import inspect
    online = inspect.signature(featpool.OnlineExtractor).parameters
    offline = inspect.signature(featpool.extract).parameters
    assert list(online)[:2] == ["feature", "sample_rate"]
    assert set(online) == set(offline) - {"samples", "channel", "return_tensors"}
    # A feature's options object, with stage keywords on top.
    opts = featpool.FbankOptions(num_mel_bins=40)
    extractor = featpool.OnlineExtractor(opts, rate, deltas=1, cmvn="sliding")
    assert extractor.options == opts and extractor.feature == "fbank" and extractor.dim == 80
    assert same_bits(stream(extractor, samples, rate, 3),
                     featpool.extract(samples, rate, feature="fbank", num_mel_bins=40,
                                      deltas=1, cmvn="sliding"))
    # The preset's feature options, as an options object.
    assert featpool.OnlineExtractor(preset="funasr-paraformer",
                                    cmvn_stats=AM_MVN).options.window_type == "hamming"


def _stream_in_worker(payload):
    extractor, samples, rate = pickle.loads(payload)
    extractor.accept_waveform(rate, samples)
    extractor.input_finished()
    return extractor.take_frames()


def test_pickling_keeps_the_preset_and_the_stages(int16):
    samples, rate = int16
    keywords = dict(preset="funasr-paraformer", cmvn_stats=AM_MVN)
    extractor = featpool.OnlineExtractor(None, rate, **keywords)
    extractor.accept_waveform(rate, samples[:5000])  # the stream itself is not pickled
    copy = pickle.loads(pickle.dumps(extractor))
    assert copy.num_samples_accepted == 0 and copy.stages == ["pool", "cmvn"]
    assert copy.options == extractor.options and copy.dim == extractor.dim == 560
    expected = featpool.extract(samples, rate, **keywords)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as workers:
        got = workers.apply(_stream_in_worker, (pickle.dumps((copy, samples, rate)),))
    assert same_bits(got, expected)
    # An options object and stage keywords survive too.
    other = featpool.OnlineExtractor(featpool.MfccOptions(num_ceps=20), cmvn="sliding",
                                     deltas=1, sample_scale="int16")
    again = pickle.loads(pickle.dumps(other))
    assert again.options == other.options and again.stages == ["cmvn", "deltas"]
    assert same_bits(stream(again, samples, rate, 4),
                     featpool.extract(samples, rate, feature="mfcc", num_ceps=20,
                                      cmvn="sliding", deltas=1))
