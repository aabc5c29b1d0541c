#!/usr/bin/env bash
# Installs the Debian packages featpool needs, only those missing.
# Usage: tools/install-deps.sh [--tests]   (--tests adds what the tests use)
set -euo pipefail

packages=(build-essential cmake pkg-config libkissfft-dev libsndfile1-dev libsoxr-dev libogg-dev
          libcairo2-dev fonts-dejavu-core libcli11-dev catch2 zlib1g-dev nlohmann-json3-dev)
if [[ "${1:-}" == "--tests" ]]; then
  packages+=(python3 python3-numpy parallel python3-dev pybind11-dev python3-pytest libbenchmark-dev
             python3-venv python3-setuptools python3-wheel python3-build mypy  # tests/test-python-package.sh, test_stubs.py
             slurm-wlm slurm-client munge
             flac sox  # piped wav.scp entries (tests/test-kaldi-data.sh)
             clang libclang-rt-14-dev)  # clang: the libFuzzer build (tools/fuzz.sh)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "featpool: installing ${missing[*]}" >&2
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
