"""Backups for administrators of the top unit: the backups kept and the failed attempts, one now, a download."""

import streamlit as st

import settings as settings_module
from reports.routes import download_url
from services import backups
from storage import audit
from ui import state
from ui.links import route_link
from ui.markup import plain
from ui.resources import database
from ui.session import require, t

user = require("admin")
if not backups.may_manage(user):  # a backup is every unit's data: a town's admin may not take it home
    st.error(t("backup.forbidden_scope"))
    st.stop()

db = database()
cfg = settings_module.load()
st.title(t("backup.title"))
scheduler = backups.scheduler(db, cfg)
if scheduler is None:
    st.info(t("backup.not_duckdb"))
    st.stop()

folder = plain(str(cfg.backup_folder))
if cfg.backup_every_hours > 0:
    st.caption(t("backup.settings", folder=folder, hours=cfg.backup_every_hours, keep=cfg.backup_keep))
else:
    st.caption(t("backup.schedule_off", folder=folder, keep=cfg.backup_keep))
st.caption(t("backup.online_note"))

if st.button(t("backup.start"), key="backup.start", type="primary"):
    if scheduler.request_now(user.user_id):
        audit.record(db, "backup.start", actor_id=user.user_id, actor_name=user.username)
        st.session_state[state.BACKUP_NOTICE] = ("success", "backup.started")
    else:
        st.session_state[state.BACKUP_NOTICE] = ("warning", "backup.already_running")
notice = st.session_state.pop(state.BACKUP_NOTICE, None)
if notice:
    getattr(st, notice[0])(t(notice[1]))


def _size(size: int | None) -> str:
    return "" if size is None else f"{size / 1_048_576:.1f} MB"


@st.fragment(run_every=2 if scheduler.busy else None)
def status() -> None:
    """While a backup runs: say so and look again every 2 s; once it is done, show the list with it."""
    if scheduler.busy:
        st.info(t("backup.running"))
    elif st.session_state.get(state.BACKUP_WAS_BUSY):
        st.session_state[state.BACKUP_WAS_BUSY] = False
        st.rerun()
    st.session_state[state.BACKUP_WAS_BUSY] = scheduler.busy


status()
rows = backups.backup_rows(db, cfg)
latest = rows[0] if rows else None
if latest is not None and latest.status == "failed":
    st.error(t("backup.last_failed", when=f"{latest.at:%Y-%m-%d %H:%M}", error=plain(latest.error or "")))
st.subheader(t("backup.list"))
if not rows:
    st.info(t("backup.none"))
else:
    st.dataframe([{
        t("backup.col.time"): f"{r.at:%Y-%m-%d %H:%M:%S}",
        t("backup.col.status"): t(f"backup.status.{r.status}"),
        t("backup.col.file"): r.file_name or "",
        t("backup.col.size"): _size(r.size),
        t("backup.col.origin"): t(f"backup.origin.{r.origin or 'unknown'}"),
        t("backup.col.error"): r.error or "",
    } for r in rows], hide_index=True)

kept = backups.list_backups(cfg.backup_folder)
if kept:
    st.subheader(t("backup.download_title"))
    st.caption(t("backup.download_note"))
    name = st.selectbox(t("backup.download_pick"), [b.name for b in kept], key="backup.pick",
                        format_func=lambda n: next(f"{n} · {_size(b.size)}" for b in kept if b.name == n))
    if st.button(f"{t('backup.download')} · {t('download.prepare')}", key="backup.prepare"):
        ticket = backups.issue_download(db, user, cfg, name)
        if ticket is None:
            st.warning(t("backup.download_gone"))
            st.session_state.pop(state.BACKUP_LINK, None)
        else:
            st.session_state[state.BACKUP_LINK] = (name, download_url(ticket))
    link = st.session_state.get(state.BACKUP_LINK)
    if link and link[0] == name:
        st.caption(t("download.ready"))
        route_link(f"{t('backup.download')} · {name}", link[1])
st.caption(t("backup.restore_hint"))
