"""The imports of src/ against the layers of docs/architecture.md.

Every import in ``src/commissioning`` counts — at the top of a module or inside a function —
except those under ``if TYPE_CHECKING:`` (annotations only, never run). Two rules:

1. no import cycle between modules;
2. every import between two parts of the product points down the layers of :data:`LAYERS`
   (the drawing in docs/architecture.md), or stays inside one package of one layer.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = "commissioning"

#: The layers, top first. A part is a package or a module (dotted, below ``commissioning``); a
#: module belongs to the longest part that contains it. The parts that are single modules say
#: where a package's content sits below or above the rest of it (docs/architecture.md, "Layers").
LAYERS: tuple[tuple[str, ...], ...] = (
    ("cli",),                            # the commands
    ("capabilities",),                   # the composition root: the list of capabilities
    ("web",),                            # the Django adapter and the secure capability's step
    ("secure",),                         # proposals, evaluation, contracts, assurance
    ("publish.intentions_doc",),         # the intentions document, built from the plan
    ("review.equality", "review.equality_step"),  # the equality screen of the plan
    ("plan",),
    ("evidence", "assess.demand"),
    ("review",),
    ("round",),                          # the foundation step and the round runner
    ("steps",),                          # the Capability and StepContext types
    ("publish",),                        # the report framework: sections, disclosure, charts
    ("synth",),                          # synthetic data, calibrated with the risk model
    ("evidence.catalogue", "assess", "reference"),  # the service list, risk model, real data
    ("io", "engine", "policy"),
    ("schema",),                         # the data contract
    ("",),                               # commissioning/__init__.py: the version
)


#: Cycles known and being removed, each with why; the test fails when one is gone (remove it
#: here) or a new one appears.
KNOWN_CYCLES: dict[frozenset[str], str] = {}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted((SRC / PACKAGE).rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return "TYPE_CHECKING" in ast.unparse(test)


def _imported(node: ast.AST, package: str, known: dict[str, Path]) -> Iterator[str]:
    """The project modules an import statement loads (the longest known prefix of each)."""
    names: list[str] = []
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            parts = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*parts, *([base] if base else [])])
        names = [f"{base}.{a.name}" for a in node.names]
    for name in names:
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name:
            yield name


def _imports_of(node: ast.AST, package: str, known: dict[str, Path]) -> Iterator[str]:
    """Every project module imported anywhere under ``node``, skipping TYPE_CHECKING blocks."""
    if isinstance(node, ast.If) and _is_type_checking(node.test):
        for child in node.orelse:
            yield from _imports_of(child, package, known)
        return
    yield from _imported(node, package, known)
    for child in ast.iter_child_nodes(node):
        yield from _imports_of(child, package, known)


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports, outside ``if TYPE_CHECKING:`` blocks."""
    known = modules()
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        graph[name] = {t for t in _imports_of(tree, package, known) if t != name}
    return graph


def part_of(module: str) -> str:
    """The declared part a module belongs to (the longest one containing it)."""
    inner = module.removeprefix(PACKAGE).removeprefix(".")
    best = None
    for layer in LAYERS:
        for part in layer:
            inside = inner == part or (part and inner.startswith(part + "."))
            if inside and (best is None or len(part) > len(best)):
                best = part
    if best is None:
        raise AssertionError(f"{module} is in no layer of LAYERS: add its package to one")
    return best


def layer_of(part: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if part in layer)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = []
            while True:
                w = stack.pop()
                on.discard(w)
                scc.append(w)
                if w == v:
                    break
            if len(scc) > 1:
                found.append(sorted(scc))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def upward(graph: dict[str, set[str]]) -> list[str]:
    """Every import that does not point down the layers (nor stay in one package of a layer)."""
    bad = []
    for a, targets in sorted(graph.items()):
        pa = part_of(a)
        for b in sorted(targets):
            pb = part_of(b)
            if pa == pb:
                continue
            la, lb = layer_of(pa), layer_of(pb)
            if lb > la or (la == lb and pa.split(".")[0] == pb.split(".")[0]):
                continue
            bad.append(f"{a} ({pa}, layer {la}) imports {b} ({pb}, layer {lb})")
    return bad


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def test_the_graph_sees_imports_inside_functions_and_not_type_checking_ones(
    graph: dict[str, set[str]],
) -> None:
    # plan.report_section imports plan.run inside a function, and the step's result type only
    # under TYPE_CHECKING: the first is an arrow, the second is not
    assert "commissioning.plan.run" in graph["commissioning.plan.report_section"]
    assert "commissioning.review.step" not in graph["commissioning.publish.context"]
    assert "commissioning.publish.sections" not in graph["commissioning.publish.context"]


def test_no_module_import_cycles(graph: dict[str, set[str]]) -> None:
    found = {frozenset(c) for c in cycles(graph)}
    assert sorted(sorted(c) for c in found - set(KNOWN_CYCLES)) == []
    assert [sorted(c) for c in set(KNOWN_CYCLES) - found] == [], "a known cycle is gone: " \
        "remove it from KNOWN_CYCLES"


def test_every_module_is_in_a_layer(graph: dict[str, set[str]]) -> None:
    for module in graph:
        part_of(module)


def test_imports_point_down_the_layers(graph: dict[str, set[str]]) -> None:
    assert upward(graph) == []


def test_the_checks_fail_on_a_cycle_and_on_an_upward_import() -> None:
    fake = {"commissioning.round": {"commissioning.cli.app"},
            "commissioning.cli.app": {"commissioning.round"}}
    assert cycles(fake) == [["commissioning.cli.app", "commissioning.round"]]
    assert upward(fake) == [
        "commissioning.round (round, layer 9) imports commissioning.cli.app (cli, layer 0)"]


def test_the_layers_are_the_drawing_of_docs_architecture() -> None:
    drawing = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for layer in LAYERS:
        for part in layer:
            if part:
                assert f"`{part}`" in drawing, f"docs/architecture.md does not name `{part}`"


#: The only modules outside synth/ that may import it, each to use SYNTHETIC data it labels so:
#: the commands that write the synthetic dataset, and the community history used (and said to
#: be synthetic) when a workspace has imported none. Real reference data is in reference/.
SYNTH_USERS: dict[str, str] = {
    "commissioning.cli.cmd_round": "`commission synth` and `commission demo` write the dataset",
    "commissioning.cli.cmd_demand": "`commission demand` without --history, said so",
    "commissioning.assess.demand.step": "no community_starts imported: the synthetic history, "
                                        "labelled synthetic in the report",
    "commissioning.web.seed": "the demo proposals' population profiles: synthetic extracts, "
                              "named synthetic-assessments-ID.csv on the proposal",
}


def test_only_synthetic_data_comes_from_synth(graph: dict[str, set[str]]) -> None:
    users = {a for a, targets in graph.items() if not a.startswith(f"{PACKAGE}.synth")
             and any(t.startswith(f"{PACKAGE}.synth") for t in targets)}
    assert users == set(SYNTH_USERS)
