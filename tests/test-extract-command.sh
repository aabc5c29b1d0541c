#!/usr/bin/env bash
# `featpool extract` / `featpool info` through the real command: every bad
# input exits non-zero with exactly one line on stderr naming the file or the
# option, and leaves no output file (not even a temporary one) behind; flag
# spellings, --config files, `info` output and --help.
set -euo pipefail

: "${FEATPOOL:?}" "${FEATPOOL_SOURCE_DIR:?}" "${TEST_TMPDIR:?}"
rm -rf "$TEST_TMPDIR"
mkdir -p "$TEST_TMPDIR/in"
data="$FEATPOOL_SOURCE_DIR/tests/data/kaldi"
wav="$data/speech-16k.wav"
in="$TEST_TMPDIR/in"
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# expect_error NAME EXPECTED-SUBSTRING ARGS...: runs `featpool ARGS` writing
# to a fresh output directory (-o is added unless ARGS start with "info").
expect_error() {
  local name=$1 expected=$2
  shift 2
  local out="$TEST_TMPDIR/out-$name"
  rm -rf "$out"
  mkdir -p "$out"
  local args=("$@")
  [[ ${args[0]} == info ]] || args+=(-o "$out/feats.npy")
  local status=0
  "$FEATPOOL" "${args[@]}" >"$TEST_TMPDIR/$name.stdout" 2>"$TEST_TMPDIR/$name.stderr" || status=$?
  local lines
  lines=$(wc -l <"$TEST_TMPDIR/$name.stderr")
  local message
  message=$(cat "$TEST_TMPDIR/$name.stderr")
  if ((status == 0)); then
    fail "$name: exit status 0 (stderr: $message)"
  elif ((status >= 128)); then
    fail "$name: killed by a signal ($status): $message"
  fi
  ((lines == 1)) || fail "$name: $lines lines on stderr, expected 1: $message"
  [[ $message == featpool:* ]] || fail "$name: message does not start with 'featpool:': $message"
  [[ $message == *"$expected"* ]] || fail "$name: message lacks '$expected': $message"
  local left
  left=$(ls -A "$out")
  [[ -z $left ]] || fail "$name: left files in the output directory: $left"
  echo "ok $name: $message"
}

# --- Bad input files -----------------------------------------------------
: >"$in/empty.wav"
head -c 30 "$wav" >"$in/header-only.wav"
size=$(wc -c <"$wav")
head -c $((size - 1000)) "$wav" >"$in/truncated.wav"
flac="$data/speech-16k.flac"
head -c $(($(wc -c <"$flac") - 500)) "$flac" >"$in/truncated.flac"
ogg="$data/short.ogg"
head -c $(($(wc -c <"$ogg") - 200)) "$ogg" >"$in/truncated.ogg"
# 5000 pseudo-random bytes (fixed seed): not any audio format.
RANDOM=7
bytes=""
for ((i = 0; i < 5000; i++)); do printf -v bytes '%s\\x%02x' "$bytes" $((RANDOM % 256)); done
printf "$bytes" >"$in/random.wav"
# A WAV whose fmt chunk says 0 channels.
cp "$wav" "$in/zero-channels.wav"
printf '\x00\x00' | dd of="$in/zero-channels.wav" bs=1 seek=22 conv=notrunc status=none

expect_error missing-file "$in/missing.wav" extract "$in/missing.wav"
expect_error directory "directory" extract "$in"
expect_error empty-file "$in/empty.wav" extract "$in/empty.wav"
expect_error truncated-header "$in/header-only.wav" extract "$in/header-only.wav"
expect_error truncated-data "truncated" extract "$in/truncated.wav"
expect_error truncated-flac "$in/truncated.flac" extract "$in/truncated.flac"
expect_error truncated-ogg "$in/truncated.ogg" extract "$in/truncated.ogg"
expect_error random-bytes "$in/random.wav" extract "$in/random.wav"
expect_error zero-channels "$in/zero-channels.wav" extract "$in/zero-channels.wav"
expect_error shorter-than-a-frame "shorter than one frame" extract "$data/tiny-16k.wav"
expect_error nan-samples "non-finite" extract "$data/nan-f32.wav"
expect_error inf-samples "$data/inf-f32.wav" extract "$data/inf-f32.wav"
expect_error no-resample "short-48k.wav': --resample=false: sampled at 48000 Hz, not 16000 Hz (--sample-frequency)" \
  extract "$data/short-48k.wav" --no-resample
expect_error bad-channel "short-stereo.wav': --channel=2: the file has 2 channel(s)" \
  extract "$data/short-stereo.wav" --channel=2
expect_error channel-word "--channel=left: expected an integer or mix" \
  extract "$data/short-stereo.wav" --channel=left
expect_error channel-range "--channel=-3: must be >= -2 (-2 = mix)" \
  extract "$data/short-stereo.wav" --channel=-3
expect_error info-jobs "--jobs=-1" info "$data" -j -1
expect_error info-missing "$in/missing.wav" info "$in/missing.wav"
expect_error info-truncated "truncated" info "$in/truncated.wav"

# --- Bad options -------------------------------------------------------------
expect_error window-type "--window-type" extract "$wav" --window-type=hann
expect_error frame-length-zero "--frame-length" extract "$wav" --frame-length=0
expect_error frame-length-negative "--frame-length" extract "$wav" --frame-length=-25
expect_error frame-shift-zero "--frame-shift" extract "$wav" --frame-shift=0
expect_error sample-frequency-zero "--sample-frequency" extract "$wav" --sample-frequency=0
expect_error mel-bins-2 "--num-mel-bins" extract "$wav" --num-mel-bins=2
# 25.0625 ms at 16 kHz is 401 samples: odd, and not rounded up.
expect_error odd-fft "--frame-length" extract "$wav" --frame-length=25.0625 \
  --round-to-power-of-two=false
expect_error mel-bins-too-large "--num-mel-bins=128" extract "$wav" --num-mel-bins=128
expect_error high-below-low "--high-freq" extract "$wav" --low-freq=4000 --high-freq=3000
expect_error high-equals-low "--high-freq" extract "$wav" --low-freq=4000 --high-freq=4000
expect_error high-offset-below-low "--high-freq" extract "$wav" --high-freq=-7990
expect_error high-above-nyquist "--high-freq" extract "$wav" --high-freq=9000
expect_error num-ceps "--num-ceps" extract "$wav" --feature=mfcc --num-ceps=30
expect_error feature "--feature" extract "$wav" --feature=plp
expect_error snip-edges-maybe "--snip-edges" extract "$wav" --snip-edges=maybe
expect_error energy-floor "--energy-floor" extract "$wav" --energy-floor=-1
expect_error preemphasis "--preemphasis-coefficient" extract "$wav" --preemphasis-coefficient=2
expect_error unknown-option "--num-mel-bin" extract "$wav" --num-mel-bin=40
expect_error config-missing "$in/missing.conf" extract "$wav" --config="$in/missing.conf"
# An empty value names the option; it must not take the next argument (-o).
expect_error empty-window-type "--window-type needs a value" extract "$wav" --window-type=
expect_error empty-pool-kernel "--pool-kernel needs a value" extract "$wav" --pool=max --pool-kernel=
expect_error empty-num-mel-bins "--num-mel-bins needs a value" extract "$wav" --num-mel-bins=
expect_error empty-flag "--snip-edges=true or --snip-edges=false" extract "$wav" --snip-edges=
expect_error empty-output "--output needs a value" extract "$wav" --output= "$in/x.npy"
expect_error empty-pool-mode "--mode needs a value" pool "$in/x.npy" --mode= --kernel=2
expect_error empty-info "--frame-length needs a value" info "$wav" --frame-length=
expect_error empty-config "--config needs a file name" extract "$wav" --config=

# --config files: not a directory, not binary, not endless; a bad line is
# FILE:LINE (Kaldi names the file).
expect_error config-directory "--config file '$in' is a directory" extract "$wav" --config="$in"
expect_error config-dev-zero "'/dev/zero' is not a text config file" extract "$wav" \
  --config=/dev/zero
head -c 1500000 /dev/zero | tr '\0' '#' >"$in/huge.conf"
expect_error config-huge "'$in/huge.conf' is larger than 1 MiB" extract "$wav" \
  --config="$in/huge.conf"
printf '%s\n' "--num-mel-bins=40" "--" >"$in/dashes.conf"
expect_error config-dashes "$in/dashes.conf:2: '--' is not an option" extract "$wav" \
  --config="$in/dashes.conf"
printf '%s\n' "# comment" "--snip-edges" "--num-mel-bins" >"$in/no-value.conf"
expect_error config-no-value "$in/no-value.conf:3: --num-mel-bins needs a value" extract "$wav" \
  --config="$in/no-value.conf"
printf '%s\n' "--num-mel-bins=" >"$in/empty-value.conf"
expect_error config-empty-value "$in/empty-value.conf:1: --num-mel-bins needs a value" \
  extract "$wav" --config="$in/empty-value.conf"
printf '%s\n' "--frame-length=25" "" "--num-mel-bin=40" >"$in/unknown.conf"
expect_error config-unknown "$in/unknown.conf:3: unknown option --num-mel-bin" extract "$wav" \
  --config="$in/unknown.conf"
printf '%s\n' "num-mel-bins=40" >"$in/no-dashes.conf"
expect_error config-no-dashes "$in/no-dashes.conf:1: expected --name=value" extract "$wav" \
  --config="$in/no-dashes.conf"
printf '%s\n' "--config=$in/dashes.conf" >"$in/nested.conf"
expect_error config-nested "$in/dashes.conf:2:" extract "$wav" --config="$in/nested.conf"

# A failure leaves an existing output untouched.
out="$TEST_TMPDIR/out-keep"
mkdir -p "$out"
echo "previous contents" >"$out/feats.npy"
"$FEATPOOL" extract "$in/truncated.wav" -o "$out/feats.npy" 2>/dev/null && fail "keep: exit 0"
[[ $(cat "$out/feats.npy") == "previous contents" ]] || fail "keep: output overwritten"
[[ $(ls -A "$out") == feats.npy ]] || fail "keep: temporary file left: $(ls -A "$out")"

# A write that fails half-way (file size limit: the command ignores SIGXFSZ,
# so the write fails with EFBIG instead of killing the process) leaves
# neither the output nor its temporary file.
out="$TEST_TMPDIR/out-write-fails"
mkdir -p "$out"
status=0
(
  ulimit -f 1
  exec "$FEATPOOL" extract "$wav" --num-mel-bins=80 -o "$out/feats.npy"
) 2>"$TEST_TMPDIR/write-fails.stderr" || status=$?
((status != 0 && status < 128)) || fail "write-fails: exit status $status"
grep -q "feats.npy" "$TEST_TMPDIR/write-fails.stderr" || fail "write-fails: $(cat "$TEST_TMPDIR/write-fails.stderr")"
[[ -z $(ls -A "$out") ]] || fail "write-fails: left $(ls -A "$out")"
echo "ok write-fails: $(cat "$TEST_TMPDIR/write-fails.stderr")"

# --- Good input: spellings, config files, info, help -------------------------
shape() {  # prints the shape tuple of a .npy file, e.g. "(49, 40)"
  head -c 128 "$1" | grep -ao "'shape': ([0-9]*, [0-9]*)" | sed "s/'shape': //"
}
good="$TEST_TMPDIR/good"
mkdir -p "$good"
"$FEATPOOL" extract "$wav" --num-mel-bins=40 -o "$good/equals.npy"
"$FEATPOOL" extract "$wav" --num-mel-bins 40 -o "$good/space.npy"
cmp -s "$good/equals.npy" "$good/space.npy" || fail "--name value differs from --name=value"
[[ $(shape "$good/equals.npy") == "(49, 40)" ]] || fail "shape $(shape "$good/equals.npy")"
"$FEATPOOL" extract "$wav" --snip-edges=false --use-energy -o "$good/flags.npy"
[[ $(shape "$good/flags.npy") == "(51, 24)" ]] || fail "bool flags: $(shape "$good/flags.npy")"
"$FEATPOOL" extract "$wav" --snip-edges=true --use-energy=false -o "$good/flags2.npy"
[[ $(shape "$good/flags2.npy") == "(49, 23)" ]] || fail "=true/=false: $(shape "$good/flags2.npy")"

conf="$TEST_TMPDIR/fbank.conf"
printf '%s\n' "# Kaldi-style config" "--num-mel-bins=40" "--frame-length=20  # ms" "" \
  "--snip-edges=false" >"$conf"
"$FEATPOOL" extract "$wav" --config="$conf" -o "$good/conf.npy"
"$FEATPOOL" extract "$wav" --num-mel-bins=40 --frame-length=20 --snip-edges=false \
  -o "$good/flags-of-conf.npy"
cmp -s "$good/conf.npy" "$good/flags-of-conf.npy" || fail "--config differs from its flags"
[[ $(shape "$good/conf.npy") == "(51, 40)" ]] || fail "--config shape $(shape "$good/conf.npy")"
# The command line overrides the config file, before or after it (Kaldi).
"$FEATPOOL" extract "$wav" --config="$conf" --num-mel-bins=30 -o "$good/override-after.npy"
"$FEATPOOL" extract "$wav" --num-mel-bins 30 --config "$conf" -o "$good/override-before.npy"
for f in override-after override-before; do
  [[ $(shape "$good/$f.npy") == "(51, 30)" ]] || fail "$f: $(shape "$good/$f.npy")"
done
cmp -s "$good/override-after.npy" "$good/override-before.npy" || fail "override order matters"
# Kaldi's parser takes '_' for '-' in names (conf files written for Kaldi).
"$FEATPOOL" extract "$wav" --num_mel_bins=40 -o "$good/underscore.npy"
cmp -s "$good/equals.npy" "$good/underscore.npy" || fail "--num_mel_bins differs from --num-mel-bins"
# An option of another feature type is an error naming the type, also from a
# conf file written for that type (the usual mistake: mfcc.conf without
# --feature=mfcc).
printf '%s\n' "--num-ceps=20" "--use-energy=false" >"$TEST_TMPDIR/mfcc.conf"
expect_error wrong-type "--num-ceps=5: is an option of mfcc, not of --feature=fbank (add --feature=mfcc)" \
  extract "$wav" --num-ceps=5
expect_error wrong-type-conf "--num-ceps=20: is an option of mfcc, not of --feature=fbank" \
  extract "$wav" --config="$TEST_TMPDIR/mfcc.conf"
"$FEATPOOL" extract "$wav" --feature=mfcc --config="$TEST_TMPDIR/mfcc.conf" -o "$good/mfcc.npy"
[[ $(shape "$good/mfcc.npy") == "(49, 20)" ]] || fail "mfcc.conf: $(shape "$good/mfcc.npy")"
# A fused-pooling option without --pool says so.
expect_error pool-option-alone "--pool-kernel=2: needs fused pooling: add --pool=MODE" \
  extract "$wav" --pool-kernel=2
echo "ok flag spellings and --config"

info=$("$FEATPOOL" info "$wav" --frame-length=20 --snip-edges=false)
for expected in "format:      WAV (Microsoft), Signed 16 bit PCM" "sample rate: 16000 Hz" \
  "channels:    1" "duration:    0.505 s (8080 samples)" "frames:      51"; do
  grep -qF "$expected" <<<"$info" || fail "info lacks '$expected': $info"
done
info=$("$FEATPOOL" info "$data/short-48k.wav" 2>&1)
grep -qF "resampled:   16000 Hz, 4000 samples" <<<"$info" || fail "info 48k: $info"
info=$("$FEATPOOL" info "$data/short-stereo.wav" 2>"$TEST_TMPDIR/info.stderr")
grep -qF "channels:    2" <<<"$info" || fail "info stereo: $info"
grep -qF "using channel 0" "$TEST_TMPDIR/info.stderr" || fail "info stereo: no channel warning"
# --json: one object per file with the manifest's fields; a dataset adds a
# summary object last, and an unreadable file is an error object (exit 1).
json=$("$FEATPOOL" info --json "$wav" --frame-length=20 --snip-edges=false)
python3 - "$json" <<'PY' || fail "info --json: $json"
import json, sys
o = json.loads(sys.argv[1])
assert o["status"] == "ok" and o["sample_rate"] == 16000 and o["channels"] == 1, o
assert o["samples"] == 8080 and abs(o["duration"] - 0.505) < 1e-9 and o["frames"] == 51, o
assert o["feature"] == "fbank" and o["encoding"] == "Signed 16 bit PCM", o
PY
mkdir -p "$TEST_TMPDIR/info-set"
cp "$wav" "$TEST_TMPDIR/info-set/a.wav"
cp "$data/short-48k.wav" "$TEST_TMPDIR/info-set/b.wav"
: >"$TEST_TMPDIR/info-set/c.wav"
rc=0
json=$("$FEATPOOL" info --json "$TEST_TMPDIR/info-set") || rc=$?
[[ $rc == 1 ]] || fail "info --json with an unreadable file: exit $rc"
python3 - "$json" <<'PY' || fail "info --json dataset: $json"
import json, sys
lines = [json.loads(l) for l in sys.argv[1].splitlines()]
assert [l.get("id") for l in lines[:3]] == ["a", "b", "c"], lines
assert lines[1]["sample_rate"] == 48000 and lines[2]["status"] == "error", lines
assert "empty" in lines[2]["error"], lines[2]
s = lines[3]
assert s["summary"] == "dataset" and (s["files"], s["readable"], s["unreadable"]) == (3, 2, 1), s
assert s["sample_rates"] == {"16000": 1, "48000": 1}, s
PY
echo "ok info"

# --help: every Kaldi option, each with its default.
help=$("$FEATPOOL" extract --help)
declare -A defaults=(
  [--feature]="=fbank" [--sample-frequency]="=16000" [--frame-length]="=25" [--frame-shift]="=10"
  [--dither]="=0" [--preemphasis-coefficient]="=0.97" [--remove-dc-offset]="default: true"
  [--window-type]="=povey" [--blackman-coeff]="=0.42" [--round-to-power-of-two]="default: true"
  [--snip-edges]="default: true" [--low-freq]="=20" [--high-freq]="=0" [--num-mel-bins]="=23"
  [--use-energy]="false for fbank, true for mfcc" [--energy-floor]="=0"
  [--raw-energy]="default: true" [--use-log-fbank]="default: true" [--use-power]="default: true"
  [--htk-compat]="default: false" [--num-ceps]="=13" [--cepstral-lifter]="=22"
  [--channel]="=-1")
# CLI11 wraps a long "--name TYPE=default" onto two lines: join each option's lines.
joined=$(awk '/^  -/ { if (line) print line; line = $0; next } /^   / { line = line " " $0; next }
              { if (line) print line; line = "" } END { if (line) print line }' <<<"$help")
for option in "${!defaults[@]}"; do
  entry=$(grep -E -- "^  $option( |$)" <<<"$joined" || true)
  [[ -n $entry ]] || fail "--help does not list $option"
  [[ $entry == *"${defaults[$option]}"* ]] || fail "--help: $option lacks '${defaults[$option]}': $entry"
done
# --resample and its negation --no-resample are one flag (CLI11 shows the
# negation's value in braces).
grep -E -- "^  --resample,--no-resample\{false\} .*\[default: true; --resample=true\|false\]" \
  <<<"$joined" >/dev/null || fail "--help: --resample,--no-resample: $(grep -- --no-resample <<<"$joined")"
echo "ok --help"

if ((failures > 0)); then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "all command tests passed"
