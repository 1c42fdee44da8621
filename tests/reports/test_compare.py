"""``wsspec compare``: verdict changes between runs and servers, and the HTML matrix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import server_cmd
from wsspec.reporting.compare import compare_text, load_reports, render_compare_html


def _report(path: Path, url: str, verdicts: dict[str, str]) -> Path:
    cases = [{"id": i, "section": i.split(".")[0], "title": i, "rfc": "RFC6455 5.2 MUST",
              "requirement": "", "autobahn": None, "verdict": v, "expected": "", "observed": "",
              "duration_s": 0.0, "wirelog": []} for i, v in verdicts.items()]
    summary = {v: list(verdicts.values()).count(v) for v in
               ("pass", "non-strict", "informational", "unsupported", "fail", "error")}
    path.write_text(json.dumps({"tool": "wsspec", "version": "0", "target": {
        "url": url, "profile": {}}, "started": "2026-01-01T00:00:00+00:00", "duration_s": 1.0,
        "summary": summary, "cases": cases}))
    return path


def test_two_runs_list_the_changed_cases(tmp_path: Path) -> None:
    a = _report(tmp_path / "a.json", "ws://x/", {"framing.a": "pass", "close.b": "pass",
                                                 "ping.c": "fail"})
    b = _report(tmp_path / "b.json", "ws://x/", {"framing.a": "fail", "close.b": "pass"})
    columns = load_reports([a, b])
    assert [c.label for c in columns] == [f"ws://x/ ({a})", f"ws://x/ ({b})"]
    lines = compare_text(columns)
    assert "2 cases changed verdict:" in lines
    assert any("framing.a" in line and "pass → fail" in line for line in lines)
    assert any("ping.c" in line and "fail → (not run)" in line for line in lines)
    assert not any("close.b" in line for line in lines)


def test_three_servers_render_side_by_side(tmp_path: Path) -> None:
    paths = [_report(tmp_path / f"{n}.json", f"ws://server{n}/",
                     {"framing.a": v, "close.b": "pass"})
             for n, v in enumerate(["pass", "non-strict", "fail"])]
    html = render_compare_html(load_reports(paths))
    assert html.count('<tr class="diff">') == 1 and html.count('<tr class="same">') == 1
    for verdict in ("pass", "non-strict", "fail"):
        assert f'<span class="v v-{verdict}">{verdict}</span>' in html
    assert "ws://server2/" in html


def test_the_command_compares_real_runs(run_in: Any) -> None:
    cases = "framing.echo.binary or close.normal.1000"
    good = run_in("--target=reference", "-k", cases, "--report-dir=good")
    assert good.returncode == 0, good.output
    cmd = server_cmd("wsspec.targets.faulty", "--port", "{port}", "--fault", "corrupt-echo")
    bad = run_in(f"--target-cmd={cmd}", "--case-timeout=1", "-k", cases, "--report-dir=bad")
    assert bad.returncode == 1
    bad.report("bad")  # schema-validated
    done = run_in("wsspec", "compare", "good/report.json", "bad/report.json",
                  "--html", "cmp/compare.html")
    assert done.returncode == 0, done.output
    assert "1 cases differ between reports" not in done.output
    assert "cases changed verdict:" in done.output
    assert "framing.echo.binary" in done.output and "pass → fail" in done.output
    assert (done.cwd / "cmp" / "compare.html").read_text().count('class="diff"') >= 1


def test_an_unreadable_report_gets_one_line(run_in: Any) -> None:
    done = run_in("wsspec", "compare", "missing.json", "other.json")
    assert done.returncode == 2
    assert done.output.strip() == "wsspec compare: missing.json: no such file"
