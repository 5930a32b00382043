"""Reading one params file: YAML safely (SafeLoader only), each key checked by its setting's
checker, every problem located by file, line and key.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

import yaml

from qprlib.checkers import _calendar_problem
from qprlib.errors import ParamsError, quote
from qprlib.settings import QUARTER_FILE_ONLY, SETTINGS

DEFAULTS_FILE = "defaults.yml"
MAX_PARAMS_BYTES = 256 * 1024  # a params file is a few dozen lines; a bigger one is refused unread
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")  # but \t \n \r


def _where(path: Path, line: int | None = None, key: str | None = None) -> str:
    parts = [_shown(path)]
    if line is not None:
        parts.append(f"line {line}")
    if key is not None:
        parts.append(f"key {quote(key)}")
    return ", ".join(parts)


def _shown(path: Path) -> str:
    """A params file as the user would type it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def read_params_file(path: Path) -> dict[str, Any]:
    """One params file as {key: checked value}; every problem in it raised as one ParamsError."""
    from qprlib.io import open_problem, os_reason

    problem = open_problem(path, path.absolute().parent.resolve().parent, MAX_PARAMS_BYTES)
    if problem == "missing":
        raise ParamsError(f"{_shown(path)}: file not found")
    if problem:
        raise ParamsError(f"{_shown(path)}: {problem}")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ParamsError(f"{_shown(path)}: {os_reason(error)}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ParamsError(
            f"{_where(path, line)}: has a byte (0x{data[error.start]:02x}) that is not UTF-8 "
            "text; expected the file saved as UTF-8"
        ) from None
    bad = _CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise ParamsError(
            f"{_where(path, line)}: has a control character (U+{ord(bad[0]):04X}); expected "
            "plain text (only line breaks and tabs)"
        )
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        return _check_mapping(path, loader, root, text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        context = ""
        if error.context and error.context_mark and error.context_mark.line + 1 != line:
            context = f"{error.context} from line {error.context_mark.line + 1}: "
        raise ParamsError(
            f"{_where(path, line)}: not valid YAML ({context}{error.problem}); write one "
            "`key: value` per line and quote values that contain ':' or '#'"
        ) from None
    except yaml.YAMLError as error:
        raise ParamsError(f"{_shown(path)}: not valid YAML ({error})") from None
    except RecursionError:
        raise ParamsError(
            f"{_shown(path)}: values nested too deeply to read; expected `key: value` lines"
        ) from None
    finally:
        loader.dispose()


def _as_written(text: str, node: yaml.Node) -> str:
    """A node as it is typed in the file (a key or value quoted back in a message)."""
    if isinstance(node, yaml.ScalarNode):
        return node.value
    return " ".join(text[node.start_mark.index : node.end_mark.index].split())


def _check_mapping(path: Path, loader: yaml.SafeLoader, root: yaml.Node | None, text: str) -> dict:
    if root is None:
        return {}
    if not isinstance(root, yaml.MappingNode):
        raise ParamsError(
            f"{_where(path, root.start_mark.line + 1)}: expected `key: value` lines, "
            f"found a {root.id}"
        )
    problems, values = [], {}
    for key_node, value_node in root.value:
        line, key = key_node.start_mark.line + 1, _as_written(text, key_node)
        where = _where(path, line, key)
        if key not in SETTINGS:
            problems.append(f"{where}: unknown setting{_did_you_mean(key)}")
            continue
        if key in values:
            problems.append(f"{where}: set twice in this file; keep one")
            continue
        if key in QUARTER_FILE_ONLY and path.name == DEFAULTS_FILE:
            problems.append(f"{where}: belongs in the quarter's own file, not {DEFAULTS_FILE}")
            continue
        impossible = [
            _calendar_problem(node.value)
            for node in _scalars(value_node)
            if node.tag == "tag:yaml.org,2002:timestamp"
        ]
        if any(impossible):
            shown = quote(_as_written(text, value_node))
            problems.append(f"{where}: {shown} is not valid; {next(filter(None, impossible))}")
            continue
        try:
            raw = loader.construct_object(value_node, deep=True)
        except (ValueError, OverflowError) as error:  # anything else YAML's own reading refuses
            problems.append(f"{where}: cannot be read ({error}); write a plain value")
            continue
        except yaml.constructor.ConstructorError as error:
            problems.append(
                f"{where}: cannot be read ({error.problem}); write a plain value, "
                "YAML tags such as !!python/object are not allowed"
            )
            continue
        try:
            values[key] = SETTINGS[key](raw)
        except ValueError as error:
            problems.append(
                f"{where}: {quote(_as_written(text, value_node))} is not valid; {error}"
            )
    if problems:
        raise ParamsError(problems)
    return values


def _scalars(node: yaml.Node) -> list[yaml.ScalarNode]:
    """The scalar nodes in a value (a list's items, a mapping's keys and values)."""
    if isinstance(node, yaml.ScalarNode):
        return [node]
    if isinstance(node, yaml.SequenceNode):
        return [s for item in node.value for s in _scalars(item)]
    if isinstance(node, yaml.MappingNode):
        return [s for pair in node.value for item in pair for s in _scalars(item)]
    return []


def _did_you_mean(key: str) -> str:
    close = difflib.get_close_matches(key, SETTINGS, n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; expected one of {', '.join(SETTINGS)}"
