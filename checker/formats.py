"""The built-in document formats: each file extension, its reader, and what its history holds.

Discovery, reading, the history, the cache, adoption and the legacy-file warning all ask here,
so a file is read the same way everywhere. The configuration's `formats` maps a repository's
own patterns to a reader and is consulted first: an extension (`.mdx`), a file-name pattern
(`*.md.erb`) or a path pattern (`source/**/*.md.erb`), with .gitignore syntax but naming the
file itself, never a folder above it; names compare without case.

A file of no format here is still read when a sidecar ``NAME.ext.yaml`` describes it; sidecars
themselves are never documents. This module sits at the bottom of the package: it imports
nothing of the pipeline.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from typing import Literal

import msgspec

from .pathpatterns import PatternError, check_pattern, name_pattern

Reader = Literal["markdown", "docx", "pdf"]
READERS: tuple[Reader, ...] = ("markdown", "docx", "pdf")  # the names a `formats` entry may give
# A document's format: a reader, or "sidecar" for a file known only through its sidecar.
DocFormat = Literal["markdown", "docx", "pdf", "sidecar"]
Formats = Mapping[str, str]

SIDECAR_SUFFIX = ".yaml"  # report.pdf -> report.pdf.yaml: the described file's full name, then this
SIDECAR_SUFFIXES = (".yaml", ".yml")  # names that may describe another file


class Format(msgspec.Struct, frozen=True):
    """How files of one extension are read."""

    reader: Reader | None  # None: read only through a sidecar
    history: bool  # each committed version's metadata is read from its blob
    legacy: bool = False  # an older office format no reader opens: a warning that says "convert it"


BUILT_IN: Mapping[str, Format] = {
    ".md": Format("markdown", history=True),
    ".markdown": Format("markdown", history=True),
    ".docx": Format("docx", history=True),
    ".docm": Format("docx", history=True),
    ".pdf": Format("pdf", history=True),
    # A .doc goes to the Word reader so the user hears "convert it", not silence.
    ".doc": Format("docx", history=False, legacy=True),
    ".xls": Format(None, history=False, legacy=True),
    ".ppt": Format(None, history=False, legacy=True),
}
_READER_NAMES: Mapping[str, Reader] = {r: r for r in READERS}


def _parts(rel: str) -> tuple[str, str]:
    # (file name, last extension in lower case): computed once per call, as discovery and
    # the history ask for every path of a large repository
    name = rel[rel.rfind("/") + 1 :]
    dot = name.rfind(".")
    return name, name[dot:].lower() if dot >= 0 else ""


def _is_sidecar(name: str, ext: str) -> bool:
    return ext in SIDECAR_SUFFIXES and "." in name[: -len(ext)].strip(".")


def built_in(rel: str) -> Format | None:
    """The built-in format of `rel` by its extension, or None."""
    return BUILT_IN.get(_parts(rel)[1])


def is_legacy(rel: str) -> bool:
    """A binary format of an older office suite that the checker cannot read."""
    fmt = built_in(rel)
    return fmt is not None and fmt.legacy


def sidecar_rel(rel: str) -> str:
    """The repository-relative path of a document's sidecar."""
    return rel + SIDECAR_SUFFIX


def is_sidecar_name(rel: str) -> bool:
    """True for ``x.pdf.yaml`` / ``audit-log.xlsx.yml``: a file that describes another file."""
    return _is_sidecar(*_parts(rel))


def is_suffix(pattern: str) -> bool:
    """`.mdx`: an extension, compared with the end of the name rather than as a pattern."""
    return pattern.startswith(".") and "/" not in pattern and "*" not in pattern


def check_format_pattern(pattern: str) -> None:
    """Raise PatternError when a `formats` key cannot name files: a reader is chosen, never refused."""
    p = pattern.strip().lower()
    if p.startswith("!"):
        raise PatternError(pattern, "a formats pattern names files to read and cannot be negated with '!'")
    if p.endswith("/"):
        raise PatternError(pattern, "a formats pattern names files, not folders: remove the trailing '/'")
    if not is_suffix(p):
        try:
            check_pattern(p)
            check_pattern(p.rsplit("/", 1)[-1])
        except PatternError as exc:
            raise PatternError(pattern, f"{exc.reason} (names compare without case, as {p!r})") from None


def configured_reader(rel: str, formats: Formats | None) -> Reader | None:
    """The reader the configuration's `formats` names for `rel`, or None."""
    if not formats:
        return None
    low = rel.lower()
    name = low.rsplit("/", 1)[-1]
    for pattern, reader in formats.items():
        p = pattern.strip().lower()
        if is_suffix(p):
            if low.endswith(p):
                return _READER_NAMES.get(reader)
        elif _names_file(p, low, name):
            return _READER_NAMES.get(reader)
    return None


def _names_file(pattern: str, low: str, name: str) -> bool:
    """The pattern matches the file itself: its last part the file's name, and all of it the
    path when it has a `/` (a gitignore pattern alone would also take in a matching folder's files)."""
    if not name_pattern(pattern.rsplit("/", 1)[-1]).matches(name):
        return False
    return "/" not in pattern or name_pattern(pattern).matches(low)


def reader_for(rel: str, formats: Formats | None = None) -> Reader | None:
    """The reader of `rel` by its name: the configuration's `formats`, then the built-in table.

    Sidecars are never documents, whatever the configuration says.
    """
    return _reader(rel, *_parts(rel), formats)


def _reader(rel: str, name: str, ext: str, formats: Formats | None) -> Reader | None:
    if not name or _is_sidecar(name, ext):
        return None
    if formats:
        configured = configured_reader(rel, formats)
        if configured is not None:
            return configured
    fmt = BUILT_IN.get(ext)
    return fmt.reader if fmt is not None else None


def classify(rel: str, present: Container[str] | None = None, formats: Formats | None = None) -> DocFormat | None:
    """``markdown``, ``docx``, ``pdf``, ``sidecar`` or None (not a document).

    Any file without a reader is a ``sidecar`` document when ``present`` (the paths in the
    repository) holds its sidecar ``rel + ".yaml"``; without ``present`` such files are None.
    """
    name, ext = _parts(rel)
    reader = _reader(rel, name, ext, formats)
    if reader is not None or present is None:
        return reader
    if not name or ext in SIDECAR_SUFFIXES:
        return None
    return "sidecar" if sidecar_rel(rel) in present else None


def history_kind(rel: str, formats: Formats | None = None) -> DocFormat | None:
    """How each committed version's metadata of `rel` is read from its blob; None when it is not.

    A document's own reader where its format allows, "sidecar" for a YAML file (the sidecar
    of a document, whose history holds that document's metadata).
    """
    name, ext = _parts(rel)
    if formats and not _is_sidecar(name, ext):
        configured = configured_reader(rel, formats)
        if configured is not None:
            return configured
    if ext in SIDECAR_SUFFIXES:
        return "sidecar"
    fmt = BUILT_IN.get(ext)
    return fmt.reader if fmt is not None and fmt.history else None
