"""The import graph runs one way: handlers -> bot -> (storage, plantid, bot.model)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    """Return every module a source file imports, at any depth of the file."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def _top(module: str) -> str:
    return module.split(".", 1)[0]


@pytest.mark.parametrize("path", sorted((ROOT / "handlers").glob("*.py")), ids=lambda p: p.name)
def test_handlers_never_reach_storage(path: Path) -> None:
    assert "storage" not in {_top(module) for module in imported_modules(path)}


def test_the_state_machine_does_not_speak_telegram() -> None:
    modules = imported_modules(ROOT / "bot" / "service.py")
    assert "telegram" not in {_top(module) for module in modules}


@pytest.mark.parametrize("package", ["storage", "plantid"])
def test_lower_layers_know_only_the_shared_vocabulary_of_bot(package: str) -> None:
    for path in (ROOT / package).rglob("*.py"):
        bot_imports = {module for module in imported_modules(path) if _top(module) == "bot"}
        assert bot_imports <= {"bot.model"}, path
        assert "handlers" not in {_top(module) for module in imported_modules(path)}, path
