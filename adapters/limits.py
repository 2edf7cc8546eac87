"""Guards that keep one hostile or oversized file from exhausting a run.

Every limit is checked from cheap facts first (the file's size from ``fstat``, a zip's
central directory) so a refused file costs almost nothing to refuse. A file over a limit
becomes a Document with a ``parse-error`` finding that names the limit, so the user can
raise it in the config's ``limits:`` section when the file is legitimate.
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from ..documents import Document, LocationKind
from ..findings import make
from ..formats import DocFormat

MiB = 1024 * 1024

# A zip whose entries are all tiny can show a high ratio without being dangerous (a
# 2 KiB part of repeated spaces); the ratio only matters once there is real volume.
RATIO_FLOOR_BYTES = 1 * MiB
# A zip directory with more entries than any real document package is a resource attack
# of its own (every entry costs memory before a byte is decompressed).
MAX_ZIP_ENTRIES = 10_000


@dataclass(frozen=True)
class Limits:
    """Resource limits for every file read; ``timeout_seconds=0`` turns the time limit off."""

    max_file_bytes: int = 50 * MiB
    max_unzipped_bytes: int = 200 * MiB
    max_zip_ratio: float = 100.0
    max_pages: int = 2000
    timeout_seconds: float = 30.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            whole = f.name == "max_pages" or f.name.endswith("_bytes")
            if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
                kind = "a whole number" if whole else "a number"
                raise ValueError(f"limits.{f.name} must be {kind}, not {value!r}")
            if f.name == "timeout_seconds":
                if value < 0:
                    raise ValueError("limits.timeout_seconds must be 0 (off) or more")
            elif value <= 0:
                raise ValueError(f"limits.{f.name} must be greater than 0")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> Limits:
        """Build limits from the config's ``limits:`` mapping; sizes may be ``"50 MiB"``.

        Raises ValueError naming the key for an unknown key or a bad value.
        """
        if not data:
            return cls()
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in data.items():
            if key not in known:
                raise ValueError(f"limits.{key} is not a known limit (known: {', '.join(known)})")
            if key.endswith("_bytes"):
                values[key] = parse_size(raw, f"limits.{key}")
            elif key == "max_pages":
                if isinstance(raw, bool) or not isinstance(raw, int):
                    raise ValueError(f"limits.max_pages must be a whole number, not {raw!r}")
                values[key] = raw
            else:
                if isinstance(raw, bool) or not isinstance(raw, (int, float)):
                    raise ValueError(f"limits.{key} must be a number, not {raw!r}")
                values[key] = float(raw)
        return cls(**values)


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*$", re.I)
_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "kib": 1024,
    "ki": 1024,
    "m": 1000**2,
    "mb": 1000**2,
    "mib": MiB,
    "mi": MiB,
    "g": 1000**3,
    "gb": 1000**3,
    "gib": 1024**3,
    "gi": 1024**3,
}


def parse_size(raw: Any, name: str = "size") -> int:
    """A byte count from an int or a string such as ``"50 MiB"`` or ``"200MB"``."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        m = _SIZE.match(raw)
        if m:
            return int(float(m.group(1)) * _UNITS[(m.group(2) or "").lower()])
    raise ValueError(f"{name} must be a byte count such as 52428800 or '50 MiB', not {raw!r}")


class LimitExceeded(Exception):
    """A file is over one of the configured limits; ``limit`` is the config key."""

    def __init__(self, limit: str, message: str) -> None:
        super().__init__(message)
        self.limit = limit


class InflateBudget:
    """The bytes one file may inflate to, across all its streams or zip members together."""

    def __init__(self, limits: Limits, what: str) -> None:
        self.limit = limits.max_unzipped_bytes
        self.what = what
        self.total = 0

    def take(self, n: int) -> None:
        """Count `n` more inflated bytes; raise LimitExceeded once the total is over the limit."""
        self.total += n
        if self.total > self.limit:
            raise LimitExceeded(
                "max_unzipped_bytes",
                f"{self.what} inflates to more than {human_size(self.limit)}, over the limit "
                f"max_unzipped_bytes = {human_size(self.limit)} (a decompression bomb?)",
            )


class NotAFile(Exception):
    """The path is not a regular file (a symlink, directory, FIFO or device)."""


def human_size(n: float) -> str:
    """``52428800`` -> ``"50 MiB"``: limits are easier to read in binary units."""
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "bytes" or n == int(n) else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def read_bounded(abs_path: os.PathLike[str] | str, limits: Limits) -> bytes:
    """Read a regular file whole, refusing it before reading when it is over ``max_file_bytes``.

    The last path component is not followed when it is a symlink, and FIFOs and devices are
    refused without blocking. Raises LimitExceeded, NotAFile or OSError.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    flags |= getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(abs_path, flags)
    except OSError as exc:
        if os.path.islink(abs_path):
            raise NotAFile("is a symbolic link (not followed)") from exc
        raise
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise NotAFile("is a directory")
        if not stat.S_ISREG(st.st_mode):
            raise NotAFile("is not a regular file")
        if st.st_size > limits.max_file_bytes:
            raise LimitExceeded("max_file_bytes", _over_size(st.st_size, limits))
        # Ask for the size fstat gave, plus one byte to notice growth: a read sized by the
        # limit allocates the whole limit first (50 MiB, a tenth of a millisecond per file).
        # The file may grow between fstat and read; never read past the limit.
        want = st.st_size + 1
        data = _read_fd(fd, want)
        if len(data) == want:
            data += _read_fd(fd, limits.max_file_bytes + 1 - len(data))
    finally:
        os.close(fd)
    if len(data) > limits.max_file_bytes:
        raise LimitExceeded("max_file_bytes", _over_size(len(data), limits))
    return data


def _read_fd(fd: int, size: int) -> bytes:
    """Up to `size` bytes, fewer only at the end of the file. Straight from the descriptor:
    a buffered file object around it cost a tenth of the time of reading a short file."""
    chunks: list[bytes] = []
    while size > 0:
        chunk = os.read(fd, size)
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def check_size(size: int, limits: Limits) -> None:
    """Raise LimitExceeded when `size` bytes (of a file or a blob from git) are over ``max_file_bytes``."""
    if size > limits.max_file_bytes:
        raise LimitExceeded("max_file_bytes", _over_size(size, limits))


def _over_size(size: int, limits: Limits) -> str:
    return f"file is {human_size(size)}, over the limit max_file_bytes = {human_size(limits.max_file_bytes)}"


def check_zip_directory(zf: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse a zip bomb from its central directory, before any entry is decompressed.

    Raises LimitExceeded naming ``max_unzipped_bytes`` or ``max_zip_ratio``. Declared sizes
    are trusted here because zipfile never returns more than an entry's declared size.
    """
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise LimitExceeded("max_unzipped_bytes", f"zip package has {len(infos)} entries, more than {MAX_ZIP_ENTRIES}")
    total = 0
    packed = 0
    for info in infos:
        total += info.file_size
        packed += info.compress_size
        if info.file_size > RATIO_FLOOR_BYTES:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_zip_ratio:
                raise LimitExceeded(
                    "max_zip_ratio",
                    f"zip entry {info.filename!r} expands {ratio:.0f} times "
                    f"({human_size(info.compress_size)} to {human_size(info.file_size)}), over the "
                    f"limit max_zip_ratio = {limits.max_zip_ratio:g} (a zip bomb?)",
                )
    if total > limits.max_unzipped_bytes:
        raise LimitExceeded(
            "max_unzipped_bytes",
            f"zip package expands to {human_size(total)}, over the limit max_unzipped_bytes = "
            f"{human_size(limits.max_unzipped_bytes)} (a zip bomb?)",
        )
    if total > RATIO_FLOOR_BYTES:
        ratio = total / max(packed, 1)
        if ratio > limits.max_zip_ratio:
            raise LimitExceeded(
                "max_zip_ratio",
                f"zip package expands {ratio:.0f} times ({human_size(packed)} to "
                f"{human_size(total)}), over the limit max_zip_ratio = {limits.max_zip_ratio:g} "
                "(a zip bomb?)",
            )


def error_document(
    rel: str,
    fmt: DocFormat,
    message: str,
    *,
    location_kind: LocationKind = "line",
    hint: str | None = None,
    rule: str = "parse-error",
) -> Document:
    """The Document a file that could not be read becomes: ``error`` set, one finding."""
    finding = make(rule, message, path=rel, hint=hint)
    return Document(path=rel, format=fmt, location_kind=location_kind, problems=(finding,), error=message)


LIMIT_HINT = "Split or shrink the file, or raise the limit named in the config's `limits:` section."


def limit_document(rel: str, fmt: DocFormat, exc: LimitExceeded, *, location_kind: LocationKind = "line") -> Document:
    """A parse-error Document for a file over a limit, naming the limit."""
    return error_document(rel, fmt, str(exc), location_kind=location_kind, hint=LIMIT_HINT)


def skipped_document(rel: str, fmt: DocFormat, reason: str, *, location_kind: LocationKind = "line") -> Document:
    """A path that is not read (symlink, directory, device) and says why with `file-skipped`."""
    message = f"not read: {reason}"
    return error_document(rel, fmt, message, location_kind=location_kind, rule="file-skipped")
