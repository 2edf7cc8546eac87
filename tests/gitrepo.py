"""Real temporary git repositories for tests, with pinned identities and dates.

    repo = GitRepo(tmp_path)
    repo.write("a.md", doc(status="approved", version="1.0"))
    repo.commit("add a", author="Ann <ann@x>", date="2026-01-01T10:00:00+00:00",
                trailers={"Approved-by": "Bob <bob@x>"})

Every git call runs with an environment built from scratch: no user or system config, the
author, committer and their dates set through GIT_AUTHOR_* / GIT_COMMITTER_*, so hashes are
reproducible. When no date is given each commit is one hour after the previous one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

DEFAULT_AUTHOR = "Ann Author <ann@example.org>"
START = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.timezone.utc)

Trailers = Mapping[str, str] | Iterable[tuple[str, str]]


def split_ident(ident: str) -> tuple[str, str]:
    """`Name <email>` as (name, email)."""
    name, _, rest = ident.partition("<")
    return name.strip(), rest.rstrip(">").strip()


def base_env() -> dict[str, str]:
    """An environment with no inherited git state and no user or system config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        {
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_TERMINAL_PROMPT": "0",
            "LC_ALL": "C",
            "TZ": "UTC",
        }
    )
    return env


def _date_text(value: str | dt.date | dt.datetime) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return f"{value.isoformat()}T12:00:00+00:00"
    return value


def _yaml_value(value: Any) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str) and value.startswith("!raw "):
        return value[5:]  # written exactly, e.g. an unquoted 2.10
    return json.dumps(value)  # JSON strings, lists and mappings are valid YAML flow values


def doc(body: str = "# Purpose\n\nThis procedure says how documents are changed and approved.\n", **meta: Any) -> str:
    """A Markdown document with front matter; keys keep the order given.

    Strings are written quoted; a string starting with ``!raw `` is written as is.
    """
    lines = ["---"]
    lines += [f"{k}: {_yaml_value(v)}" for k, v in meta.items()]
    lines += ["---", ""]
    return "\n".join(lines) + body


class GitRepo:
    """A git repository in a temporary directory, driven by real git commands."""

    def __init__(self, path: Path, *, init: bool = True, branch: str = "main") -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.clock = START
        if init:
            self.git("init", "-q", "-b", branch)
            self.git("config", "commit.gpgsign", "false")
            self.git("config", "core.autocrlf", "false")

    # -- running git

    def env(
        self,
        author: str = DEFAULT_AUTHOR,
        committer: str | None = None,
        date: str | dt.date | dt.datetime | None = None,
        committer_date: str | dt.date | dt.datetime | None = None,
    ) -> dict[str, str]:
        """The environment of one commit: identities and dates pinned."""
        when = _date_text(date) if date is not None else self.clock.isoformat()
        an, ae = split_ident(author)
        cn, ce = split_ident(committer or author)
        env = base_env()
        env.update(
            {
                "GIT_AUTHOR_NAME": an,
                "GIT_AUTHOR_EMAIL": ae,
                "GIT_AUTHOR_DATE": when,
                "GIT_COMMITTER_NAME": cn,
                "GIT_COMMITTER_EMAIL": ce,
                "GIT_COMMITTER_DATE": _date_text(committer_date) if committer_date else when,
            }
        )
        return env

    def git(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        check: bool = True,
        cwd: Path | None = None,
        input_text: str | None = None,
    ) -> str:
        """Run git in the repository and return its stdout as text."""
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd or self.path,
            env=dict(env or self.env()),
            input=input_text,
            capture_output=True,
            text=True,
            check=False,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr.strip()}")
        return proc.stdout

    # -- files

    def write(self, rel: str, text: str | bytes) -> Path:
        """Write a file (creating folders); text is written with LF line ends as given."""
        p = self.path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_bytes(text.encode("utf-8"))
        return p

    def read(self, rel: str) -> str:
        """A file's text."""
        return (self.path / rel).read_text(encoding="utf-8")

    def remove(self, rel: str) -> None:
        """Delete a file from the working tree (the next commit records the deletion)."""
        (self.path / rel).unlink()

    # -- history

    def commit(
        self,
        message: str = "change",
        *,
        author: str = DEFAULT_AUTHOR,
        committer: str | None = None,
        date: str | dt.date | dt.datetime | None = None,
        committer_date: str | dt.date | dt.datetime | None = None,
        trailers: Trailers | None = None,
        paths: Iterable[str] | None = None,
        allow_empty: bool = False,
        hooks: bool = False,
    ) -> str:
        """Stage everything (or `paths`) and commit; return the new commit's hash.

        `trailers` become the message's final paragraph. Without `date` the commit is one
        hour after the previous one. Hooks run only when `hooks` is true.
        """
        if paths is None:
            self.git("add", "-A")
        else:
            self.git("add", "--", *paths)
        items = list(trailers.items() if isinstance(trailers, Mapping) else (trailers or []))
        if items:
            message = message.rstrip("\n") + "\n\n" + "\n".join(f"{k}: {v}" for k, v in items)
        args = ["commit", "-q", "--cleanup=verbatim", "-m", message]
        if not hooks:
            args.append("--no-verify")
        if allow_empty:
            args.append("--allow-empty")
        self.git(*args, env=self.env(author, committer, date, committer_date))
        self._tick(date, committer_date)
        return self.head()

    def _tick(self, *dates: str | dt.date | dt.datetime | None) -> None:
        latest = self.clock
        for d in dates:
            if d is not None:
                latest = max(latest, dt.datetime.fromisoformat(_date_text(d)))
        self.clock = latest + dt.timedelta(hours=1)

    def head(self) -> str:
        """The hash HEAD points to."""
        return self.git("rev-parse", "HEAD").strip()

    def rev(self, name: str) -> str:
        """The commit hash of a revision."""
        return self.git("rev-parse", f"{name}^{{commit}}").strip()

    def branch(self, name: str, start: str = "HEAD") -> None:
        """Create and check out a branch."""
        self.git("checkout", "-q", "-b", name, start)

    def checkout(self, name: str, *, detach: bool = False) -> None:
        """Check out a branch or commit."""
        self.git("checkout", "-q", *(["--detach"] if detach else []), name)

    def merge(
        self,
        branch: str,
        *,
        message: str | None = None,
        committer: str = DEFAULT_AUTHOR,
        date: str | dt.date | dt.datetime | None = None,
        trailers: Trailers | None = None,
    ) -> str:
        """Merge `branch` into the current branch with a merge commit (never fast-forward)."""
        msg = message or f"Merge branch '{branch}'"
        items = list(trailers.items() if isinstance(trailers, Mapping) else (trailers or []))
        if items:
            msg += "\n\n" + "\n".join(f"{k}: {v}" for k, v in items)
        self.git("merge", "-q", "--no-ff", "--no-edit", "-m", msg, branch, env=self.env(committer, committer, date))
        self._tick(date)
        return self.head()

    def object_path(self, sha: str) -> Path:
        """Where a loose object lives in .git/objects."""
        return self.path / ".git" / "objects" / sha[:2] / sha[2:]

    def blob(self, rev: str, rel: str) -> str:
        """The blob id of `rel` at `rev`."""
        return self.git("rev-parse", f"{rev}:{rel}").strip()

    def install_hook(self, name: str, script: str) -> Path:
        """Write an executable hook script into .git/hooks."""
        hook = self.path / ".git" / "hooks" / name
        hook.parent.mkdir(parents=True, exist_ok=True)
        hook.write_text(script, encoding="utf-8")
        hook.chmod(0o755)
        return hook
