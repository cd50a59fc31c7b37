"""Every repository path a comment, a docstring, a YAML, Markdown or config file names exists.

A reader who follows `bot/app/offers.py` or `docs/contracts.md` from a comment must find it:
a moved or deleted file leaves its old name behind in prose, which nothing else checks.
A path resolves when it is a file or folder of the repository (from its root or from the
naming file's folder), the tail of one (`static/console.js`, `rules.py`), a file inside an
installed package (`rasa/core/lock_store.py`), or something made at run time (`var/`).
"""
from __future__ import annotations

import ast
import importlib.util
import io
import re
import tokenize
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_FOLDERS = {".git", ".venv", "node_modules", "__pycache__", ".pytest_cache", ".hypothesis", ".rasa",
                   "var", "models", "results", "out"}
EXTENSIONS = "py|md|yml|yaml|toml|txt|json|html|cfg|lock|sh|ini|conf|css|js|sql|mako|eml|png|env|env\\.example"
# A path: optional ./ or ../, folders, then a file name with one of the extensions above; not part
# of a URL, a host name (chat.example.com), a template (<pipeline>-confusion.png) or a dotted name.
PATH = re.compile(r"(?<![\w/.:@$<>*{~-])((?:\.\.?/)*(?:[\w.-]+/)*\w[\w.-]*\.(?:%s))(?![\w/-]|\.\w)" % EXTENSIONS)
# Whole files of prose and configuration; in the other kinds only comments (and Python's docstrings).
PROSE = (".md", ".yml", ".yaml")
HASH_COMMENTED = (".toml", ".conf", ".cfg", ".ini", ".sh", ".env", ".example")
HASH_COMMENTED_NAMES = {"Makefile", "Dockerfile", "run"}
# Made at run time, never committed (.gitignore): named as where output goes.
RUN_TIME = ("var/", "bench/out/", "models/", "results/")
# Files outside this repository that the text is about, by name.
ELSEWHERE = {
    "vocab.txt": "the sentence encoder's vocabulary, in the weights package (requirements-weights.lock)",
    "alembic.ini": "named to say that none is needed",
    "secrets.env": "the operator's own file, made from deploy/k8s/overlays/prod/secrets.env.example",
    "services.env": "the operator's own file, made from deploy/k8s/overlays/prod/services.env.example",
}


def repository_files() -> list[Path]:
    found = []
    for path in ROOT.rglob("*"):
        relative = path.relative_to(ROOT)
        if path.is_file() and not SKIPPED_FOLDERS.intersection(relative.parts[:-1]):
            found.append(relative)
    return sorted(found)


@lru_cache(maxsize=1)
def known_paths() -> frozenset[str]:
    """Every file and folder of the repository, as a path from its root."""
    paths = set()
    for relative in repository_files():
        parts = relative.parts
        paths.update("/".join(parts[:end]) for end in range(1, len(parts) + 1))
    return frozenset(paths)


def prose_of(path: Path, text: str) -> list[tuple[int, str]]:
    """(line number, text) of what the file says in words: comments, docstrings, prose files."""
    if path.suffix in PROSE:
        return list(enumerate(text.splitlines(), 1))
    if path.suffix in HASH_COMMENTED or path.name in HASH_COMMENTED_NAMES:
        return [(number, line[line.index("#"):]) for number, line in enumerate(text.splitlines(), 1) if "#" in line]
    if path.suffix != ".py":
        return []
    found = [(token.start[0], token.string) for token in tokenize.generate_tokens(io.StringIO(text).readline)
             if token.type == tokenize.COMMENT]
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) \
                and (docstring := ast.get_docstring(node, clean=False)) is not None:
            first = node.body[0].lineno
            found.extend((first + offset, line) for offset, line in enumerate(docstring.splitlines()))
    return found


def resolves(reference: str, named_in: Path) -> bool:
    if reference in ELSEWHERE or reference.startswith(RUN_TIME):
        return True
    from_folder = (ROOT / named_in.parent / reference).resolve()
    if from_folder.is_relative_to(ROOT) and from_folder.exists():
        return True
    plain = reference.lstrip("./") if not reference.startswith("../") else reference
    if plain in known_paths() or any(path.endswith("/" + plain) for path in known_paths()):
        return True
    return in_installed_package(plain)


def in_installed_package(reference: str) -> bool:
    """`rasa/core/lock_store.py`: a file of an installed package (not one of ours)."""
    top = reference.split("/")[0]
    if not top.isidentifier() or (ROOT / top).exists():
        return False
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return False
    if spec is None or not spec.submodule_search_locations:
        return False
    return any((Path(location).parent / reference).exists() for location in spec.submodule_search_locations)


def unresolved_in(path: Path, text: str | None = None) -> list[str]:
    text = (ROOT / path).read_text(errors="replace") if text is None else text
    return [f"{path}:{number}: {match.group(1)}" for number, line in prose_of(path, text)
            for match in PATH.finditer(line) if not resolves(match.group(1), path)]


def test_every_path_named_in_comments_docs_and_config_exists():
    missing = [problem for path in repository_files() for problem in unresolved_in(path)]
    assert missing == [], "paths named that do not exist:\n" + "\n".join(missing)


@pytest.mark.parametrize("line, expected", [
    ("# see bot/app/offers.py and docs/contracts.md", ["bot/app/offers.py", "docs/contracts.md"]),
    ("(contracts.md section 3)", ["contracts.md"]),
    ("[rules](../docs/refund-rules.md)", ["../docs/refund-rules.md"]),
    ("https://example.com/a/b.py, host chat.example.com, bench/out/nlu-<name>-confusion.png", []),
    ("copy secrets.env.example to secrets.env", ["secrets.env.example", "secrets.env"]),
])
def test_paths_are_found_in_prose(line, expected):
    assert [m.group(1) for m in PATH.finditer(line)] == expected


def test_a_path_that_moved_is_reported_with_its_file_and_line():
    """The check can fail: a file that names a deleted module is reported where it names it."""
    probe = Path("tests/unit/probe_for_paths.py")
    text = '"""Sends through bot/app/offers.py."""\n\nx = 1  # moved from bot/outbound.py\n'
    assert unresolved_in(probe, text) == ["tests/unit/probe_for_paths.py:3: bot/outbound.py"]
    assert resolves("bot/app/offers.py", probe) and resolves("static/console.js", probe)
    assert resolves("rasa/core/lock_store.py", probe) and not resolves("rasa/core/no_such_module.py", probe)
