"""The walls between the packages, read off the source (an AST scan, no app): each package's docstring says its wall,
and this test fails when a change crosses one.

- patti_web.avviso (the call, the document, the sections, the rules) is pure: no Flask, no SQLAlchemy, no web, and
  no other package of the portal but patti_web.i18n.
- The views and the command line import no model and no `db`, and commit nothing: they call use cases.
- The builders of the documents (patti_web.documenti, its __init__) take an application and return bytes: no Flask.
- A migration imports nothing of the portal: its logic is frozen inside it.
- Test and demo support is not in the package.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "patti_web"
WEB_FRAMEWORKS = ("flask", "flask_babel", "flask_login", "flask_wtf", "werkzeug", "wtforms", "htmx_flask")


def imports(path: Path) -> set[str]:
    """Every module a file imports (absolute names; `from a import b` counts as a and a.b)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _under(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _files(*parts: str) -> list[Path]:
    return sorted((PACKAGE.joinpath(*parts)).rglob("*.py"))


@pytest.mark.parametrize("path", _files("avviso"), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_call_and_its_rules_are_pure(path):
    crossing = {name for name in imports(path)
                if _under(name, *WEB_FRAMEWORKS, "sqlalchemy", "flask_sqlalchemy")
                or (_under(name, "patti_web") and not _under(name, "patti_web.avviso", "patti_web.i18n"))}
    assert crossing == set(), f"{path.name} crosses the wall of patti_web.avviso"


VIEWS = [*sorted((PACKAGE / "web").rglob("views.py")), PACKAGE / "web" / "persone" / "auth.py",
         PACKAGE / "web" / "main.py", PACKAGE / "cli.py"]


@pytest.mark.parametrize("path", VIEWS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_views_and_the_command_line_use_no_model_and_no_db(path):
    names = imports(path)
    crossing = {n for n in names if n.endswith(".models") or ".models." in n or n == "patti_web.extensions.db"
                or (_under(n, "sqlalchemy") and not _under(n, "sqlalchemy.exc"))}
    assert crossing == set(), f"{path.name} reaches the storage directly"
    commits = [node.lineno for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
               if isinstance(node, ast.Attribute) and node.attr in ("commit", "rollback", "flush")]
    assert commits == [], f"{path.name} commits (lines {commits}): the use case it calls does"


def test_the_document_builders_know_no_app():
    path = PACKAGE / "documenti" / "__init__.py"
    assert {n for n in imports(path) if _under(n, *WEB_FRAMEWORKS, "sqlalchemy")} == set()


@pytest.mark.parametrize("path", sorted((ROOT / "migrations" / "versions").glob("*.py")), ids=lambda p: p.name)
def test_a_migration_imports_nothing_of_the_portal(path):
    assert {n for n in imports(path) if _under(n, "patti_web")} == set()


def test_test_and_demo_support_is_not_shipped():
    for path in PACKAGE.rglob("*.py"):
        assert not _under_tests(imports(path)), path
    assert not (PACKAGE / "sandbox.py").exists() and not (PACKAGE / "samples.py").exists()


def _under_tests(names: set[str]) -> bool:
    return any(_under(n, "tests") for n in names)


def test_the_scan_sees_a_crossing(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from flask import current_app\nimport sqlalchemy.orm\nfrom patti_web.domande import models\n")
    assert {"flask.current_app", "sqlalchemy.orm", "patti_web.domande.models"} <= imports(sample)
