"""The table-driven Python API: functions, options objects, sample scale,
2-D input, batches, torch tensors and pickling (lib/python/featpool).

Run by tests/test-python.sh. Tests that need torch skip without it (the CI
machine has none); everything else must pass without it.
"""

import inspect
import io
import os
import pathlib
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

if os.environ.get("FEATPOOL_PYTHON_REQUIRED"):
    import featpool
else:
    featpool = pytest.importorskip("featpool", reason="the featpool module is not built")
from featpool import _featpool

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEECH = os.path.join(ROOT, "data", "speech-16k.wav")
TYPES = _featpool._feature_types()


@pytest.fixture(scope="module")
def speech():
    return featpool.read_audio(SPEECH)


# --------------------------------------------------------------------------
# Generated from the registry and the tables


def test_every_registry_type_has_its_functions_and_options_class():
    assert featpool.FEATURES == tuple(t["name"] for t in TYPES)
    assert {"fbank", "mfcc", "spectrogram"} <= set(featpool.FEATURES)
    for t in TYPES:
        keys = [f["key"] for f in t["fields"]]
        py_name = t["name"].replace("-", "_")
        for fn in (getattr(featpool, py_name), getattr(featpool, py_name + "_batch")):
            params = inspect.signature(fn).parameters
            table = [p for p in params if p in keys]
            assert table == keys, fn.__name__
            for f in t["fields"]:
                assert params[f["key"]].default == f["default"], (fn.__name__, f["key"])
                assert params[f["key"]].kind == inspect.Parameter.KEYWORD_ONLY
            assert f"{keys[0]}=" in fn.__doc__ or fn.__name__.endswith("_batch")
            assert fn.__name__ in featpool.__all__
        cls = getattr(featpool, "".join(p.capitalize() for p in py_name.split("_")) + "Options")
        assert list(inspect.signature(cls).parameters) == keys
        assert cls().as_dict() == {f["key"]: f["default"] for f in t["fields"]}
    pool_keys = [f["key"] for f in _featpool._pool_fields()]
    assert [p for p in inspect.signature(featpool.pool).parameters if p in pool_keys] == pool_keys


def test_keywords_of_other_types_are_type_errors(speech):
    samples, _ = speech
    with pytest.raises(TypeError, match="num_ceps"):
        featpool.fbank(samples, num_ceps=13)
    with pytest.raises(TypeError, match="num_ceps is an option of mfcc, not of feature=fbank"):
        featpool.OnlineExtractor("fbank", num_ceps=13)
    with pytest.raises(TypeError, match="warp_factor"):
        featpool.OnlineExtractor("fbank", warp_factor=1.0)
    with pytest.raises(TypeError, match="num_mel_bins must be an int"):
        featpool.fbank(samples, num_mel_bins=80.0)
    with pytest.raises(TypeError, match="snip_edges must be True or False"):
        featpool.fbank(samples, snip_edges=1)
    # NumPy scalars are numbers like any other
    np.testing.assert_array_equal(featpool.fbank(samples, num_mel_bins=np.int64(40),
                                                 low_freq=np.float32(30), snip_edges=np.bool_(0)),
                                  featpool.fbank(samples, num_mel_bins=40, low_freq=30,
                                                 snip_edges=False))


# --------------------------------------------------------------------------
# Options objects


def test_options_objects_round_trip_compare_and_pickle(speech):
    samples, _ = speech
    opts = featpool.FbankOptions(num_mel_bins=40, snip_edges=False, window_type="hamming")
    assert opts.num_mel_bins == 40 and opts.snip_edges is False and opts.frame_length == 25.0
    assert repr(opts) == "FbankOptions(window_type='hamming', snip_edges=False, num_mel_bins=40)"
    assert eval(repr(opts), vars(featpool)) == opts
    d = opts.as_dict()
    assert d["num_mel_bins"] == 40 and len(d) == len(inspect.signature(featpool.FbankOptions).parameters)
    assert featpool.FbankOptions.from_dict(d) == opts
    assert featpool.FbankOptions() != opts and featpool.FbankOptions() == featpool.FbankOptions()
    assert opts != featpool.MfccOptions()
    assert len({opts, featpool.FbankOptions.from_dict(d)}) == 1
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(opts, protocol)) == opts
    assert opts.replace(num_mel_bins=80).num_mel_bins == 80 and opts.num_mel_bins == 40
    with pytest.raises(AttributeError, match="immutable"):
        opts.num_mel_bins = 80
    # the same result as the keywords; keywords given on top win
    np.testing.assert_array_equal(
        featpool.fbank(samples, options=opts),
        featpool.fbank(samples, num_mel_bins=40, snip_edges=False, window_type="hamming"))
    np.testing.assert_array_equal(featpool.fbank(samples, options=opts, num_mel_bins=23),
                                  featpool.fbank(samples, snip_edges=False,
                                                 window_type="hamming"))
    with pytest.raises(TypeError, match="FbankOptions"):
        featpool.fbank(samples, options=featpool.MfccOptions())
    # validated when made, as the functions validate
    with pytest.raises(featpool.Error, match="num_mel_bins=2"):
        featpool.FbankOptions(num_mel_bins=2)
    with pytest.raises(featpool.Error, match="num_ceps=40: cannot exceed num_mel_bins=23"):
        featpool.MfccOptions(num_ceps=40)
    with pytest.raises(TypeError):
        featpool.FbankOptions(40)  # keywords only
    with pytest.raises(TypeError):
        featpool.FbankOptions.from_dict({"num_ceps": 13})


def test_pool_options_objects(speech):
    x = featpool.fbank(speech[0])
    opts = featpool.PoolOptions(mode="avg", kernel=(3, 2), stride=2, count_include_pad=False)
    assert opts.kernel == (3, 2) and opts.stride == 2 and opts.divisor_override is None
    assert pickle.loads(pickle.dumps(opts)) == opts
    assert featpool.PoolOptions.from_dict(opts.as_dict()) == opts
    np.testing.assert_array_equal(featpool.pool(x, options=opts),
                                  featpool.pool(x, "avg", kernel=(3, 2), stride=2,
                                                count_include_pad=False))
    assert featpool.PoolOptions().kernel == 2  # kernel=None: (2, 2) for the window modes
    assert featpool.PoolOptions(mode="stats").kernel is None
    with pytest.raises(featpool.Error, match="count_include_pad=False: applies to avg"):
        featpool.PoolOptions(mode="max", count_include_pad=False)


def _rebuild_in_worker(payload):
    extractor, pooler, samples = pickle.loads(payload)
    extractor.accept_waveform(16000, samples)
    extractor.input_finished()
    pooler.accept_frames(extractor.take_frames())
    pooler.input_finished()
    return pooler.take_rows()


def test_streaming_objects_pickle_their_configuration(speech):
    samples, rate = speech
    ex = featpool.OnlineExtractor("mfcc", num_ceps=20, num_mel_bins=30, snip_edges=False)
    pooler = featpool.OnlinePooler(ex.dim, "avg", kernel=(4, 2))
    ex.accept_waveform(rate, samples[:5000])  # state is not pickled: a fresh stream
    copy = pickle.loads(pickle.dumps(ex))
    assert copy.options == ex.options == featpool.MfccOptions(num_ceps=20, num_mel_bins=30,
                                                             snip_edges=False)
    assert copy.num_samples_accepted == 0 and copy.feature == "mfcc"
    assert pickle.loads(pickle.dumps(pooler)).options == pooler.options
    expected = featpool.pool(featpool.mfcc(samples, options=ex.options), "avg", kernel=(4, 2))
    # as a DataLoader worker started with spawn rebuilds them
    import multiprocessing
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as workers:
        got = workers.apply(_rebuild_in_worker,
                            (pickle.dumps((copy, pooler, samples)),))
    np.testing.assert_array_equal(got, expected)
    # an options object in place of the name
    assert featpool.OnlineExtractor(featpool.FbankOptions(num_mel_bins=40)).dim == 40


# --------------------------------------------------------------------------
# Sample scale


def test_unit_scale_input(speech):
    samples, _ = speech
    unit = samples / np.float32(32768)
    for f in ("fbank", "mfcc", "spectrogram"):
        np.testing.assert_array_equal(getattr(featpool, f)(unit, sample_scale="unit"),
                                      getattr(featpool, f)(samples))
        np.testing.assert_array_equal(
            getattr(featpool, f)(samples, sample_scale="int16"), getattr(featpool, f)(samples))
    np.testing.assert_array_equal(featpool.read_audio(SPEECH, sample_scale="unit")[0], unit)
    np.testing.assert_array_equal(featpool.read_audio(SPEECH, feature="fbank")[0], samples)
    for t in TYPES:  # read_audio gives the scale each feature expects
        got = featpool.read_audio(SPEECH, feature=t["name"])[0]
        np.testing.assert_array_equal(got, unit if t["sample_scale"] == "unit" else samples)
    with pytest.raises(featpool.Error, match="sample_scale='pcm'"):
        featpool.fbank(samples, sample_scale="pcm")
    with pytest.raises(featpool.Error, match="feature=plp"):
        featpool.read_audio(SPEECH, feature="plp")
    ex = featpool.OnlineExtractor("fbank", sample_scale="unit")
    ex.accept_waveform(16000, unit)
    ex.input_finished()
    np.testing.assert_array_equal(ex.take_frames(), featpool.fbank(samples))


def test_unit_scale_audio_without_saying_so_warns_once_per_process():
    code = """
import sys, warnings, numpy as np, featpool
x = (np.random.default_rng(0).standard_normal(16000) * 0.1).astype(np.float32)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    # int16 speech whose first chunks are within [-1, 1]: the stream decides
    # on its first second, so this does not warn
    speech = featpool.read_audio(sys.argv[1])[0]
    quiet = np.concatenate([np.ones(1600, np.float32), speech])
    ex = featpool.OnlineExtractor()
    for i in range(0, len(quiet), 800):
        ex.accept_waveform(16000, quiet[i:i + 800])
    ex.input_finished()
    assert not caught, caught[0].message
    featpool.fbank(x)
    featpool.mfcc(x)
    featpool.fbank_batch([x, x])
    featpool.fbank(x * 32768)
    featpool.fbank(x, sample_scale="int16")
print(len(caught), caught[0].category.__name__, issubclass(caught[0].category, UserWarning))
print(caught[0].message)
"""
    done = subprocess.run([sys.executable, "-c", code, SPEECH], capture_output=True, text=True,
                          env=os.environ)
    assert done.returncode == 0, done.stderr
    first, message = done.stdout.splitlines()
    assert first == "1 SampleScaleWarning True"
    assert "sample_scale='unit'" in message and "fbank" in message


# --------------------------------------------------------------------------
# 2-D input, bad input, paths and file objects


def test_a_2d_array_is_never_silently_a_batch(speech):
    samples, _ = speech
    rows = np.stack([samples[:8000]] * 9)
    with pytest.raises(featpool.Error, match=r"shape \(9, 8000\).*featpool\.fbank_batch\(\)"):
        featpool.fbank(rows)
    with pytest.raises(featpool.Error, match=r"mfcc_batch"):
        featpool.mfcc(rows, channel=0)
    with pytest.raises(featpool.Error, match="transpose"):
        featpool.fbank(rows.T.copy())
    eight = np.stack([samples[:8000]] * 8)
    np.testing.assert_array_equal(featpool.fbank(eight, channel=7),
                                  featpool.fbank(samples[:8000]))


def test_bad_input_raises_featpool_error(speech):
    samples, _ = speech
    for bad in (np.nan, np.inf, -np.inf):
        x = samples[:4000].copy()
        x[17] = bad
        with pytest.raises(featpool.Error, match="non-finite sample .* at sample 17"):
            featpool.spectrogram(x)
    with pytest.raises(featpool.Error, match="shorter than one frame"):
        featpool.fbank([])
    with pytest.raises(featpool.Error, match="frame_shift=0: must be"):
        featpool.mfcc(samples, frame_shift=0)


def test_read_audio_takes_paths_and_file_objects(speech, tmp_path):
    samples, rate = speech
    got, got_rate = featpool.read_audio(pathlib.Path(SPEECH))
    np.testing.assert_array_equal(got, samples)
    with open(SPEECH, "rb") as f:
        got, got_rate = featpool.read_audio(f)
    np.testing.assert_array_equal(got, samples)
    assert got_rate == rate
    with open(SPEECH, "rb") as f:
        data = f.read()
    np.testing.assert_array_equal(featpool.read_audio(io.BytesIO(data), 8000)[0],
                                  featpool.read_audio(SPEECH, 8000)[0])
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF not really")
    with open(bad, "rb") as f, pytest.raises(featpool.Error, match="bad.wav"):
        featpool.read_audio(f)
    with pytest.raises(featpool.Error, match="missing.wav"):
        featpool.read_audio(tmp_path / "missing.wav")
    with open(SPEECH, "r", encoding="latin-1") as f, pytest.raises(TypeError, match="binary"):
        featpool.read_audio(f)


# --------------------------------------------------------------------------
# Batches


def test_batches_are_bit_identical_to_single_calls(speech):
    samples, _ = speech
    rng = np.random.default_rng(1)
    batch = [samples[int(a):int(a) + int(n)] for a, n in
             zip(rng.integers(0, 20000, 13), rng.integers(400, 60000, 13))]
    for t in TYPES:
        name = t["name"].replace("-", "_")
        single = getattr(featpool, name)
        batched = getattr(featpool, name + "_batch")
        scale = None if t["sample_scale"] == "int16" else "int16"
        # Kaldi's framing option; the STFT types centre their frames anyway.
        kw = {"snip_edges": False} if any(f["key"] == "snip_edges" for f in t["fields"]) else {}
        expected = [single(x, sample_scale=scale, **kw) for x in batch]
        for threads in (1, 2, 0):
            got = batched(batch, sample_scale=scale, num_threads=threads, **kw)
            assert len(got) == len(batch)
            for g, e in zip(got, expected):
                np.testing.assert_array_equal(g, e)
        padded, lengths = batched(batch, sample_scale=scale, padded=True, padding_value=-1.0,
                                  **kw)
        assert lengths.dtype == np.int64 and list(lengths) == [len(e) for e in expected]
        assert padded.shape == (len(batch), max(lengths), expected[0].shape[1])
        for i, e in enumerate(expected):
            np.testing.assert_array_equal(padded[i, :lengths[i]], e)
            assert (padded[i, lengths[i]:] == -1.0).all()


def test_batch_inputs_and_errors(speech):
    samples, _ = speech
    rows = np.stack([samples[:16000], samples[16000:32000]])
    got = featpool.fbank_batch(rows, lengths=[16000, 9000])
    np.testing.assert_array_equal(got[0], featpool.fbank(samples[:16000]))
    np.testing.assert_array_equal(got[1], featpool.fbank(samples[16000:25000]))
    assert featpool.fbank_batch([]) == []
    padded, lengths = featpool.fbank_batch([], padded=True)
    assert padded.shape == (0, 0, 23) and lengths.shape == (0,)
    bad = samples[:8000].copy()
    bad[5] = np.nan
    with pytest.raises(featpool.Error, match=r"samples\[2\]: non-finite sample"):
        featpool.fbank_batch([samples, samples, bad], num_threads=2)
    with pytest.raises(featpool.Error, match=r"'samples\[1\]': .* shorter than one frame"):
        featpool.fbank_batch([samples, samples[:100]])
    with pytest.raises(featpool.Error, match="num_threads=-1"):
        featpool.fbank_batch([samples], num_threads=-1)
    with pytest.raises(featpool.Error, match="lengths has 1 entries for 2"):
        featpool.fbank_batch(rows, lengths=[5])


# --------------------------------------------------------------------------
# Torch (optional)


def test_the_module_works_without_torch(speech):
    code = """
import sys
sys.modules["torch"] = None  # import torch fails
import numpy as np, featpool
x = featpool.read_audio(sys.argv[1])[0]
assert featpool.fbank(x).shape[1] == 23
try:
    featpool.fbank(x, return_tensors="pt")
except ImportError:
    print("ok")
"""
    done = subprocess.run([sys.executable, "-c", code, SPEECH], capture_output=True, text=True,
                          env=os.environ)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_torch_tensors_in_and_out(speech):
    torch = pytest.importorskip("torch")
    samples, _ = speech
    expected = featpool.fbank(samples)
    t = torch.from_numpy(samples.copy())
    for x in (t, t[None], t.double(), t.double()[None]):
        out = featpool.fbank(x)
        assert isinstance(out, torch.Tensor) and out.dtype == torch.float32
        np.testing.assert_array_equal(out.numpy(), expected)
    half = featpool.fbank(t.to(torch.float16))
    np.testing.assert_array_equal(half.numpy(),
                                  featpool.fbank(samples.astype(np.float16).astype(np.float32)))
    assert isinstance(featpool.fbank(samples, return_tensors="pt"), torch.Tensor)
    assert isinstance(featpool.fbank(t, return_tensors="np"), np.ndarray)
    pooled, indices = featpool.pool(featpool.fbank(t), kernel=2, return_indices=True)
    assert isinstance(pooled, torch.Tensor) and indices.dtype == torch.int64
    batch = featpool.fbank_batch([t, t[:8000]])
    assert all(isinstance(b, torch.Tensor) for b in batch)
    padded, lengths = featpool.fbank_batch([t, t[:8000]], padded=True)
    assert isinstance(padded, torch.Tensor) and lengths.tolist() == [len(expected), 48]
    ex = featpool.OnlineExtractor()
    ex.accept_waveform(16000, t)
    ex.input_finished()
    np.testing.assert_array_equal(ex.take_frames(), expected)
    with pytest.raises(featpool.Error, match="return_tensors='tf'"):
        featpool.fbank(t, return_tensors="tf")


# --------------------------------------------------------------------------
# Stages (stage.h), from their tables


STAGE_CASES = [
    (dict(cmvn="utterance", deltas=2), None, ["--cmvn=utterance", "--deltas=2"]),
    (dict(cmvn="sliding", cmn_window=100, left_context=2, right_context=1), None,
     ["--cmvn=sliding", "--cmn-window=100", "--left-context=2", "--right-context=1"]),
    (dict(stages="pool,cmvn", cmvn="utterance", norm_vars=True), dict(mode="stack"),
     ["--stages=pool,cmvn", "--cmvn=utterance", "--norm-vars=true", "--pool=stack"]),
    (dict(deltas=1), dict(mode="max", kernel=(2, 1)),
     ["--deltas=1", "--pool=max", "--pool-kernel=2x1"]),
    (dict(subtract_mean=True, cmvn="utterance", norm_vars=True), None,
     ["--subtract-mean=true", "--cmvn=utterance", "--norm-vars=true"]),
]


@pytest.mark.parametrize("keywords,pool,flags", STAGE_CASES)
def test_apply_stages_equals_the_command(tmp_path, speech, keywords, pool, flags):
    command = os.environ.get("FEATPOOL_COMMAND")
    if not command:
        pytest.skip("FEATPOOL_COMMAND is not set (run through tests/test-python.sh)")
    samples, rate = speech
    got = featpool.apply_stages(featpool.fbank(samples, rate), pool=pool, **keywords)
    out = str(tmp_path / "stages.npy")
    subprocess.run([command, "extract", SPEECH, "-o", out] + flags, check=True)
    np.testing.assert_array_equal(got, np.load(out))
    opts = featpool.StageOptions(**keywords)
    assert pickle.loads(pickle.dumps(opts)) == opts
    np.testing.assert_array_equal(featpool.apply_stages(featpool.fbank(samples, rate),
                                                        options=opts, pool=pool), got)


def test_stage_options_come_from_the_table_and_errors_name_keywords(speech):
    keys = [f["key"] for f in _featpool._stage_fields()]
    assert list(inspect.signature(featpool.StageOptions).parameters) == keys
    x = featpool.fbank(speech[0])
    np.testing.assert_array_equal(featpool.apply_stages(x), x)  # no stage on
    with pytest.raises(featpool.Error, match="cmvn=median: expected none, utterance"):
        featpool.apply_stages(x, cmvn="median")
    with pytest.raises(featpool.Error, match="deltas=-1"):
        featpool.StageOptions(deltas=-1)
    # Speaker CMVN needs each utterance's speaker: a batch's, not one matrix.
    with pytest.raises(featpool.Error, match="cmvn=speaker: needs each utterance's speaker"):
        featpool.apply_stages(x, cmvn="speaker")
    with pytest.raises(TypeError, match="cmvn must be a str"):
        featpool.apply_stages(x, cmvn=True)
