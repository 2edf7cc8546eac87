"""`--since REV`: rate the repository as it was at REV and report what regressed or improved.

REV is read from git objects into a temporary shared clone, so the checked repository's
working tree, index and refs are never touched.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import msgspec

from .config import ConfigError
from .findings import make, sort_findings
from .gitrun import GitError, git_env, run_git
from .pipeline import CheckOptions, run_check
from .result import CheckResult, Gate, RegressionEntry
from .rulepack import Pack

_GOOD = ("satisfied", "not-applicable")


def result_at(opts: CheckOptions, pack: Pack, rev: str) -> CheckResult:
    """The check result of the repository as it was at `rev`."""
    path = opts.path.resolve()
    try:
        root = Path(run_git(path, "rev-parse", "--show-toplevel").decode().strip())
        sha = run_git(root, "rev-parse", "--verify", "-q", f"{rev}^{{commit}}").decode().strip()
    except GitError as exc:
        raise ConfigError(f"--since {rev}: not a commit in this repository ({exc})") from None
    prefix = path.relative_to(root)
    with tempfile.TemporaryDirectory(prefix="escm-check-since-") as tmp:
        clone = Path(tmp) / "repo"
        env = git_env()
        subprocess.run(
            ["git", "clone", "-q", "--shared", "--no-checkout", str(root), str(clone)],
            check=True,
            env=env,
            capture_output=True,
        )
        subprocess.run(
            ["git", "-C", str(clone), "-c", "advice.detachedHead=false", "checkout", "-q", "--detach", sha],
            check=True,
            env=env,
            capture_output=True,
        )
        cfg = msgspec.structs.replace(opts.config, cache=False)
        before = run_check(msgspec.structs.replace(opts, path=clone / prefix, config=cfg, use_cache=False), pack)
    return msgspec.structs.replace(before, root=str(root))


def compare(before: CheckResult, after: CheckResult) -> tuple[list[RegressionEntry], list[RegressionEntry]]:
    """Practices and activities whose status got worse, and those that got better."""
    worse: list[RegressionEntry] = []
    better: list[RegressionEntry] = []
    old = {p.id: p for p in before.practices}
    for p in after.practices:
        q = old.get(p.id)
        if q is None:
            continue
        if q.status in _GOOD and p.status == "not-satisfied":
            worse.append(RegressionEntry(p.id, None, q.status, p.status))
        elif q.status == "not-satisfied" and p.status in _GOOD:
            better.append(RegressionEntry(p.id, None, q.status, p.status))
        old_acts = {a.id: a.status for a in q.activities}
        for a in p.activities:
            was = old_acts.get(a.id)
            if was in _GOOD and a.status == "not-satisfied":
                worse.append(RegressionEntry(p.id, a.id, was, a.status))
            elif was == "not-satisfied" and a.status in _GOOD:
                better.append(RegressionEntry(p.id, a.id, was, a.status))
    return worse, better


def compare_since(
    after: CheckResult, opts: CheckOptions, pack: Pack, rev: str, fail_on_regression: bool
) -> CheckResult:
    """The current result annotated with regressions and improvements since `rev`."""
    before = result_at(opts, pack, rev)
    worse, better = compare(before, after)
    findings = list(after.findings)
    for r in worse:
        what = f"{r.practice}.{r.activity}" if r.activity else r.practice
        findings.append(
            make(
                "regression",
                f"{what} was {r.before} at {rev} and is now {r.after}",
                practice=r.practice,
                activity=r.activity,
                severity="error" if fail_on_regression else "warning",
            )
        )
    gate = after.gate
    if fail_on_regression and worse:
        gate = Gate(False, gate.target_level, (*gate.reasons, f"{len(worse)} regression(s) since {rev}"))
    return msgspec.structs.replace(
        after,
        regressions=tuple(worse),
        improvements=tuple(better),
        since=rev,
        findings=sort_findings(findings),
        gate=gate,
    )
