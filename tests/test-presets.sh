#!/usr/bin/env bash
# --preset=NAME reads data/conf/presets/NAME.conf as --config does: each
# Kaldi preset gives the bytes of the flags it stands for (Kaldi recipes'
# conf/fbank.conf, conf/mfcc.conf, conf/mfcc_hires.conf), the command line
# overrides it, --list-presets prints each with its description, a bad name
# is refused naming it, and --help lists --config and --preset.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
WAV="$FEATPOOL_SOURCE_DIR/data/speech-16k.wav"

same() {  # same NAME FLAGS...: --preset=NAME and FLAGS give the same .npy
  local name=$1; shift
  "$FEATPOOL" extract "$WAV" --preset="$name" -o "$name.preset.npy"
  "$FEATPOOL" extract "$WAV" "$@" -o "$name.flags.npy"
  cmp "$name.preset.npy" "$name.flags.npy" || fail "--preset=$name differs from $*"
}
same kaldi-fbank-80 --feature=fbank --num-mel-bins=80
same kaldi-mfcc-13 --feature=mfcc --use-energy=false
same kaldi-mfcc-hires --feature=mfcc --use-energy=false --num-mel-bins=40 --num-ceps=40 \
  --low-freq=20 --high-freq=-400
# The presets are not the defaults: each differs from plain extraction.
"$FEATPOOL" extract "$WAV" -o default.npy
! cmp -s default.npy kaldi-fbank-80.preset.npy || fail "kaldi-fbank-80 gave the default features"
"$PY" - <<'PY'
import numpy as np
for name, cols in [("kaldi-fbank-80", 80), ("kaldi-mfcc-13", 13), ("kaldi-mfcc-hires", 40)]:
    a = np.load(name + ".preset.npy")
    assert a.shape[1] == cols, (name, a.shape)
PY

# Every shipped preset loads and runs (the model presets' values are
# checked by test-dialect-presets.sh); funasr-paraformer needs the model's
# am.mvn, here a stats file of the right width.
"$PY" - <<'PY'
import numpy as np
dim = 560
with open("am.mvn", "w") as f:
    f.write("<Nnet>\n<Splice> %d %d\n[ 0 ]\n<AddShift> %d %d\n<LearnRateCoef> 0 [ %s ]\n"
            "<Rescale> %d %d\n<LearnRateCoef> 0 [ %s ]\n</Nnet>\n"
            % (dim, dim, dim, dim, " ".join(["-1"] * dim), dim, dim, " ".join(["0.5"] * dim)))
PY
declare -A width=([whisper]=80 [whisper-128]=128 [nemo-80]=80 [nemo-128]=128 [espnet]=80
  [funasr-paraformer]=560 [speechbrain]=40 [kaldi-fbank-80]=80 [kaldi-mfcc-13]=13 [kaldi-mfcc-hires]=40)
for conf in "$FEATPOOL_SOURCE_DIR"/data/conf/presets/*.conf; do
  name=$(basename "$conf" .conf)
  [[ -n "${width[$name]:-}" ]] || fail "preset $name has no expected width here"
  stats=()
  [[ $name != funasr-* ]] || stats=(--cmvn-stats=am.mvn)
  "$FEATPOOL" extract "$WAV" --preset="$name" "${stats[@]}" -o "all.$name.npy"
  "$PY" -c "import numpy as np, sys; a = np.load(sys.argv[1]); assert a.ndim == 2 and \
a.shape[1] == int(sys.argv[2]) and a.shape[0] > 0 and np.isfinite(a).all(), a.shape" \
    "all.$name.npy" "${width[$name]}" || fail "preset $name"
done

# Later flags override the preset's, wherever they stand; a --config after
# the preset overrides it too.
"$FEATPOOL" extract --num-mel-bins=40 "$WAV" --preset=kaldi-fbank-80 -o over.npy
"$FEATPOOL" extract "$WAV" --num-mel-bins=40 -o forty.npy
cmp over.npy forty.npy || fail "--num-mel-bins=40 does not override the preset"
printf -- '--num-mel-bins=30\n' >thirty.conf
"$FEATPOOL" extract "$WAV" --preset kaldi-fbank-80 --config=thirty.conf -o conf.npy
"$FEATPOOL" extract "$WAV" --num-mel-bins=30 -o thirty.npy
cmp conf.npy thirty.npy || fail "a --config after --preset does not override it"
# A conf file may name a preset.
printf -- '--preset=kaldi-mfcc-13\n--num-ceps=10\n' >nested.conf
"$FEATPOOL" extract "$WAV" --config=nested.conf -o nested.npy
"$FEATPOOL" extract "$WAV" --feature=mfcc --use-energy=false --num-ceps=10 -o ten.npy
cmp nested.npy ten.npy || fail "--preset inside a conf file"

# --list-presets: one line per preset, its name then the conf's first comment.
"$FEATPOOL" extract --list-presets >list.txt
"$FEATPOOL" --list-presets | cmp - list.txt || fail "featpool --list-presets differs"
for conf in "$FEATPOOL_SOURCE_DIR"/data/conf/presets/*.conf; do
  name=$(basename "$conf" .conf)
  description=$(head -1 "$conf" | sed 's/^# //')
  grep -qxE "$name +$(printf '%s' "$description" | sed 's/[][\.*^$()+?{}|/]/\\&/g')" list.txt ||
    fail "--list-presets: no line for $name: $(cat list.txt)"
done
[[ $(wc -l <list.txt) == $(ls "$FEATPOOL_SOURCE_DIR"/data/conf/presets/*.conf | wc -l) ]] ||
  fail "--list-presets: $(wc -l <list.txt) lines"

# Errors name the preset; a path is not a preset name.
run 2 "$FEATPOOL" extract "$WAV" --preset=kaldi-fbank-81 -o x.npy 2>err.txt
grep -q "unknown --preset=kaldi-fbank-81: expected one of .*kaldi-fbank-80" err.txt || fail "$(cat err.txt)"
run 2 "$FEATPOOL" extract "$WAV" --preset=../conf/fbank-80 -o x.npy 2>err.txt
grep -q "invalid --preset='../conf/fbank-80'" err.txt || fail "$(cat err.txt)"
run 2 "$FEATPOOL" extract "$WAV" -o x.npy --preset 2>err.txt
grep -q -- "--preset needs a name" err.txt || fail "$(cat err.txt)"
[[ ! -e x.npy ]] || fail "a failed run left x.npy"

# FEATPOOL_PRESET_DIR replaces the directory.
mkdir presets
printf '# forty bins\n--num-mel-bins=40\n' >presets/forty.conf
FEATPOOL_PRESET_DIR=$PWD/presets "$FEATPOOL" extract --list-presets >mine.txt
[[ $(cat mine.txt) == "forty  forty bins" ]] || fail "FEATPOOL_PRESET_DIR: $(cat mine.txt)"
FEATPOOL_PRESET_DIR=$PWD/presets "$FEATPOOL" extract "$WAV" --preset=forty -o mine.npy
cmp mine.npy forty.npy || fail "FEATPOOL_PRESET_DIR preset"

# --help of extract and plot lists --config and --preset; plot takes presets.
for sub in extract plot; do
  "$FEATPOOL" $sub --help >help.txt
  grep -q -- "--config FILE" help.txt && grep -q -- "--preset NAME" help.txt &&
    grep -q -- "--list-presets" help.txt || fail "$sub --help lacks --config/--preset"
done
"$FEATPOOL" plot "$WAV" --preset=kaldi-mfcc-hires -o hires.png
[[ -s hires.png ]] || fail "plot --preset wrote no picture"
echo "presets: ok"
