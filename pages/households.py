"""Households (住户台账): import the registry (and the org tree) with preview, dry run and progress; search and export."""

import streamlit as st

from auth.principal import Principal
from fieldwork import registry
from fieldwork.masking import mask_household
from fieldwork.rules import tag_choices
from fieldwork.sheets import xlsx_bytes
from services import fieldwork as fw
from services import uploads
from settings import now
from storage import audit
from storage import campaigns as campaign_store
from storage import households as household_store
from storage import worklists
from storage.db import Database
from ui import downloads, import_job
from ui.markup import plain, plain_values
from ui.resources import database
from ui.session import require, t

user: Principal = require("admin", "leader")
db: Database = database()
st.title(t("households.title"))


def _error_table(errors: list[registry.RowError]) -> None:
    st.dataframe([{t("registry.row"): e.row, t("registry.reason"): t(f"registry.err.{e.code}"), t("registry.value"): e.value}
                  for e in errors], hide_index=True)


if user.role == "admin":
    with st.expander(t("households.import"), expanded=False):
        st.caption(t("households.import_help"))
        upload = st.file_uploader(t("households.file"), type=["csv", "xlsx", "txt"], key="households.upload")
        if upload is None:
            import_job.forget("households.check")
        else:
            data, name = upload.getvalue(), upload.name
            file_key = import_job.digest(data)
            try:  # the check (and the import below) run off the script thread, with progress and a cancel
                check = import_job.run("households.check", file_key, lambda progress: fw.check_households(
                    db, user.scope, data, name, progress=progress))
            except (registry.RegistryFileError, uploads.UploadRefused) as exc:
                st.error(t(exc.code, **plain_values(exc.params)))
                check = import_job.RUNNING
            if check is not import_job.RUNNING:
                preview = registry.read_table(data, upload.name, limit=20)
                st.caption(t("households.preview"))
                st.dataframe([dict(zip(preview.headers, cells)) for _, cells in preview.rows], hide_index=True)
                bad = len({e.row for e in check.errors})
                st.info(t("registry.summary", total=check.parse.total_rows, good=check.parse.total_rows - bad, bad=bad,
                          encoding=check.parse.encoding))
                if check.errors:
                    _error_table(check.errors)
                else:
                    st.success(t("households.dry_run_ok"))
                skip = st.checkbox(t("households.skip_bad"), key="households.skip", disabled=not check.errors)
                import_key = f"{file_key}:{skip}"
                if st.button(t("households.do_import"), type="primary", key="households.go",
                             disabled=bool(check.errors) and not skip) or import_job.started("households.import",
                                                                                              import_key):
                    try:
                        counts = import_job.run("households.import", import_key, lambda progress: fw.import_households(
                            db, user.scope, check, skip_bad_rows=skip, progress=progress), once=True)
                    except household_store.HouseholdsOutOfScope as exc:
                        st.error(t(exc.key, codes=plain("、".join(exc.codes[:20]))))
                    except Exception:  # the transaction rolled back: nothing was written
                        st.error(t("households.import_failed"))
                    else:
                        if counts is import_job.RUNNING:
                            pass
                        elif counts is None:
                            st.error(t("households.import_blocked"))
                        else:
                            audit.record(db, "households.import", actor_id=user.user_id, actor_name=user.username,
                                         target=upload.name, detail=counts.__dict__)
                            st.success(t("households.imported", inserted=counts.inserted, updated=counts.updated,
                                         unchanged=counts.unchanged))
    with st.expander(t("households.units"), expanded=False):
        st.caption(t("households.units_help"))
        unit_file = st.file_uploader(t("households.file"), type=["csv", "xlsx", "txt"], key="households.units_upload")
        if unit_file is None:
            import_job.forget("households.units.check")
        else:
            unit_data, unit_name = unit_file.getvalue(), unit_file.name
            unit_key = import_job.digest(unit_data)
            levels = household_store.unit_levels(db)
            try:  # the check and the import run off the script thread, with progress and a cancel
                units = import_job.run("households.units.check", unit_key, lambda progress: registry.parse_units(
                    unit_data, unit_name, levels, progress=progress))
            except (registry.RegistryFileError, uploads.UploadRefused) as exc:
                st.error(t(exc.code, **plain_values(exc.params)))
                units = import_job.RUNNING
            if units is not import_job.RUNNING:
                if units.errors:
                    _error_table(units.errors)
                elif (st.button(t("households.do_import"), key="households.units_go")
                      or import_job.started("households.units.import", unit_key)):
                    try:
                        counts = import_job.run("households.units.import", unit_key, lambda progress: (
                            household_store.import_units(db, units.records, user.scope, progress=progress)), once=True)
                    except (PermissionError, LookupError):
                        st.error(t("auth.forbidden"))
                    else:
                        if counts is not import_job.RUNNING:
                            audit.record(db, "units.import", actor_id=user.user_id, actor_name=user.username,
                                         target=unit_name, detail=counts.__dict__)
                            st.success(t("households.units_imported", inserted=counts.inserted,
                                         updated=counts.updated, unchanged=counts.unchanged))

# --- the list ---------------------------------------------------------------------------
st.subheader(t("households.list"))
c1, c2, c3 = st.columns([2, 1, 1])
search = c1.text_input(t("households.search"), key="households.search").strip() or None
tags = tag_choices(household_store.tags_in_use(db, user.scope))
tag = c2.selectbox(t("households.tag"), [None, *tags], key="households.tag",
                   format_func=lambda x: t("common.all") if x is None else x)
campaign = campaign_store.current_campaign(db, user.scope, now().date())
status = c3.selectbox(t("households.status"), [None, "covered", "attempted", "unvisited"], key="households.status",
                      format_func=lambda s: t("common.all") if s is None else t(f"status.{s}"), disabled=campaign is None)
LIMIT = 500
total = household_store.count_households(db, user.scope, search=search, tag=tag)
homes = household_store.list_households(db, user.scope, search=search, tag=tag, limit=5000 if status else LIMIT)
statuses = worklists.household_statuses(db, user.scope, campaign.id, [h.id for h in homes]) if campaign and homes else {}
if status:
    homes = [h for h in homes if statuses.get(h.id) == status][:LIMIT]
st.caption(t("households.count", n=total, shown=LIMIT))
if not homes:
    st.info(t("households.none"))
    st.stop()
headers = [t("col.code"), t("col.head_name"), t("col.phone"), t("col.address"), t("col.grid"), t("col.members"),
           t("col.tags"), t("col.status")]
rows = []
for h in homes:
    name, phone = mask_household(h.head_name, h.phone, user.sees_personal_data_of(h.grid_path))
    rows.append([h.code, name, phone, h.address or "", h.grid_name, h.members, "、".join(h.tags),
                 t(f"status.{statuses[h.id]}") if h.id in statuses else ""])
st.dataframe([dict(zip(headers, r)) for r in rows], hide_index=True)


def _record_export() -> None:
    audit.record(db, "export.households", actor_id=user.user_id, actor_name=user.username, target=user.scope.path,
                 detail={"rows": len(rows), "search": search, "tag": tag, "status": status})


def _export() -> bytes:
    _record_export()
    return xlsx_bytes(headers, rows, sheet="住户")


downloads.offer("households.export", t("households.export"), user, "households.xlsx", downloads.XLSX, _export)
