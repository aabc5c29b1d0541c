#!/usr/bin/env bash
# Output failures, closed standard descriptors, signals and out of memory,
# through the real command: each gives one line "featpool: ..." naming the
# output (or the file and what memory was for), a non-zero exit that is not
# a crash, no temporary file and nothing half-written under a final name; a
# batch run so stopped resumes to the same result as a clean run.
#   - a file-size limit (ulimit -f, without the shell ignoring SIGXFSZ for
#     us): single .npy, `pool`, batch DIR/ and ark,scp;
#   - a full device (/dev/full): ark:- on stdout, -o /dev/full, the
#     manifest, `info`'s report;
#   - stdout closed (>&-): ark:- with and without a manifest, /dev/stdout,
#     `info`; the journal never lands on descriptor 1;
#   - SIGTERM / SIGINT during a batch run, one input blocking forever;
#   - allocations no machine can make (pooled output from the options).
# A full file system (tmpfs) is tests/test-output-full-disk.sh.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/output-checks.sh"
data="$FEATPOOL_SOURCE_DIR/tests/data/kaldi"
wav="$data/speech-16k.wav"

# limited BLOCKS COMMAND...: runs COMMAND with `ulimit -f BLOCKS` (1 KiB
# blocks); SIGXFSZ keeps its default action (the command must ignore it).
limited() {
  local blocks=$1
  shift
  (ulimit -f "$blocks" && exec "$@")
}

"$PY" "$FEATPOOL_SOURCE_DIR/tests/make-batch-audio.py" in 40 --seconds=0.5,2
run 0 "$FEATPOOL" extract in -o ref/ -j 2 --num-mel-bins=80 2>/dev/null
run 0 "$FEATPOOL" extract in -o ark,scp:refark/feats.ark,refark/feats.scp -j 2 \
  --num-mel-bins=80 2>/dev/null

# --- File-size limit ---------------------------------------------------------------
mkdir -p single
errs e.txt 1 limited 4 "$FEATPOOL" extract "$wav" --num-mel-bins=80 -o single/feats.npy
one_line ulimit-npy e.txt "cannot write 'single/feats.npy': File too large"
[[ -z $(ls -A single) ]] || fail "ulimit-npy: left $(ls -A single)"

"$PY" -c "import numpy as np; np.save('big-in.npy', np.ones((2000, 80), np.float32))"
errs e.txt 1 limited 4 "$FEATPOOL" pool big-in.npy --kernel=1 -o single/pooled.npy
one_line ulimit-pool e.txt "cannot write 'single/pooled.npy': File too large"
[[ -z $(ls -A single) ]] || fail "ulimit-pool: left $(ls -A single)"

# Batch, one .npy per utterance: the first output that does not fit stops the
# run; what was journalled is kept; --resume finishes it.
errs e.txt 1 limited 12 "$FEATPOOL" extract in -o dir/ -j 2 --num-mel-bins=80 \
  --progress=never
one_line ulimit-dir e.txt "cannot write 'dir/" ".npy': File too large"
no_temps dir
[[ ! -e dir/manifest.jsonl ]] || fail "ulimit-dir: manifest finalised"
run 0 "$FEATPOOL" extract in -o dir/ -j 2 --num-mel-bins=80 --resume 2>/dev/null
diff -r -x manifest.jsonl ref dir || fail "ulimit-dir: resumed outputs differ"
no_temps dir

# Batch ark,scp: the archive outgrows the limit.
errs e.txt 1 limited 64 "$FEATPOOL" extract in -o ark,scp:ark/feats.ark,ark/feats.scp -j 2 \
  --num-mel-bins=80 --progress=never
one_line ulimit-ark e.txt "cannot write 'ark/feats.ark': File too large"
no_temps ark
[[ ! -e ark/feats.ark && ! -e ark/feats.scp ]] || fail "ulimit-ark: archive finalised"
run 0 "$FEATPOOL" extract in -o ark,scp:ark/feats.ark,ark/feats.scp -j 2 --num-mel-bins=80 \
  --resume 2>/dev/null
cmp refark/feats.ark ark/feats.ark || fail "ulimit-ark: resumed archive differs"
no_temps ark

# --- A full device --------------------------------------------------------------------
errs e.txt 1 "$FEATPOOL" extract "$wav" -o ark:- >/dev/full
one_line full-ark-stdout e.txt "stdout" "No space left on device"
errs e.txt 1 "$FEATPOOL" extract "$wav" -o /dev/full
one_line full-npy e.txt "'/dev/full': No space left on device"
errs e.txt 1 "$FEATPOOL" extract in -o full/ --manifest=/dev/full --progress=never
one_line full-manifest e.txt "'/dev/full': No space left on device"
no_temps full
errs e.txt 1 "$FEATPOOL" info "$wav" >/dev/full
one_line full-info e.txt "standard output" "No space left on device"

# --- Standard output closed -------------------------------------------------------------
errs e.txt 1 "$FEATPOOL" extract "$wav" -o ark:- >&-
one_line closed-ark e.txt "-o ark:-: standard output is closed"
# With a manifest, its journal would be the first file opened: descriptor 1.
mkdir -p closed
errs e.txt 1 "$FEATPOOL" extract "$wav" -o ark:- --manifest=closed/m.jsonl >&-
one_line closed-ark-manifest e.txt "standard output is closed"
[[ -z $(ls -A closed) ]] || fail "closed-ark-manifest: left $(ls -A closed)"
errs e.txt 1 "$FEATPOOL" extract "$wav" -o /dev/stdout >&-
one_line closed-dev-stdout e.txt "standard output is closed"
errs e.txt 1 "$FEATPOOL" info "$wav" >&-
one_line closed-info e.txt "standard output is closed"
# Open for reading only: not usable either.
errs e.txt 1 "$FEATPOOL" extract "$wav" -o ark:- 1<"$wav"
one_line readonly-stdout e.txt "standard output is not open for writing"
# stdin and stderr closed: the journal and the archive still go to their files
# (were they given descriptor 0 or 2, nothing would show, but a stray write
# would), and the result equals a normal run.
status=0
"$FEATPOOL" extract in -o ark,scp:c0/feats.ark,c0/feats.scp -j 2 --num-mel-bins=80 <&- 2>&- \
  || status=$?
[[ $status == 0 ]] || fail "stdin/stderr closed: exit status $status"
cmp refark/feats.ark c0/feats.ark || fail "stdin/stderr closed: archive differs"
[[ -s c0/manifest.jsonl ]] || fail "stdin/stderr closed: no manifest"

# --- Signals during a batch run -----------------------------------------------------
# The 21st input (sorted order) is a named pipe nobody writes: the run blocks
# there with 20 utterances journalled. SIGTERM must end it at once, leaving
# the journal, no temporary file and no finalised output; --resume (with the
# real file back) gives the clean run's result. (-j 1: audio files are opened
# one at a time, so with more workers the count journalled before the pipe
# would depend on timing.)
pos=20
victim=$(find in -name '*.wav' | sort | sed -n "$((pos + 1))p")
mv "$victim" victim.wav
mkfifo "$victim"
wait_lines() {  # FILE N PID
  for _ in $(seq 3000); do
    [[ $(cat "$1" 2>/dev/null | wc -l) -ge $2 ]] && return 0
    kill -0 "$3" 2>/dev/null || return 0
    sleep 0.01
  done
  fail "timed out waiting for $2 lines in $1"
}
# SIGINT is ignored in a non-interactive shell's background jobs: start the
# command with the default action restored.
start() { "$PY" -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$FEATPOOL" "$@" & }
for sig in TERM INT; do
  for kind in npy ark; do
    if [[ $kind == npy ]]; then out=sig-$sig; spec=$out/
    else out=sigark-$sig; spec=ark,scp:$out/feats.ark,$out/feats.scp; fi
    start extract in -o "$spec" -j 1 --num-mel-bins=80 --progress=never 2>"$out.err"
    pid=$!
    wait_lines "$out/.manifest.jsonl.partial" $pos $pid
    sleep 0.2
    kill -$sig $pid
    status=0
    timeout 10 tail --pid=$pid -f /dev/null || fail "$sig $kind: still running 10 s after the signal"
    wait $pid || status=$?
    [[ $status == $((128 + $(kill -l $sig))) ]] || fail "$sig $kind: exit status $status"
    grep -q "interrupted by SIG$sig; outputs are not finalised; rerun with --resume" "$out.err" \
      || fail "$sig $kind: $(cat "$out.err")"
    [[ $(wc -l <"$out/.manifest.jsonl.partial") == "$pos" ]] || fail "$sig $kind: journal"
    [[ ! -e $out/manifest.jsonl && ! -e $out/feats.ark ]] || fail "$sig $kind: finalised"
    no_temps "$out"
    echo "ok signal $sig $kind: $(tail -1 "$out.err")"
  done
done
rm "$victim"
mv victim.wav "$victim"
for sig in TERM INT; do
  errs sig.err 0 "$FEATPOOL" extract in -o sig-$sig/ -j 2 --num-mel-bins=80 --resume
  grep -q "^featpool: $((40 - pos)) processed, 0 failed ($pos done by an earlier run" sig.err \
    || fail "resume after SIG$sig: $(tail -1 sig.err)"
  diff -r -x manifest.jsonl ref sig-$sig || fail "resume after SIG$sig: outputs differ"
  run 0 "$FEATPOOL" extract in -o ark,scp:sigark-$sig/feats.ark,sigark-$sig/feats.scp -j 2 \
    --num-mel-bins=80 --resume 2>/dev/null
  cmp refark/feats.ark sigark-$sig/feats.ark || fail "resume after SIG$sig: archive differs"
  no_temps sig-$sig sigark-$sig
done

# SIGTERM at random moments while .npy files are being written (many small
# files, 2 workers): never a temporary file left.
for attempt in 1 2 3 4 5; do
  start extract in -o rnd/ -j 2 --progress=never 2>/dev/null
  pid=$!
  sleep 0.0$((RANDOM % 10))
  kill -TERM $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  no_temps rnd
done
run 0 "$FEATPOOL" extract in -o rnd/ -j 2 --resume 2>/dev/null
run 0 "$FEATPOOL" extract in -o rnd-ref/ -j 2 2>/dev/null
diff -r -x manifest.jsonl rnd-ref rnd || fail "random SIGTERM: resumed outputs differ"
echo "ok random SIGTERM"

# --- Out of memory: what for ----------------------------------------------------------
# Pooled outputs within what pooling allows (16 times the input) but beyond a
# virtual memory limit (ulimit -v) the rest of the run fits in easily: 30 s
# of audio as a 1 ms-shift spectrogram (29976 x 257 = 31 MB) pooled to
# 479000 x 257 (470 MiB), a 100000 x 80 .npy to 1600000 x 80 with indices
# (1.4 GiB). AddressSanitizer needs more address space than any such limit
# and aborts where std::bad_alloc would be thrown: not testable there.
if grep -qs '^FEATPOOL_SANITIZE:BOOL=ON' "${FEATPOOL_BUILD_DIR:-}/CMakeCache.txt"; then
  echo "SKIP out of memory: AddressSanitizer aborts where std::bad_alloc would be thrown"
else
  "$PY" -c "
import numpy as np, wave
x = (np.random.RandomState(1).randn(16000 * 30) * 3000).astype('<i2')
w = wave.open('long.wav', 'wb')
w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000); w.writeframes(x.tobytes()); w.close()
np.save('long-in.npy', np.ones((100000, 80), np.float32))"
  memory() {  # KIB COMMAND...: runs COMMAND with ulimit -v KIB
    local kib=$1
    shift
    (ulimit -v "$kib" && exec "$@")
  }
  big_pool=(--feature=spectrogram --frame-shift=1 --pool=adaptive-avg --pool-output-size=479000x257)
  mkdir -p oom
  errs e.txt 1 memory 350000 "$FEATPOOL" extract long.wav "${big_pool[@]}" -o oom/x.npy
  one_line oom-extract e.txt \
    "'long.wav': out of memory allocating 469.6 MiB for the pooled output (479000 x 257)"
  errs e.txt 1 memory 350000 "$FEATPOOL" pool long-in.npy --mode=adaptive-max \
    --output-size=1600000x80 --indices=oom/i.npy -o oom/x.npy
  one_line oom-pool e.txt \
    "'long-in.npy': out of memory allocating 1.4 GiB for the pooled output (1600000 x 80, with"
  [[ -z $(ls -A oom) ]] || fail "oom: left $(ls -A oom)"
  # In a batch each file fails on its own, named, and the run goes on.
  mkdir -p oomin
  cp long.wav oomin/a.wav
  cp long.wav oomin/b.wav
  errs e.txt 1 memory 450000 "$FEATPOOL" extract oomin -o oomdir/ -j 1 "${big_pool[@]}" \
    --progress=never
  [[ $(grep -c "^featpool: error: 'oomin/[ab].wav': out of memory allocating 469.6 MiB" e.txt) == 2 ]] \
    || fail "oom-batch: $(cat e.txt)"
  grep -q "^featpool: 0 processed, 2 failed" e.txt || fail "oom-batch summary: $(tail -1 e.txt)"
  [[ $(grep -c '"status":"error"' oomdir/manifest.jsonl) == 2 ]] || fail "oom-batch manifest"
  echo "ok oom-batch: $(head -1 e.txt)"
fi

echo "test-output-failures: ok"
