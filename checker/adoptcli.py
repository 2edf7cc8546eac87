"""`escm-check init --adopt [PATH] [--write]`: print (or write) the proposed configuration."""

from __future__ import annotations

from pathlib import Path

import click

from .adopt import list_files, propose, render, survey
from .config import CONFIG_NAME, load_config
from .crosswalk import DEFAULT_NAME, write_crosswalk
from .exitcodes import Exit
from .maprun import map_repository, suggestions
from .rulepack import Pack

DRAFT_TOP = 3  # Practices suggested per document in the draft crosswalk


def run_adopt(target: Path, pack: Pack, *, write: bool, force: bool) -> Exit:
    """Survey `target` and print the proposed `.escm-check.yaml`; with `write`, write it and a
    draft crosswalk of `map`'s suggestions (neither file is overwritten without `force`)."""
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
    cw_file = root / DEFAULT_NAME
    if cw_file.exists() and not force:
        click.echo(f"escm-check: {cw_file} exists; run `escm-check map --write-crosswalk` to add to it", err=True)
        return Exit.USAGE
    dest.write_text(text, encoding="utf-8", newline="\n")
    click.echo(f"wrote {dest}")
    # the draft crosswalk is ranked with the configuration just written, as `map` would
    result = map_repository(root, load_config(dest), pack, DRAFT_TOP)
    entries = suggestions(result)
    write_crosswalk(cw_file, entries, pack.name)
    click.echo(f"wrote {cw_file}: {len(entries)} suggestion(s), none counted until you accept them")
    return Exit.OK
