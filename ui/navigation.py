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
    wide: bool = False  # laid out across the whole window (dashboards, long tables)


# Order here is menu order. Pages add themselves with one line.
PAGES: list[PageEntry] = [
    PageEntry("pages/home.py", "home", "app.home", PUBLIC, icon=":material/home:", in_menu=False),
    PageEntry("pages/fill.py", "fill", "fill.nav_title", PUBLIC, icon=":material/edit_note:", in_menu=False),
    PageEntry("pages/dashboard.py", "dashboard", "nav.dashboard", ("admin", "leader"), "nav.group.dashboards", ":material/monitoring:", wide=True),
    PageEntry("pages/dashboard_visits.py", "dashboard-visits", "nav.dashboard_visits", ("admin", "leader"), "nav.group.dashboards", ":material/map:", wide=True),
    PageEntry("pages/dashboard_problems.py", "dashboard-problems", "nav.dashboard_problems", ("admin", "leader"), "nav.group.dashboards", ":material/assignment_late:", wide=True),
    PageEntry("pages/dashboard_voices.py", "dashboard-voices", "nav.dashboard_voices", ("admin", "leader"), "nav.group.dashboards", ":material/forum:", wide=True),
    PageEntry("pages/credibility.py", "credibility", "nav.credibility", ("admin", "leader"), "nav.group.dashboards", ":material/verified_user:", wide=True),
    PageEntry("pages/links.py", "links", "nav.links", ("admin", "leader", "cadre"), icon=":material/qr_code_2:"),
    PageEntry("pages/visits.py", "visits", "nav.visits", ("admin", "cadre"), icon=":material/door_front:"),
    PageEntry("pages/worklists.py", "worklists", "nav.worklists", ("admin", "leader", "cadre"), icon=":material/checklist:"),
    PageEntry("pages/problems.py", "problems", "nav.problems", ("admin", "leader", "cadre"), icon=":material/report:"),
    PageEntry("pages/households.py", "households", "nav.households", ("admin", "leader"), icon=":material/home_work:"),
    PageEntry("pages/campaigns.py", "campaigns", "nav.campaigns", ("admin",), "nav.group.admin", ":material/campaign:"),
    PageEntry("pages/survey_list.py", "surveys", "nav.surveys", ("admin", "leader"), "nav.group.admin", ":material/quiz:"),
    PageEntry("pages/builder.py", "builder", "nav.builder", ("admin", "leader"), "nav.group.admin", ":material/edit_document:"),
    PageEntry("pages/survey_import.py", "survey-import", "nav.survey_import", ("admin", "leader"), "nav.group.admin", ":material/upload_file:"),
    PageEntry("pages/evaluation.py", "evaluation", "nav.evaluation", ("admin", "leader"), icon=":material/how_to_vote:"),
    PageEntry("pages/units.py", "units", "nav.units", ("admin",), "nav.group.admin", ":material/account_tree:"),
    PageEntry("pages/users.py", "users", "nav.users", ("admin",), "nav.group.admin", ":material/group:"),
    PageEntry("pages/audit.py", "audit", "nav.audit", ("admin",), "nav.group.admin", ":material/history:", wide=True),
    PageEntry("pages/backups.py", "backups", "backup.nav", ("admin",), "nav.group.admin", ":material/backup:"),
    PageEntry("pages/account.py", "account", "nav.account", ("admin", "leader", "cadre"), "nav.group.account", ":material/person:"),
]


def visible_to(role: str | None) -> list[PageEntry]:
    """The pages a role may open (public pages for everyone)."""
    return [p for p in PAGES if not p.roles or (role is not None and role in p.roles)]


def routable_for(role: str | None) -> list[PageEntry]:
    """The pages the router serves: a signed-in user's own pages; for a visitor
    every page, so that a bookmarked staff URL reaches its guard, which asks
    for a sign-in and returns there afterwards, instead of 'page not found'."""
    return list(PAGES) if role is None else visible_to(role)
