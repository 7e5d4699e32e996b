"""补课访 and 回头访 worklists per unit and per cadre, their Excel sheets for paper work, and re-importing them."""

import streamlit as st

from auth.principal import Principal
from fieldwork import registry
from fieldwork.masking import mask_household
from fieldwork.sheets import visit_sheet
from services import fieldwork as fw
from services import uploads
from services.survey_catalog import survey_version
from settings import now
from storage import audit, orgs, users
from storage import campaigns as campaign_store
from storage import visits as visit_store
from storage import worklists
from storage.db import Database, Scope, StorageError
from ui import downloads, import_job
from ui.markup import plain_values
from ui.resources import database
from i18n import t as translate
from ui.session import lang, require, t

user: Principal = require("admin", "leader", "cadre")
db: Database = database()
today = now().date()
st.title(t("worklists.title"))

campaigns = campaign_store.list_campaigns(db, user.scope)
if not campaigns:
    st.info(t("campaigns.missing"))
    st.stop()
running = campaign_store.current_campaign(db, user.scope, today)
campaign = st.selectbox(t("campaigns.choose"), campaigns, index=campaigns.index(running) if running in campaigns else 0,
                        format_func=lambda c: f"{c.name}（{c.starts_on} – {c.ends_on}）", key="worklists.campaign")

scope: Scope = user.scope
if user.role != "cadre":
    c1, c2 = st.columns(2)
    units = orgs.list_units(db, user.scope)
    unit = c1.selectbox(t("worklists.unit"), units, key="worklists.unit",
                        format_func=lambda u: f"{'　' * (u.level - user.unit_level)}{u.name}")
    scope = unit.scope
    cadres = [u for u in users.list_users(db, scope) if u.role == "cadre" and u.active]
    cadre = c2.selectbox(t("worklists.cadre"), [None, *cadres], key="worklists.cadre",
                         format_func=lambda u: t("worklists.all_cadres") if u is None else f"{u.display_name}（{u.unit_name}）")
    if cadre is not None:
        scope = cadre.scope  # a cadre's list: the households of their grids
search = st.text_input(t("households.search"), key="worklists.search").strip() or None

LIMIT = 1000  # rows shown and exported per list; the counts in the tab titles are complete
make_up = worklists.make_up_visits(db, scope, campaign.id, limit=LIMIT, search=search)
returns = worklists.return_visits(db, scope, campaign.id, limit=LIMIT, search=search)
counts = worklists.worklist_counts(db, scope, campaign.id)


def _who(grid_path: str, name: str, phone: str | None) -> tuple[str, str]:
    return mask_household(name, phone, user.sees_personal_data_of(grid_path))


def _record_export(kind: str, rows: int) -> None:
    audit.record(db, "export.worklist", actor_id=user.user_id, actor_name=user.username,
                 target=f"campaign:{campaign.id}", detail={"list": kind, "rows": rows, "scope": scope.path})


LANG = lang()  # the export callables run outside the script thread: no session state there


def _make_up_rows(items: list[worklists.MakeUpItem]) -> list[list]:
    rows = []
    for i in items:
        name, phone = _who(i.grid_path, i.head_name, i.phone)
        rows.append([i.code, name, phone, i.address or "", i.grid_name, i.attempts,
                     i.last_attempt_at.strftime("%Y-%m-%d") if i.last_attempt_at else "",
                     translate(f"outcome.{i.last_outcome}", LANG) if i.last_outcome else ""])
    return rows


def _return_rows(items: list[worklists.ReturnItem]) -> list[list]:
    rows = []
    for i in items:
        name, phone = _who(i.grid_path, i.head_name, i.phone)
        rows.append([i.code, name, phone, i.address or "", i.grid_name, i.open_problems,
                     "是" if i.dissatisfied else "", "是" if i.follow_up else "", i.due_on.isoformat(),
                     translate(f"urgency.{i.urgency}", LANG)])
    return rows


MAKE_UP_SHEET = ["户编号", "户主姓名", "联系电话", "地址", "所属网格", "已走访次数", "最近走访", "最近结果"]
RETURN_SHEET = ["户编号", "户主姓名", "联系电话", "地址", "所属网格", "未销号问题", "不满意", "需回头访", "办理期限", "紧急程度"]
EXPORT_LIMIT = 50_000
categories = fw.categories(db, user.scope)
tab1, tab2 = st.tabs([t("worklists.make_up", n=counts.make_up), t("worklists.return", n=counts.return_visits)])
with tab1:
    if not make_up:
        st.info(t("worklists.make_up_empty"))
    else:
        headers = [t("col.code"), t("col.head_name"), t("col.phone"), t("col.address"), t("col.grid"), t("col.attempts"),
                   t("col.last_attempt"), t("col.last_outcome")]
        st.dataframe([dict(zip(headers, r)) for r in _make_up_rows(make_up)], hide_index=True)
        # The sheet is built only when asked for, with the whole list (not just the rows shown).
        def _make_up_sheet() -> bytes:
            _record_export("make_up", min(counts.make_up, EXPORT_LIMIT))
            return visit_sheet(MAKE_UP_SHEET, _make_up_rows(worklists.make_up_visits(
                db, scope, campaign.id, limit=EXPORT_LIMIT, search=search)), categories)

        downloads.offer("worklists.export_make_up", t("worklists.export"), user, f"补课访_{today}.xlsx",
                        downloads.XLSX, _make_up_sheet)
with tab2:
    if not returns:
        st.info(t("worklists.return_empty"))
    else:
        headers = [t("col.code"), t("col.head_name"), t("col.phone"), t("col.address"), t("col.grid"),
                   t("col.open_problems"), t("col.dissatisfied"), t("col.follow_up"), t("col.due"), t("col.urgency")]
        st.dataframe([dict(zip(headers, r)) for r in _return_rows(returns)], hide_index=True)
        def _return_sheet() -> bytes:
            _record_export("return", min(counts.return_visits, EXPORT_LIMIT))
            return visit_sheet(RETURN_SHEET, _return_rows(worklists.return_visits(
                db, scope, campaign.id, limit=EXPORT_LIMIT, search=search)), categories)

        downloads.offer("worklists.export_return", t("worklists.export"), user, f"回头访_{today}.xlsx",
                        downloads.XLSX, _return_sheet)

# --- the offline path: a filled sheet comes back ----------------------------------------
if user.role in ("cadre", "admin"):
    st.subheader(t("worklists.reimport"))
    st.caption(t("worklists.reimport_help"))
    upload = st.file_uploader(t("households.file"), type=["xlsx", "csv"], key="worklists.upload")
    if upload is None:
        import_job.forget("worklists.sheet")
    else:
        data, name = upload.getvalue(), upload.name
        try:  # read off the script thread, with progress and a cancel
            read = import_job.run("worklists.sheet", f"{import_job.digest(data)}:{campaign.id}", lambda progress: (
                fw.read_visit_sheet(db, user.scope, data, name, categories=categories, today=today,
                                    window=(campaign.starts_on, campaign.ends_on), progress=progress)))
        except (registry.RegistryFileError, uploads.UploadRefused) as exc:
            st.error(t(exc.code, **plain_values(exc.params)))
            st.stop()
        if read is import_job.RUNNING:
            st.stop()
        sheet, households, headers = read
        bad_rows = len({e.row for e in sheet.errors})
        st.info(t("worklists.sheet_summary", total=sheet.total_rows, good=len(sheet.visits), skipped=sheet.skipped,
                  bad=bad_rows))
        if sheet.errors:
            st.dataframe([{t("registry.row"): e.row, t("registry.reason"): t(f"registry.err.{e.code}"),
                           t("registry.value"): e.value} for e in sheet.errors], hide_index=True)
            st.warning(t("worklists.sheet_fix"))
        is_return = st.checkbox(t("visits.is_return"), value="未销号问题" in headers, key="worklists.sheet_return")
        if not sheet.errors and sheet.visits and st.button(t("worklists.import_visits"), type="primary",
                                                            key="worklists.import"):
            loaded = survey_version(db, campaign.visit_survey_id)
            survey, version = loaded if loaded else (None, None)
            new = fw.sheet_visits(sheet, households, cadre_id=user.user_id, campaign_id=campaign.id, survey=survey,
                                  version=version, is_return_visit=is_return)
            try:
                visit_store.record_visits(db, user.scope, new)
            except visit_store.VisitRefused as exc:
                st.error(t(exc.code))
            except StorageError as exc:  # a conflict that never settled or storage unavailable: nothing stored
                st.error(t(exc.code))
            else:
                st.success(t("worklists.imported", n=len(new)))
