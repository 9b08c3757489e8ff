"""The layer rule of docs/architecture.md, checked on the source with an `ast` walk.

Every module of the installed package `pmpath` (``engine/``) and of `pmpath.cli`
(``cli/``) belongs to one layer. A module imports only from layers below its
own, from its own subpackage, or along one of the few edges named in
`SIDEWAYS`; the command line imports only the package face and the faces of
the public subpackages. No import forms a circle, and an import inside a
function is there for start-up time only, saying so in a comment just above it.
Imports under ``if TYPE_CHECKING:`` never run; they name types for annotations
and may point anywhere.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: layer of each top-level module or subpackage of pmpath (docs/architecture.md)
LAYERS = {
    "pmpath._version": 0,
    "pmpath.errors": 0,
    "pmpath.contract": 0,
    "pmpath.words": 0,
    "pmpath.pool": 0,
    "pmpath.source": 1,
    "pmpath.profile": 2,
    "pmpath.model": 3,
    "pmpath.inference": 4,
    "pmpath.imports": 4,  # CVs and exports to profiles: reads knowledge, needs no engine
    "pmpath.explain": 5,
    "pmpath.results": 6,
    "pmpath.engine": 7,
    "pmpath.render": 8,
    "pmpath.guide": 8,
    "pmpath.batch": 8,
    "pmpath.diff": 8,
    "pmpath.audit": 8,
    "pmpath.validation": 8,
    "pmpath": 9,
    "pmpath.serve": 9,  # the HTTP service, an extra: above every room it answers from
    "pmpath.dask": 9,  # scale-out on Dask, an extra: batch's readers and scorer on a cluster
    "pmpath.schemas": 9,  # the one-release stub of a moved path
    "pmpath.cli": 10,
}
#: imports within a layer that the layout allows (importer -> imported)
SIDEWAYS = {
    ("pmpath.pool", "pmpath.errors"),  # the pool raises EngineError
    ("pmpath.batch", "pmpath.audit"),  # a batch run logs its decisions
    ("pmpath.diff", "pmpath.batch"),  # a diff reads and scores pools as batch does
}
#: what the command line may import: the face, errors, words, and public faces
CLI_MAY_IMPORT = {
    "pmpath",
    "pmpath.errors",
    "pmpath.words",
    "pmpath.audit",
    "pmpath.batch",
    "pmpath.dask",
    "pmpath.diff",
    "pmpath.guide",
    "pmpath.imports",
    "pmpath.profile",
    "pmpath.render",
    "pmpath.serve",
    "pmpath.source",
    "pmpath.validation",
}
STARTUP_COMMENT = "start-up time"


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT)
    top = {"engine": ["pmpath"], "cli": ["pmpath", "cli"]}[rel.parts[0]]
    parts = [*top, *rel.with_suffix("").parts[1:]]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def unit_of(module: str) -> str:
    """The layered unit a module belongs to: its subpackage, or itself."""
    best = "pmpath"
    for unit in LAYERS:
        if (module == unit or module.startswith(unit + ".")) and len(unit) > len(best):
            best = unit
    return best


def is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def resolve(module: str, package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if package else module.split(".")[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


class Imports(ast.NodeVisitor):
    """Every pmpath import of one file: (line, target, where) with where one of
    ``top``, ``function`` or ``typing``; function ones keep the comment above."""

    def __init__(self, module: str, package: bool, lines: list[str]):
        self.module, self.package, self.lines = module, package, lines
        self.found: list[tuple[int, str, str, str]] = []
        self._where = ["top"]

    def _targets(self, node) -> list[str]:
        if isinstance(node, ast.Import):
            return [a.name for a in node.names]
        base = resolve(self.module, self.package, node)
        # ``from pmpath.x import y`` imports the submodule pmpath.x.y when y is
        # one the face pmpath.x does not itself bind
        out = []
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            out.append(sub if sub in MODULES and alias.name not in bound_in(base) else base)
        return out

    def _record(self, node) -> None:
        above, n = [], node.lineno - 2
        while n >= 0 and self.lines[n].strip().startswith("#"):
            above.append(self.lines[n])
            n -= 1
        above = " ".join(above)
        for target in self._targets(node):
            if target == "pmpath" or target.startswith("pmpath."):
                self.found.append((node.lineno, target, self._where[-1], above))

    visit_Import = visit_ImportFrom = _record

    def visit_If(self, node: ast.If) -> None:
        if "TYPE_CHECKING" in ast.unparse(node.test):
            self._where.append("typing")
            for child in node.body:
                self.visit(child)
            self._where.pop()
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def _function(self, node) -> None:
        self._where.append("function")
        self.generic_visit(node)
        self._where.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = _function


def bound_in(module: str) -> set[str]:
    """Names a module binds at its top level (imports included)."""
    path = MODULES.get(module)
    if path is None:
        return set()
    names = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            # a face that loads members on first use (PEP 562) names them here
            for inner in node.body:
                if isinstance(inner, ast.ImportFrom):
                    names.update(a.asname or a.name for a in inner.names)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def all_modules() -> dict[str, Path]:
    files = [*sorted((ROOT / "engine").rglob("*.py")), *sorted((ROOT / "cli").rglob("*.py"))]
    return {module_name(f): f for f in files}


MODULES = all_modules()
KNOWN = set(MODULES)


def imports_of(module: str) -> list[tuple[int, str, str, str]]:
    path = MODULES[module]
    text = path.read_text(encoding="utf-8")
    visitor = Imports(module, is_package(path), text.splitlines())
    visitor.visit(ast.parse(text))
    # a name imported from a module is not a module: keep real modules only
    return [(line, t, where, above) for line, t, where, above in visitor.found if t in KNOWN]


def violation(importer: str, target: str) -> str | None:
    """Why ``importer`` may not import ``target`` at run time, or None."""
    src, dst = unit_of(importer), unit_of(target)
    if src == dst or target == importer:
        return None
    if src == "pmpath.cli":
        if target in CLI_MAY_IMPORT or dst == "pmpath.cli":
            return None
        return f"the command line imports the faces only, not {target}"
    if (src, dst) in SIDEWAYS:
        return None
    if LAYERS[dst] < LAYERS[src]:
        return None
    return f"layer {LAYERS[src]} ({src}) imports layer {LAYERS[dst]} ({dst})"


def test_every_module_has_a_layer():
    for module in MODULES:
        assert unit_of(module) in LAYERS, module
    for unit in LAYERS:
        assert unit in MODULES, f"{unit} is in LAYERS but not in the source"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_only_below_its_layer(module):
    problems = []
    for line, target, where, _ in imports_of(module):
        if where == "typing":
            continue
        why = violation(module, target)
        if why:
            problems.append(f"{MODULES[module].relative_to(ROOT)}:{line}: {why}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_an_import_inside_a_function_says_it_is_there_for_start_up_time(module):
    problems = [
        f"{MODULES[module].relative_to(ROOT)}:{line}: import of {target} inside a function "
        f"without a '# {STARTUP_COMMENT}: ...' comment above it"
        for line, target, where, above in imports_of(module)
        if where == "function" and STARTUP_COMMENT not in above
    ]
    assert not problems, "\n".join(problems)


def test_no_imports_form_a_circle():
    graph = {
        m: {t for _, t, where, _ in imports_of(m) if where == "top" and t != m} for m in MODULES
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert not circles, "\n".join(" <-> ".join(c) for c in circles)


def test_the_checker_catches_an_upward_import():
    assert violation("pmpath.model.rules", "pmpath.engine") is not None
    assert violation("pmpath.profile.reader", "pmpath.batch.inputs") is not None
    assert violation("pmpath.cli.batch", "pmpath.batch.run") is not None
    assert violation("pmpath.guide.markdown", "pmpath.render.text") is not None
    assert violation("pmpath.batch.run", "pmpath.engine") is None
    assert violation("pmpath.diff.run", "pmpath.batch.inputs") is None
