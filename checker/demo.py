"""`escm-check demo`: replay the bundled example's scripted history into a fresh repository."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

import click
import yaml

from .exitcodes import Exit
from .gitrun import git_env

HISTORY = "evidence_history.yaml"


def examples_dir() -> Path:
    """The bundled examples folder (from the source tree or the installed package)."""
    return Path(str(resources.files("escm_check.examples")))


def _set_front_matter(text: str, values: dict[str, Any]) -> str:
    """Replace (or add) top-level front-matter keys, keeping everything else byte for byte."""
    if not values:
        return text
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return text
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        return text
    for key, value in values.items():
        if isinstance(value, str):
            shown = json.dumps(value)
        elif isinstance(value, (dt.date, dt.datetime)):
            shown = value.isoformat()
        else:
            shown = json.dumps(value)  # JSON scalars, lists and mappings are YAML flow values
        rendered = f"{key}: {shown}"
        pat = re.compile(rf"^{re.escape(key)}\s*:")
        for i in range(1, end):
            if pat.match(lines[i]):
                # drop continuation lines of a block value
                j = i + 1
                while j < end and (lines[j].startswith((" ", "\t", "-")) and lines[j].strip()):
                    j += 1
                lines[i:j] = [rendered]
                end -= j - i - 1
                break
        else:
            lines.insert(end, rendered)
            end += 1
    return "\n".join(lines)


def _person(text: str) -> tuple[str, str]:
    m = re.match(r"^\s*(.*?)\s*<([^>]+)>\s*$", text)
    if not m:
        raise ValueError(f"expected 'Name <email>', got {text!r}")
    return m.group(1), m.group(2)


def replay(history_file: Path, source: Path, target: Path) -> int:
    """Build the repository at `target` commit by commit; return the number of commits."""
    spec = yaml.safe_load(history_file.read_text(encoding="utf-8"))
    env = git_env()
    subprocess.run(["git", "init", "-q", "-b", "main", str(target)], check=True, env=env)
    n = 0
    for c in spec["commits"]:
        for f in c.get("files", []):
            rel = f["path"]
            src = source / rel
            dst = target / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            data = src.read_bytes()
            if f.get("front_matter") or f.get("body_append"):
                text = _set_front_matter(data.decode("utf-8"), dict(f.get("front_matter") or {}))
                if f.get("body_append"):
                    text = text.rstrip("\n") + "\n\n" + str(f["body_append"]).rstrip("\n") + "\n"
                data = text.encode("utf-8")
            dst.write_bytes(data)
        for rel in c.get("delete", []) or []:
            (target / rel).unlink(missing_ok=True)
        author = _person(c["author"])
        committer = _person(c.get("committer") or c["author"])
        when = c["date"]
        when = when.isoformat() if isinstance(when, (dt.date, dt.datetime)) else str(when)
        cenv = {
            **env,
            "GIT_AUTHOR_NAME": author[0],
            "GIT_AUTHOR_EMAIL": author[1],
            "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_NAME": committer[0],
            "GIT_COMMITTER_EMAIL": committer[1],
            "GIT_COMMITTER_DATE": when,
        }
        subprocess.run(["git", "-C", str(target), "add", "-A"], check=True, env=cenv)
        subprocess.run(
            [
                "git",
                "-C",
                str(target),
                "-c",
                "commit.gpgsign=false",
                "commit",
                "-q",
                "--allow-empty",
                "-m",
                c["message"].rstrip("\n"),
            ],
            check=True,
            env=cenv,
        )
        n += 1
    return n


def run_demo(target: Path | None, fmt: str) -> Exit:
    """Replay the example, check it, print the report; exit 0 when the demonstration ran."""
    from .runner import CheckRequest, run

    ex = examples_dir()
    history_file = ex / HISTORY
    spec = yaml.safe_load(history_file.read_text(encoding="utf-8"))
    source = ex / spec.get("repository", "evidence_repo")
    if target is None:
        target = Path(tempfile.mkdtemp(prefix="escm-check-demo-"))
    elif target.exists() and any(target.iterdir()):
        click.echo(f"escm-check: {target} is not empty; choose a new folder", err=True)
        return Exit.USAGE
    n = replay(history_file, source, target)
    click.echo(f"Demo repository: {target} ({n} commits replayed from {HISTORY})", err=True)
    click.echo(f"Look around: cd {target} && git log --format='%h %an %s' | head", err=True)
    click.echo("", err=True)
    run(CheckRequest(path=target, formats=(fmt,)))
    return Exit.OK
