"""Reporters: one module per output format, each a pure `render(result) -> str`."""

from __future__ import annotations

import importlib
from collections.abc import Callable

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
