"""The house's rules, read off the code itself: what each layer of `bot/` may import.

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


def test_the_checks_see_a_violation(tmp_path):
    """The walker finds an upward import inside a function, so the tests above can fail."""
    probe = tmp_path / "probe.py"
    probe.write_text("import os\n\ndef f():\n    from bot.ops.cli import main\n    return main\n")
    found = imports(probe)
    assert ("bot.ops.cli.main", True) in [(module, inside) for module, _, inside in found]
    assert layer("bot.ops.cli.main") == "ops" and RANK["ops"] > RANK["core"]
