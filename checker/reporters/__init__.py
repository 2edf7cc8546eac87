"""Reporters: one module per output format, each a pure `render(result) -> str`.

A format whose reports grow with the history (JSON, SARIF) also has `render_bytes`: the
same report as UTF-8 byte chunks, which the command line writes without holding the text.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable

from ..result import CheckResult

FORMATS: tuple[str, ...] = ("text", "json", "sarif", "junit", "markdown", "html")

Render = Callable[[CheckResult], str]


def get_reporter(fmt: str) -> Render:
    """The render function of a format; ValueError for an unknown one."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    module = importlib.import_module(f"{__name__}.{fmt}_report")
    render: Render = module.render
    return render


def get_encoder(fmt: str) -> Callable[[CheckResult], Iterable[bytes]]:
    """The format's report as UTF-8 byte chunks to write in order: its `render_bytes`, or
    its `render` encoded; ValueError for an unknown format."""
    render = get_reporter(fmt)  # checks the name and imports the module
    module = importlib.import_module(f"{__name__}.{fmt}_report")
    chunks: Callable[[CheckResult], Iterable[bytes]] | None = getattr(module, "render_bytes", None)
    return chunks if chunks is not None else lambda result: (render(result).encode("utf-8"),)
