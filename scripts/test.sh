#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The full check (what CI runs, via .ci/run). One line per stage:
#
#   [ 7] preset-asan        ok      187 passed, 0 failed, 4 skipped    15 s
#          skipped: 3 (test_fork.Fork.A, ...): sanitizer runtimes do not ...
#
# with its verdict, counts and time; every stage's full output goes to
# build/test-logs/<stage>.log, whose path (and last lines) is printed when
# the stage fails. Skipped tests are listed with their reasons. The last line
# is always `checks: N passed, M failed` (one check per stage).
#
# The stages, in order (the table at the bottom):
#   deps          scripts/deps.sh installs missing packages (fatal if it fails)
#   format        clang-format of c/, include/, tests/dlopen
#   changelog     scripts/check_changelog.sh (CHANGELOG.md's form, and the
#                 header's version has its release section)
#   spdx          scripts/check_spdx.sh: every source file has its SPDX line
#   preset-P      for each preset default, clang, tsan, asan: configure,
#                 build, ctest in build/P (the ABI check scripts/check_abi.sh
#                 is a ctest test)
#   install       scripts/install_test.sh: cmake --install, versions, man
#                 pages, compat/consumer through find_package and pkg-config
#   man           scripts/check_man.sh: a page for every exported function,
#                 each rendering without warnings
#   abi-baseline  scripts/check_abi_baseline.sh (abidiff against compat/abi)
#   python        python/tests against the default build
#   examples      scripts/examples_test.sh: the example programs end to end
#                 against servers on 127.0.0.1 (C, Go, Python)
#   python-pip    scripts/python_pip_test.sh: pip install ./python in a venv
#   deb           scripts/deb_test.sh: CPack .debs, lintian, dpkg -i,
#                 compat/consumer against the system library, dpkg --purge
#   conformance   compat/run.sh: reference vs Go package vs C library
#   mutations     compat/run.sh --mutations: the suite catches broken builds
#   go            scripts/go_test.sh
# Keeps going after a failure and exits non-zero if anything failed.
#
# Environment:
#   VERBOSE=1        also print every stage's full output as it runs
#   PRESETS="default asan"  a subset of the presets
#   STAGES="install python*"  only the stages matching these globs (deps
#                    always runs); their prerequisites left out are not
#                    awaited
#   CLEAN=1          wipe the preset build directories first
#
# Adding a stage: one `stage` line in the table below,
#   stage [--needs STAGE] NAME COMMAND [ARGS...]
# (scripts/stages.sh): the command's exit status is the verdict; print a
# line `N passed, M failed` for the counts and `skipped: REASON` for skips.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

source scripts/go_path.sh

presets=(${PRESETS:-default clang tsan asan})

# Sanitizer settings; also used while building (gtest_discover_tests runs the
# test binaries to list their tests). The test presets set the same.
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:history_size=4}
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

source scripts/stages.sh
stages_init "$root/build/test-logs"

# ---------------------------------------------------------------------------
# Stage commands
# ---------------------------------------------------------------------------

check_format() {
  shopt -s nullglob
  local files=(c/*.c c/*.h include/*.h tests/dlopen/*.c tests/dlopen/*.cc)
  shopt -u nullglob
  local bad=0 f
  for f in "${files[@]}"; do
    clang-format --dry-run --Werror "$f" || bad=$((bad + 1))
  done
  echo "format: $((${#files[@]} - bad)) passed, $bad failed"
  if ((bad)); then
    echo "fix with: clang-format -i c/*.c c/*.h include/*.h tests/dlopen/*.c*"
    return 1
  fi
}

# Prints "skipped: TEST: REASON" for each test ctest skipped in build dir $1:
# GoogleTest writes the GTEST_SKIP message after the "...: Skipped" line,
# and ctest keeps every test's output in Testing/Temporary/LastTest.log.
ctest_skip_reasons() {
  local log=$1/Testing/Temporary/LastTest.log
  [[ -f $log ]] || return 0
  awk '
    /^[0-9]+\/[0-9]+ Test: / { test = $3; reason = ""; next }
    /: Skipped$/ { getline reason; next }
    /^Test Failed|^Test Passed|<end of output>/ { }
    /\[  SKIPPED \]/ && test != "" && !(test in seen) {
      seen[test] = 1
      if (reason == "") reason = "no reason given"
      by[reason] = by[reason] (by[reason] == "" ? "" : ", ") test
      n[reason]++
    }
    END { for (r in by) printf "skipped: %d (%s): %s\n", n[r], by[r], r }
  ' "$log"
}

run_preset() {
  local p=$1
  [[ ${CLEAN:-0} == 1 ]] && rm -rf "build/$p"
  cmake --preset "$p" || return 1
  cmake --build --preset "$p" || return 1
  local rc=0
  ctest --preset "$p" || rc=$?
  ctest_skip_reasons "build/$p"
  return "$rc"
}

# ---------------------------------------------------------------------------
# The stages
# ---------------------------------------------------------------------------

stage deps bash scripts/deps.sh
if [[ ${verdict[deps]} != ok ]]; then # nothing else can run
  stages_summary
  exit 1
fi
stage format check_format
stage changelog bash scripts/check_changelog.sh
stage spdx bash scripts/check_spdx.sh
for p in "${presets[@]}"; do
  stage "preset-$p" run_preset "$p"
done
stage --needs preset-default install bash scripts/install_test.sh build/default
stage --needs preset-default man bash scripts/check_man.sh build/default
stage abi-baseline bash scripts/check_abi_baseline.sh
stage --needs preset-default python bash scripts/python_test.sh build/default -rs
stage --needs preset-default examples bash scripts/examples_test.sh build/default
stage python-pip bash scripts/python_pip_test.sh
stage deb bash scripts/deb_test.sh
stage conformance bash compat/run.sh
stage mutations bash compat/run.sh --mutations
stage go bash scripts/go_test.sh

stages_summary
