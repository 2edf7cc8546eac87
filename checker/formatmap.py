"""The configuration's `formats`: file patterns of a repository's own read with one of our readers.

A pattern is an extension (`.mdx`), a file-name glob (`*.md.erb`) or a path glob
(`source/**/*.md.erb`); names compare without case. Built-in extensions need no entry.
"""

from __future__ import annotations

from collections.abc import Mapping

from .globs import match

Formats = Mapping[str, str]


def configured_reader(rel: str, formats: Formats | None) -> str | None:
    """The reader the configuration names for `rel`, or None (the built-in table decides)."""
    if not formats:
        return None
    low = rel.lower()
    for pattern, reader in formats.items():
        p = pattern.strip().lower()
        if p.startswith(".") and "/" not in p and "*" not in p:
            if low.endswith(p):
                return reader
        elif match(p, low):
            return reader
    return None
