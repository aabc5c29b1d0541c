#!/usr/bin/env bash
# The stage flags of `featpool extract` (--cmvn, --deltas, --left-context,
# --normalize, --stages, with --pool): the command's rows are the stage
# formulas applied to the plain features (numpy, float64, so to 1e-5); one
# file, DIR/ and ark outputs hold the same bytes; --stages=pool,cmvn
# (FunASR's order) differs from the default order; stats files in every
# format are read and a bad one is named; a stage that cannot stream is
# refused by the streaming example, naming its flag.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
WAV="$FEATPOOL_SOURCE_DIR/data/speech-16k.wav"
mkdir -p wavs && cp "$WAV" wavs/a.wav

"$FEATPOOL" extract "$WAV" -o plain.npy
"$FEATPOOL" extract "$WAV" --cmvn=utterance --norm-vars -o cmvn.npy
"$FEATPOOL" extract "$WAV" --cmvn=sliding --cmn-window=300 -o sliding.npy
"$FEATPOOL" extract "$WAV" --deltas=2 -o deltas.npy
"$FEATPOOL" extract "$WAV" --left-context=2 --right-context=1 -o splice.npy
"$FEATPOOL" extract "$WAV" --normalize=per-feature -o nemo.npy
"$FEATPOOL" extract "$WAV" --normalize=top-db --top-db=5 -o topdb.npy
"$FEATPOOL" extract "$WAV" --pool=stack --cmvn=utterance --stages=pool,cmvn -o lfr-cmvn.npy
"$FEATPOOL" extract "$WAV" --pool=stack --cmvn=utterance -o cmvn-lfr.npy
"$PY" - <<'PY'
import numpy as np
x = np.load("plain.npy").astype(np.float64)
T, D = x.shape
def close(name, want, tol=2e-5):
    got = np.load(name)
    assert got.shape == want.shape, (name, got.shape, want.shape)
    err = np.max(np.abs(got - want) / (1 + np.abs(want)))
    assert err < tol, (name, err)
def utt_cmvn(m, vars_=False):
    mean = m.mean(0)
    out = m - mean
    return out / np.sqrt(np.maximum((m * m).mean(0) - mean * mean, 1e-20)) if vars_ else out
close("cmvn.npy", utt_cmvn(x, True))
# Kaldi apply-cmvn-sliding, window 300, min 100, not centred.
ref = np.empty_like(x)
for t in range(T):
    start, end = max(0, t - 300), t + 1
    end = max(end, 100) if start == 0 else end
    end = min(end, T)
    ref[t] = x[t] - x[start:end].mean(0)
close("sliding.npy", ref)
# Kaldi add-deltas, order 2, window 2: filters on the clamped original frames.
idx = lambda k: np.clip(np.arange(T) + k, 0, T - 1)
d1 = sum(k * x[idx(k)] for k in range(-2, 3)) / 10.0
f2 = np.convolve([-2, -1, 0, 1, 2], [-2, -1, 0, 1, 2]) / 100.0
d2 = sum(f2[k + 4] * x[idx(k)] for k in range(-4, 5))
close("deltas.npy", np.hstack([x, d1, d2]))
close("splice.npy", np.hstack([x[idx(k)] for k in (-2, -1, 0, 1)]), 1e-7)
mean = x.mean(0)
close("nemo.npy", (x - mean) / (x.std(0, ddof=1) + 1e-5))
close("topdb.npy", np.maximum(x, x.max() - 5), 1e-7)
# LFR 7/6 as FunASR: row i = frames clamp(6i + j - 3), j = 0..6.
def lfr(m):
    n = m.shape[0]
    rows = [np.concatenate([m[min(max(6 * i + j - 3, 0), n - 1)] for j in range(7)])
            for i in range((n + 5) // 6)]
    return np.array(rows)
close("lfr-cmvn.npy", utt_cmvn(lfr(x)))
close("cmvn-lfr.npy", lfr(utt_cmvn(x)))
assert not np.allclose(np.load("lfr-cmvn.npy"), np.load("cmvn-lfr.npy"))
PY

# One file, DIR/ and ark: the same rows, streamed through the same chain.
flags=(--cmvn=sliding --norm-vars --deltas=1 --left-context=1 --right-context=1 --pool=max
       --pool-kernel=2x1)
"$FEATPOOL" extract "$WAV" "${flags[@]}" -o one.npy
"$FEATPOOL" extract wavs "${flags[@]}" -o out/ --progress=never 2>/dev/null
cmp one.npy out/a.npy || fail "DIR/ output differs from the single output"
"$FEATPOOL" extract wavs "${flags[@]}" -o ark,scp:f.ark,f.scp --progress=never 2>/dev/null
"$PY" - <<'PY'
import numpy as np
data = open("f.ark", "rb").read()
at = data.index(b"\0BFM ")
rows = int.from_bytes(data[at + 6:at + 10], "little")
cols = int.from_bytes(data[at + 11:at + 15], "little")
ark = np.frombuffer(data[at + 15:at + 15 + 4 * rows * cols], "<f4").reshape(rows, cols)
one = np.load("one.npy")
assert ark.shape == one.shape and np.array_equal(ark.view(np.uint32), one.view(np.uint32))
PY
# The stage options are part of the outputs' tag: --resume redoes them.
grep -q . out/manifest.jsonl || fail "no manifest"

# Global CMVN from each stats format; a bad file is named.
"$PY" - <<'PY'
import numpy as np
x = np.load("plain.npy").astype(np.float64)
T, D = x.shape
s = np.zeros((2, D + 1))
s[0, :D] = x.sum(0); s[0, D] = T; s[1, :D] = (x * x).sum(0)
with open("stats.txt", "w") as f:
    f.write(" [\n " + " ".join("%.17g" % v for v in s[0]) + "\n " +
            " ".join("%.17g" % v for v in s[1]) + " ]\n")
np.save("stats.npy", s)
np.savez("feats_stats.npz", count=np.array(T), sum=s[0, :D], sum_square=s[1, :D])
np.savez_compressed("compressed.npz", count=np.array(T), sum=s[0, :D], sum_square=s[1, :D])
with open("am.mvn", "w") as f:
    f.write("<Nnet>\n<AddShift> %d %d\n<LearnRateCoef> 0 [ %s ]\n" % (D, D, " ".join("%.9g" % -v for v in x.mean(0))))
    f.write("<Rescale> %d %d\n<LearnRateCoef> 0 [ %s ]\n</Nnet>\n" % (D, D, " ".join("%.9g" % (1 / v) for v in x.std(0))))
PY
for stats in stats.txt stats.npy feats_stats.npz am.mvn; do
  "$FEATPOOL" extract "$WAV" --cmvn=global --cmvn-stats=$stats --norm-vars -o global.npy
  "$PY" - <<'PY' || fail "--cmvn-stats=$stats"
import numpy as np
a, b = np.load("global.npy"), np.load("cmvn.npy")
assert a.shape == b.shape and np.max(np.abs(a - b)) < 1e-4, np.max(np.abs(a - b))
PY
done
run 1 "$FEATPOOL" extract "$WAV" --cmvn=global --cmvn-stats=compressed.npz -o x.npy 2>err.txt
grep -q -- "--cmvn-stats=compressed.npz: entry 'count.npy' is compressed (np.savez_compressed)" err.txt || fail "$(cat err.txt)"
printf 'garbage\n' >bad.mat
run 1 "$FEATPOOL" extract "$WAV" --cmvn=global --cmvn-stats=bad.mat -o x.npy 2>err.txt
grep -q -- "--cmvn-stats=bad.mat: not a CMVN stats file" err.txt || fail "$(cat err.txt)"
run 1 "$FEATPOOL" extract "$WAV" --num-mel-bins=40 --cmvn=global --cmvn-stats=stats.npy -o x.npy 2>err.txt
grep -q -- "--cmvn-stats=stats.npy: stats of dimension 23, but the features reaching cmvn have 40" err.txt ||
  fail "$(cat err.txt)"
[[ ! -e x.npy ]] || fail "a failed run left x.npy"

# featpool cmvn-stats accumulates as Kaldi's compute-cmvn-stats: global CMVN
# with one utterance's stats is utterance CMVN, bit for bit; the .npy of the
# features gives the same stats; text stats read back the same.
"$FEATPOOL" cmvn-stats "$WAV" -o utt.mat 2>/dev/null
"$FEATPOOL" cmvn-stats plain.npy -o npy.mat 2>/dev/null
cmp utt.mat npy.mat || fail "cmvn-stats of the .npy differs from that of the audio"
[[ $(head -c 5 utt.mat | od -An -c | tr -d ' ') == '\0BDM' ]] || fail "not a Kaldi double matrix"
"$FEATPOOL" cmvn-stats "$WAV" --binary=false -o utt.txt 2>/dev/null
for stats in utt.mat utt.txt; do
  for vars in false true; do
    "$FEATPOOL" extract "$WAV" --cmvn=global --cmvn-stats=$stats --norm-vars=$vars -o g.npy
    "$FEATPOOL" extract "$WAV" --cmvn=utterance --norm-vars=$vars -o u.npy
    cmp g.npy u.npy || fail "global CMVN with the utterance's $stats (vars $vars) != utterance CMVN"
  done
done
"$FEATPOOL" cmvn-stats wavs "$WAV" -o two.mat 2>/dev/null
"$PY" - <<'PY'
import numpy as np
def read(path):
    b = open(path, "rb").read()
    rows, cols = int.from_bytes(b[6:10], "little"), int.from_bytes(b[11:15], "little")
    return np.frombuffer(b[15:], "<f8").reshape(rows, cols)
one, two = read("utt.mat"), read("two.mat")
assert one.shape == (2, 24) and one[0, -1] == np.load("plain.npy").shape[0]
assert np.allclose(two, 2 * one, rtol=1e-12)
PY

# Option errors name the flags.
run 1 "$FEATPOOL" extract "$WAV" --cmn-window=10 -o x.npy 2>err.txt
grep -q -- "--cmn-window=10: applies to sliding CMVN only, not to --cmvn=none" err.txt || fail "$(cat err.txt)"
run 1 "$FEATPOOL" extract "$WAV" --cmvn=sliding --stages=pool,cmvn -o x.npy 2>err.txt
grep -q -- "--stages=pool,cmvn: lists 'pool', which is off (add --pool=MODE)" err.txt || fail "$(cat err.txt)"
run 1 "$FEATPOOL" extract "$WAV" --cmvn=sliding --deltas=2 --stages=deltas -o x.npy 2>err.txt
grep -q -- "does not list 'cmvn', which is on" err.txt || fail "$(cat err.txt)"

# Streaming refuses what cannot stream, naming the flag; sliding CMN streams.
example="$FEATPOOL_BUILD_DIR/tools/examples/stream-microphone"
if [[ -x $example ]]; then
  for flag in --cmvn=utterance --normalize=whisper "--pool=adaptive-avg --pool-output-size=2x2"; do
    # shellcheck disable=SC2086
    run 1 "$example" "$WAV" $flag 2>err.txt >/dev/null
    grep -q -- "${flag%% *}: cannot stream" err.txt || fail "$flag: $(cat err.txt)"
  done
  "$example" "$WAV" --precision=9 "${flags[@]}" >stream.txt
  "$PY" - <<'PY'
import numpy as np
rows = np.array([[float(v) for v in l.split("\t")[3:]] for l in open("stream.txt") if l[0] != "#"])
one = np.load("one.npy")
assert rows.shape == one.shape and np.array_equal(rows.astype(np.float32), one), "stream != file"
PY
fi
echo "stages: ok"
