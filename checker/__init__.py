"""escm-check: eSCM-SP v2 compliance checking for process repositories."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("escm-check")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"
