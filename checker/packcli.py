"""`escm-check pack`: validate a rule pack and print its reference.

Registered on the main group with `main.add_command(pack)`.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import click

from .exitcodes import Exit
from .guard import guarded
from .rulepack import Pack, PackError, load_pack


@click.group("pack")
def pack() -> None:
    """Work with rule packs: validate one, or print its reference."""


def _load(target: str, *, built: bool = True) -> Pack:
    """Load DIR (or a built-in pack name); print every located problem and exit 2 on failure.

    `built` False: a bundled pack is read from its rule files too, never from its built form."""
    try:
        return load_pack(target, Path.cwd(), built=built)
    except PackError as exc:
        for problem in exc.problems:
            click.echo(str(problem))
        n = len(exc.problems)
        click.echo(f"escm-check: {target}: {n} problem{'s' if n != 1 else ''}; the pack cannot be used", err=True)
        sys.exit(int(Exit.USAGE))


@pack.command("validate")
@click.argument("target", metavar="DIR")
@guarded
def validate(target: str) -> None:
    """Check the pack in DIR (or a built-in pack name): schema, references, numbering, counts.

    Prints `file:line: problem` for each problem and exits 2, or prints a summary and exits 0.
    A pack that extends another is checked after the merge, and the pack it extends must be valid.
    """
    p = _load(target, built=False)  # what is validated is the files themselves
    levels = Counter(x.level for x in p.practices)
    out_of_scope = [x.id for x in p.practices if not x.in_scope]
    tailored = [x.id for x in p.practices if x.tailoring]
    head = f"{p.id} {p.version}: {p.name}" + (f" (extends {p.extends})" if p.extends else "")
    lines = [
        f"ok: {head}",
        f"  {len(p.practices)} Practices in {len(p.areas)} areas; "
        + ", ".join(f"level {lv.level} {lv.name}: {levels.get(lv.level, 0)}" for lv in p.levels),
        f"  {sum(len(x.activities) for x in p.practices)} Required Activities; "
        f"documentation types: {', '.join(p.doc_types) or 'none'}",
    ]
    if tailored:
        lines.append(f"  tailored: {', '.join(tailored)}")
    if out_of_scope:
        lines.append(f"  out of scope: {', '.join(out_of_scope)}")
    if p.notice:
        lines.append(f"  notice: {' '.join(p.notice.split())}")
    click.echo("\n".join(lines))


@pack.command("docs")
@click.argument("target", metavar="DIR")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the Markdown to this file instead of standard output.",
)
@guarded
def docs(target: str, output: Path | None) -> None:
    """Print a Markdown reference of the pack in DIR (or a built-in pack name)."""
    from .packdocs import render_pack_docs

    text = render_pack_docs(_load(target))
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
