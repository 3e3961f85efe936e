"""The floor plan of docs/architecture.md, held by tests that need no database: imports stand at the top
of their module (an import inside a function says why on its line), and every message kind has one
declaring domain and its templates. The import direction and the absence of circles are checked by
import-linter (``lint-imports``, contracts in pyproject.toml), which bin/test runs after ruff."""

import ast
import io
import tokenize
from pathlib import Path

from bazaar.notifications import registry
from tests.support import ROOT

CODE = [*sorted((ROOT / "bazaar").rglob("*.py")), *sorted((ROOT / "worker").rglob("*.py"))]


def _comments(source: str) -> dict[int, str]:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {t.start[0]: t.string for t in tokens if t.type == tokenize.COMMENT}


def function_imports(path: Path) -> list[tuple[str, int, str]]:
    """(function, line, comment) for every import statement inside a function of ``path``."""
    source = path.read_text(encoding="utf-8")
    comments = _comments(source)
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    found.append((node.name, inner.lineno, comments.get(inner.lineno, "")))
    return found


def _says_why(comment: str) -> bool:
    """A comment that is more than a linter's noqa."""
    text = comment.lstrip("#").strip()
    return bool(text) and not (text.startswith("noqa") and "(" not in text)


def test_imports_inside_functions_say_why():
    unexplained = []
    for path in CODE:
        name = path.relative_to(ROOT).as_posix()
        for function, line, comment in function_imports(path):
            if not _says_why(comment):
                unexplained.append(f"{name}:{line} in {function}()")
    assert not unexplained, (
        "Move these imports to the top of their module, or say on the import's line why it must wait:\n"
        + "\n".join(unexplained)
    )


def test_the_check_finds_an_unexplained_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\n\n\ndef f():\n"
        "    import json\n"
        "    from sys import path  # the reason\n"
        "    import re  # noqa: F401\n"
    )
    found = {(line, _says_why(comment)) for _, line, comment in function_imports(sample)}
    assert found == {(5, False), (6, True), (7, False)}


def test_every_message_kind_is_declared_once_with_its_templates(app):
    """Each domain declares its messages (bazaar/<domain>/notifications.py); a kind without templates, or a
    template no domain declares, is a message that cannot be sent."""
    emails = ROOT / "templates" / "emails"
    templated = {p.name.removesuffix(".subject.txt") for p in emails.glob("*.subject.txt")}
    assert set(registry.kinds()) == templated
    assert all((emails / f"{kind}.txt").exists() for kind in registry.kinds())
