"""Shared parts of the dashboard pages: the filter bar, the drill position, live refresh and the rollup refresher."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

import settings as settings_module
from analytics.filters import PERIOD_PRESETS, period_range
from analytics.live import RollupRefresher
from auth.principal import Principal
from storage import analytics, campaigns, orgs
from storage.db import Database
from storage.orgs import OrgUnit
from ui import state
from ui.session import lang, t

LIVE_INTERVALS = (5, 10, 30, 60)
DEFAULT_INTERVAL = 10


@st.cache_resource(show_spinner=False)
def _refresher(path: str, _db: Database) -> RollupRefresher:
    worker = RollupRefresher(_db)
    worker.start()
    return worker


def ensure_refresher(db: Database) -> None:
    """Start this process's rollup refresher once (it folds new responses every few seconds)."""
    worker = _refresher(db.path, db)
    if not worker.is_alive() and not getattr(db, "_closed", False):
        _refresher.clear()
        _refresher(db.path, db)


def today() -> dt.date:
    return settings_module.now().date()


@dataclass(frozen=True)
class DashboardContext:
    user: Principal
    db: Database
    filters: analytics.Filters
    unit: OrgUnit  # the drill position (the user's own unit by default)
    preset: str
    today: dt.date

    def filter_text(self, survey_titles: dict[str, str] | None = None) -> str:
        """The filters as one line, for the report header and captions."""
        f = self.filters
        parts = [self.unit.name]
        if f.survey_id:
            title = (survey_titles or {}).get(f.survey_id, f.survey_id)
            parts.append(title + (f" v{f.survey_version}" if f.survey_version else ""))
        if f.campaign_id:
            parts.append(f"{t('dash.campaign')} #{f.campaign_id}")
        parts.append(f"{f.since or '…'} ~ {f.until or '…'}" if (f.since or f.until) else t("dash.period.all"))
        parts.append(t(f"dash.channel.{f.channel or 'all'}"))
        return " · ".join(parts)


def _stored(key: str, default: Any) -> Any:
    return st.session_state.setdefault(state.DASH_FILTERS, {}).get(key, default)


def _keep(key: str, value: Any) -> None:
    st.session_state.setdefault(state.DASH_FILTERS, {})[key] = value


def _widget_key(key: str) -> str:
    """The widget key of filter ``key`` on the dashboard page running now.

    Streamlit gives a widget on another page another identity even under the same key, and a key still holding
    the last page's value then makes the new widget start from its first option. A key per page is seeded from
    the kept choices on each visit instead (tests/analytics/test_browser_dashboard.py shows the reset without it)."""
    return f"dash.w.{st.session_state.get(state.DASH_PAGE, '')}.{key}"


def _widget(kind: Callable, label: str, key: str, default: Any, **kwargs: Any) -> Any:
    """A widget whose value survives moving between the dashboard pages (widget state does not)."""
    widget_key = _widget_key(key)
    options = kwargs.get("options")
    if options is not None and st.session_state.get(widget_key, default) not in options:
        st.session_state.pop(widget_key, None)
        _keep(key, default if default in options else options[0])
    if widget_key not in st.session_state:
        st.session_state[widget_key] = _stored(key, default)
    value = kind(label, key=widget_key, **kwargs)
    _keep(key, value)
    return value


def set_unit(unit_id: int) -> None:
    """Move the drill position (used as a button callback, before the unit picker is drawn)."""
    st.session_state[state.DASH_UNIT] = unit_id
    st.session_state.pop(_widget_key("unit"), None)
    _keep("unit", unit_id)


def current_unit(db: Database, user: Principal) -> OrgUnit:
    unit_id = st.session_state.get(state.DASH_UNIT, user.unit_id)
    unit = orgs.get_unit(db, unit_id)
    if unit is None or not user.can_see(unit.path):
        unit = orgs.get_unit(db, user.unit_id)
    assert unit is not None
    return unit


def filter_bar(db: Database, user: Principal, *, page: str, survey: bool = True, channel: bool = True,
               period: bool = True) -> DashboardContext:
    """The filters in the sidebar of dashboard ``page`` (a short name); returns them with the drill position.
    A page whose figures a filter does not change leaves it out (its kept choice stays for the other pages)."""
    st.session_state[state.DASH_PAGE] = page
    day = today()
    units = orgs.list_units(db, user.scope)
    by_id = {u.id: u for u in units}
    with st.sidebar:
        st.subheader(t("dash.filters"))
        unit_now = current_unit(db, user)
        unit_key = _widget_key("unit")
        if st.session_state.get(unit_key) not in by_id:
            st.session_state[unit_key] = unit_now.id
        unit_id = st.selectbox(t("dash.unit"), list(by_id), key=unit_key,
                               format_func=lambda i: "　" * (by_id[i].level - user.unit_level) + by_id[i].name)
        st.session_state[state.DASH_UNIT] = unit_id
        survey_id = version = None
        if survey:
            answered = analytics.surveys_answered(db, user.scope)
            titles = {}
            for v in answered:
                titles.setdefault(v.survey_id, v.title)
            choices = [""] + list(titles)
            most_answered = choices[1] if len(choices) > 1 else ""
            survey_id = _widget(st.selectbox, t("dash.survey"), "survey", most_answered, options=choices,
                                format_func=lambda s: titles.get(s, t("dash.survey_all")))
            if survey_id not in choices:
                survey_id = ""
            versions = [0] + sorted({v.survey_version for v in answered if v.survey_id == survey_id})
            if survey_id and len(versions) > 2:
                version = _widget(st.selectbox, t("dash.version"), "version", 0, options=versions,
                                  format_func=lambda n: t("dash.version_n", n=n) if n else t("dash.version_all")) or None
                if version not in versions:
                    version = None
        found = campaigns.list_campaigns(db, user.scope)
        names = {c.id: c.name for c in found}
        campaign_id = _widget(st.selectbox, t("dash.campaign"), "campaign", 0, options=[0, *names],
                              format_func=lambda i: names.get(i, t("dash.campaign_none"))) or None
        if campaign_id not in names:
            campaign_id = None
        preset = "all"
        if period:
            preset = _widget(st.selectbox, t("dash.period"), "period", "30d", options=list(PERIOD_PRESETS),
                             format_func=lambda p: t(f"dash.period.{p}"))
        since = until = None
        if preset == "custom":
            since = _widget(st.date_input, t("dash.since"), "since", day - dt.timedelta(days=29))
            until = _widget(st.date_input, t("dash.until"), "until", day)
        since, until = period_range(preset, day, since, until)
        chosen_channel = None
        if channel:
            chosen_channel = _widget(st.selectbox, t("dash.channel"), "channel", "",
                                     options=["", "link", "visit", "import"],
                                     format_func=lambda c: t(f"dash.channel.{c or 'all'}")) or None
    unit = by_id.get(unit_id) or current_unit(db, user)
    f = analytics.Filters(survey_id=survey_id or None, survey_version=version, campaign_id=campaign_id, since=since,
                          until=until, channel=chosen_channel,
                          unit_path=None if unit.id == user.unit_id else unit.path)
    return DashboardContext(user, db, f, unit, preset, day)


def live_controls() -> float | None:
    """The live-refresh switch and interval; returns the fragment's run_every (None when paused)."""
    cols = st.columns([1, 1, 4])
    with cols[0]:
        live = _widget(st.toggle, t("dash.live"), "live", True)
    with cols[1]:
        interval = _widget(st.selectbox, t("dash.interval"), "interval", DEFAULT_INTERVAL,
                           options=list(LIVE_INTERVALS), label_visibility="collapsed",
                           format_func=lambda n: t("dash.interval_every", n=n))
    if not live:
        cols[2].caption(t("dash.paused"))
        return None
    return float(interval)


def updated_caption() -> None:
    st.caption(t("dash.updated", time=settings_module.now().strftime("%Y-%m-%d %H:%M:%S")))


def percent(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def number(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def language() -> str:
    return lang()
