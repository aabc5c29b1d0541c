#!/usr/bin/env bash
# A full file system (an 8 MiB tmpfs filled but for a little, mounted in a private user and mount
# namespace): single .npy, batch DIR/ and ark,scp. Each failure is one line
# naming the output with "No space left on device", a non-zero exit, no
# temporary file; the batch resumes (with room again) to a clean run's
# result. Where no tmpfs can be mounted the test is skipped (exit 77), not
# passed.
self=$(realpath "${BASH_SOURCE[0]}")
source "$(dirname "$self")/common.sh"
wav="$FEATPOOL_SOURCE_DIR/tests/data/kaldi/speech-16k.wav"

if [[ ${1:-} != --inside ]]; then
  mkdir -p mnt
  if ! unshare --user --map-root-user --mount true 2>/dev/null &&
    ! unshare --mount true 2>/dev/null; then
    echo "SKIP: cannot create a mount namespace (unshare) to mount a small tmpfs"
    exit 77
  fi
  for how in "--user --map-root-user --mount" "--mount"; do
    # shellcheck disable=SC2086
    if unshare $how sh -c 'mount -t tmpfs -o size=8m featpool-test mnt' 2>/dev/null; then
      # shellcheck disable=SC2086
      exec unshare $how bash "$self" --inside
    fi
  done
  echo "SKIP: cannot mount a tmpfs here (mount -t tmpfs -o size=8m)"
  exit 77
fi
mkdir -p mnt
mount -t tmpfs -o size=8m featpool-test mnt || { echo "SKIP: mount failed"; exit 77; }
trap 'umount mnt 2>/dev/null || true' EXIT
source "$(dirname "$self")/output-checks.sh"

"$PY" "$FEATPOOL_SOURCE_DIR/tests/make-batch-audio.py" in 60 --seconds=1,3
run 0 "$FEATPOOL" extract in -o ref/ -j 2 --num-mel-bins=80 2>/dev/null
run 0 "$FEATPOOL" extract in -o ark,scp:refark/feats.ark,refark/feats.scp -j 2 \
  --num-mel-bins=80 2>/dev/null
(($(du -sk ref | cut -f1) > 1024)) || fail "the reference output is too small to fill the disk"
# fill KIB: leaves about KIB KiB free on the file system.
fill() { rm -f mnt/filler; head -c $(((8192 - $1) * 1024)) /dev/zero >mnt/filler 2>/dev/null || true; }

# Fill the file system but for a few KiB, then write one .npy.
fill 8
errs e.txt 1 "$FEATPOOL" extract "$wav" --num-mel-bins=80 -o mnt/one.npy
one_line full-single e.txt "cannot write 'mnt/one.npy': No space left on device"
[[ ! -e mnt/one.npy ]] || fail "full-npy: output exists"
no_temps mnt
rm -f mnt/filler

for kind in npy ark; do
  if [[ $kind == npy ]]; then spec=mnt/dir/; ref=ref
  else spec=ark,scp:mnt/ark/feats.ark,mnt/ark/feats.scp; ref=refark; fi
  fill 512
  errs e.txt 1 "$FEATPOOL" extract in -o "$spec" -j 2 --num-mel-bins=80 --progress=never
  one_line "full-$kind" e.txt "mnt/" "No space left on device"
  no_temps mnt
  [[ ! -e mnt/dir/manifest.jsonl && ! -e mnt/ark/feats.ark ]] || fail "full-$kind: finalised"
  # Room again: --resume finishes in place.
  rm mnt/filler
  run 0 "$FEATPOOL" extract in -o "$spec" -j 2 --num-mel-bins=80 --resume 2>/dev/null
  if [[ $kind == npy ]]; then
    diff -r -x manifest.jsonl ref mnt/dir || fail "full-$kind: resumed outputs differ"
  else
    cmp refark/feats.ark mnt/ark/feats.ark || fail "full-$kind: resumed archive differs"
  fi
  no_temps mnt
  mount -o remount,size=8m mnt
  rm -rf mnt/dir mnt/ark
done
echo "test-output-full-disk: ok"
