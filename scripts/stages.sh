#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The stage runner of scripts/test.sh and scripts/main.sh (sourced):
#
#   stages_init LOGDIR        (empties LOGDIR, resets the counts)
#   stage [--needs STAGE] NAME COMMAND [ARGS...]
#   stages_summary            (the closing lines; returns 1 if a stage failed)
#
# `stage` runs COMMAND with its output in LOGDIR/NAME.log (also on the
# terminal with VERBOSE=1) and prints one line: index, name, verdict, the
# counts read from the output, the time. Its exit status is the verdict.
# Counts come from ctest's and pytest's summaries, `conformance:` and
# `mutations:` lines, go test's ok/FAIL lines, or any line
# `N passed, M failed[, K skipped]` (a new stage's script prints one).
# Lines `skipped: REASON` (and pytest -rs's `SKIPPED [N] ...`) are shown
# under the stage line; on failure, the log's path and its last TAIL_LINES
# (25) lines. STAGES="glob..." runs only the matching stages (deps always);
# a --needs prerequisite left out by STAGES is taken as met. A stage skipped
# because its prerequisite failed says so and counts as neither passed nor
# failed. The summary's last line is `checks: N passed, M failed`.

stages_init() {
  stage_logs=$1
  rm -rf "$stage_logs"
  mkdir -p "$stage_logs"
  declare -gA verdict=() # stage name -> ok | FAILED | skipped
  failed=()
  passed=0
  skipped_stages=()
  stage_index=0
}

# Prints the counts found in a stage's log (empty if none).
counts_of() {
  local log=$1 line n_ok n_fail n_skip
  line=$(grep -E '^(conformance|mutations): [0-9]+ ' "$log" | tail -n1 || true)
  if [[ -n $line ]]; then
    echo "${line#*: }"
    return
  fi
  line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n1 || true)
  if [[ -n $line ]]; then
    n_fail=$(sed -E 's/.* ([0-9]+) tests? failed out of.*/\1/' <<<"$line")
    n_ok=$(($(sed -E 's/.*failed out of ([0-9]+).*/\1/' <<<"$line") - n_fail))
    # (ctest counts skipped tests among the ones that did not fail.)
    n_skip=$(grep -cE '^[[:space:]]*[0-9]+ - .*\((Skipped|Disabled)\)' "$log" || true)
    echo "$((n_ok - n_skip)) passed, $n_fail failed, $n_skip skipped"
    return
  fi
  # pytest -q's last line: "52 passed, 1 skipped in 3.21s" (maybe in ====).
  line=$(grep -E '^=* ?[0-9]+ (passed|failed|error|skipped).* in [0-9.]+s' "$log" | tail -n1 || true)
  if [[ -n $line ]]; then
    sed -E 's/^=* ?//; s/ in [0-9.]+s.*//' <<<"$line"
    return
  fi
  line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n1 || true)
  if [[ -n $line ]]; then
    grep -oE '[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?' <<<"$line"
    return
  fi
  n_ok=$(grep -cE '^ok[[:space:]]' "$log" || true)
  n_fail=$(grep -cE '^(FAIL|--- FAIL)[[:space:]:]' "$log" || true)
  if ((n_ok + n_fail)); then
    echo "$n_ok go packages ok, $n_fail failures"
  fi
}

# stage [--needs STAGE] NAME COMMAND [ARGS...]
stage() {
  local needs=()
  while [[ $1 == --needs ]]; do
    needs+=("$2")
    shift 2
  done
  local name=$1
  shift
  if [[ $name != deps ]] && ! selected "$name"; then
    return 0
  fi
  stage_index=$((stage_index + 1))
  local head
  head=$(printf '[%2d] %-18s' "$stage_index" "$name")
  local need
  for need in "${needs[@]}"; do
    # (A prerequisite left out by STAGES is taken as met: the stage's
    # command builds what it needs.)
    if [[ ${verdict[$need]:-} != ok ]] && { [[ -z ${STAGES:-} ]] || selected "$need"; }; then
      verdict[$name]=skipped
      skipped_stages+=("$name")
      printf '%s skipped  (needs stage "%s", which %s)\n' "$head" "$need" \
        "$([[ -n ${verdict[$need]:-} ]] && echo "${verdict[$need]}" || echo "did not run")"
      return 0
    fi
  done
  local log=$stage_logs/${name// /-}.log rc=0 start=$SECONDS
  if [[ ${VERBOSE:-0} == 1 ]]; then
    printf '\n==== %s ====\n' "$name"
    "$@" 2>&1 | tee "$log" || rc=${PIPESTATUS[0]}
  else
    "$@" >"$log" 2>&1 </dev/null || rc=$?
  fi
  local secs=$((SECONDS - start)) counts
  counts=$(counts_of "$log")
  if ((rc == 0)); then
    verdict[$name]=ok
    passed=$((passed + 1))
    printf '%s ok      %-44s %4d s\n' "$head" "$counts" "$secs"
  else
    verdict[$name]=FAILED
    failed+=("$name")
    printf '%s FAILED  %-44s %4d s  (exit %d)\n' "$head" "$counts" "$secs" "$rc"
  fi
  grep -E '^(skipped: |SKIPPED \[)' "$log" | sed 's/^/       /' || true
  if ((rc != 0)); then
    echo "       log: ${log#"$PWD"/}"
    if [[ ${VERBOSE:-0} != 1 ]]; then
      grep -vE '^(skipped: |SKIPPED \[)' "$log" | tail -n "${TAIL_LINES:-25}" | sed 's/^/       | /'
    fi
  fi
  return 0
}

selected() {
  [[ -z ${STAGES:-} ]] && return 0
  local pattern patterns
  read -ra patterns <<<"$STAGES" # (split, but not expanded as file names)
  for pattern in "${patterns[@]}"; do
    # shellcheck disable=SC2053 # a glob on purpose
    [[ $1 == $pattern ]] && return 0
  done
  return 1
}

stages_summary() {
  echo "logs: ${stage_logs#"$PWD"/}/"
  if ((${#skipped_stages[@]})); then
    echo "not run: ${skipped_stages[*]}"
  fi
  if ((${#failed[@]})); then
    echo "FAILED: ${failed[*]}"
    echo "checks: ${passed} passed, ${#failed[@]} failed"
    return 1
  fi
  echo "ALL OK"
  echo "checks: ${passed} passed, 0 failed"
}
