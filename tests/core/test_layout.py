"""House rules that keep the layout honest: registered pages exist and guard themselves, SQL stays in storage/."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from ui.navigation import PAGES

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = [p.parent.name for p in ROOT.glob("*/__init__.py") if ".venv" not in str(p)]


def test_every_registered_page_exists_once():
    files = [p.file for p in PAGES]
    assert len(files) == len(set(files))
    assert len({p.url_path for p in PAGES}) == len(PAGES)
    for file in files:
        assert (ROOT / file).is_file(), file


def test_every_page_file_is_registered():
    registered = {p.file for p in PAGES}
    on_disk = {f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py")}
    assert on_disk == registered


def test_non_public_pages_check_access_before_rendering():
    for entry in PAGES:
        if not entry.roles:
            continue
        tree = ast.parse((ROOT / entry.file).read_text(encoding="utf-8"))
        first_calls = []
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)) or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
                continue
            first_calls.append(ast.unparse(node))
            break
        assert first_calls and "require(" in first_calls[0], f"{entry.file} must call require(...) first"


def test_page_names_do_not_shadow_packages():
    # Streamlit puts pages/ on sys.path: pages/surveys.py would shadow the surveys package.
    for page in (ROOT / "pages").glob("*.py"):
        assert page.stem not in PACKAGES + ["settings", "app", "server", "manage"], page.name


def test_every_package_and_module_starts_with_a_docstring():
    for path in ROOT.glob("**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts:
            continue
        module = ast.parse(path.read_text(encoding="utf-8"))
        assert ast.get_docstring(module), f"{path.relative_to(ROOT)} has no docstring"


def test_sql_only_in_storage():
    sql = re.compile(r"\b(SELECT\s.+\sFROM|INSERT INTO|UPDATE\s+\w+\s+SET|DELETE FROM|CREATE TABLE)\b", re.IGNORECASE)
    offenders = []
    for path in ROOT.glob("**/*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in {"storage", "tests", "bench", ".venv"}:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if sql.search(line):
                offenders.append(f"{rel}:{number}")
    assert offenders == []


def test_no_unsafe_html_outside_tests():
    for path in ROOT.glob("**/*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in {"tests", ".venv"}:
            continue
        text = path.read_text(encoding="utf-8")
        assert "unsafe_allow_html=True" not in text, rel
        assert not re.search(r"(^|[^.\w])(eval|exec)\(", text), rel
