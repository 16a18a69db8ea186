#!/usr/bin/env bash
# The full check (what CI runs, via .ci/run):
#   1. installs missing dependencies (scripts/deps.sh);
#   2. checks formatting of c/ and include/ with clang-format;
#   3. for each preset default, clang, tsan, asan: configure, build and run
#      ctest in build/<preset> (the ABI check scripts/check_abi.sh is a ctest
#      test); prints ctest's summary for each;
#   4. installs the default build into a temporary prefix, checks that the
#      header, library, pkg-config and CMake package agree on the version,
#      and builds compat/consumer against it through find_package and
#      pkg-config;
#   5. compares the ABI with the baseline in compat/abi (abidiff);
#   6. runs the Python binding's tests (python/tests);
#   7. the conformance suite (compat/run.sh) and its mutation check;
#   8. the Go package's tests (scripts/go_test.sh): vet, -race, cgocheck2,
#      the reference's own test file, the example, both build modes.
# Keeps going after a failure and exits non-zero if anything failed.
#
# Environment: PRESETS="default asan" to run a subset; CLEAN=1 to wipe the
# build directories first.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

source scripts/go_path.sh

bash scripts/deps.sh

presets=(${PRESETS:-default clang tsan asan})
failed=()
summaries=()
built=()

# Sanitizer settings; also used while building (gtest_discover_tests runs the
# test binaries to list their tests). The test presets set the same.
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:history_size=4}
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

banner() { printf '\n==== %s ====\n' "$*"; }

# ---------------------------------------------------------------------------
# Formatting
# ---------------------------------------------------------------------------
banner "clang-format"
shopt -s nullglob
fmt_files=(c/*.c c/*.h include/*.h tests/dlopen/*.c tests/dlopen/*.cc)
shopt -u nullglob
if ((${#fmt_files[@]})) && ! clang-format --dry-run --Werror "${fmt_files[@]}"; then
  echo "formatting: FAILED (fix with: clang-format -i c/*.c c/*.h include/*.h)"
  failed+=("clang-format")
else
  echo "formatting: OK (${#fmt_files[@]} files)"
fi

# ---------------------------------------------------------------------------
# Presets: configure, build, test
# ---------------------------------------------------------------------------
run_preset() {
  local p=$1 log
  [[ ${CLEAN:-0} == 1 ]] && rm -rf "build/$p"
  if ! cmake --preset "$p"; then
    summaries+=("$p: configure FAILED")
    return 1
  fi
  if ! cmake --build --preset "$p"; then
    summaries+=("$p: build FAILED")
    return 1
  fi
  built+=("$p")
  log="build/$p/ctest.log"
  local rc=0
  ctest --preset "$p" 2>&1 | tee "$log" || rc=$?
  # ctest's summary: the "N% tests passed" line, the time, any failures.
  local summary
  summary=$(sed -n '/tests passed, /,$p' "$log")
  summaries+=("$p: ${summary:-no ctest summary (see $log)}")
  return "$rc"
}

for p in "${presets[@]}"; do
  banner "preset $p"
  start=$SECONDS
  if run_preset "$p"; then
    echo "preset $p: OK in $((SECONDS - start)) s"
  else
    echo "preset $p: FAILED after $((SECONDS - start)) s"
    failed+=("preset $p")
  fi
done

# ---------------------------------------------------------------------------
# Installed package: find_package(liberrgroup) and pkg-config consumers
# ---------------------------------------------------------------------------
# Runs in a subshell: its temporary directory and PKG_CONFIG_PATH stay local.
check_consumer() (
  set -euo pipefail
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  prefix=$work/prefix
  cmake --install build/default --prefix "$prefix" >/dev/null
  echo "-- versions (header, library, pkg-config, CMake package)"
  bash scripts/check_versions.sh "$prefix"
  echo "installed into $prefix:"
  (cd "$prefix" && find . -type f -o -type l | sort | sed 's/^/  /')

  echo "-- find_package(liberrgroup)"
  cmake -S compat/consumer -B "$work/cmake" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" >/dev/null
  cmake --build "$work/cmake"
  "$work/cmake/consumer_shared"
  "$work/cmake/consumer_static"
  # The shared consumer must load the installed liberrgroup.so.1, the
  # static one must not need it at all.
  if ! ldd "$work/cmake/consumer_shared" | grep -q "$prefix/.*liberrgroup\.so\.1"; then
    echo "consumer_shared does not load liberrgroup.so.1 from $prefix"
    exit 1
  fi
  if ldd "$work/cmake/consumer_static" | grep -q liberrgroup; then
    echo "consumer_static depends on liberrgroup.so"
    exit 1
  fi

  echo "-- pkg-config liberrgroup"
  pc=$(find "$prefix" -name liberrgroup.pc | head -n1)
  export PKG_CONFIG_PATH=${pc%/*}
  echo "pkg-config: version $(pkg-config --modversion liberrgroup)," \
    "cflags '$(pkg-config --cflags liberrgroup)', libs '$(pkg-config --libs liberrgroup)'"
  [[ $(pkg-config --modversion liberrgroup) == 1.0.0 ]]
  # shellcheck disable=SC2046
  cc -std=c11 -Wall -Wextra -Werror -o "$work/pc_consumer" \
    compat/consumer/main.c $(pkg-config --cflags --libs liberrgroup) \
    -Wl,-rpath,"$(pkg-config --variable=libdir liberrgroup)"
  "$work/pc_consumer"
)

banner "installed package (compat/consumer)"
if [[ " ${built[*]} " == *" default "* ]]; then
  set +e # (a function in an `if` would run with errexit ignored)
  check_consumer
  rc=$?
  set -e
  if ((rc == 0)); then
    echo "consumer: OK"
  else
    echo "consumer: FAILED"
    failed+=("consumer")
  fi
else
  echo "consumer: skipped (needs a successful build of the default preset)"
fi

# ---------------------------------------------------------------------------
# Go tests
# ---------------------------------------------------------------------------
banner "ABI baseline (compat/abi, abidiff)"
if bash scripts/check_abi_baseline.sh; then
  echo "abi baseline: OK"
else
  echo "abi baseline: FAILED (intended? scripts/check_abi_baseline.sh --update; see docs/ABI.md)"
  failed+=("abi-baseline")
fi

banner "Python binding (python/tests)"
if [[ " ${built[*]} " == *" default "* ]]; then
  if bash scripts/python_test.sh build/default; then
    echo "python: OK"
  else
    echo "python: FAILED"
    failed+=("python")
  fi
else
  echo "python: skipped (needs a successful build of the default preset)"
fi

banner "examples (examples/tests, C, Go, Python)" && { bash scripts/examples_test.sh build/default || failed+=("examples"); }
banner "conformance (compat/): reference vs Go package vs C library"
if ! bash compat/run.sh; then failed+=("conformance"); fi
banner "conformance mutations (the suite must catch a broken library)"
if ! bash compat/run.sh --mutations; then failed+=("mutations"); fi

banner "Go packages (go/errgroup, go/kratos, examples/gobridge)"
if bash scripts/go_test.sh; then
  echo "go: OK"
else
  echo "go: FAILED"
  failed+=("go")
fi

# ---------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------
banner "summary"
for s in "${summaries[@]}"; do
  echo "$s"
  echo
done
# Stages: formatting, one per preset, install consumers, ABI baseline,
# Python, conformance, mutations, Go.
stages=$((1 + ${#presets[@]} + 6))
if ((${#failed[@]})); then
  echo "FAILED: ${failed[*]}"
  echo "checks: $((stages - ${#failed[@]})) passed, ${#failed[@]} failed"
  exit 1
fi
echo "ALL OK"
echo "checks: ${stages} passed, 0 failed"
