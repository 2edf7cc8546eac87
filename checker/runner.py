"""Build the objects a check needs from the command line, run it, and write the reports."""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import click
import msgspec

from . import safety
from .config import Config, ConfigError, find_config, load_config
from .exitcodes import Exit
from .gitrun import repo_root
from .guard import ISSUES_URL
from .pipeline import CheckOptions, run_check
from .reporters import FORMATS, get_encoder
from .result import CheckResult
from .rulepack import Pack, load_pack, shipped_pack


class CheckRequest(msgspec.Struct, frozen=True):
    """Everything the `check` command was asked to do."""

    path: Path
    config_file: Path | None = None
    model: str | None = None
    rules_dir: str | None = None
    target_level: int | None = None
    as_of: dt.date | None = None
    formats: tuple[str, ...] = ("text",)
    outputs: tuple[str, ...] = ()
    since: str | None = None
    fail_on_regression: bool = False
    use_cache: bool = True
    jobs: int | None = None
    quiet: bool = False
    verbose: bool = False


def resolve_config(path: Path, config_file: Path | None, overrides: dict[str, object]) -> Config:
    """The explicit config file, else the nearest one up to the repository root."""
    if not path.is_dir():
        raise ConfigError(f"{path}: not a folder")
    found = config_file or find_config(path, repo_root(path) or path)
    return load_config(found, overrides)


def pack_for(cfg: Config, root: Path | None = None) -> Pack:
    """The rule pack the config names (an organisation's folder wins over a built-in name).

    With `root`, the cache for checks of it remembers the rule files' parses and validity.
    """
    from .cache import RuleFileMemo

    if not cfg.rules and (shipped := shipped_pack(cfg.model)) is not None:
        return shipped  # nothing to parse or validate, so nothing for the cache to remember
    memo = RuleFileMemo.open(cfg, root) if root is not None else None
    try:
        if cfg.rules:
            return load_pack(cfg.rules, Path(cfg.base_dir), memo)
        return load_pack(cfg.model, memo=memo, built=False)
    finally:
        if memo is not None:
            memo.close()


def _targets(formats: Sequence[str], outputs: Sequence[str]) -> list[tuple[str, str]]:
    pairs = []
    for i, f in enumerate(formats):
        fmt, _, inline = f.partition("=")
        if fmt not in FORMATS:
            raise ConfigError(f"--format: unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
        pairs.append((fmt, inline or (outputs[i] if i < len(outputs) else "-")))
    if len(outputs) > len(formats):
        raise ConfigError("--output given more often than --format")
    return pairs


def write_reports(result: CheckResult, pairs: Sequence[tuple[str, str]], quiet: bool, verbose: bool) -> None:
    """Render each requested format to its file or to stdout."""
    from .reporters.text_report import render_text

    for fmt, out in pairs:
        if fmt != "text":
            _write_bytes(get_encoder(fmt)(result), out)
            continue
        colour = out == "-" and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        text = render_text(result, colour=colour, verbose=verbose, quiet=quiet)
        if out == "-":
            click.echo(text, nl=False)
        else:
            Path(out).write_text(text, encoding="utf-8")


def _write_bytes(chunks: Iterable[bytes], out: str) -> None:
    if out != "-":
        with open(out, "wb") as fh:
            fh.writelines(chunks)
        return
    sys.stdout.flush()  # after what was printed before, in order
    stream = sys.stdout.buffer
    for chunk in chunks:
        stream.write(chunk)
    stream.flush()


def run(req: CheckRequest) -> Exit:
    """Run one check as requested and return the exit code."""
    overrides: dict[str, object] = {"model": req.model, "rules": req.rules_dir, "target_level": req.target_level}
    pairs = _targets(req.formats, req.outputs)
    safety.drain()  # tracebacks of an earlier run in this process are not this run's
    cfg = resolve_config(req.path, req.config_file, overrides)
    # loaded by the pipeline while its workers read the documents
    pack = functools.cache(lambda: pack_for(cfg, req.path if req.use_cache else None))
    as_of = req.as_of or cfg.as_of or dt.date.today()
    opts = CheckOptions(path=req.path, config=cfg, as_of=as_of, jobs=req.jobs, use_cache=req.use_cache, quiet=req.quiet)
    result = run_check(opts, pack)
    if req.since:
        from .regress import compare_since

        result = compare_since(result, opts, pack(), req.since, req.fail_on_regression)
    write_reports(result, pairs, req.quiet, req.verbose)
    if safety.is_internal(result.findings):
        # every report is written; exit 3 tells CI that a bug, not the evidence, decided
        for trace in safety.drain():
            if req.verbose:
                click.echo(trace, err=True, nl=False)
        click.echo(
            "escm-check: internal error on some documents (see the internal-error findings); "
            f"please report it at {ISSUES_URL}",
            err=True,
        )
        return Exit.INTERNAL
    return Exit.OK if result.gate.passed else Exit.GATE_FAILED
