"""Process start-up: put off an import that costs every build process seconds and is never used.

`nbformat` (so papermill, nbconvert and the renderer) imports `jsonschema`, whose format
checkers import `rfc3987_syntax` eagerly; that module compiles Lark grammars for IRIs when it
is imported: about 2 s of CPU in each of a build's processes (python-jsonschema/jsonschema
issue 1428). Notebook schemas have no IRI formats. `defer_iri_grammar` installs a stand-in
that imports the real module the first time anything is asked of it, so IRI checks still
behave exactly as before, only later.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

SLOW_MODULE = "rfc3987_syntax"


def defer_iri_grammar() -> None:
    """Replace `rfc3987_syntax`, unless already imported or not installed, by a lazy stand-in."""
    if SLOW_MODULE in sys.modules or importlib.util.find_spec(SLOW_MODULE) is None:
        return
    stand_in = types.ModuleType(SLOW_MODULE, "Imports rfc3987_syntax when first used.")

    def real() -> types.ModuleType:
        if sys.modules.get(SLOW_MODULE) is stand_in:
            del sys.modules[SLOW_MODULE]
        return importlib.import_module(SLOW_MODULE)

    def is_valid_syntax(term: str, value: str) -> bool:  # what jsonschema imports by name
        return real().is_valid_syntax(term, value)

    def attribute(name: str):
        if name.startswith("__"):  # the import system probing (__path__, __spec__...)
            raise AttributeError(name)
        return getattr(real(), name)

    stand_in.is_valid_syntax = is_valid_syntax
    stand_in.__getattr__ = attribute
    sys.modules[SLOW_MODULE] = stand_in
