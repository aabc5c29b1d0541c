"""featpool.extract_dataset() against `featpool extract`: the same dataset
(a mixed directory of WAV, FLAC and OGG files with a bad file; a wav.scp
with a piped entry and a bad entry), the same options, -j 2, shards and
resume give the same files, every one compared byte for byte.

Both runs write to the same place (the command's outputs are moved aside
first), since outputs and manifests name their paths. The manifest carries
no timing field (wall times are only in the summary), so it is compared
byte for byte like every other file; so are the archives, their scp and
the lhotse FeatureSet.
"""

import gzip
import os
import re
import shutil
import subprocess

import pytest

if os.environ.get("FEATPOOL_PYTHON_REQUIRED"):
    import featpool
else:
    featpool = pytest.importorskip("featpool", reason="the featpool module is not built")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "data")
KALDI = os.path.join(ROOT, "tests", "data", "kaldi")
COMMAND = os.environ.get("FEATPOOL_COMMAND")


@pytest.fixture
def corpus(tmp_path, monkeypatch):
    """corpus/ (wav at 16, 8 and 48 kHz, a FLAC, an OGG, a bad file) and
    wav.scp over some of them, with a piped entry; the cwd is tmp_path."""
    if not COMMAND:
        pytest.skip("FEATPOOL_COMMAND is not set (run through tests/test-python.sh)")
    monkeypatch.chdir(tmp_path)
    os.makedirs("corpus/a")
    os.makedirs("corpus/b")
    shutil.copy(os.path.join(DATA, "speech-16k.wav"), "corpus/a/one.wav")
    shutil.copy(os.path.join(DATA, "speech-8k.wav"), "corpus/a/two.wav")
    shutil.copy(os.path.join(DATA, "speech-48k.wav"), "corpus/b/three.wav")
    shutil.copy(os.path.join(KALDI, "short-s24.flac"), "corpus/b/four.flac")
    shutil.copy(os.path.join(KALDI, "short.ogg"), "corpus/b/five.ogg")
    with open("corpus/b/bad.wav", "wb") as f:
        f.write(b"RIFF....WAVEjunk")
    with open("wav.scp", "w") as f:
        f.write("utt-1 corpus/a/one.wav\n"
                "utt-2 cat corpus/b/four.flac |\n"
                "utt-3 corpus/b/five.ogg\n"
                "utt-4 corpus/b/bad.wav\n"
                "utt-5 corpus/a/two.wav\n")
    return tmp_path


def command(*args):
    """Runs `featpool extract ARGS`; returns (exit status, stderr)."""
    done = subprocess.run([COMMAND, "extract", "--progress=never"] + list(args),
                          capture_output=True, text=True)
    return done.returncode, done.stderr


def tree(path):
    """Every file below `path` (a directory or one file), by relative name."""
    if os.path.isfile(path):
        with open(path, "rb") as f:
            return {os.path.basename(path): f.read()}
    files = {}
    for dirpath, _, names in os.walk(path):
        for name in names:
            full = os.path.join(dirpath, name)
            with open(full, "rb") as f:
                files[os.path.relpath(full, path)] = f.read()
    return files


def outputs(paths):
    """The files of `paths` (the outputs of one run), then moved out of the way."""
    files = {}
    for p in paths:
        for name, data in tree(p).items():
            files[os.path.join(p, name) if os.path.isdir(p) else p] = data
        if os.path.isdir(p):
            shutil.rmtree(p)
        else:
            os.remove(p)
    return files


def assert_same(expected, got):
    assert sorted(got) == sorted(expected)
    for name in expected:
        assert got[name] == expected[name], name


def summary_counts(stderr):
    """(processed, failed) from the command's summary line."""
    m = re.search(r"featpool: (\d+) processed, (\d+) failed", stderr)
    assert m, stderr
    return int(m.group(1)), int(m.group(2))


def test_a_mixed_directory_with_stages_and_two_jobs(corpus):
    status, err = command("corpus", "-o", "out/", "-j", "2", "--num-mel-bins=40",
                          "--deltas=1", "--pool=max", "--pool-kernel=2x2")
    assert status == 1, err  # the bad file
    expected = outputs(["out"])
    summary = featpool.extract_dataset("corpus", "out", num_mel_bins=40, deltas=1,
                                       pool={"mode": "max", "kernel": (2, 2)}, jobs=2)
    assert_same(expected, outputs(["out"]))
    assert len(expected) == 6  # five .npy and the manifest
    assert (summary["ok"], summary["failed"]) == summary_counts(err) == (5, 1)
    assert summary["exit_status"] == 1 and summary["resampled"] == 2
    assert len(summary["errors"]) == 1 and "corpus/b/bad.wav" in summary["errors"][0]


def test_a_wav_scp_with_a_piped_entry_into_a_compressed_archive(corpus):
    args = ["scp:wav.scp", "-o", "ark,scp:feats/feats.ark,feats/feats.scp", "-j", "2",
            "--feature=mfcc", "--compress", "--compression-method=2"]
    status, err = command(*args)
    assert status == 1, err
    expected = outputs(["feats"])
    summary = featpool.extract_dataset("scp:wav.scp", "ark,scp:feats/feats.ark,feats/feats.scp",
                                       feature="mfcc", jobs=2, compress=True,
                                       compression_method="speech-feature")
    assert_same(expected, outputs(["feats"]))
    assert sorted(expected) == ["feats/feats.ark", "feats/feats.scp", "feats/manifest.jsonl"]
    assert (summary["ok"], summary["failed"]) == summary_counts(err) == (4, 1)
    assert b'"id":"utt-2"' in expected["feats/manifest.jsonl"]


def test_shards_and_a_lhotse_feature_set(corpus):
    expected = {}
    for k in (1, 2):
        status, err = command("corpus", "-o", "lhotse:out", "--shard=%d/2" % k)
        assert status in (0, 1), err
    expected = outputs(["out"])
    for k in (1, 2):
        featpool.extract_dataset(["corpus"], "lhotse:out", shard="%d/2" % k)
    got = outputs(["out"])
    assert_same(expected, got)
    assert {"manifest.1-of-2.jsonl", "manifest.2-of-2.jsonl", "features.1-of-2.jsonl.gz",
            "features.2-of-2.jsonl.gz"} <= {os.path.basename(n) for n in got}
    lines = sum(len(gzip.decompress(data).splitlines())
                for name, data in got.items() if name.endswith(".jsonl.gz"))
    assert lines == 5  # every good file, in one shard or the other


def test_resume_redoes_only_what_is_missing(corpus):
    def run_twice(first, second):
        first()
        os.remove("out/a/two.npy")
        return second()

    status, err = run_twice(lambda: command("corpus", "-o", "out/", "--feature=spectrogram"),
                            lambda: command("corpus", "-o", "out/", "--feature=spectrogram",
                                            "--resume"))
    assert status == 1, err
    assert "1 processed, 1 failed (5 done by an earlier run, 1 of them failed)" in err
    expected = outputs(["out"])
    summary = run_twice(lambda: featpool.extract_dataset("corpus", "out", feature="spectrogram"),
                        lambda: featpool.extract_dataset("corpus", "out", feature="spectrogram",
                                                         resume=True))
    assert_same(expected, outputs(["out"]))
    assert (summary["ok"], summary["already_done"], summary["failed_before"]) == (1, 5, 1)
    assert summary["errors"][0].endswith("(recorded by an earlier run)")


def test_options_and_whole_run_problems_raise_featpool_error(corpus):
    with pytest.raises(featpool.Error, match="num_ceps is an option of mfcc"):
        featpool.extract_dataset("corpus", "out", num_ceps=5)
    with pytest.raises(featpool.Error, match="jobs=5000"):
        featpool.extract_dataset("corpus", "out", jobs=5000)
    # The run's errors name its keywords, never the command's flags.
    with pytest.raises(featpool.Error, match=r"^compress is for Kaldi archive output \(output ark"):
        featpool.extract_dataset("corpus", "out", compress=True)
    with pytest.raises(featpool.Error, match="^output=ark,scp:x.ark,x.ark: .*must be different files"):
        featpool.extract_dataset("corpus", "ark,scp:x.ark,x.ark")
    with pytest.raises(featpool.Error, match="^shard=0/4: expected K/N"):
        featpool.extract_dataset("corpus", "out", shard="0/4")
    with pytest.raises(featpool.Error, match=r"^resume needs outputs in files"):
        featpool.extract_dataset("corpus", "ark:-", resume=True)
    with pytest.raises(featpool.Error, match=r"^extensions='': bad extension"):
        featpool.extract_dataset("corpus", "out", extensions="wav,")
    # A missing input fails its utterance, not the run.
    assert featpool.extract_dataset("no-such.wav", "ark:x.ark", manifest="x.jsonl")["failed"] == 1
    with pytest.raises(featpool.Error, match="feature=nope"):
        featpool.extract_dataset("corpus", "out", feature="nope")
    assert not os.path.exists("out/manifest.jsonl")
    # strict: stopped at the bad file, nothing finalised (as the command).
    summary = featpool.extract_dataset("corpus", "out", strict=True, jobs=1)
    assert summary["stopped"] and summary["exit_status"] == 1
    assert not os.path.exists("out/manifest.jsonl")


def test_per_utterance_limits_name_keywords_and_the_manifest_is_the_commands(corpus):
    """A limit refusing one utterance (pipe_timeout, pipe_max_bytes,
    min_duration, channel) is reported in Python's spelling; the manifest
    keeps the library's own text, so both frontends write the same one."""
    with open("limits.scp", "w") as f:
        f.write("ok corpus/a/one.wav\n"
                "short corpus/b/five.ogg\n"
                "hang sleep 30 |\n"
                "big cat /dev/zero |\n")
    flags = ["--pipe-timeout=0.5", "--pipe-max-bytes=2000000", "--min-duration=1.5"]
    status, err = command("scp:limits.scp", "-o", "out/", *flags)
    assert status == 1, err
    assert "--pipe-timeout=0.5: command 'sleep 30' did not finish within 0.5 s; killed" in err
    assert "--pipe-max-bytes=2000000: command 'cat /dev/zero' wrote more than" in err
    assert re.search(r"skipped: '.*five.ogg': --min-duration=1.5: its [0-9.]+ s are shorter", err)
    expected = outputs(["out"])
    summary = featpool.extract_dataset("scp:limits.scp", "out", pipe_timeout=0.5,
                                       pipe_max_bytes=2000000, min_duration=1.5)
    assert (summary["ok"], summary["failed"], summary["short"]) == (1, 2, 1)
    text = "\n".join(summary["errors"])
    assert "pipe_timeout=0.5: command 'sleep 30' did not finish" in text, text
    assert "pipe_max_bytes=2000000: command 'cat /dev/zero'" in text, text
    assert "--" not in text, text
    got = outputs(["out"])
    assert_same(expected, got)
    assert b"min_duration=1.5: its " in got["out/manifest.jsonl"]
    # channel is the run's keyword (the command's --channel), -2 = MIX_CHANNELS.
    with pytest.raises(featpool.Error, match=r"^channel=-3: must be >= -2 \(-2 = mix\)"):
        featpool.extract_dataset("corpus/a/one.wav", "out", channel=-3)
    with pytest.raises(featpool.Error, match=r"^cmvn_stats=missing.mat: cannot read it"):
        featpool.extract_dataset("corpus/a/one.wav", "out", cmvn="global",
                                 cmvn_stats="missing.mat")
    status, err = command("corpus/a/one.wav", "-o", "mix/", "--channel=mix")
    assert status == 0, err
    summary = featpool.extract_dataset("corpus/a/one.wav", "pymix",
                                       channel=featpool.MIX_CHANNELS)
    assert summary["ok"] == 1, summary
    import numpy as np
    np.testing.assert_array_equal(np.load("mix/one.npy"), np.load("pymix/one.npy"))


def test_paths_and_a_manifest_elsewhere(corpus):
    import pathlib

    summary = featpool.extract_dataset([pathlib.Path("corpus/a")], pathlib.Path("out"),
                                       feature="mfcc", num_ceps=7, pool="avg", pool_kernel=(3, 1),
                                       manifest=pathlib.Path("m.jsonl"))
    assert summary["ok"] == 2
    status, err = command("corpus/a", "-o", "cmd/", "--feature=mfcc", "--num-ceps=7",
                          "--pool=avg", "--pool-kernel=3x1", "--manifest=c.jsonl")
    assert status == 0, err
    with open("m.jsonl") as m, open("c.jsonl") as c:
        made = m.read()
        assert '"dims":7' in made and made == c.read().replace("cmd/", "out/")
    assert tree("out") == tree("cmd")


def test_a_preset_through_the_librarys_reader(corpus):
    status, err = command("corpus", "-o", "out/", "--preset=kaldi-fbank-80", "-j", "2")
    assert status == 1, err
    expected = outputs(["out"])
    featpool.extract_dataset("corpus", "out/", preset="kaldi-fbank-80", jobs=2)
    assert_same(expected, outputs(["out"]))
    assert b'"dims":80' in expected["out/manifest.jsonl"]


def test_speaker_cmvn_and_vtln_maps(corpus):
    # utt-4 is the bad file; speaker A has three utterances (one resampled).
    with open("utt2spk", "w") as f:
        f.write("utt-1 A\nutt-2 A\nutt-3 B\nutt-4 B\nutt-5 A\n")
    with open("spk2utt", "w") as f:
        f.write("A utt-1 utt-2 utt-5\nB utt-3 utt-4\n")
    with open("spk2warp", "w") as f:
        f.write("A 0.93\nB 1.07\n")
    status, err = command("scp:wav.scp", "-o", "ark,scp:feats/feats.ark,feats/feats.scp",
                          "-j", "2", "--cmvn=speaker", "--utt2spk=utt2spk")
    assert status == 1, err
    expected = outputs(["feats"])
    summary = featpool.extract_dataset("scp:wav.scp", "ark,scp:feats/feats.ark,feats/feats.scp",
                                       jobs=2, cmvn="speaker", utt2spk="utt2spk")
    assert_same(expected, outputs(["feats"]))
    assert (summary["ok"], summary["failed"]) == summary_counts(err) == (4, 1)

    # Shards by speaker, with per-speaker warps and Kaldi's spk2utt order.
    for k in (1, 2):
        status, err = command("scp:wav.scp", "-o", "out/", "--shard=%d/2" % k, "--cmvn=speaker",
                              "--norm-vars", "--spk2utt=ark:spk2utt", "--spk2warp=spk2warp")
        assert status in (0, 1), err
    expected = outputs(["out"])
    for k in (1, 2):
        featpool.extract_dataset("scp:wav.scp", "out", shard="%d/2" % k, cmvn="speaker",
                                 norm_vars=True, spk2utt="ark:spk2utt", spk2warp="spk2warp")
    assert_same(expected, outputs(["out"]))
    assert len([n for n in expected if n.endswith(".npy")]) == 4

    with pytest.raises(featpool.Error, match=r"cmvn=speaker: needs the utterances' speakers "
                                             r"\(utt2spk\)"):
        featpool.extract_dataset("scp:wav.scp", "out", cmvn="speaker")
    with pytest.raises(featpool.Error, match="utt2spk and spk2utt: give one"):
        featpool.extract_dataset("scp:wav.scp", "out", cmvn="speaker", utt2spk="utt2spk",
                                 spk2utt="spk2utt")
