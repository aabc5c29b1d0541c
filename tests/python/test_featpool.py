"""Tests of the Python module `featpool` (lib/python/featpool_python.cc).

Run by tests/test-python.sh through CTest, with the built module on
PYTHONPATH and the featpool command in $FEATPOOL_COMMAND. The bindings must
agree bit for bit with the command (the same library code); where torch is
importable, they are also compared with torchaudio.compliance.kaldi and torch
pooling directly (skipped otherwise: the CI machine has no torch).
"""

import os
import re
import subprocess
import threading
import wave

import numpy as np
import pytest

if os.environ.get("FEATPOOL_PYTHON_REQUIRED"):
    import featpool  # the build says the module exists: failing to import is an error
else:
    featpool = pytest.importorskip("featpool", reason="the featpool module is not built")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "data")
SPEECH = os.path.join(DATA, "speech-16k.wav")
COMMAND = os.environ.get("FEATPOOL_COMMAND")


def read_wav_int16(path):
    with wave.open(path, "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        return w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


@pytest.fixture(scope="module")
def speech():
    samples, rate = featpool.read_audio(SPEECH)
    return samples, rate


def kwargs_to_flags(kwargs):
    """fbank(..., num_mel_bins=80) <-> featpool extract --num-mel-bins=80."""
    flags = []
    for key, value in kwargs.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        flags.append("--%s=%s" % (key.replace("_", "-"), value))
    return flags


def run_command(tmp_path, audio, feature, kwargs):
    if not COMMAND:
        pytest.skip("FEATPOOL_COMMAND is not set (run through tests/test-python.sh)")
    out = str(tmp_path / ("%s.npy" % feature))
    subprocess.run([COMMAND, "extract", audio, "--feature=" + feature, "-o", out]
                   + kwargs_to_flags(kwargs), check=True)
    return np.load(out)


# --------------------------------------------------------------------------
# Module basics


def test_version_is_the_cmake_project_version():
    with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
        project = re.search(r"project\(featpool VERSION ([0-9.]+)", f.read()).group(1)
    assert featpool.version() == project
    assert featpool.__version__ == project


def test_read_audio_gives_kaldi_integer_scale():
    rate, ints = read_wav_int16(SPEECH)
    samples, got_rate = featpool.read_audio(SPEECH)
    assert got_rate == rate == 16000
    assert samples.dtype == np.float32 and samples.ndim == 1
    np.testing.assert_array_equal(samples, ints.astype(np.float32))


def test_read_audio_resamples_on_request():
    samples, rate = featpool.read_audio(os.path.join(DATA, "speech-48k.wav"), sample_rate=16000)
    native, native_rate = featpool.read_audio(os.path.join(DATA, "speech-48k.wav"))
    assert (rate, native_rate) == (16000, 48000)
    assert abs(len(samples) - len(native) / 3) <= 1


def test_read_audio_errors_name_the_file(tmp_path):
    missing = str(tmp_path / "missing.wav")
    with pytest.raises(featpool.Error, match="missing.wav"):
        featpool.read_audio(missing)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty"):
        featpool.read_audio(str(empty))


# --------------------------------------------------------------------------
# Offline features: identical to the featpool command

COMMAND_CASES = [
    ("fbank", {}),
    ("fbank", {"num_mel_bins": 80, "snip_edges": False, "use_energy": True,
               "window_type": "hamming", "low_freq": 60.0, "high_freq": -400.0}),
    ("fbank", {"use_log_fbank": False, "use_power": False, "htk_compat": True,
               "use_energy": True, "energy_floor": 1.0, "raw_energy": False}),
    ("fbank", {"dither": 1.0, "dither_seed": 7, "frame_length": 20.0, "frame_shift": 8.0,
               "round_to_power_of_two": False, "remove_dc_offset": False,
               "preemphasis_coefficient": 0.0}),
    ("mfcc", {}),
    ("mfcc", {"num_ceps": 20, "num_mel_bins": 40, "cepstral_lifter": 0.0, "use_energy": False,
              "htk_compat": True, "snip_edges": False, "window_type": "blackman",
              "blackman_coeff": 0.40}),
    ("spectrogram", {}),
    ("spectrogram", {"snip_edges": False, "energy_floor": 2.0, "raw_energy": False,
                     "window_type": "rectangular"}),
]


@pytest.mark.parametrize("feature,kwargs", COMMAND_CASES)
def test_features_equal_the_command(tmp_path, speech, feature, kwargs):
    samples, rate = speech
    expected = run_command(tmp_path, SPEECH, feature, kwargs)
    got = getattr(featpool, feature)(samples, rate, **kwargs)
    assert got.dtype == np.float32 and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


def test_8khz_features_equal_the_command(tmp_path):
    path = os.path.join(DATA, "speech-8k.wav")
    samples, rate = featpool.read_audio(path)
    assert rate == 8000
    expected = run_command(tmp_path, path, "fbank", {"sample_frequency": 8000.0,
                                                     "num_mel_bins": 15})
    np.testing.assert_array_equal(featpool.fbank(samples, 8000, num_mel_bins=15), expected)
    # torchaudio's keyword for the rate
    np.testing.assert_array_equal(
        featpool.fbank(samples, sample_frequency=8000, num_mel_bins=15), expected)


KALDI_DATA = os.path.join(ROOT, "tests", "data", "kaldi")
INT_KEYWORDS = {"num_mel_bins", "num_ceps"}
STR_KEYWORDS = {"window_type"}


def load_kaldi_cases():
    path = os.path.join(KALDI_DATA, "cases.txt")
    if not os.path.exists(path):
        return []
    cases = []
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        name, audio, flags = line.rstrip("\n").split("\t")[:3]
        cases.append((name, audio, flags.split()))
    return cases


def flags_to_call(flags):
    """featpool extract flags -> (feature, sample_rate, channel, keywords)."""
    feature, rate, channel, kwargs = "fbank", 16000.0, -1, {}
    for flag in flags:
        key, _, value = flag[2:].partition("=")
        key = key.replace("-", "_")
        if key == "feature":
            feature = value
        elif key == "sample_frequency":
            rate = float(value)
        elif key == "channel":
            channel = featpool.MIX_CHANNELS if value == "mix" else int(value)
        elif value in ("", "true", "false"):
            kwargs[key] = value != "false"
        elif key in INT_KEYWORDS:
            kwargs[key] = int(value)
        elif key in STR_KEYWORDS:
            kwargs[key] = value
        else:
            kwargs[key] = float(value)
    return feature, rate, channel, kwargs


def test_every_kaldi_fixture_case_equals_the_command(tmp_path):
    """The torchaudio-checked cases of tests/data/kaldi (gen-kaldi-fixtures.py;
    test-kaldi-fixtures.cc compares the library with the references): through
    read_audio() and the keyword API, the bindings give the command's bits."""
    cases = load_kaldi_cases()
    if not cases:
        pytest.skip("tests/data/kaldi/cases.txt is missing")
    for name, audio, flags in cases:
        path = os.path.join(KALDI_DATA, audio)
        feature, rate, channel, kwargs = flags_to_call(flags)
        if channel == -1 and "stereo" in audio:
            with pytest.warns(UserWarning, match="2 channels; using channel 0") as info:
                samples, got_rate = featpool.read_audio(path, sample_rate=rate)
            assert "--" not in str(info[0].message)
        else:
            samples, got_rate = featpool.read_audio(path, sample_rate=rate, channel=channel)
        assert got_rate == rate, name
        got = getattr(featpool, feature)(samples, rate, **kwargs)
        if not COMMAND:
            pytest.skip("FEATPOOL_COMMAND is not set (run through tests/test-python.sh)")
        out = str(tmp_path / (name + ".npy"))
        subprocess.run([COMMAND, "extract", path, "-o", out] + flags, check=True)
        np.testing.assert_array_equal(got, np.load(out), err_msg=name)
    assert len(cases) >= 50


def test_shapes_and_defaults(speech):
    samples, _ = speech
    frames = 1 + (len(samples) - 400) // 160  # Kaldi NumFrames, snip_edges
    assert featpool.fbank(samples).shape == (frames, 23)
    assert featpool.mfcc(samples).shape == (frames, 13)
    assert featpool.spectrogram(samples).shape == (frames, 257)
    assert featpool.fbank(samples, snip_edges=False).shape == ((len(samples) + 80) // 160, 23)
    # Kaldi's MFCC default use_energy=True: C0 is the log energy.
    np.testing.assert_array_equal(featpool.mfcc(samples)[:, 0],
                                  featpool.mfcc(samples, use_energy=True)[:, 0])
    assert not np.array_equal(featpool.mfcc(samples)[:, 0],
                              featpool.mfcc(samples, use_energy=False)[:, 0])


def test_short_or_empty_input_is_an_error_with_the_commands_reason():
    # The command refuses a file shorter than one frame (ShortInputMessage).
    with pytest.raises(featpool.Error, match=r"0\.025 s \(399 samples\) is shorter than one "
                                             r"frame \(400 samples\)"):
        featpool.fbank(np.zeros(399, dtype=np.float32))
    with pytest.raises(featpool.Error, match=r"\(0 samples\) is shorter than one frame"):
        featpool.mfcc(np.zeros(0, dtype=np.float32))
    assert featpool.fbank(np.zeros(400, dtype=np.float32)).shape == (1, 23)


def test_input_types_and_layouts(speech):
    samples, _ = speech
    expected = featpool.fbank(samples)
    # float64, lists and non-contiguous views are converted
    np.testing.assert_array_equal(featpool.fbank(samples.astype(np.float64)), expected)
    np.testing.assert_array_equal(featpool.fbank(samples[:4000].tolist()),
                                  featpool.fbank(samples[:4000]))
    doubled = np.repeat(samples, 2)
    np.testing.assert_array_equal(featpool.fbank(doubled[::2]), expected)
    # 2-D [channels, samples] like a torchaudio waveform: [1, N] is one
    # waveform; with several channels, one must be chosen (never silently the
    # first, nor a batch).
    np.testing.assert_array_equal(featpool.fbank(samples[None]), expected)
    stereo = np.stack([samples, samples[::-1].copy()])
    with pytest.raises(featpool.Error, match="2 channels: choose one with channel=N"):
        featpool.fbank(stereo)
    np.testing.assert_array_equal(featpool.fbank(stereo, channel=0), expected)
    np.testing.assert_array_equal(featpool.fbank(stereo, channel=-1), expected)
    np.testing.assert_array_equal(featpool.fbank(stereo, channel=1),
                                  featpool.fbank(samples[::-1].copy()))
    with pytest.raises(featpool.Error, match="channel"):
        featpool.fbank(stereo, channel=2)
    with pytest.raises(featpool.Error, match="3-D"):
        featpool.fbank(np.zeros((1, 1, 400), dtype=np.float32))


def test_output_owns_its_memory_without_a_copy(speech):
    samples, _ = speech
    out = featpool.fbank(samples)
    # The matrix the library computed is handed to NumPy, not copied: the
    # array does not own a NumPy allocation but is kept alive by its base.
    assert not out.flags.owndata and out.base is not None
    assert out.flags.c_contiguous and out.flags.writeable
    original = out[0, 0]
    out[0, 0] = original + 1.0  # writing to one result does not touch the next
    assert featpool.fbank(samples)[0, 0] == original


def test_errors_name_the_python_keyword(speech):
    samples, _ = speech
    assert issubclass(featpool.Error, ValueError)
    cases = [
        ({"num_mel_bins": 1}, "num_mel_bins"),
        ({"window_type": "kaiser"}, "window_type"),
        ({"frame_shift": 0.0}, "frame_shift"),
        ({"frame_length": -1.0}, "frame_length"),
        ({"dither": -1.0}, "dither"),
        ({"low_freq": 9000.0}, "low_freq"),
        ({"sample_rate": 16000.0, "num_mel_bins": 300}, "num_mel_bins"),
    ]
    for kwargs, keyword in cases:
        with pytest.raises(featpool.Error, match=keyword) as info:
            featpool.fbank(samples, **kwargs)
        assert "--" not in str(info.value), str(info.value)
    with pytest.raises(featpool.Error, match="num_ceps"):
        featpool.mfcc(samples, num_ceps=0)
    with pytest.raises(featpool.Error, match="disagree"):
        featpool.fbank(samples, 8000, sample_frequency=16000)
    with pytest.raises(TypeError):
        featpool.fbank(samples, warp_factor=1.0)  # unknown: no silent ignore
    with pytest.raises(featpool.Error, match="vtln_low"):
        featpool.fbank(samples, vtln_warp=0.9, vtln_low=10.0)
    # VTLN is a keyword like any table option; warp 1 is no warp.
    assert (featpool.fbank(samples, vtln_warp=1.0) == featpool.fbank(samples)).all()
    assert not (featpool.fbank(samples, vtln_warp=0.9) == featpool.fbank(samples)).all()


def test_threads_compute_identical_results(speech):
    samples, _ = speech
    expected = {f: getattr(featpool, f)(samples) for f in ("fbank", "mfcc", "spectrogram")}
    results = []

    def work(feature):
        results.append((feature, getattr(featpool, feature)(samples)))

    threads = [threading.Thread(target=work, args=(f,)) for f in list(expected) * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 9
    for feature, got in results:
        np.testing.assert_array_equal(got, expected[feature])


# --------------------------------------------------------------------------
# Streaming: identical to offline


def random_chunks(n, rng, max_chunk):
    pos = 0
    while pos < n:
        size = int(rng.integers(1, max_chunk + 1))
        yield pos, min(n, pos + size)
        pos += size


@pytest.mark.parametrize("feature", ["fbank", "mfcc", "spectrogram"])
@pytest.mark.parametrize("snip_edges", [True, False])
def test_online_extractor_equals_offline(speech, feature, snip_edges):
    samples, rate = speech
    expected = getattr(featpool, feature)(samples, rate, snip_edges=snip_edges)
    rng = np.random.default_rng(5)
    for max_chunk in (1, 7, 160, 2 * rate, len(samples)):
        extractor = featpool.OnlineExtractor(feature, rate, snip_edges=snip_edges)
        assert extractor.dim == expected.shape[1]
        parts = []
        chunks = random_chunks(len(samples), rng, max_chunk) if max_chunk > 1 else None
        if chunks is None:  # one sample at a time is slow in Python: a prefix of it
            chunks = [(i, i + 1) for i in range(3000)] + [(3000, len(samples))]
        for begin, end in chunks:
            extractor.accept_waveform(rate, samples[begin:end])
            parts.append(extractor.take_frames())
        extractor.input_finished()
        parts.append(extractor.take_frames())
        got = np.concatenate(parts)
        assert extractor.num_frames_ready == len(expected)
        np.testing.assert_array_equal(got, expected, err_msg="max chunk %d" % max_chunk)


def test_online_extractor_frame_access(speech):
    samples, rate = speech
    expected = featpool.fbank(samples, num_mel_bins=40)
    extractor = featpool.OnlineExtractor("fbank", num_mel_bins=40)
    assert extractor.samples_needed_for_frame(0) == 400
    assert extractor.samples_needed_for_frame(2) == 720
    assert extractor.frame_shift_seconds == pytest.approx(0.01)
    extractor.accept_waveform(rate, samples[:719])
    assert extractor.num_frames_ready == 2
    extractor.accept_waveform(rate, samples[719:8000])
    ready = extractor.num_frames_ready
    assert ready == 1 + (8000 - 400) // 160
    np.testing.assert_array_equal(extractor.get_frame(3), expected[3])
    np.testing.assert_array_equal(extractor.get_frames(), expected[:ready])
    np.testing.assert_array_equal(extractor.get_frames(5, 9), expected[5:9])
    extractor.release_frames_before(10)
    assert extractor.first_available_frame == 10
    with pytest.raises(featpool.Error, match="not available"):
        extractor.get_frame(9)
    with pytest.raises(featpool.Error, match="not available"):
        extractor.get_frames(0, 3)
    np.testing.assert_array_equal(extractor.take_frames(), expected[10:ready])
    assert extractor.first_available_frame == ready
    assert extractor.take_frames().shape == (0, 40)
    with pytest.raises(featpool.Error, match="Hz"):
        extractor.accept_waveform(8000, samples[:10])
    with pytest.raises(featpool.Error, match="1-D"):
        extractor.accept_waveform(rate, np.zeros((2, 10), dtype=np.float32))
    extractor.input_finished()
    assert extractor.is_finished
    with pytest.raises(featpool.Error, match="InputFinished"):
        extractor.accept_waveform(rate, samples[:10])
    with pytest.raises(featpool.Error, match="feature"):
        featpool.OnlineExtractor("plp")


# --------------------------------------------------------------------------
# Direct comparison with torchaudio.compliance.kaldi (only where torch exists)


def torch_kaldi():
    torch = pytest.importorskip("torch")
    kaldi = pytest.importorskip("torchaudio.compliance.kaldi")
    return torch, kaldi


# Tolerances, measured on data/speech-16k.wav against torchaudio in float64:
# fbank and MFCC differ by at most 2.4e-4 (float32 rounding). The log
# spectrogram differs by up to 0.05 in its lowest-power bins, as much as
# torchaudio's own float32 result does (0.051); in the linear power domain
# that is below 1e-4 of the frame's peak power, which is what is checked.
TORCH_CASES = [
    ("fbank", {"num_mel_bins": 80}),
    ("fbank", {"snip_edges": False, "use_energy": True, "window_type": "hamming"}),
    ("mfcc", {"use_energy": True}),
    ("mfcc", {"use_energy": False, "num_ceps": 20, "num_mel_bins": 40}),
    ("spectrogram", {}),
    ("spectrogram", {"snip_edges": False, "window_type": "hanning"}),
]


@pytest.mark.parametrize("feature,kwargs", TORCH_CASES)
def test_features_match_torchaudio(speech, feature, kwargs):
    torch, kaldi = torch_kaldi()
    samples, rate = speech
    got = getattr(featpool, feature)(samples, rate, **kwargs)
    waveform = torch.from_numpy(samples.astype(np.float64))[None, :]
    expected = getattr(kaldi, feature)(waveform, sample_frequency=rate, dither=0.0,
                                       energy_floor=0.0, **kwargs).numpy()
    assert got.shape == expected.shape
    if feature != "spectrogram":
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-3)
        return
    # column 0 is the log energy; the rest are log powers
    np.testing.assert_allclose(got[:, 0], expected[:, 0], rtol=0, atol=1e-3)
    power, expected_power = np.exp(got[:, 1:].astype(np.float64)), np.exp(expected[:, 1:])
    peak = expected_power.max(axis=1, keepdims=True)
    assert np.max(np.abs(power - expected_power) / peak) < 1e-4


# --------------------------------------------------------------------------
# Pooling: the committed torch fixtures (tests/gen-pool-fixtures.py)

POOL_DATA = os.path.join(ROOT, "tests", "data", "pool")
WINDOW_MODES = ("max", "avg", "lp")


def pool_size(text, keep=False):
    if text == "-":
        return None
    time, freq = text.split("x")
    one = lambda v: None if (keep and v == "keep") else int(v)
    return (one(time), one(freq))


def load_pool_cases():
    path = os.path.join(POOL_DATA, "cases.txt")
    if not os.path.exists(path):
        return []
    cases = []
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        cases.append(dict(field.split("=", 1) for field in line.split()))
    return cases


def pool_kwargs(c):
    """A fixture line as pool() keywords."""
    kernel = pool_size(c["kernel"])
    if c["mode"] not in WINDOW_MODES and kernel == (0, 0):
        kernel = None  # the mode takes no kernel
    return dict(mode=c["mode"], kernel=kernel, stride=pool_size(c["stride"]),
                padding=pool_size(c["padding"]), dilation=pool_size(c["dilation"]),
                ceil_mode=c["ceil"] == "1", count_include_pad=c["cip"] == "1",
                divisor_override=int(c["divisor"]) or None, norm_type=float(c["norm"]),
                output_size=pool_size(c["output"], keep=True),
                stack_frames=int(c["frames"]), stack_stride=int(c["step"]))


def test_pool_matches_every_torch_fixture():
    cases = load_pool_cases()
    if not cases:
        pytest.skip("tests/data/pool/cases.txt is missing")
    expected_all = np.load(os.path.join(POOL_DATA, "expected.npy")).ravel()
    indices_all = np.load(os.path.join(POOL_DATA, "indices.npy")).ravel()
    inputs = {}
    checked = rejected = 0
    for c in cases:
        name = c["input"]
        if name not in inputs:
            inputs[name] = np.load(os.path.join(POOL_DATA, "input-%s.npy" % name))
        x = inputs[name]
        kwargs = pool_kwargs(c)
        where = "case %s: %s" % (c["case"], kwargs)
        if c["error"] == "1":
            with pytest.raises(featpool.Error):
                featpool.pool(x, **kwargs)
            rejected += 1
            continue
        rows, cols, offset = int(c["rows"]), int(c["cols"]), int(c["offset"])
        expected = expected_all[offset:offset + rows * cols].reshape(rows, cols)
        with_indices = int(c["index_offset"]) >= 0
        got = featpool.pool(x, **kwargs, return_indices=with_indices)
        if with_indices:
            got, indices = got
            start = int(c["index_offset"])
            np.testing.assert_array_equal(
                indices, indices_all[start:start + rows * cols].reshape(rows, cols), err_msg=where)
        assert got.shape == (rows, cols) and got.dtype == np.float32, where
        if c["mode"] in ("max", "adaptive-max", "stack"):
            # values are copied: the same bits (NaN payloads, signed zeros)
            np.testing.assert_array_equal(got.view(np.uint32), expected.view(np.uint32),
                                          err_msg=where)
        else:
            # sums in double vs torch's float64 rounded to float32 (as test-pooler.cc)
            finite = x[np.isfinite(x)]
            scale = float(np.abs(finite).max()) if finite.size else 0.0
            np.testing.assert_array_equal(np.isnan(got), np.isnan(expected), err_msg=where)
            np.testing.assert_array_equal(got[np.isinf(expected)], expected[np.isinf(expected)],
                                          err_msg=where)
            ok = np.isfinite(expected)
            tol = 1e-6 * np.abs(expected[ok]).astype(np.float64) + 1e-9 * scale
            assert (np.abs(got[ok].astype(np.float64) - expected[ok]) <= tol).all(), where
        checked += 1
    assert checked >= 200 and rejected >= 10


def test_pool_arguments_and_errors():
    x = np.arange(48, dtype=np.float32).reshape(6, 8)
    # int and pair arguments, kernel None = (2, 2), stride None = kernel
    np.testing.assert_array_equal(featpool.pool(x), featpool.pool(x, "max", kernel=2))
    np.testing.assert_array_equal(featpool.pool(x, kernel=(2, 2)), x[1::2, 1::2])
    assert featpool.pool(x, "avg", kernel=(3, 2), stride=1).shape == (4, 7)
    out, indices = featpool.pool(x, kernel=2, return_indices=True)
    assert indices.dtype == np.int64
    np.testing.assert_array_equal(x.ravel()[indices], out)
    assert featpool.pool(x, "adaptive-avg", output_size=(3, None)).shape == (3, 8)
    assert featpool.pool(x, "adaptive-max", output_size=4).shape == (4, 4)
    np.testing.assert_allclose(featpool.pool(x, "stats")[0],
                               np.concatenate([x.mean(axis=0), x.std(axis=0)]), rtol=1e-6)
    assert featpool.pool(x, "stack", stack_frames=3, stack_stride=2).shape == (3, 24)
    # float64 and non-contiguous input are converted
    np.testing.assert_array_equal(featpool.pool(x.astype(np.float64)), featpool.pool(x))
    np.testing.assert_array_equal(featpool.pool(np.asfortranarray(x)), featpool.pool(x))
    # everything torch rejects, and options the mode does not take
    for kwargs, match in [
        (dict(kernel=2, padding=2), "padding"),
        (dict(kernel=0), "kernel"),
        (dict(kernel=(2, 2), stride=(0, 1)), "stride"),
        (dict(mode="avg", return_indices=True), "return_indices"),
        (dict(mode="avg", divisor_override=0), "divisor_override"),
        (dict(mode="lp", norm_type=0.0), "norm_type"),
        (dict(mode="max", count_include_pad=False), "count_include_pad=False"),
        (dict(mode="stats", kernel=2), "kernel"),
        (dict(mode="adaptive-max"), "output_size"),
        (dict(mode="median"), "mode"),
        (dict(kernel=7), "too small"),
    ]:
        with pytest.raises(featpool.Error, match=match) as info:
            featpool.pool(x, **kwargs)
        assert "--" not in str(info.value), str(info.value)
    with pytest.raises(featpool.Error, match="2-D"):
        featpool.pool(x[None])
    with pytest.raises(TypeError, match="kernel"):
        featpool.pool(x, kernel=(1, 2, 3))
    with pytest.raises(TypeError, match="kernel"):
        featpool.pool(x, kernel=2.5)


TORCH_POOL_CASES = [
    ("max", dict(kernel=(3, 2), stride=(2, 2), padding=1, dilation=(2, 1), ceil_mode=True)),
    ("avg", dict(kernel=(4, 3), stride=(3, 1), padding=(2, 1), ceil_mode=True,
                 count_include_pad=False)),
    ("avg", dict(kernel=5, divisor_override=7)),
    ("lp", dict(kernel=(2, 4), norm_type=2.0, ceil_mode=True)),
    ("adaptive-max", dict(output_size=(37, 11))),
    ("adaptive-avg", dict(output_size=(100, None))),
]


@pytest.mark.parametrize("mode,kwargs", TORCH_POOL_CASES)
def test_pool_matches_torch(speech, mode, kwargs):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    samples, _ = speech
    x = featpool.fbank(samples, num_mel_bins=40)
    t = torch.from_numpy(x)[None, None]
    k = dict(kwargs)
    if mode in ("max", "adaptive-max"):
        got, indices = featpool.pool(x, mode, return_indices=True, **k)
        if mode == "max":
            want, want_indices = F.max_pool2d(t, k.pop("kernel"), return_indices=True, **k)
        else:
            want, want_indices = F.adaptive_max_pool2d(t, k["output_size"], return_indices=True)
        np.testing.assert_array_equal(got, want[0, 0].numpy())
        np.testing.assert_array_equal(indices, want_indices[0, 0].numpy())
        return
    got = featpool.pool(x, mode, **k)
    t64 = t.double()
    if mode == "avg":
        want = F.avg_pool2d(t64, k.pop("kernel"), **k)
    elif mode == "lp":
        want = F.lp_pool2d(t64, k.pop("norm_type"), k.pop("kernel"), **k)
    else:
        want = F.adaptive_avg_pool2d(t64, k["output_size"])
    np.testing.assert_allclose(got, want[0, 0].numpy(), rtol=1e-6, atol=1e-6)


# --------------------------------------------------------------------------
# Streaming pooling: identical to offline

STREAM_POOL_CASES = [
    ("max", dict(kernel=(3, 2), stride=(2, 2), padding=(1, 1), dilation=(2, 1), ceil_mode=True)),
    ("max", dict(kernel=2)),
    ("avg", dict(kernel=(4, 3), stride=(3, 1), padding=(2, 1), ceil_mode=True,
                 count_include_pad=False)),
    ("lp", dict(kernel=(2, 4), norm_type=3.0, ceil_mode=True)),
    ("stack", dict(stack_frames=7, stack_stride=6)),
    ("stats", dict()),
]


@pytest.mark.parametrize("mode,kwargs", STREAM_POOL_CASES)
def test_online_pooler_equals_offline(speech, mode, kwargs):
    samples, _ = speech
    x = featpool.fbank(samples, num_mel_bins=40)
    with_indices = mode == "max"
    expected = featpool.pool(x, mode, return_indices=with_indices, **kwargs)
    rng = np.random.default_rng(11)
    for max_chunk in (1, 3, 50, len(x)):
        pooler = featpool.OnlinePooler(x.shape[1], mode, return_indices=with_indices, **kwargs)
        rows, indices = [], []
        for begin, end in random_chunks(len(x), rng, max_chunk):
            pooler.accept_frames(x[begin:end])
            got = pooler.take_rows()
            if with_indices:
                got, idx = got
                indices.append(idx)
            rows.append(got)
        pooler.input_finished()
        got = pooler.take_rows()
        if with_indices:
            got, idx = got
            indices.append(idx)
            np.testing.assert_array_equal(np.concatenate(indices), expected[1])
        rows.append(got)
        want = expected[0] if with_indices else expected
        np.testing.assert_array_equal(np.concatenate(rows), want, err_msg="chunk %d" % max_chunk)


def test_features_and_pooling_stream_end_to_end(speech):
    """Samples in random chunks -> OnlineExtractor -> OnlinePooler equals
    pool(fbank(samples)), with snip-edges both ways."""
    samples, rate = speech
    rng = np.random.default_rng(3)
    for snip_edges in (True, False):
        expected = featpool.pool(featpool.fbank(samples, snip_edges=snip_edges), "avg",
                                 kernel=(5, 3), stride=(2, 3), padding=(2, 1))
        extractor = featpool.OnlineExtractor("fbank", snip_edges=snip_edges)
        pooler = featpool.OnlinePooler(extractor.dim, "avg", kernel=(5, 3), stride=(2, 3),
                                       padding=(2, 1))
        rows = []
        for begin, end in random_chunks(len(samples), rng, 2 * rate):
            extractor.accept_waveform(rate, samples[begin:end])
            pooler.accept_frames(extractor.take_frames())
            rows.append(pooler.take_rows())
        extractor.input_finished()
        pooler.accept_frames(extractor.take_frames())
        pooler.input_finished()
        rows.append(pooler.take_rows())
        np.testing.assert_array_equal(np.concatenate(rows), expected)


def test_online_pooler_latency_and_access():
    x = np.arange(200, dtype=np.float32).reshape(20, 10)
    pooler = featpool.OnlinePooler(10, "max", kernel=(3, 2), stride=(2, 2), padding=(1, 0))
    assert pooler.dim == 5 and pooler.input_dim == 10
    # header: row r needs r*stride - padding + (kernel - 1)*dilation + 1 frames
    assert [pooler.frames_needed_for_row(r) for r in range(3)] == [2, 4, 6]
    assert pooler.frame_lag == 1
    pooler.accept_frames(x[:3])
    assert pooler.num_rows_ready == 1 and pooler.num_frames_accepted == 3
    pooler.accept_frames(x[3])  # one frame, 1-D
    assert pooler.num_rows_ready == 2
    expected = featpool.pool(x, "max", kernel=(3, 2), stride=(2, 2), padding=(1, 0))
    np.testing.assert_array_equal(pooler.get_rows(), expected[:2])
    np.testing.assert_array_equal(pooler.get_rows(1, 2), expected[1:2])
    pooler.release_rows_before(1)
    assert pooler.first_available_row == 1
    with pytest.raises(featpool.Error, match="not available"):
        pooler.get_rows(0, 1)
    with pytest.raises(featpool.Error, match="10"):
        pooler.accept_frames(np.zeros((2, 9), dtype=np.float32))
    stack = featpool.OnlinePooler(10, "stack", stack_frames=7, stack_stride=6)
    assert stack.frames_needed_for_row(0) == 7 - 3 and stack.frame_lag == 7 - 1 - 3
    stats = featpool.OnlinePooler(10, "stats")
    assert stats.running_stats() is None and stats.frame_lag == -1
    stats.accept_frames(x[:5])
    np.testing.assert_allclose(stats.running_stats(),
                               np.concatenate([x[:5].mean(0), x[:5].std(0)]), rtol=1e-6)
    assert stats.num_rows_ready == 0
    stats.input_finished()
    assert stats.take_rows().shape == (1, 20)
    for mode in ("adaptive-max", "adaptive-avg"):
        with pytest.raises(featpool.Error, match="cannot stream"):
            featpool.OnlinePooler(10, mode)


# --- Limits: what the command rejects, Python rejects, for the same reason ----

@pytest.mark.parametrize("kwargs,match", [
    (dict(dither=1e38), r"dither=1e\+38: noise this large overflows"),
    (dict(window_type="blackman", blackman_coeff=1e38), r"blackman_coeff=1e\+38: a window"),
    (dict(frame_length=1e30), r"frame_length=1e\+30: .* longer than the limit"),
    (dict(frame_length=3e8), "frame_length=3e\\+08: .* longer than the limit"),
    (dict(sample_frequency=1e38), "longer than the limit"),
    (dict(low_freq=float("nan")), "low_freq=nan"),
    (dict(num_mel_bins=2147483647), "num_mel_bins=2147483647: mel bin 0 covers no FFT bin"),
])
def test_options_that_cannot_give_finite_features_are_rejected(speech, kwargs, match):
    samples, _ = speech
    with pytest.raises(featpool.Error, match=match):
        featpool.fbank(samples[:4000], **kwargs)
    if COMMAND:  # the command says the same, with its flag spelling
        flags = kwargs_to_flags(kwargs)
        done = subprocess.run([COMMAND, "extract", SPEECH, "-o", os.devnull] + flags,
                              capture_output=True, text=True)
        assert done.returncode == 1
        python_spelling = re.sub(r"--([a-z-]+)", lambda m: m.group(1).replace("-", "_"),
                                 done.stderr.strip().replace("featpool: ", ""))
        assert re.search(match, python_spelling), (python_spelling, match)


def test_non_finite_samples_and_negative_channels_are_rejected(speech):
    samples, _ = speech
    x = samples[:4000].copy()
    x[1234] = np.nan
    for f in (featpool.fbank, featpool.mfcc, featpool.spectrogram):
        with pytest.raises(featpool.Error, match="non-finite sample .* at sample 1234"):
            f(x)
    # Every position (the check runs four samples at a time, then the
    # tail), NaN and both infinities: the first bad sample is named.
    for length in (4000, 4003):
        for at in (0, 1, 2, 3, 4, length - 4, length - 3, length - 2, length - 1):
            for bad in (np.nan, np.inf, -np.inf):
                y = samples[:length].copy()
                y[at:at + 2] = bad
                with pytest.raises(featpool.Error, match="non-finite sample .* at sample %d$" % at):
                    featpool.fbank(y)
    x[1234] = np.inf
    with pytest.raises(featpool.Error, match="non-finite sample"):
        featpool.fbank(np.stack([samples[:4000], x]), channel=1)
    ex = featpool.OnlineExtractor("fbank")
    with pytest.raises(featpool.Error, match="non-finite sample"):
        ex.accept_waveform(16000, x)
    # Finite samples whose power spectrum overflows float32: the features are
    # checked too, as the command checks each file.
    loud = (np.random.default_rng(3).standard_normal(4000) * 3e37).astype(np.float32)
    with pytest.raises(featpool.Error, match=r"feature value -?(inf|nan) \(row 0, column \d+\)"):
        featpool.fbank(loud)
    # The command's --channel takes -1, N or mix; -2 is MIX_CHANNELS.
    stereo = np.stack([samples[:4000], samples[4000:8000]])
    for channel in (-3, -100):
        with pytest.raises(featpool.Error, match="invalid channel='%d': expected -1" % channel):
            featpool.fbank(stereo, channel=channel)
    mixed = featpool.fbank(stereo, channel=featpool.MIX_CHANNELS)
    np.testing.assert_array_equal(mixed, featpool.fbank((stereo[0] + stereo[1]) / 2))
    with pytest.raises(featpool.Error, match="channel=2: the waveform has 2"):
        featpool.fbank(stereo, channel=2)


def test_pool_extents_follow_the_input_not_the_option():
    x = np.arange(40, dtype=np.float32).reshape(10, 4)
    # Valid in torch, one row; the ring used to be sized by the kernel (8.6 GB).
    got = featpool.pool(x, "max", kernel=(200000001, 1), padding=(100000000, 0))
    np.testing.assert_array_equal(got, x.max(axis=0, keepdims=True))
    got = featpool.pool(x, "max", kernel=3, stride=2000000000)
    np.testing.assert_array_equal(got, x[:3, :3].max(keepdims=True))
    pooler = featpool.OnlinePooler(4, "max", kernel=(200000001, 1), padding=(100000000, 0))
    pooler.accept_frames(x)
    pooler.input_finished()
    np.testing.assert_array_equal(pooler.take_rows(), x.max(axis=0, keepdims=True))
    with pytest.raises(featpool.Error, match="out of range"):
        pooler.frames_needed_for_row(2**62)
    # Huge stacking used to overflow m * F and segfault the interpreter.
    for stack_frames in (2**62, 2**63 - 1, 2**31):
        with pytest.raises(featpool.Error, match="stack_frames=.*must be in"):
            featpool.pool(x, "stack", stack_frames=stack_frames)
        with pytest.raises(featpool.Error, match="stack_frames=.*must be in"):
            featpool.OnlinePooler(4, "stack", stack_frames=stack_frames)
    with pytest.raises(featpool.Error, match="stack_frames=2000000000: .* more than 16 times"):
        featpool.pool(x, "stack", stack_frames=2000000000)
    with pytest.raises(featpool.Error, match="output_size=4000000000x4000000000: gives"):
        featpool.pool(x, "adaptive-avg", output_size=4000000000)
    # A negative kernel is reported as the number given, not as "keep".
    with pytest.raises(featpool.Error, match=r"kernel=-1x-1: must be positive on both axes"):
        featpool.pool(x, kernel=-1)
    with pytest.raises(featpool.Error, match=r"padding=-2x0: must be non-negative"):
        featpool.pool(x, kernel=4, padding=(-2, 0))
    with pytest.raises(featpool.Error, match=r"kernel=\(2, 2\*\*70\)|out of range"):
        featpool.pool(x, kernel=(2, 2**70))
