#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Installs what a fresh Debian (12+) machine lacks to build, test and
# benchmark liberrgroup. Idempotent: when everything is present it only runs
# dpkg -s and exits in well under a second. Runs as root (no sudo).
set -euo pipefail

packages=(
  cmake            # >= 3.25 (presets v6, workflow presets)
  ninja-build      # the presets' generator
  gcc g++          # default, tsan and asan presets
  libc6-dev
  binutils         # objdump/readelf for scripts/check_abi.sh
  clang            # clang preset
  clang-format     # formatting check
  libgtest-dev     # tests/
  libbenchmark-dev # bench/ (optional for the build, wanted for main.sh)
  pkg-config       # compat/consumer check of liberrgroup.pc
  python3          # bench/compare.py
  ca-certificates
  abigail-tools    # abidw/abidiff for scripts/check_abi_baseline.sh
  python3-pytest   # python/tests via scripts/python_test.sh
  libmicrohttpd-dev    # examples/lifecycle (HTTP servers)
  libcurl4-openssl-dev # examples/scatter_gather (HTTP client)
  python3-venv     # scripts/python_pip_test.sh (pip install into a venv)
  man-db groff-base # scripts/check_man.sh (man -l, groff -man -ww)
  lintian          # scripts/deb_test.sh (the .deb packages)
  file             # scripts/install_test.sh
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  if [[ $status != "install ok installed" ]]; then
    missing+=("$p")
  fi
done

# Go is not from apt: Debian's golang-go is older than go.mod asks for.
# The machine image ships it; it is needed for bench/goref and the Go tests.
if ! command -v go >/dev/null 2>&1 && [[ ! -x /usr/local/go/bin/go ]]; then
  echo "deps: note: no Go toolchain found; the Go reference benchmarks" \
    "and Go tests need the Go version named in go.mod" >&2
fi

if ((${#missing[@]} == 0)); then
  echo "deps: all ${#packages[@]} packages present"
  exit 0
fi

if ((EUID != 0)); then
  echo "deps: missing ${missing[*]}; run this script as root" >&2
  exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
