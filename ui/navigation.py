"""The page registry: every page file, who may open it and where it sits in the staff menu."""

from __future__ import annotations

from dataclasses import dataclass

PUBLIC = ()  # roles value for pages anyone may open


@dataclass(frozen=True)
class PageEntry:
    file: str  # path under the repo root, e.g. "pages/users.py"
    url_path: str
    title_key: str  # i18n key of the menu title
    roles: tuple[str, ...]  # () = public; otherwise staff roles allowed
    group: str = "nav.group.work"  # i18n key of the menu section
    icon: str = ":material/article:"
    in_menu: bool = True


# Order here is menu order. Pages add themselves with one line.
PAGES: list[PageEntry] = [
    PageEntry("pages/home.py", "home", "app.home", PUBLIC, icon=":material/home:", in_menu=False),
    PageEntry("pages/surveys.py", "surveys", "nav.surveys", ("admin", "leader"), "nav.group.admin", ":material/quiz:"),
    PageEntry("pages/units.py", "units", "nav.units", ("admin",), "nav.group.admin", ":material/account_tree:"),
    PageEntry("pages/users.py", "users", "nav.users", ("admin",), "nav.group.admin", ":material/group:"),
    PageEntry("pages/audit.py", "audit", "nav.audit", ("admin",), "nav.group.admin", ":material/history:"),
    PageEntry("pages/account.py", "account", "nav.account", ("admin", "leader", "cadre"), "nav.group.account", ":material/person:"),
]


def visible_to(role: str | None) -> list[PageEntry]:
    """The pages a role may open (public pages for everyone)."""
    return [p for p in PAGES if not p.roles or (role is not None and role in p.roles)]
