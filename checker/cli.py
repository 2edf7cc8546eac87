"""Command-line interface: parse options, build the objects, run, return a named exit code."""

from __future__ import annotations

import datetime as dt
import difflib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from .display import printable
from .exitcodes import Exit
from .guard import guarded, run_guarded
from .packcli import pack
from .rulepack import PackError


class DefaultGroup(click.Group):
    """A group whose first argument, when not a command, goes to `check`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")):
            args = ["check", *args]
        return super().parse_args(ctx, args)


def _fail(message: str, code: Exit = Exit.USAGE) -> None:
    click.echo(f"escm-check: {message}", err=True)
    sys.exit(int(code))


def _parse_date(value: str | None, what: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        _fail(f"{what}: not a date in YYYY-MM-DD form: {value!r}")
    return None


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from . import __version__  # looked up only when asked for

    click.echo(f"escm-check, version {__version__}")
    ctx.exit()


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_version,
    help="Show the version and exit.",
)
def main() -> None:
    """Check a process repository against a capability model (eSCM-SP v2 by default).

    With no command, runs `check` on the current folder.
    """


@main.command()
@click.argument("path", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Configuration file (default: nearest .escm-check.yaml or pyproject.toml).",
)
@click.option("--model", help="Built-in rule pack (default escm-sp-v2).")
@click.option("--rules", "rules_dir", help="Folder of an organization's rule pack.")
@click.option("--target-level", type=click.IntRange(1, 5), help="Capability Level the gate requires.")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Evaluation date (default: config as_of, else today).")
@click.option(
    "--format",
    "formats",
    multiple=True,
    metavar="FORMAT",
    help="text, json, sarif, junit, markdown or html; repeat for several (pair with --output).",
)
@click.option(
    "--output",
    "outputs",
    multiple=True,
    metavar="FILE",
    help="Write the report to FILE ('-' for stdout); the n-th --output goes with the n-th --format.",
)
@click.option("--since", metavar="REV", help="Compare with the repository at REV and report regressions.")
@click.option("--fail-on-regression", is_flag=True, help="A regression since REV fails the gate.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the parse cache.")
@click.option(
    "--jobs",
    type=click.IntRange(1, 256),
    help="Worker processes (default: one per core) for reading documents and judging history.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only the verdict.")
@click.option("-v", "--verbose", is_flag=True, help="Hints, info findings, and tracebacks on internal errors.")
def check(
    path: Path,
    config_file: Path | None,
    model: str | None,
    rules_dir: str | None,
    target_level: int | None,
    as_of: str | None,
    formats: Sequence[str],
    outputs: Sequence[str],
    since: str | None,
    fail_on_regression: bool,
    no_cache: bool,
    jobs: int | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Check PATH (default: the current folder) and report gaps per Practice."""
    from .runner import CheckRequest, run

    request = CheckRequest(
        path=path,
        config_file=config_file,
        model=model,
        rules_dir=rules_dir,
        target_level=target_level,
        as_of=_parse_date(as_of, "--as-of"),
        formats=tuple(formats) or ("text",),
        outputs=tuple(outputs),
        since=since,
        fail_on_regression=fail_on_regression,
        use_cache=not no_cache,
        jobs=jobs,
        quiet=quiet,
        verbose=verbose,
    )
    sys.exit(int(run_guarded(lambda: run(request), verbose)))


def _pack(model: str | None, rules_dir: str | None) -> Any:
    return _pack_and_config(model, rules_dir, None, False)[0]


def _pack_and_config(
    model: str | None, rules_dir: str | None, config_file: str | None, find: bool = True
) -> tuple[Any, Any]:
    """The rule pack and the configuration: the one given, else (with `find`) the nearest one above
    the working folder, as a check of it would read them."""
    from .config import ConfigError, load_config
    from .runner import pack_for, resolve_config

    overrides: dict[str, object] = {"model": model, "rules": rules_dir}
    try:
        if find:
            cfg = resolve_config(Path.cwd(), Path(config_file) if config_file else None, overrides)
        else:
            cfg = load_config(None, overrides)
    except ConfigError as exc:
        _fail(f"configuration error: {exc}")
    try:
        # through the default cache, which remembers rule files as it does for checks
        return pack_for(cfg, Path.cwd()), cfg
    except PackError as exc:
        _fail(f"rule pack error:\n{exc}")
    raise AssertionError("unreachable: _fail exits")


@main.command()
@click.option("--model", help="Built-in rule pack (default escm-sp-v2).")
@click.option("--rules", "rules_dir", help="Folder of an organization's rule pack.")
@click.option("--level", type=int, help="Only Practices of this Capability Level.")
@click.option("--area", help="Only Practices of this Capability Area (e.g. knw).")
@click.option("--type", "doc_type", help="Only Practices of this documentation type (use 'none' for none).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--config", "config_file", help="Configuration file (default: the nearest one above this folder).")
@guarded
def practices(
    model: str | None,
    rules_dir: str | None,
    level: int | None,
    area: str | None,
    doc_type: str | None,
    fmt: str,
    config_file: str | None,
) -> None:
    """List the Practices of the model (JSON: with each activity's evidence rules)."""
    from .explain import practices_json, practices_text

    pack, cfg = _pack_and_config(model, rules_dir, config_file)
    want_type = None if doc_type in (None, "") else doc_type.lower()
    rows = [
        p
        for p in pack.practices
        if (level is None or p.level == level)
        and (area is None or p.area == area.lower())
        and (want_type is None or (p.type or "none") == want_type)
    ]
    if fmt == "json":
        click.echo(json.dumps(practices_json(pack, rows, cfg.record_max_age), indent=2))
        return
    click.echo(practices_text(rows), nl=False)


@main.command()
@click.argument("practice")
@click.option("--model", help="Built-in rule pack (default escm-sp-v2).")
@click.option("--rules", "rules_dir", help="Folder of an organization's rule pack.")
@click.option("--config", "config_file", help="Configuration file (default: the nearest one above this folder).")
@guarded
def explain(practice: str, model: str | None, rules_dir: str | None, config_file: str | None) -> None:
    """Explain one Practice: the documents it expects, what to write and keep for each activity, and how."""
    from .explain import render_explain

    pack, cfg = _pack_and_config(model, rules_dir, config_file)
    p = pack.practice(practice.lower())
    if p is None:
        near = difflib.get_close_matches(practice.lower(), [x.id for x in pack.practices], n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        _fail(f"unknown Practice {practice!r}{hint}")
        return
    click.echo(render_explain(pack, p, cfg.record_max_age), nl=False)


@main.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@guarded
def rules_cmd(fmt: str) -> None:
    """List every finding slug with its meaning and fix hint."""
    from .findings import CATALOGUE

    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {"rule": r.slug, "severity": r.severity, "meaning": r.meaning, "hint": r.hint}
                    for r in CATALOGUE.values()
                ],
                indent=2,
            )
        )
        return
    for r in CATALOGUE.values():
        click.echo(f"{r.slug} ({r.severity})\n    {r.meaning}\n    fix: {r.hint}")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@guarded
def inspect(files: Sequence[Path], fmt: str) -> None:
    """Show what the checker reads in each FILE: metadata, sections, tags and errors."""
    from .adapters.limits import Limits
    from .inspect import inspect_documents, render_inspect_text
    from .parsing import read_all

    docs = []
    for f in files:
        full = f.absolute()
        if not (full.exists() or full.is_symlink()):
            _fail(f"{f}: no such file")
        # read_all, not read_one: the per-file time limit must hold here too
        docs += read_all(full.parent, [full.name], Limits())
    report = inspect_documents(docs)
    if fmt == "json":
        click.echo(json.dumps(report, indent=2, sort_keys=True))
    else:
        click.echo(render_inspect_text(report), nl=False)


@main.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format."
)
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Evaluation date (default: config as_of, else today).")
@click.option("-v", "--verbose", is_flag=True, help="Show hints.")
def staged(files: Sequence[Path], config_file: Path | None, fmt: str, as_of: str | None, verbose: bool) -> None:
    """Check FILES as staged (the pre-commit hook): the check's findings for this change.
    With no FILES, every file staged in the current repository.

    Each file's version in the index is judged against its version at HEAD by the check's
    own rules; what only the commit or the whole repository can show is left to the check.
    """
    from .findings import sort_findings
    from .reporters.json_report import findings_as_dict
    from .runner import pack_for, resolve_config
    from .staged import check_staged, staged_files

    when = _parse_date(as_of, "--as-of")

    def go() -> Exit:
        cfg = resolve_config(Path.cwd(), config_file, {})
        chosen = list(files) or staged_files(Path.cwd())
        present = [f for f in chosen if f.is_file() or f.is_symlink()]
        findings = sort_findings(check_staged(present, pack_for(cfg, Path.cwd()), cfg, when))
        errors = sum(1 for f in findings if f.severity == "error")
        if fmt == "json":
            click.echo(json.dumps(findings_as_dict(findings), indent=2, sort_keys=True))
            return Exit.GATE_FAILED if errors else Exit.OK
        for f in findings:
            click.echo(f"{printable(f.location() or '-')}: {f.severity} {f.rule}: {printable(f.message)}")
            if verbose and f.hint:
                click.echo(f"    hint: {printable(f.hint)}")
        if findings:
            click.echo(f"{errors} error(s), {len(findings) - errors} other finding(s) in {len(chosen)} file(s)")
        return Exit.GATE_FAILED if errors else Exit.OK

    sys.exit(int(run_guarded(go, verbose)))


@main.command()
@click.argument("target", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option(
    "--level",
    type=click.IntRange(2, 4),
    default=2,
    show_default=True,
    help="Scaffold templates for Practices up to this level.",
)
@click.option("--model", help="Built-in rule pack (default escm-sp-v2).")
@click.option("--force", is_flag=True, help="Overwrite existing files.")
@click.option("--adopt", is_flag=True, help="Propose a configuration for an existing repository (prints it).")
@click.option("--write", is_flag=True, help="With --adopt: write the configuration and a draft crosswalk.")
@guarded
def init(target: Path, level: int, model: str | None, force: bool, adopt: bool, write: bool) -> None:
    """Scaffold a process repository, or with --adopt propose a configuration for an existing one."""
    from .scaffold import scaffold

    pack = _pack(model, None)
    if adopt:
        from .adoptcli import run_adopt

        sys.exit(int(run_adopt(target, pack, write=write, force=force)))
    if write:
        _fail("--write goes with --adopt")
    try:
        written = scaffold(target, pack, level, force)
    except FileExistsError as exc:
        _fail(str(exc))
        return
    click.echo(f"wrote {len(written)} files under {target}; next: git init, fill in the drafts, approve them")


@main.command()
@click.option(
    "--dir",
    "target",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to build the demo repository (default: a new temporary folder).",
)
@click.option("--format", "fmt", default="text", help="Report format (text, json, markdown, ...).")
def demo(target: Path | None, fmt: str) -> None:
    """Replay the bundled example's history into a fresh git repository and check it."""
    from .demo import run_demo

    sys.exit(int(run_guarded(lambda: run_demo(target, fmt), False)))


@main.command("map")
@click.argument("path", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), help="Configuration file.")
@click.option("--model", help="Built-in rule pack (default escm-sp-v2).")
@click.option("--rules", "rules_dir", help="Folder of an organization's rule pack.")
@click.option("--top", type=click.IntRange(1, 100), default=5, show_default=True, help="Practices per document.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--write-crosswalk",
    "crosswalk_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the suggestions to FILE as a draft crosswalk (accepted entries already in it are kept).",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 256),
    help="Worker processes (default: one per core) for reading and ranking documents.",
)
@guarded
def map_cmd(
    path: Path,
    config_file: Path | None,
    model: str | None,
    rules_dir: str | None,
    top: int,
    fmt: str,
    crosswalk_file: Path | None,
    jobs: int | None,
) -> None:
    """Rank the Practices each document under PATH most likely serves (nothing is written but FILE)."""
    from .config import ConfigError
    from .crosswalk import load_crosswalk, write_crosswalk
    from .mapreport import render_json, render_text
    from .maprun import map_repository, suggestions
    from .runner import pack_for, resolve_config

    try:
        cfg = resolve_config(path, config_file, {"model": model, "rules": rules_dir})
        pack = pack_for(cfg, path)
        keep = []
        if crosswalk_file is not None and crosswalk_file.exists():
            existing, problems = load_crosswalk(crosswalk_file)
            if problems:
                _fail(f"{crosswalk_file}: not overwritten, it has problems:\n" + "\n".join(map(str, problems)))
            keep = list(existing.accepted())
        result = map_repository(path, cfg, pack, top, jobs)
    except ConfigError as exc:
        _fail(str(exc))
        return
    except PackError as exc:
        _fail(f"rule pack error:\n{exc}")
        return
    click.echo(render_json(result) if fmt == "json" else render_text(result), nl=False)
    if crosswalk_file is not None:
        entries = suggestions(result, keep)
        write_crosswalk(crosswalk_file, entries, pack.name)
        click.echo(f"wrote {len(entries) - len(keep)} suggestion(s) to {crosswalk_file}", err=True)


main.add_command(pack)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
