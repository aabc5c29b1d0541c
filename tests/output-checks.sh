# Sourced by the output-failure tests (tests/test-output-failures.sh,
# tests/test-output-full-disk.sh), after common.sh: the checks every failed
# output must pass.

# errs FILE STATUS COMMAND...: like run, with COMMAND's stderr in FILE (a
# failure is reported on the test's stderr, with FILE's contents).
errs() {
  local file=$1 want=$2
  shift 2
  local got=0
  "$@" 2>"$file" || got=$?
  [[ $got == "$want" ]] || fail "exit status $got, expected $want: $* (stderr: $(cat "$file"))"
}
# one_line NAME FILE EXPECTED...: FILE is one "featpool:" line holding each
# EXPECTED, after warnings about inputs.
one_line() {
  local name=$1 file=$2
  shift 2
  sed -i '/^featpool: warning: /d' "$file"  # a batch's warnings about its inputs
  [[ $(wc -l <"$file") == 1 ]] || fail "$name: not one line on stderr: $(cat "$file")"
  grep -q '^featpool: ' "$file" || fail "$name: $(cat "$file")"
  for e in "$@"; do grep -qF -- "$e" "$file" || fail "$name: lacks '$e': $(cat "$file")"; done
  echo "ok $name: $(cat "$file")"
}
# no_temps DIR...: no temporary file of an atomic write anywhere below.
no_temps() {
  local left
  left=$(find "$@" -name '.*.tmp.*' 2>/dev/null || true)  # a killed run may not have made DIR
  [[ -z $left ]] || fail "temporary files left: $left"
}
