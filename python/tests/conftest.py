"""Makes python/liberrgroup.py importable; the library comes from
LIBERRGROUP_PATH (scripts/python_test.sh sets it)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
