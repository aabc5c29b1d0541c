"""Presets in Python (featpool.list_presets, preset_options, extract and
extract_batch with preset=): every preset gives bit for bit what `featpool
extract --preset=NAME` writes, stages and sample scale included, and
keywords override a preset as flags after --preset do. read_audio returns
the scale the chosen feature or preset computes on.

Run by tests/test-python.sh with the command in $FEATPOOL_COMMAND."""

import os
import subprocess

import numpy as np
import pytest

if os.environ.get("FEATPOOL_PYTHON_REQUIRED"):
    import featpool
else:
    featpool = pytest.importorskip("featpool", reason="the featpool module is not built")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "data")
SPEECH = os.path.join(DATA, "speech-16k.wav")
AM_MVN = os.path.join(ROOT, "tests", "data", "dialects", "presets", "am.mvn")
COMMAND = os.environ.get("FEATPOOL_COMMAND")
PRESETS = sorted(os.path.splitext(n)[0] for n in os.listdir(os.path.join(DATA, "conf", "presets"))
                 if n.endswith(".conf"))
# What a preset needs that the model ships (FunASR's am.mvn).
NEEDS = {"funasr-paraformer": {"cmvn_stats": AM_MVN}}


def command(tmp_path, audio, flags, name="out"):
    if not COMMAND:
        pytest.skip("FEATPOOL_COMMAND is not set (run through tests/test-python.sh)")
    out = str(tmp_path / ("%s.npy" % name))
    subprocess.run([COMMAND, "extract", audio, "-o", out] + flags, check=True)
    return np.load(out)


def flags_of(keywords):
    out = []
    for key, value in keywords.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        out.append("--%s=%s" % (key.replace("_", "-"), value))
    return out


def same_bits(a, b):
    return a.dtype == b.dtype == np.float32 and a.shape == b.shape and a.tobytes() == b.tobytes()


def test_every_shipped_preset_is_listed_with_its_description():
    presets = featpool.list_presets()
    assert sorted(presets) == PRESETS
    assert len(PRESETS) == 10
    for name, description in presets.items():
        with open(os.path.join(DATA, "conf", "presets", name + ".conf")) as f:
            assert f.readline().rstrip("\n") == "# " + description


def test_preset_options_are_typed_keywords():
    whisper = featpool.preset_options("whisper")
    assert whisper["feature"] == "melspectrogram"
    assert whisper["n_mels"] == 80 and type(whisper["n_mels"]) is int
    assert whisper["periodic"] is True
    assert whisper["sample_frequency"] == 16000.0
    assert whisper["normalize"] == "whisper"
    funasr = featpool.preset_options("funasr-paraformer")
    assert (funasr["pool"], funasr["pool_stack_frames"], funasr["pool_stack_stride"]) == (
        "stack", 7, 6)
    assert funasr["stages"] == "pool,cmvn" and funasr["cmvn"] == "global"
    # The settings are what extract() takes: passing them is the preset.
    samples, rate = featpool.read_audio(SPEECH, preset="whisper")
    assert same_bits(featpool.extract(samples, rate, **whisper),
                     featpool.extract(samples, rate, preset="whisper"))


@pytest.mark.parametrize("audio", ["speech-16k.wav", "speech-8k.wav"])
@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_equals_the_command_bit_for_bit(tmp_path, name, audio):
    path = os.path.join(DATA, audio)
    extra = NEEDS.get(name, {})
    expected = command(tmp_path, path, ["--preset=" + name] + flags_of(extra))
    samples, rate = featpool.read_audio(path, preset=name)
    assert rate == featpool.preset_options(name)["sample_frequency"]
    got = featpool.extract(samples, rate, preset=name, **extra)
    assert same_bits(got, expected), (name, got.shape, expected.shape,
                                      float(np.abs(got - expected).max()))
    batch = featpool.extract_batch([samples, samples[: len(samples) // 2]], rate, preset=name,
                                   num_threads=2, **extra)
    assert same_bits(batch[0], expected)
    assert same_bits(batch[1], featpool.extract(samples[: len(samples) // 2], rate, preset=name,
                                                **extra))


@pytest.mark.parametrize("name,overrides", [
    ("kaldi-fbank-80", {"num_mel_bins": 40, "snip_edges": False}),
    ("espnet", {"hop_length": 160, "norm_vars": True}),
    ("whisper", {"normalize": "none", "deltas": 1}),
    ("kaldi-mfcc-13", {"cmvn": "sliding", "cmn_window": 100, "left_context": 2,
                       "right_context": 2}),
    ("nemo-80", {"pool": "avg", "pool_kernel": 3, "pool_stride": 2}),
    ("funasr-paraformer", {"cmvn_stats": AM_MVN, "pool_stack_stride": 4}),
])
def test_keywords_override_the_preset_as_flags_after_it_do(tmp_path, name, overrides):
    expected = command(tmp_path, SPEECH, ["--preset=" + name] + flags_of(overrides))
    samples, rate = featpool.read_audio(SPEECH, preset=name)
    assert same_bits(featpool.extract(samples, rate, preset=name, **overrides), expected)


def test_without_a_preset_extract_is_the_command_with_the_same_flags(tmp_path):
    keywords = {"feature": "mfcc", "num_ceps": 20, "cmvn": "utterance", "deltas": 2}
    expected = command(tmp_path, SPEECH, flags_of(keywords))
    samples, rate = featpool.read_audio(SPEECH)
    assert same_bits(featpool.extract(samples, rate, **keywords), expected)
    plain = featpool.extract(samples, rate)
    assert same_bits(plain, featpool.fbank(samples, rate))


def test_none_drops_a_presets_setting():
    samples, rate = featpool.read_audio(SPEECH, preset="funasr-paraformer")
    settings = featpool.preset_options("funasr-paraformer")
    fbank = {k: v for k, v in settings.items()
             if k in featpool.FbankOptions().as_dict() or k == "feature"}
    out = featpool.extract(samples, rate, preset="funasr-paraformer", pool=None, stages=None,
                           cmvn=None, norm_means=None, norm_vars=None)
    assert same_bits(out, featpool.extract(samples, rate, **fbank))
    assert out.shape[1] == 80
    stacked = featpool.extract(samples, rate, preset="funasr-paraformer",
                               pool=featpool.PoolOptions(mode="stack", stack_frames=7,
                                                         stack_stride=6),
                               stages=None, cmvn=None, norm_vars=None)
    assert same_bits(stacked, featpool.pool(out, mode="stack", stack_frames=7, stack_stride=6))
    assert same_bits(featpool.extract(samples, rate, preset="funasr-paraformer",
                                      pool={"mode": "stack", "stack_frames": 7}, pool_stack_stride=6,
                                      stages=None, cmvn=None, norm_vars=None), stacked)


def test_padded_batch_and_tensors():
    samples, rate = featpool.read_audio(SPEECH, preset="whisper")
    feats, lengths = featpool.extract_batch([samples, samples[:8000]], rate, preset="whisper",
                                            padded=True, padding_value=-1.0)
    assert feats.shape == (2, lengths[0], 80) and list(lengths) == [len(samples) // 160, 50]
    assert np.all(feats[1, 50:] == -1.0)
    empty, lengths = featpool.extract_batch([], rate, preset="funasr-paraformer",
                                            cmvn_stats=AM_MVN, padded=True)
    assert empty.shape == (0, 0, 560) and lengths.shape == (0,)


def test_errors_name_the_keyword(tmp_path):
    samples, rate = featpool.read_audio(SPEECH, preset="whisper")
    with pytest.raises(featpool.Error, match=r"unknown preset='nope': expected espnet, "):
        featpool.extract(samples, rate, preset="nope")
    with pytest.raises(featpool.Error, match=r"unknown preset='\.\./x'"):
        featpool.preset_options("../x")
    with pytest.raises(TypeError, match="preset must be a str"):
        featpool.extract(samples, rate, preset=1)
    with pytest.raises(featpool.Error,
                       match=r"num_mel_bins is an option of fbank and mfcc, not of "
                             r"feature=melspectrogram"):
        featpool.extract(samples, rate, preset="whisper", num_mel_bins=40)
    with pytest.raises(featpool.Error, match="cmvn_stats"):
        featpool.extract(samples, rate, preset="funasr-paraformer")
    with pytest.raises(featpool.Error, match=r"sample_rate=8000, but preset 'whisper' computes "
                                             r"at sample_frequency=16000"):
        featpool.extract(samples, 8000, preset="whisper")
    with pytest.raises(featpool.Error, match="pool_kernel needs pool=MODE"):
        featpool.extract(samples, rate, preset="whisper", pool_kernel=2)
    with pytest.raises(featpool.Error, match="n_mels"):
        featpool.extract(samples, rate, preset="whisper", n_mels=0)
    with pytest.raises(TypeError, match="unexpected keyword"):
        featpool.extract(samples, rate, preset="whisper", n_mel=80)
    with pytest.raises(featpool.Error, match="extract_batch"):
        featpool.extract(np.zeros((10, 16000), np.float32), rate, preset="whisper")


def test_featpool_preset_dir_replaces_the_shipped_presets(tmp_path, monkeypatch):
    (tmp_path / "mine.conf").write_text(
        "# my fbank\n--feature=fbank\n--num_mel_bins=40  # Kaldi's spelling\n--preset=inner\n")
    (tmp_path / "inner.conf").write_text("--dither=0\n--snip-edges=false\n")
    (tmp_path / "bad.conf").write_text("--feature=fbank\n\n--frame-lenght=25\n")
    (tmp_path / "badvalue.conf").write_text("--num-mel-bins=many\n")
    monkeypatch.setenv("FEATPOOL_PRESET_DIR", str(tmp_path))
    assert featpool.list_presets() == {"bad": "", "badvalue": "", "inner": "", "mine": "my fbank"}
    assert featpool.preset_options("mine") == {"feature": "fbank", "num_mel_bins": 40,
                                               "dither": 0.0, "snip_edges": False}
    samples, rate = featpool.read_audio(SPEECH)
    assert same_bits(featpool.extract(samples, rate, preset="mine"),
                     featpool.fbank(samples, rate, num_mel_bins=40, snip_edges=False))
    with pytest.raises(featpool.Error, match=r"bad\.conf:3: unknown option --frame-lenght$"):
        featpool.preset_options("bad")
    with pytest.raises(featpool.Error, match=r"badvalue\.conf:1: num_mel_bins=many: "):
        featpool.preset_options("badvalue")
    expected = command(tmp_path, SPEECH, ["--preset=mine"], "mine")
    assert same_bits(featpool.extract(samples, rate, preset="mine"), expected)
    monkeypatch.setenv("FEATPOOL_PRESET_DIR", str(tmp_path / "missing"))
    with pytest.raises(featpool.Error, match="FEATPOOL_PRESET_DIR=.* is not a directory"):
        featpool.list_presets()


def test_read_audio_returns_the_scale_of_the_feature_or_preset():
    int16, rate = featpool.read_audio(SPEECH)  # nothing chosen: Kaldi's integer scale
    assert rate == 16000 and 1.0 < np.abs(int16).max() <= 32768
    for chosen in ({"feature": "fbank"}, {"feature": "mfcc"}, {"preset": "kaldi-fbank-80"},
                   {"preset": "funasr-paraformer"}, {"preset": "whisper", "sample_scale": "int16"}):
        samples, _ = featpool.read_audio(SPEECH, **chosen)
        assert same_bits(samples, int16), chosen
    unit = int16 * np.float32(1 / 32768)
    for chosen in ({"feature": "melspectrogram"}, {"preset": "whisper"}, {"preset": "nemo-80"},
                   {"feature": "fbank", "sample_scale": "unit"}):
        samples, _ = featpool.read_audio(SPEECH, **chosen)
        assert same_bits(samples, unit), chosen
    # A preset reads at its rate, as the command does; sample_rate= overrides.
    samples, rate = featpool.read_audio(os.path.join(DATA, "speech-8k.wav"), preset="whisper")
    assert rate == 16000 and np.abs(samples).max() <= 1.0
    _, rate = featpool.read_audio(os.path.join(DATA, "speech-8k.wav"), 8000, preset="whisper")
    assert rate == 8000
    _, rate = featpool.read_audio(os.path.join(DATA, "speech-8k.wav"), feature="fbank")
    assert rate == 8000
    with pytest.raises(featpool.Error, match="unknown preset='nope'"):
        featpool.read_audio(SPEECH, preset="nope")
    with pytest.raises(featpool.Error, match="sample_scale"):
        featpool.read_audio(SPEECH, preset="whisper", sample_scale="float")
