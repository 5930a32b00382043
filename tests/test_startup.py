"""qprlib.startup: nbformat imports without compiling IRI grammars; IRI checks still work."""

import subprocess
import sys

import pytest

pytest.importorskip("rfc3987_syntax")

CHECK = """
import sys
import qprlib
import nbformat
print("compiled" if "rfc3987_syntax.syntax_helpers" in sys.modules else "deferred")
import jsonschema
checker = jsonschema.Draft7Validator.FORMAT_CHECKER
v = jsonschema.Draft7Validator({"format": "iri"}, format_checker=checker)
print(v.is_valid("https://example.org/caf\u00e9"), v.is_valid("no scheme here"))
print("compiled" if "rfc3987_syntax.syntax_helpers" in sys.modules else "deferred")
"""


@pytest.mark.slow  # a fresh interpreter that compiles the grammar at the end (~2 s)
def test_nbformat_imports_without_the_iri_grammar_and_iri_checks_still_work():
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["deferred", "True", "False", "compiled"]
