"""Rendering and publishing (moved to qprlib.pipeline; this name stays importable)."""

import sys

from qprlib.pipeline.engines import builtin

sys.modules[__name__] = builtin
