"""The engine's layers: who may import whom, read from the source with ``ast``.

From the bottom up: the sans-IO protocol core; what a case records (wire log,
verdicts) and what describes a target (profile, credentials); the drivers and
their runtimes; the case DSL; the catalogue (case metadata, the fuzz engine);
and on top the reporting, the pytest plugin and the CLI. A module imports from
its own layer and the layers its row names, never from above, and no imports
go round in a circle. Every module under ``harness/`` must be placed in
:data:`LAYERS`: a new module fails here until it is.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parent.parent / "harness"

#: layer → the module names it holds (a name holds its submodules; the longest
#: match wins; the bare package name ``wsspec`` holds only its ``__init__``).
LAYERS: dict[str, tuple[str, ...]] = {
    "protocol": ("wsspec.protocol",),
    "records": ("wsspec.wirelog", "wsspec.verdicts", "wsspec.failure_shapes"),
    "settings": ("wsspec", "wsspec.profile", "wsspec.credentials", "wsspec.tokens",
                 "wsspec.launcher"),
    "driver": ("wsspec.driver",),
    "dsl": ("wsspec.dsl",),
    # The client-testing engine: the suite as the server, beside the DSL.
    "clientside": ("wsspec.clientside",),
    "catalogue": ("wsspec.cases", "wsspec.rfc_clauses", "wsspec.fuzz", "wsspec.conformance",
                  "wsspec.clientside.cases"),
    "targets": ("wsspec.targets",),
    "reporting": ("wsspec.reporting",),
    # Load and soak runs: a tool of its own beside the conformance run, on the sans-IO core.
    "load": ("wsspec.load",),
    # The options, their validation and the run's state are the plugin's; so is the fuzz
    # section's pytest glue, which reads the run's options and the case's record.
    "plugin": ("wsspec.plugin", "wsspec.options", "wsspec.settings", "wsspec.runstate",
               "wsspec.casedocs", "wsspec.compatdocs",
               "wsspec.fuzz.case",
               "wsspec.grading", "wsspec.targetwatch", "wsspec.earlystop",
               "wsspec.clientside.run"),
    "cli": ("wsspec.cli", "wsspec.__main__", "wsspec.clientside.fuzzingserver"),
}

_BELOW_THE_DSL = {"protocol", "records", "settings", "driver"}
_BELOW_THE_CATALOGUE = _BELOW_THE_DSL | {"dsl"}

#: what each layer may import besides itself; the top layers may import anything.
MAY_IMPORT: dict[str, set[str]] = {
    "protocol": set(),
    "records": {"protocol"},
    "settings": {"protocol", "records"},
    "driver": {"protocol", "records"},
    "dsl": _BELOW_THE_DSL,
    "clientside": _BELOW_THE_DSL,
    "catalogue": _BELOW_THE_CATALOGUE | {"targets", "clientside"},
    "reporting": set(LAYERS) - {"plugin", "cli", "load"},
    "load": {"protocol", "records", "settings", "targets", "reporting"},
    "plugin": set(LAYERS),
    "cli": set(LAYERS),
}

#: layers that may not import pytest: they run the same inside and outside a pytest run.
WITHOUT_PYTEST = {"protocol", "driver", "dsl", "clientside"}


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    typing_only: bool  # under ``if TYPE_CHECKING:``: no import happens at run time


def module_name(path: Path) -> str:
    parts = list(path.relative_to(HARNESS).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["wsspec", *parts])


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(HARNESS.rglob("*.py"))}


def layer_of(name: str) -> str | None:
    best: tuple[int, str] | None = None
    for layer, prefixes in LAYERS.items():
        for prefix in prefixes:
            held = name == prefix or (prefix != "wsspec" and name.startswith(prefix + "."))
            if held and (best is None or len(prefix) > best[0]):
                best = (len(prefix), layer)
    return best[1] if best else None


def _typing_only_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


def imports_of(name: str, path: Path, known: set[str]) -> Iterator[Import]:
    """Every import of a ``wsspec`` module in ``path``, at module level or inside a
    function; ``from package import module`` counts as an import of the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = _typing_only_lines(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [f"{module}.{alias.name}" if f"{module}.{alias.name}" in known
                       else module for alias in node.names]
        for target in targets:
            if (target == "wsspec" or target.startswith("wsspec.")) and target != name:
                yield Import(name, target, node.lineno, node.lineno in typing_only)


def all_imports() -> list[Import]:
    found = modules()
    return [imp for name, path in found.items() for imp in imports_of(name, path, set(found))]


def test_every_module_is_placed_in_a_layer() -> None:
    unplaced = [name for name in modules() if layer_of(name) is None]
    assert not unplaced, f"place these modules in LAYERS (tests/test_layers.py): {unplaced}"


def test_no_module_imports_from_a_layer_above_its_own() -> None:
    wrong = []
    for imp in all_imports():
        mine, theirs = layer_of(imp.importer), layer_of(imp.imported)
        assert mine is not None
        if theirs is None:
            wrong.append(f"{imp.importer}:{imp.line} imports {imp.imported}, in no layer")
        elif theirs != mine and theirs not in MAY_IMPORT[mine]:
            wrong.append(f"{imp.importer}:{imp.line} ({mine}) imports {imp.imported} ({theirs})")
    assert not wrong, "\n".join(wrong)


def test_no_imports_go_round_in_a_circle() -> None:
    graph: dict[str, set[str]] = {name: set() for name in modules()}
    for imp in all_imports():
        if not imp.typing_only and imp.imported in graph:
            graph[imp.importer].add(imp.imported)
    cycles = []
    state: dict[str, str] = {}  # "open" while on the path, "done" once explored

    def visit(name: str, path: list[str]) -> None:
        state[name] = "open"
        for after in sorted(graph[name]):
            if state.get(after) == "open":
                cycles.append(" -> ".join([*path[path.index(after):], after]))
            elif after not in state:
                visit(after, [*path, after])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, "\n".join(cycles)


@pytest.mark.parametrize("layer", sorted(WITHOUT_PYTEST))
def test_the_lower_layers_do_not_import_pytest(layer: str) -> None:
    users = []
    for name, path in modules().items():
        if layer_of(name) != layer:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n.split(".")[0] in {"pytest", "_pytest"} for n in names):
                users.append(f"{name}:{node.lineno}")
    assert not users, f"the {layer} layer imports pytest: {users}"


def test_the_layer_check_sees_a_wrong_import(tmp_path: Path) -> None:
    # The walker itself: an upward import inside a function is found and attributed.
    source = tmp_path / "probe.py"
    source.write_text("def f():\n    from wsspec.plugin import INFO_KEY\n", encoding="utf-8")
    found = list(imports_of("wsspec.protocol.probe", source, {"wsspec.plugin"}))
    assert found == [Import("wsspec.protocol.probe", "wsspec.plugin", 2, False)]
    assert "plugin" not in MAY_IMPORT["protocol"]
