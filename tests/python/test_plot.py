"""featpool.plot(): the same PNG as `featpool plot` for the same features.

Run by tests/test-python.sh (pytest) with the built module on PYTHONPATH and
the command in $FEATPOOL_COMMAND.
"""

import os
import struct
import subprocess

import numpy as np
import pytest

if os.environ.get("FEATPOOL_PYTHON_REQUIRED"):
    import featpool
else:
    featpool = pytest.importorskip("featpool", reason="the featpool module is not built")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEECH = os.path.join(ROOT, "data", "speech-16k.wav")
COMMAND = os.environ.get("FEATPOOL_COMMAND")


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


@pytest.mark.skipif(not COMMAND, reason="needs the featpool command")
def test_plot_equals_the_command(tmp_path):
    samples, rate = featpool.read_audio(SPEECH)
    feats = featpool.fbank(samples, rate, num_mel_bins=40)
    ours = tmp_path / "python.png"
    featpool.plot(str(ours), feats, samples=samples, sample_rate=rate, feature="fbank",
                  width=1000, title="speech")
    theirs = tmp_path / "command.png"
    subprocess.run([COMMAND, "plot", SPEECH, "-o", str(theirs), "--num-mel-bins=40",
                    "--dither=0", "--width=1000", "--title=speech"], check=True)
    assert png_size(ours) == png_size(theirs)
    assert ours.read_bytes() == theirs.read_bytes()


def test_plot_arrays_and_errors(tmp_path):
    feats = np.random.default_rng(0).standard_normal((300, 20)).astype(np.float32)
    pooled = feats.reshape(150, 2, 10, 2).max(axis=(1, 3))
    out = tmp_path / "x.png"
    featpool.plot(str(out), feats, pooled=pooled, cmap="magma", width=640, height=480,
                  start=0.5, duration=1.0)
    assert png_size(out) == (640, 480)
    featpool.plot(str(out), feats.astype(np.float64), feature="spectrogram")  # converted
    assert png_size(out)[0] == 1600
    with pytest.raises(featpool.Error, match="cmap=jet"):
        featpool.plot(str(out), feats, cmap="jet")
    with pytest.raises(featpool.Error, match="width=10"):
        featpool.plot(str(out), feats, width=10)
    with pytest.raises(featpool.Error, match="2-D"):
        featpool.plot(str(out), feats[0])
    with pytest.raises(featpool.Error, match="feature=mel"):
        featpool.plot(str(out), feats, feature="mel")


AM_MVN = os.path.join(ROOT, "tests", "data", "dialects", "presets", "am.mvn")


@pytest.mark.skipif(not COMMAND, reason="needs the featpool command")
@pytest.mark.parametrize("keywords,flags", [
    ({"preset": "whisper"}, ["--preset=whisper"]),
    ({"preset": "nemo-80", "start": 1.0, "duration": 2.0},
     ["--preset=nemo-80", "--start=1", "--duration=2"]),
    ({"preset": "funasr-paraformer", "cmvn_stats": AM_MVN},
     ["--preset=funasr-paraformer", "--cmvn-stats=" + AM_MVN]),
    ({"preset": "kaldi-mfcc-13", "cmvn": "sliding", "deltas": 2, "pool": "max",
      "pool_kernel": (2, 3)},
     ["--preset=kaldi-mfcc-13", "--cmvn=sliding", "--deltas=2", "--pool=max",
      "--pool-kernel=2x3"]),
    ({"feature": "spectrogram", "pool": "stats"}, ["--feature=spectrogram", "--pool=stats"]),
])
def test_plot_from_samples_is_the_commands_picture(tmp_path, keywords, flags):
    """plot(samples=...) computes the features and runs the stages as extract
    does: the PNG is the command's, presets and stages included."""
    samples, rate = featpool.read_audio(SPEECH, preset=keywords.get("preset"),
                                        feature=keywords.get("feature"))
    ours = tmp_path / "python.png"
    featpool.plot(str(ours), samples=samples, sample_rate=rate, width=900, title="speech",
                  **keywords)
    theirs = tmp_path / "command.png"
    subprocess.run([COMMAND, "plot", SPEECH, "-o", str(theirs), "--width=900", "--title=speech"]
                   + flags, check=True)
    assert ours.read_bytes() == theirs.read_bytes()


def test_plot_matrix_on_its_framers_grid_and_errors(tmp_path):
    samples, rate = featpool.read_audio(SPEECH, preset="whisper")
    mel = featpool.extract(samples, rate, preset="whisper")
    out = tmp_path / "mel.png"
    featpool.plot(str(out), mel, samples=samples, sample_rate=rate, preset="whisper")
    assert png_size(out)[0] == 1600
    with pytest.raises(featpool.Error, match=r"cmvn='utterance': plot\(\) draws a features "
                                             r"matrix as it is given"):
        featpool.plot(str(out), mel, cmvn="utterance")
    with pytest.raises(featpool.Error, match="needs samples="):
        featpool.plot(str(out))
    with pytest.raises(featpool.Error, match="pooled= goes with a features matrix"):
        featpool.plot(str(out), samples=samples, pooled=mel)
    with pytest.raises(featpool.Error, match="cmvn_stats"):
        featpool.plot(str(out), samples=samples, preset="funasr-paraformer")
    with pytest.raises(featpool.Error, match="n_mels"):
        featpool.plot(str(out), samples=samples, preset="whisper", n_mels=0)


def test_plot_pooled_rows_where_the_pooling_put_them(tmp_path):
    """plot(features, pooled=, pool=...) places the pooled rows by the pooling
    options (a window's rows at its centre), as the command's pooled panel;
    without pool= they are spread evenly. The shape must be the pooling's."""
    feats = np.random.default_rng(1).standard_normal((300, 20)).astype(np.float32)
    even = feats.reshape(150, 2, 10, 2).max(axis=(1, 3))
    spread, placed = tmp_path / "spread.png", tmp_path / "placed.png"
    featpool.plot(str(spread), feats, pooled=even, width=640, title="t")
    featpool.plot(str(placed), feats, pooled=even, pool="max", pool_kernel=(2, 2), width=640,
                  title="t")
    # Windows that tile the matrix: both placements agree (only the label
    # says how it was pooled).
    assert png_size(spread) == png_size(placed)
    # Overlapping windows of 5 rows every 2 with 2 of padding: 150 rows
    # centred on rows 0, 2, ..., 298, not spread evenly over 300.
    strided = np.stack([feats[max(0, 2 * i - 2):2 * i + 3].max(axis=0) for i in range(150)])
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    featpool.plot(str(a), feats, pooled=strided, width=640, title="t")
    featpool.plot(str(b), feats, pooled=strided, pool="max", pool_kernel=(5, 1),
                  pool_stride=(2, 1), pool_padding=(2, 0), width=640, title="t")
    assert a.read_bytes() != b.read_bytes()
    assert featpool.pool(feats, mode="max", kernel=(5, 1), stride=(2, 1),
                         padding=(2, 0)).shape == strided.shape
    with pytest.raises(featpool.Error, match=r"pooled: 149 \u00d7 20, but .* gives 150 \u00d7 20"):
        featpool.plot(str(b), feats, pooled=strided[:149], pool="max", pool_kernel=(5, 1),
                      pool_stride=(2, 1), pool_padding=(2, 0))
    with pytest.raises(featpool.Error, match="pool='max'"):
        featpool.plot(str(b), feats, pool="max")
