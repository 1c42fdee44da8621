"""The registry of outputs: each format registers itself; write_outputs writes them all."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from conftest import validate_report
from synthetic import synthetic_report
from wsspec.reporting import outputs
from wsspec.reporting.outputs import OutputOptions, output, registered, write_outputs


def test_every_format_module_is_registered_report_json_first() -> None:
    assert [o.name for o in registered()] == ["report.json", "index.html", "index.json",
                                              "pcap", "step summary"]


def test_write_outputs_writes_each_registered_output(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    report = synthetic_report(40)
    written = write_outputs(report, tmp_path, pcap="failed")
    assert written[0] == tmp_path / "report.json"
    validate_report(json.loads(written[0].read_text()))
    assert {tmp_path / "index.html", tmp_path / "index.json"} <= set(written)
    failed = [c for c in report["cases"] if c["verdict"] in ("fail", "error")]
    assert len([p for p in written if p.suffix == ".pcap"]) == len(failed) > 0
    assert not (tmp_path / "summary.md").exists()


def test_a_new_format_is_one_registration(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outputs, "_REGISTRY", dict(outputs._REGISTRY))

    @output("ids.txt", order=50)
    def write_ids(report: Mapping[str, Any], directory: Path,
                  options: OutputOptions) -> list[Path]:
        path = directory / "ids.txt"
        path.write_text("\n".join(c["id"] for c in report["cases"]))
        return [path]

    report = synthetic_report(5)
    assert tmp_path / "ids.txt" in write_outputs(report, tmp_path)
    assert (tmp_path / "ids.txt").read_text().splitlines() == [c["id"] for c in report["cases"]]
    with pytest.raises(ValueError, match=r"two report outputs are named 'index\.html'"):
        output("index.html", order=0)(write_ids)
