"""escm-check: eSCM-SP v2 compliance checking for process repositories."""

from typing import Any


def __getattr__(name: str) -> Any:
    # looked up on first use: importlib.metadata and the search for the installed
    # distribution cost a check's start-up some tens of milliseconds it rarely needs
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("escm-check")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        found = "0.0.0"
    globals()["__version__"] = found
    return found
