"""Every Streamlit call that renders markdown gets stored text only through ui.markup.plain (a static check of the
pages, so a new call that passes a name, title or label as it is fails here before it reaches a browser)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted([ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")])

# Streamlit calls whose text arguments are rendered as markdown, and the keyword arguments that are too.
MARKDOWN_CALLS = {
    "markdown", "write", "caption", "info", "warning", "error", "success", "toast", "title", "header", "subheader",
    "button", "download_button", "form_submit_button", "link_button", "page_link", "expander", "popover", "status",
    "tabs", "metric", "checkbox", "toggle", "radio", "pills", "segmented_control", "select_slider", "text_input",
    "text_area", "number_input", "date_input", "time_input", "selectbox", "multiselect", "file_uploader",
}
MARKDOWN_KEYWORDS = {"label", "body", "help", "value", "delta"}
# Their options are markdown too (selectbox and multiselect options are plain text).
MARKDOWN_OPTIONS = {"radio", "pills", "segmented_control", "select_slider"}
# Attributes that hold text someone typed or a file carried, and message parameters that may carry it.
STORED = {"name", "title", "label", "description", "display_name", "unit_name", "campaign_name", "address",
          "head_name", "category", "hint", "parent_name", "username", "text", "params"}
SAFE_CALLS = {"plain", "plain_values", "len", "percent", "number", "format_change", "str.format"}


def _unescaped(node: ast.AST) -> list[str]:
    """Stored-text attributes in ``node`` not wrapped in a call to plain()/plain_values() (or a number format)."""
    found: list[str] = []

    def visit(n: ast.AST) -> None:
        if isinstance(n, ast.Call):
            name = n.func.id if isinstance(n.func, ast.Name) else n.func.attr if isinstance(n.func, ast.Attribute) else ""
            if name in SAFE_CALLS:
                return
            if name == "t":  # t(key, **params): the key is catalogue text, the values are what is checked
                for arg in n.args[1:]:
                    visit(arg)
                for kw in n.keywords:
                    visit(kw.value)
                return
        if isinstance(n, ast.IfExp):  # `a if x.hint else b`: the test is not shown
            visit(n.body)
            visit(n.orelse)
            return
        if isinstance(n, ast.Attribute) and n.attr in STORED and not isinstance(n.ctx, ast.Store):
            found.append(ast.unparse(n))
            return
        for child in ast.iter_child_nodes(n):
            visit(child)

    visit(node)
    return found


def _markdown_arguments(call: ast.Call, name: str) -> list[ast.AST]:
    if name in ("selectbox", "multiselect"):  # only the label: the options are shown as plain text
        return call.args[:1] + [kw.value for kw in call.keywords if kw.arg == "label"]
    args = list(call.args)
    if name == "metric":
        args = call.args[:3]
    keywords = [kw.value for kw in call.keywords if kw.arg in MARKDOWN_KEYWORDS or kw.arg is None
                or (kw.arg == "format_func" and name in MARKDOWN_OPTIONS)]
    if name in ("text_input", "text_area", "number_input", "date_input", "time_input"):  # value is the typed text
        keywords = [kw.value for kw in call.keywords if kw.arg in ("label", "help")]
        args = call.args[:1]
    return args + keywords


def stored_text_in_markdown(path: Path) -> list[str]:
    problems = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MARKDOWN_CALLS:
            for argument in _markdown_arguments(node, node.func.attr):
                for attribute in _unescaped(argument):
                    problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.func.attr}(… {attribute} …)")
    return problems


def test_markdown_calls_get_stored_text_only_through_plain():
    problems = [problem for path in FILES for problem in stored_text_in_markdown(path)]
    assert not problems, "\n".join(problems)


def test_the_check_finds_a_name_passed_as_it_is(tmp_path):
    page = tmp_path / "page.py"
    page.write_text('st.subheader(t("dash.drill_level", name=parent.name))\n'
                    'st.error(t(exc.code, **exc.params))\n'
                    'st.selectbox(t("x"), units, format_func=lambda u: u.name)\n'  # plain-text options: fine
                    'st.radio(t("x"), units, format_func=lambda u: u.name)\n'
                    'st.caption(t("x", name=plain(unit.name)))\n', encoding="utf-8")
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        found = stored_text_in_markdown(page)
    finally:
        ROOT = saved
    assert [line.split(":")[1] for line in found] == ["1", "2", "4"]
