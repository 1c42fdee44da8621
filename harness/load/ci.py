"""What a CI job reads from a load run: JUnit XML and the GitHub step summary.

The JUnit file has one test case per objective and one per kind of
conformance rule checked under load (a violation fails its case with the
first example and its wire log). The step summary is a Markdown table
appended to ``$GITHUB_STEP_SUMMARY`` when that variable is set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

__all__ = ["RULES", "step_summary", "write_junit"]

#: the rules checked on every connection, by violation kind
RULES = {
    "protocol": "every frame passes the strict parser (RFC 6455)",
    "handshake": "every opening handshake is valid (RFC 6455 4.2.2)",
    "crossed": "every echo comes back on its own connection",
    "reordered": "echoes come back in order, none lost",
    "modified": "echoes come back unmodified",
    "truncated": "echoes come back whole",
    "unsolicited": "no message arrives unasked",
    "close-abandoned": "every close handshake completes (RFC 6455 7.1.2)",
    "ping-starved": "every connection receives its heartbeat pings on time",
    "memory-kept": "closed connections give their memory back",
}


def write_junit(section: Mapping[str, Any], path: Path) -> None:
    """JUnit XML of the run's rules and objectives at ``path``."""
    suite = ET.Element("testsuite", name="wsspec.load")
    examples: dict[str, dict[str, Any]] = {}
    for example in section["examples"]:
        examples.setdefault(example["kind"], example)
    violations = section["totals"]["violations"]
    failures = 0
    for kind, rule in RULES.items():
        case = ET.SubElement(suite, "testcase", classname="wsspec.load.conformance", name=kind)
        count = violations.get(kind, 0)
        if count:
            failures += 1
            first = examples.get(kind, {})
            failure = ET.SubElement(case, "failure",
                                    message=f"{count} violations: {rule}")
            failure.text = "\n".join([str(first.get("detail", "")), *first.get("wirelog", [])])
    for outcome in section["slo"]:
        case = ET.SubElement(suite, "testcase", classname="wsspec.load.slo",
                             name=outcome["objective"])
        if not outcome["met"]:
            failures += 1
            ET.SubElement(case, "failure",
                          message=f"measured {outcome['measured']}: objective missed")
    suite.set("tests", str(len(RULES) + len(section["slo"])))
    suite.set("failures", str(failures))
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def step_summary(section: Mapping[str, Any], url: str) -> str:
    """The Markdown summary of a run."""
    verdict = "passed" if section["passed"] else "FAILED"
    lines = [f"### wsspec load: {url} — {verdict}", "",
             "| stage | connections | msg/s | p50 ms | p99 ms | p99.9 ms | errors | violations |",
             "|---|---|---|---|---|---|---|---|"]
    for stage in section["stages"]:
        rtt = stage["rtt_ms"]
        lines.append(f"| {stage['label']} | {stage['peak_connections']} | "
                     f"{stage['messages_per_s']} | {rtt['p50']} | {rtt['p99']} | "
                     f"{rtt['p99_9']} | {sum(stage['errors'].values())} | "
                     f"{sum(stage['violations'].values())} |")
    for outcome in section["slo"]:
        lines.append(f"- SLO `{outcome['objective']}`: measured {outcome['measured']} — "
                     f"{'met' if outcome['met'] else '**missed**'}")
    for example in section["examples"][:5]:
        lines.append(f"- **{example['kind']}** (stage {example['stage']}): {example['detail']}")
    return "\n".join(lines) + "\n"


def append_step_summary(section: Mapping[str, Any], url: str) -> bool:
    """Append the summary to ``$GITHUB_STEP_SUMMARY``; False when it is not set."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return False
    with open(target, "a", encoding="utf-8") as out:
        out.write(step_summary(section, url))
    return True
