"""docs/kill-matrix.md covers every fault, and its generator renders what it ran.

Regenerating the page runs the suite once per fault (minutes), so this test
does not check the page is current; it checks that it names every fault of
:data:`wsspec.targets.faulty.FAULTS` the matrix runs, each with its own section,
that it found no gap, and that the generator's rendering, catch rule and check
of the declarations work on a small made-up matrix.
"""

from __future__ import annotations

import re

from conftest import REPO, load_script
from wsspec.targets.faulty import Fault
from wsspec.targets.reference import Behaviour

DOC = REPO / "docs" / "kill-matrix.md"


km = load_script("kill_matrix")
FAULTS = km.checked_faults()


def test_doc_lists_every_fault() -> None:
    text = DOC.read_text(encoding="utf-8")
    sections = set(re.findall(r"^## (\S+)$", text, flags=re.MULTILINE))
    rows = set(re.findall(r"^\| \[`([^`]+)`\]", text, flags=re.MULTILINE))
    missing = sorted(set(FAULTS) - sections)
    assert not missing, f"{DOC.name} lacks {missing}: run python scripts/kill_matrix.py " \
                        "--reuse FILE --json FILE"
    assert set(FAULTS) <= rows
    assert not sections - set(FAULTS), f"{DOC.name} lists faults that no longer exist"


def test_every_fault_is_caught() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert "Faults no case catches" not in text, text[:3000]
    assert "Declared catches not seen" not in text, text[:3000]
    for count in re.findall(r"^\| \[`[^`]+`\]\(#[^)]+\) \| (\d+) \|", text, flags=re.MULTILINE):
        assert int(count) > 0


def test_catches_are_changes_for_the_worse() -> None:
    baseline = {"a.1": "pass", "a.2": "pass", "a.3": "fail", "a.4": "informational",
                "a.5": "pass"}
    run = {"a.1": "fail", "a.2": "pass", "a.3": "fail", "a.4": "non-strict",
           "a.5": "informational"}
    assert km.catches(baseline, run) == {"a.1": "fail", "a.4": "non-strict"}


def test_rendering_groups_ids_and_flags_gaps() -> None:
    matrix = {"f1": {f"x.y.{i}": "fail" for i in range(8)} | {"z.one": "non-strict"},
              "f2": {}}
    universe = [*(f"x.y.{i}" for i in range(10)), "x.w.1", "z.one", "z.two", "q.a", "q.b"]
    matrix["f3"] = {"q.a": "fail", "q.b": "fail"}
    text = km.render(matrix, {"f1": "rule one", "f2": "rule two", "f3": "rule three"},
                     cases_run=15, markers="not slow", reference_problems={},
                     universe=universe)
    assert "**Faults no case catches:** `f2`" in text
    assert "`x.y.*` (8 of 10)" in text and "`z.one`" in text and "`q.*` (2)" in text
    assert "| [`f1`](#f1) | 9 | fail 8, non-strict 1 | x 8, z 1 |" in text


def test_declared_catches_not_seen_are_flagged() -> None:
    fault = Fault("f", "rule", Behaviour, "framing", catches=("x.y.*", "x.gone"),
                  verdict="non-strict")
    caught = {"x.y.1": "non-strict", "x.y.2": "fail"}
    gaps = km.missed(fault, caught, ["x.y.1", "x.y.2", "x.y.3", "z.1"])
    assert gaps == ["`x.y.2` (fail)", "`x.y.3` (not caught)", "`x.gone` (no such case)"]
    text = km.render({"f": caught}, {"f": "rule"}, cases_run=4, markers=None,
                     reference_problems={}, modules={"f": "framing"},
                     declared_missed={"f": gaps})
    assert "**Declared catches not seen:** `f`: `x.y.2` (fail), `x.y.3` (not caught)" in text
    assert "Declared in `targets/faulty/framing.py`." in text
