"""`escm-check init --adopt [PATH] [--write]`: print (or write) the proposed configuration."""

from __future__ import annotations

from pathlib import Path

import click

from .adopt import list_files, propose, render, survey
from .config import CONFIG_NAME
from .exitcodes import Exit
from .rulepack import Pack


def run_adopt(target: Path, pack: Pack, *, write: bool, force: bool) -> Exit:
    """Survey `target`, print the proposed `.escm-check.yaml`; with `write`, also write it."""
    if not target.is_dir():
        click.echo(f"escm-check: {target}: no such folder", err=True)
        return Exit.USAGE
    root = target.resolve()
    found = survey(root, list_files(root), (p.id for p in pack.practices))
    text = render(propose(found), target.as_posix())
    if not write:
        click.echo(text, nl=False)
        return Exit.OK
    dest = root / CONFIG_NAME
    if dest.exists() and not force:
        click.echo(f"escm-check: {dest} exists; review the proposal without --write, or add --force", err=True)
        return Exit.USAGE
    dest.write_text(text, encoding="utf-8", newline="\n")
    click.echo(f"wrote {dest}")
    return Exit.OK
