#!/usr/bin/env bash
# `cmake --install` into a scratch prefix, then builds the consumer project in
# tests/consumer against the installed tree four ways (CMake shared/static,
# pkg-config shared/static) and runs each on the sample speech.
set -euo pipefail

prefix="$TEST_TMPDIR/prefix"
rm -rf "$TEST_TMPDIR"
mkdir -p "$TEST_TMPDIR"
cmake --install "$FEATPOOL_BUILD_DIR" --prefix "$prefix" >"$TEST_TMPDIR/install.log"

fail() {
  echo "test-install: $*" >&2
  exit 1
}

# The public headers are self-contained and name no third-party library.
if grep -lE '#include *[<"](kiss_fft|kissfft|sndfile|soxr|ogg/|cairo|zlib|nlohmann)' "$prefix"/include/featpool/*.h; then
  fail "installed headers include KissFFT, libsndfile, libsoxr, libogg or cairo headers"
fi
[[ -f "$prefix/include/featpool/featpool.h" ]] || fail "featpool/featpool.h is not installed"
# Each header compiles on its own with only the installed include directory.
for header in "$prefix"/include/featpool/*.h; do
  echo "#include <featpool/$(basename "$header")>" |
    c++ -std=c++17 -fsyntax-only -Wall -Wextra -Werror -I"$prefix/include" -x c++ - ||
    fail "featpool/$(basename "$header") does not compile on its own"
done
# The installed command reads the installed presets (beside it), not the
# source tree's: a preset only the installed tree has is listed and read.
presets="$prefix/share/featpool/conf/presets"
[[ -f "$presets/kaldi-fbank-80.conf" ]] || fail "the presets are not installed in $presets"
printf '# installed only\n--num-mel-bins=30\n' >"$presets/zz-installed-only.conf"
(unset FEATPOOL_PRESET_DIR; "$prefix/bin/featpool" --list-presets) |
  grep -qx 'zz-installed-only *installed only' || fail "the installed featpool does not list its presets"
rm "$presets/zz-installed-only.conf"
libdir=$(dirname "$(find "$prefix" -name libfeatpool.a | head -1)")
[[ -f "$libdir/libfeatpool.a" ]] || fail "libfeatpool.a is not installed"
[[ -L "$libdir/libfeatpool.so" ]] || fail "libfeatpool.so is not installed"
# The shared library exports the documented featpool:: API only: no std::
# instantiations, no featpool::internal, nothing of its dependencies.
exported=$(nm -D --defined-only -C "$libdir/libfeatpool.so" | cut -d' ' -f3-)
stray=$(grep -vE '^(featpool::|typeinfo for featpool::|typeinfo name for featpool::|vtable for featpool::|FEATPOOL_)' <<<"$exported" || true)
[[ -z $stray ]] || fail "libfeatpool.so exports non-API symbols: $(head -5 <<<"$stray")"
! grep -q 'featpool::internal' <<<"$exported" || fail "libfeatpool.so exports featpool::internal"
echo "libfeatpool.so exports $(wc -l <<<"$exported") symbols"

# Under the sanitizers the installed libraries carry ASan/UBSan references,
# so the consumer must be built with the same flags.
flags=""
if grep -q '^FEATPOOL_SANITIZE:BOOL=ON' "$FEATPOOL_BUILD_DIR/CMakeCache.txt"; then
  flags="-fsanitize=address,undefined"
fi

version=$(sed -n 's/^project(featpool VERSION \([0-9.]*\).*/\1/p' "$FEATPOOL_SOURCE_DIR/CMakeLists.txt")
wav="$FEATPOOL_SOURCE_DIR/data/speech-16k.wav"
# Kaldi's frame count with snip-edges: 1 + (samples - 400) / 160.
samples=$(( ($(stat -c %s "$wav") - 44) / 2 ))
expected="featpool $version fbank $(( 1 + (samples - 400) / 160 )) x 23"

check() {  # check NAME BINARY LINKAGE(shared|static)
  local out
  out=$("$2" "$wav") || fail "$1: the consumer failed"
  [[ "$out" == "$expected" ]] || fail "$1: printed '$out', expected '$expected'"
  if readelf -d "$2" | grep -q 'NEEDED.*libfeatpool'; then
    [[ $3 == shared ]] || fail "$1: linked to libfeatpool.so, expected the static library"
  else
    [[ $3 == static ]] || fail "$1: not linked to libfeatpool.so"
  fi
  echo "$1: $out ($3)"
}

for linkage in shared static; do
  static=OFF
  [[ $linkage == static ]] && static=ON
  dir="$TEST_TMPDIR/cmake-$linkage"
  cmake -S "$FEATPOOL_SOURCE_DIR/tests/consumer" -B "$dir" -DCMAKE_PREFIX_PATH="$prefix" \
    -DFEATPOOL_USE_STATIC_LIBS=$static -DCMAKE_CXX_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="$flags" >"$dir.log" 2>&1 || { cat "$dir.log" >&2; fail "cmake $linkage: configure failed"; }
  cmake --build "$dir" >>"$dir.log" 2>&1 || { cat "$dir.log" >&2; fail "cmake $linkage: build failed"; }
  check "cmake $linkage" "$dir/consumer" $linkage
done

mkdir -p "$TEST_TMPDIR/pkg-config"
PKG_CONFIG_PATH="$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" \
  make -s -f "$FEATPOOL_SOURCE_DIR/tests/consumer/Makefile" OUT="$TEST_TMPDIR/pkg-config" \
  CXXFLAGS="-O2 $flags" LDFLAGS="$flags" || fail "pkg-config: build failed"
check "pkg-config shared" "$TEST_TMPDIR/pkg-config/consumer-shared" shared
check "pkg-config static" "$TEST_TMPDIR/pkg-config/consumer-static" static
