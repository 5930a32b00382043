"""The renderers of executed notebooks, by name: a registry, as papermill's engines.

An engine is a function `(reports, formats, work, council, slug) -> (rendered, failures)`:
it renders the checked reports into the work folder and returns a `Rendered` per report it
could make and a (report, message) per one it could not. Engines are imported only when
used, so planning and a no-change rebuild never load pandoc, Typst or nbconvert.
"""

from __future__ import annotations

import importlib
import shutil
from collections.abc import Callable, Iterable

from qprlib.pipeline.notebooks import RenderError
from qprlib.pipeline.pages import FORMATS

ENGINES: dict[str, str | Callable] = {
    "builtin": "qprlib.pipeline.engines.builtin:render_builtin",
    "quarto": "qprlib.pipeline.engines.quarto:render_quarto",
}


def register(name: str, engine: str | Callable) -> None:
    """Add (or replace) an engine: a function, or 'module:function' imported when used."""
    ENGINES[name] = engine


def engine(name: str) -> Callable:
    """The render function of engine `name` (as `choose_engine` returns it)."""
    found = ENGINES[name]
    if isinstance(found, str):
        module, _, function = found.partition(":")
        found = getattr(importlib.import_module(module), function)
    return found


def choose_engine(engine: str = "auto") -> str:
    """'quarto' when asked or when a new enough `quarto` is on PATH (auto), else 'builtin'.

    `--engine quarto` with no Quarto, or one older than the Quarto engine needs
    (`engines.quarto.QUARTO_MIN_VERSION`), is an error (exit status 2) that says what is
    needed; `auto` then uses the built-in engine.
    """
    if engine not in ("auto", *ENGINES):
        raise RenderError(f"unknown engine '{engine}'; expected auto, quarto or builtin")
    if engine not in ("auto", "quarto"):
        return engine
    quarto = shutil.which("quarto")
    if engine == "quarto" and quarto is None:
        raise RenderError(
            "--engine quarto: quarto is not on PATH; install it (quarto.org or conda-forge) "
            "or use --engine builtin"
        )
    if quarto is None:
        return "builtin"
    from qprlib.pipeline.engines.quarto import QuartoVersionError, check_quarto_version

    try:
        check_quarto_version(quarto)
    except QuartoVersionError:
        if engine == "quarto":
            raise
        return "builtin"
    return "quarto"


def check_formats(formats: Iterable[str]) -> tuple[str, ...]:
    """The formats asked for, lower case, each once; an unknown one raises RenderError."""
    chosen = tuple(dict.fromkeys(f.strip().lower() for f in formats))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise RenderError(f"unknown format(s) {unknown or '(none)'}; expected {', '.join(FORMATS)}")
    return chosen
