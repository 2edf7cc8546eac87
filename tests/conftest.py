"""Test-wide setup: checks run in this process keep their cache out of the user's own."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache-home"))
    yield
    if before is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = before


def pytest_collection_finish(session: pytest.Session) -> None:
    """The coverage floor in pyproject's addopts is for the whole suite: a run of chosen test
    files, or one narrowed by -k or -m, still reports coverage but does not fail on it."""
    cov = session.config.pluginmanager.get_plugin("_cov")
    opts = session.config.option
    whole = session.config.args_source == pytest.Config.ArgsSource.TESTPATHS and not opts.keyword and not opts.markexpr
    if cov is not None and not whole:
        cov.options.cov_fail_under = None
