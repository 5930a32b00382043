"""`qpr build` (moved to qprlib.pipeline; this name stays importable)."""

import sys

from qprlib.pipeline import execute

sys.modules[__name__] = execute
