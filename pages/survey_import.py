"""Importing a survey (YAML or XLSForm, with the import report) and paper responses (checked first, then stored at once)."""

from __future__ import annotations

import hashlib

import streamlit as st

from ui.session import lang, require, t

user = require("admin", "leader")

from services import authoring, paper_import, uploads  # noqa: E402
from storage import surveys as survey_store  # noqa: E402
from surveys import SurveyDefinitionError  # noqa: E402
from surveys.errors import ImportIssue  # noqa: E402
from ui import import_job, state  # noqa: E402
from ui.markup import plain, plain_values  # noqa: E402
from ui.resources import database  # noqa: E402

L = lang()
db = database()
st.title(t("import.title"))


def report_table(issues: list[ImportIssue]) -> None:
    """The report as a table (a dataframe shows user text as plain text)."""
    st.dataframe(
        [{t("authoring.report.row"): issue.row, t("authoring.report.column"): issue.column,
          t("authoring.report.reason"): issue.message(L)} for issue in issues],
        hide_index=True, width="stretch",
    )


tab_survey, tab_paper = st.tabs([t("import.tab.survey"), t("import.tab.paper")])

with tab_survey:
    upload = st.file_uploader(t("import.survey_file"), type=["yaml", "yml", "xlsx", "xls"], key="import.survey.file")
    publish_now = st.checkbox(t("import.publish_now"), key="import.survey.publish")
    survey_content = upload.getvalue() if upload is not None else b""
    survey_key = f"{import_job.digest(survey_content)}:{publish_now}"
    if (st.button(t("import.survey_button"), key="import.survey.button", disabled=upload is None)
            or import_job.started("import.survey", survey_key)) and upload is not None:
        survey_name = upload.name
        importer = authoring.import_xlsform if authoring.is_xlsform(survey_name, survey_content) else authoring.import_yaml
        try:  # read and stored off the script thread, with progress and a cancel (before the write: nothing stored)
            outcome = import_job.run("import.survey", survey_key, lambda progress: importer(
                db, user, survey_content, filename=survey_name, publish_now=publish_now, progress=progress), once=True)
        except SurveyDefinitionError as exc:
            st.error(t("import.failed"))
            for error in exc.errors:
                st.text(error.message(L))
        except authoring.UnreadableWorkbook as exc:
            st.error(t("import.failed"))
            for issue in exc.issues:
                st.text(issue.message(L))
        except uploads.UploadRefused as exc:
            st.error(t(exc.code, **plain_values(exc.params)))
        else:
            if outcome is not import_job.RUNNING:
                st.success(t("import.survey_done", id=outcome.survey_id)
                           + (" " + t("import.survey_published", version=outcome.version) if outcome.version else ""))
                if outcome.report:
                    st.markdown(t("authoring.report.title", n=len(outcome.report)))
                    report_table(outcome.report)
                else:
                    st.caption(t("import.report_none"))
                if outcome.definition_errors:
                    st.warning(t("import.definition_errors"))
                    for message in outcome.definition_errors:
                        st.text(message)
                st.session_state[state.BUILDER_SWITCH_TO] = outcome.survey_id
                st.link_button(t("import.open_builder"), f"/builder?s={outcome.survey_id}")

with tab_paper:
    published = [row for row in survey_store.list_surveys(db, user.scope) if row.current_version is not None]
    if not published:
        st.info(t("import.no_published"))
    else:
        titles = {row.id: f"{row.title} ({row.id} · v{row.current_version})" for row in published}
        survey_id = st.selectbox(t("import.paper_survey"), list(titles), key="import.paper.survey", format_func=titles.get)
        st.caption(t("import.paper_help"))
        paper = st.file_uploader(t("import.paper_file"), type=["csv", "xlsx"], key="import.paper.file")
        content = paper.getvalue() if paper is not None else b""
        check_key = f"{import_job.digest(content)}:{survey_id}"
        if (st.button(t("import.paper_check"), key="import.paper.check", disabled=paper is None)
                or import_job.started("import.paper.check", check_key)) and paper is not None:
            paper_name = paper.name
            try:  # checked off the script thread, with progress and a cancel
                plan = import_job.run("import.paper.check", check_key, lambda progress: paper_import.plan_import(
                    db, user, survey_id, content, paper_name, progress=progress), once=True)
            except paper_import.PaperImportError as exc:
                st.session_state.pop(state.PAPER_PLAN, None)
                st.error(plain(exc.issue.message(L)))
            except uploads.UploadRefused as exc:
                st.session_state.pop(state.PAPER_PLAN, None)
                st.error(t(exc.code, **plain_values(exc.params)))
            else:
                if plan is not import_job.RUNNING:
                    st.session_state[state.PAPER_PLAN] = (hashlib.sha256(content).hexdigest(), paper.name, plan)
        held = st.session_state.get(state.PAPER_PLAN)
        if held is not None and held[2].survey_id == survey_id:
            digest, name, plan = held
            st.markdown(f"**{t('import.paper_columns')}**")
            st.dataframe(
                [{t("import.paper_column"): col.header,
                  t("import.paper_target"): (f"{col.question_id}.{col.row_id}" if col.row_id else col.question_id)
                  if col.kind == "question" else t(f"import.paper_{col.kind}")} for col in plan.columns],
                hide_index=True,
            )
            if plan.warnings:
                report_table(plan.warnings)
            if not plan.ok:
                st.error(t("authoring.paper.rejected", bad=len(plan.bad_rows) or 1, total=plan.rows_total))
                report_table(plan.errors)
            else:
                st.success(t("import.paper_ok", n=len(plan.responses)))
                if plan.preview:
                    st.markdown(f"**{t('import.paper_preview')}**")
                    st.dataframe(plan.preview, hide_index=True)
                if st.button(t("import.paper_confirm", n=len(plan.responses)), key="import.paper.confirm", type="primary"):
                    result = paper_import.run_import(db, user, plan, name)
                    st.session_state.pop(state.PAPER_PLAN, None)
                    st.success(t("authoring.paper.stored", created=result.created, skipped=result.already_stored))
