"""SARIF 2.1.0 reporter, for code-scanning services and SARIF viewers."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from .. import __version__
from ..findings import CATALOGUE, Finding, sort_findings
from ..jsontext import dump_lines, dumps
from ..result import REPORT_SCHEMA_VERSION, CheckResult

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_VERSION = "2.1.0"
# Code-scanning services resolve relative URIs against the checkout; %SRCROOT% is the
# conventional name they and SARIF viewers know for that base.
URI_BASE_ID = "%SRCROOT%"
FINGERPRINT_KEY = "escmFinding/v1"

_LEVELS: dict[str, str] = {"error": "error", "warning": "warning", "info": "note"}


def _rule_name(slug: str) -> str:
    """`activity-not-evidenced` -> `ActivityNotEvidenced`, the style SARIF viewers show."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", slug))


def _uri(path: str) -> str:
    """A relative URI reference for a repository path (spaces and the like percent-encoded)."""
    # a backslash is part of a POSIX file name, so it is encoded, not turned into a separator
    return quote(path.lstrip("/"), safe="/-._~!$&'()*+,;=:@")


def _root_uri(root: str) -> str | None:
    """`file:///abs/root/` for an absolute POSIX root; None when the root is relative."""
    if not root.startswith("/"):
        return None
    return "file://" + quote(root.rstrip("/") + "/", safe="/-._~!$&'()*+,;=:@")


def _fingerprint(f: Finding) -> str:
    """A hash that survives line moves, so a result keeps its identity across commits."""
    key = "\x1f".join((f.rule, f.path or "", f.practice or "", f.activity or "", f.message))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _rule(slug: str, findings: list[Finding]) -> dict[str, Any]:
    info = CATALOGUE.get(slug)
    if info is not None:
        meaning, hint, severity = info.meaning, info.hint, info.severity
    else:
        # A slug from a rule pack or plugin outside the catalogue: describe it from its findings.
        meaning = slug.replace("-", " ")
        hint = next((f.hint for f in findings if f.hint), "")
        severity = findings[0].severity
    rule: dict[str, Any] = {
        "id": slug,
        "name": _rule_name(slug),
        "shortDescription": {"text": meaning},
        "defaultConfiguration": {"level": _LEVELS[severity]},
        "properties": {"tags": ["escm-check", "compliance"]},
    }
    if hint:
        rule["help"] = {"text": hint}
    return rule


def _location(f: Finding) -> dict[str, Any]:
    logical: list[dict[str, Any]] = []
    if f.practice:
        name = f"{f.practice}.{f.activity}" if f.activity else f.practice
        logical.append({"name": name, "fullyQualifiedName": name, "kind": "practice"})
    loc: dict[str, Any] = {}
    if f.path:
        physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(f.path), "uriBaseId": URI_BASE_ID}}
        if f.line and f.line > 0:
            physical["region"] = {"startLine": f.line}
        loc["physicalLocation"] = physical
    else:
        # Code-scanning uploads reject results without a location; a finding about the
        # repository as a whole is placed at its root.
        loc["physicalLocation"] = {"artifactLocation": {"uri": ".", "uriBaseId": URI_BASE_ID}}
    if logical:
        loc["logicalLocations"] = logical
    return loc


def _result(f: Finding, rule_index: int) -> dict[str, Any]:
    props: dict[str, Any] = {"severity": f.severity}
    if f.practice:
        props["practice"] = f.practice
    if f.activity:
        props["activity"] = f.activity
    if f.cause:
        props["cause"] = f.cause
    info = CATALOGUE.get(f.rule)
    if f.hint and (info is None or f.hint != info.hint):
        props["hint"] = f.hint
    text = f.message
    if f.cause:
        text = f"{text} (cause: {f.cause} not satisfied)"
    return {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": _LEVELS.get(f.severity, "warning"),
        "message": {"text": text},
        "locations": [_location(f)],
        "partialFingerprints": {FINGERPRINT_KEY: _fingerprint(f)},
        "properties": props,
    }


def build(result: CheckResult) -> dict[str, Any]:
    """The SARIF log as a JSON-ready dict."""
    findings = sort_findings(result.findings)
    by_rule: dict[str, list[Finding]] = {}
    for f in findings:
        by_rule.setdefault(f.rule, []).append(f)
    slugs = sorted(by_rule)
    index = {slug: i for i, slug in enumerate(slugs)}
    run_props: dict[str, Any] = {
        "schemaVersion": REPORT_SCHEMA_VERSION,
        "model": {
            "id": result.model_id,
            "name": result.model_name,
            "version": result.model_version,
        },
        "asOf": result.as_of,
        "head": result.head,
        "capabilityLevel": result.capability_level,
        "targetLevel": result.target_level,
        "gate": {
            "passed": result.gate.passed,
            "targetLevel": result.gate.target_level,
            "reasons": list(result.gate.reasons),
        },
    }
    if result.since:
        run_props["since"] = result.since
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "escm-check",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_rule(slug, by_rule[slug]) for slug in slugs],
            }
        },
        "invocations": [{"executionSuccessful": True, "exitCode": result.exit_code}],
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, index[f.rule]) for f in findings],
        "properties": run_props,
    }
    root_uri = _root_uri(result.root)
    if root_uri:
        run["originalUriBaseIds"] = {URI_BASE_ID: {"uri": root_uri}}
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [run],
        "properties": {"schemaVersion": REPORT_SCHEMA_VERSION},
    }


def render(result: CheckResult) -> str:
    """Render the result as a SARIF 2.1.0 log (JSON text ending in a newline)."""
    return dumps(build(result)) + "\n"


def render_bytes(result: CheckResult) -> Iterator[bytes]:
    """`render(result)` as UTF-8 byte chunks (see `jsontext.dump_lines`)."""
    return dump_lines(build(result))
