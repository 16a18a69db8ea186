# SPDX-License-Identifier: BSD-3-Clause
"""Makes python/liberrgroup importable from the source tree; the library
comes from LIBERRGROUP_PATH (scripts/python_test.sh sets it). With
LIBERRGROUP_TEST_INSTALLED=1 the tests use the installed package instead
(scripts/python_pip_test.sh)."""
import os
import sys

if os.environ.get("LIBERRGROUP_TEST_INSTALLED") != "1":
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
