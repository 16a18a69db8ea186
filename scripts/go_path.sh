# SPDX-License-Identifier: BSD-3-Clause
# Sourced (not run) by the scripts that call go, from the repository root:
# Go installed by hand under /usr/local/go may be missing from PATH.
if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
  export PATH=$PATH:/usr/local/go/bin
fi
