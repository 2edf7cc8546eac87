"""The crosswalk file in a check: read, validated against the pack and the documents found,
its change control judged from the history, and its suggestions listed."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import msgspec

from .changecontrol import ControlSettings
from .config import Config
from .crosswalk import DEFAULT_NAME, Crosswalk, check_crosswalk, load_crosswalk
from .crosswalkclaims import crosswalk_control, crosswalk_summary
from .documents import Document
from .findings import Finding, make
from .history import RepoHistory
from .result import DocumentSummary
from .rulepack import Pack


class CrosswalkInCheck(msgspec.Struct, frozen=True):
    """The crosswalk (None when the repository has none), findings about it, its report entry."""

    crosswalk: Crosswalk | None
    findings: tuple[Finding, ...] = ()
    summary: DocumentSummary | None = None
    approved: bool = False  # its newest change was approved by someone other than its author


def crosswalk_file(root: Path, cfg: Config) -> tuple[Path, str]:
    """The crosswalk file and its name in findings: beside the configuration file (the
    repository root when there is none), `.escm-crosswalk.yaml` unless configured."""
    base = Path(cfg.base_dir).resolve() if cfg.path else root
    file = base / (cfg.crosswalk or DEFAULT_NAME)
    try:
        return file, file.resolve().relative_to(root).as_posix()
    except ValueError:  # configured outside the repository: named as configured
        return file, str(cfg.crosswalk or DEFAULT_NAME)


def read_for_check(
    root: Path,
    cfg: Config,
    pack: Pack,
    docs: Sequence[Document],
    hist: RepoHistory | None,
    settings: ControlSettings,
) -> CrosswalkInCheck:
    """Load and validate the crosswalk, judge its change control; a configured file must exist."""
    file, rel = crosswalk_file(root, cfg)
    if not file.is_file():
        if cfg.crosswalk:
            return CrosswalkInCheck(
                None, (make("crosswalk-invalid", "the configured crosswalk file does not exist", path=rel),)
            )
        return CrosswalkInCheck(None)
    cw, problems = load_crosswalk(file, rel)
    headings = {d.path: [s.heading for s in d.sections] if d.error is None else None for d in docs}
    problems += check_crosswalk(cw, pack, headings)
    findings = [make("crosswalk-invalid", p.problem, path=rel, line=p.line) for p in problems]
    findings += [
        make(
            "crosswalk-suggestion",
            f"{e.where}: {', '.join(e.practices)} (suggested, line {e.line})",
            path=rel,
            line=e.line,
        )
        for e in cw.entries
        if not e.accepted
    ]
    history, unapproved = crosswalk_control(rel, hist, settings)
    if cw.accepted():
        findings += unapproved
    approved = bool(history) and history[0].approver is not None
    return CrosswalkInCheck(cw, tuple(findings), crosswalk_summary(rel, cw, history), approved)
