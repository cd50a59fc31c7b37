"""The house's rules, read off the code itself: what each layer of `bot/` may import, and
that the modules of `actions/` import each other in no circle.

bot/core is pure (the standard library and pure data libraries, nothing else of ours, no
clock); each layer imports only the layers beneath it; one module reads the environment;
an import inside a function says why it is there; no source file outgrows 350 lines.
"""
from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot"
# Pure data libraries the core may use: they compute, they do no I/O of their own.
PURE_LIBRARIES = {"dateutil", "yaml", "babel"}
# Lowest first: a module may import its own layer and the ones listed before it.
LAYERS = ["core", "clock", "settings", "db", "observability", "email", "notify", "billing", "app", "web", "ops"]
RANK = {name: rank for rank, name in enumerate(LAYERS)}
RANK["clock"] = RANK["settings"] = 1  # neither imports the other: the same floor
LONGEST = 350
ACTIONS = ROOT / "actions"


def python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py")
                  if ".venv" not in p.parts and "versions" not in p.parts)


def imports(path: Path) -> list[tuple[str, ast.AST, bool]]:
    """(module, node, inside a function) for every import in the file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                found.extend((alias.name, child, in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                names = [f"{child.module}.{alias.name}" for alias in child.names]
                found.extend((name, child, in_function) for name in names)
            visit(child, nested)

    visit(tree, False)
    return found


def layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "bot" and len(parts) > 1 and parts[1] in RANK else None


def layer_of(path: Path) -> str:
    relative = path.relative_to(BOT).with_suffix("")
    return relative.parts[0]


@pytest.mark.parametrize("path", python_files("bot/core"), ids=lambda p: p.name)
def test_the_core_imports_only_itself_the_standard_library_and_pure_data_libraries(path):
    for module, node, _ in imports(path):
        top = module.split(".")[0]
        allowed = module.startswith("bot.core") or top in sys.stdlib_module_names or top in PURE_LIBRARIES \
            or top == "__future__"
        assert allowed, f"{path.relative_to(ROOT)}:{node.lineno} imports {module}"


@pytest.mark.parametrize("path", python_files("bot/core"), ids=lambda p: p.name)
def test_the_core_never_reads_the_clock_or_the_environment(path):
    text = path.read_text()
    for reading in (r"datetime\.now\(", r"date\.today\(", r"\btime\.time\(", r"\btime\.monotonic\(", r"os\.environ",
                    r"\bgetenv\(", r"\bopen\(", r"\.read_text\(", r"\butcnow\("):
        assert not re.search(reading, text), f"{path.relative_to(ROOT)} calls {reading} (the core takes `now` and data)"


@pytest.mark.parametrize("path", [p for p in python_files("bot") if p.parent != BOT or p.stem not in
                                  ("__init__", "__main__")], ids=lambda p: str(p.relative_to(BOT)))
def test_no_layer_imports_a_layer_above_it(path):
    own = layer_of(path)
    if own not in RANK:
        return
    for module, node, _ in imports(path):
        target = layer(module)
        if target is not None:
            assert RANK[target] <= RANK[own], \
                f"bot/{path.relative_to(BOT)}:{node.lineno} ({own}) imports {module} ({target}), a layer above"


def test_only_the_settings_module_reads_the_environment():
    readers = [str(p.relative_to(ROOT)) for p in python_files("bot", "actions", "channels")
               if ("os.environ" in p.read_text() or "getenv(" in p.read_text()) and p != BOT / "settings.py"]
    assert readers == []


def test_an_import_inside_a_function_says_why():
    silent = []
    for path in python_files("bot", "actions", "channels"):
        lines = path.read_text().splitlines()
        for module, node, in_function in imports(path):
            if in_function and "#" not in lines[node.lineno - 1]:
                silent.append(f"{path.relative_to(ROOT)}:{node.lineno} {module}")
    assert silent == []


def test_no_source_file_is_longer_than_350_lines():
    long = {str(p.relative_to(ROOT)): n for p in python_files("bot", "actions", "channels", "tests", "bench")
            if (n := len(p.read_text().splitlines())) > LONGEST}
    assert long == {}


def action_module(imported: str) -> str | None:
    """The module of `actions/` an import names: `actions.refunds.assess` -> `actions.refunds`."""
    parts = imported.split(".")
    if parts[0] != "actions" or len(parts) < 2 or not (ACTIONS / f"{parts[1]}.py").exists():
        return None
    return f"actions.{parts[1]}"


def action_imports() -> dict[str, set[str]]:
    """Which action modules each action module imports, inside functions too. The package's
    __init__ is left out: it imports every module so that their registrations happen."""
    graph = {}
    for path in python_files("actions"):
        if path.stem != "__init__":
            own = f"actions.{path.stem}"
            graph[own] = {target for module, _, _ in imports(path)
                          if (target := action_module(module)) is not None and target != own}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that reach each other through imports (Tarjan's strongly
    connected components with more than one member), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_no_import_circle_among_the_actions():
    assert circles(action_imports()) == []


def test_the_offer_kinds_registry_imports_no_other_action_module():
    assert action_imports()["actions.offer_kinds"] == set()


def test_every_action_module_is_imported_by_the_package():
    """rasa-sdk imports `actions`; a module it does not import registers nothing."""
    imported = {action_module(module) for module, _, _ in imports(ACTIONS / "__init__.py")}
    assert set(action_imports()) <= imported


def test_the_checks_see_a_violation(tmp_path):
    """The walker finds an upward import inside a function, so the tests above can fail."""
    probe = tmp_path / "probe.py"
    probe.write_text("import os\n\ndef f():\n    from bot.ops.cli import main\n    return main\n")
    found = imports(probe)
    assert ("bot.ops.cli.main", True) in [(module, inside) for module, _, inside in found]
    assert layer("bot.ops.cli.main") == "ops" and RANK["ops"] > RANK["core"]
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []
    assert action_module("actions.refunds.assess") == "actions.refunds" and action_module("actionsx.y") is None
