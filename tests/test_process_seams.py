"""Processes deployed apart never import each other: they share only `lapor_common`.

The gateway (`bot`), the action server (`actions`, with `nlu_components`) and the
backend (`backend`) run on different hosts in production, each from its own install;
an import across them would drag the other's dependencies (and code) along.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Each process's packages, and the packages of the others it must not import.
PROCESSES = {
    "bot": {"actions", "backend", "nlu_components", "rasa_runtime"},
    "actions": {"bot", "backend", "rasa_runtime"},
    "backend": {"bot", "actions", "nlu_components", "rasa_runtime"},
    "lapor_common": {"bot", "actions", "backend", "nlu_components", "rasa_runtime"},
}


def imported_packages(path: Path) -> set[str]:
    """The top-level packages `path` imports, anywhere in the file (lazy imports too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.partition(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(PROCESSES))
def test_a_process_imports_no_other_process(package: str) -> None:
    crossings = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & PROCESSES[package])
        for path in sorted((ROOT / package).rglob("*.py"))
    }
    assert {file: names for file, names in crossings.items() if names} == {}


def test_the_check_sees_a_crossing(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from backend.db import utcnow\n    import actions.labels\n")
    assert imported_packages(sample) == {"backend", "actions"}
