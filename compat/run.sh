#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The conformance suite's one entry point (see compat/README.md):
#   compat/run.sh                  build the runners, run every scenario on
#                                  every side, print the table and the
#                                  "conformance: ..." line
#   compat/run.sh --regen-golden   rewrite compat/golden/ from the reference
#   compat/run.sh --mutations      the mutation check of the C library
#   compat/run.sh --seed N         reproduce a run of generated scenarios
#   compat/run.sh FILE.scn...      only these scenarios
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/go_path.sh
exec python3 compat/conformance.py "$@"
