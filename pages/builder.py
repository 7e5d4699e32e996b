"""Survey builder: create or copy a survey, edit questions with menus, preview on a phone, publish versions."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
from typing import Any

import streamlit as st

from ui.session import lang, require, t

user = require("admin", "leader")

from services import authoring  # noqa: E402
from services import draft_edits as edits  # noqa: E402
from services.survey_catalog import survey_version  # noqa: E402
from storage import surveys as survey_store  # noqa: E402
from surveys import SurveyDefinitionError  # noqa: E402
from surveys import constants as c  # noqa: E402
from surveys.evaluation import evaluation_definition  # noqa: E402
from ui import import_job, state  # noqa: E402
from ui.markup import plain, plain_values  # noqa: E402
from ui.resources import database, templates  # noqa: E402
from ui.survey_form import render_page  # noqa: E402

L = lang()
db = database()
st.title(t("builder.title"))


def notice(key: str, **params: Any) -> None:
    """Keep a message for the next run (actions save, then rerun)."""
    st.session_state[state.BUILDER_NOTICE] = (key, params)


def save(survey_id: str, definition: dict[str, Any], message: str = "builder.saved", **params: Any) -> None:
    try:
        authoring.save_draft(db, user, survey_id, definition)
    except authoring.AuthoringError as exc:
        st.error(t(exc.key, **plain_values(exc.params)))
        st.stop()
    except SurveyDefinitionError as exc:  # past the size bounds or a NUL: nothing saved, the last draft stays
        st.error(plain(exc.message(L)))
        st.stop()
    notice(message, **params)
    st.rerun()


pending = st.session_state.pop(state.BUILDER_NOTICE, None)
if pending:
    st.success(t(pending[0], **plain_values(pending[1])))

# --- create -------------------------------------------------------------------
template_surveys = templates().surveys
editable = authoring.editable_surveys(db, user)
with st.expander(t("builder.create"), expanded=not editable):
    new_title = st.text_input(t("builder.new_title"), key="builder.new.title")
    new_id = st.text_input(t("builder.new_id"), key="builder.new.id", help=t("builder.new_id_help"))
    start_from = st.selectbox(
        t("builder.start_from"), ["", *template_surveys], key="builder.new.template",
        format_func=lambda i: t("builder.blank") if not i else f"{template_surveys[i].title} ({i})",
    )
    new_kind = st.selectbox(t("builder.kind"), c.SURVEY_KINDS, key="builder.new.kind",
                            format_func=lambda k: t(f"survey.kind.{k}"), disabled=bool(start_from))
    subjects_text = ""
    if new_kind == c.KIND_EVALUATION and not start_from:
        subjects_text = st.text_area(t("builder.subjects"), key="builder.new.subjects", help=t("builder.subjects_help"))
        subject_file = st.file_uploader(t("builder.subjects_file"), type=["xlsx", "csv"], key="builder.new.subjects_file")
        if subject_file is None:
            import_job.forget("builder.subjects")
        else:
            from services import evaluation as evaluation_service
            from services.paper_import import PaperImportError
            from services.uploads import UploadRefused

            subject_data, subject_name = subject_file.getvalue(), subject_file.name
            try:  # read off the script thread, with progress and a cancel
                names = import_job.run("builder.subjects", import_job.digest(subject_data), lambda progress: (
                    evaluation_service.subject_names_from_table(subject_data, subject_name, progress=progress)))
                if names is not import_job.RUNNING:
                    subjects_text = "\n".join([*subjects_text.splitlines(), *names])
                    st.caption(t("builder.subjects_read", n=len(names)))
            except PaperImportError as exc:
                st.error(plain(exc.issue.message(L)))
            except UploadRefused as exc:
                st.error(t(exc.code, **plain_values(exc.params)))
    if st.button(t("builder.create_button"), key="builder.new.create", type="primary"):
        title = new_title.strip()
        wanted = new_id.strip().lower()
        if not title:
            st.error(t("builder.err.title_needed"))
        elif wanted and not authoring.survey_id_valid(wanted):
            st.error(t("builder.err.bad_id"))
        else:
            wanted = wanted or f"survey_{dt.datetime.now():%Y%m%d%H%M%S}"
            if start_from:
                created = authoring.create_from_template(db, user, template_surveys[start_from], wanted, title)
            elif new_kind == c.KIND_EVALUATION:
                try:
                    created = authoring.create_survey(
                        db, user, evaluation_definition(wanted, title, subjects_text.splitlines() or [title]))
                except SurveyDefinitionError as exc:  # more subjects than a survey may grade: nothing created
                    st.error(exc.message(L))
                    st.stop()
            else:
                created = authoring.create_survey(db, user, authoring.blank_definition(wanted, title, new_kind))
            st.session_state["builder.choose"] = created
            notice("builder.created", id=created)
            st.rerun()

editable = authoring.editable_surveys(db, user)
if not editable:
    st.info(t("builder.none"))
    st.stop()
ids = [r.id for r in editable]
titles = {r.id: r.title for r in editable}
if state.BUILDER_SWITCH_TO in st.session_state:
    st.session_state["builder.choose"] = st.session_state.pop(state.BUILDER_SWITCH_TO)
wanted_id = st.query_params.get("s")
if "builder.choose" not in st.session_state and wanted_id in ids:
    st.session_state["builder.choose"] = wanted_id
if st.session_state.get("builder.choose") not in ids:
    st.session_state.pop("builder.choose", None)
survey_id = st.selectbox(t("builder.choose"), ids, key="builder.choose", format_func=lambda i: f"{titles[i]} ({i})")
row = survey_store.get_survey(db, survey_id)
assert row is not None
definition = copy.deepcopy(authoring.working_definition(db, survey_id) or authoring.blank_definition(survey_id, row.title))
edits.pages_of(definition)
draft_exists = authoring.has_draft(db, survey_id)
st.caption(t("builder.status_line", status=t(f"survey.status.{row.status}"), version=row.current_version or "—",
             versions=row.versions))
if row.current_version is not None:
    st.info(t("builder.editing_next" if draft_exists else "builder.editing_published",
              next=row.versions + 1, version=row.current_version))

try:
    model = authoring.check_definition(definition)
    problems: list[str] = []
except SurveyDefinitionError as exc:
    model = None
    problems = [error.message(L) for error in exc.errors]

tab_questions, tab_settings, tab_publish, tab_versions = st.tabs(
    [t("builder.tab.questions"), t("builder.tab.settings"), t("builder.tab.publish"), t("builder.tab.versions")]
)

# --- questions ------------------------------------------------------------------


def type_name(question_type: str) -> str:
    return t(f"builder.type.{question_type}")


def condition_editor(question: dict[str, Any], key: str) -> dict[str, Any] | None | str:
    """Menus for show_if: returns the condition dict, None for none, or 'keep' for a condition too deep for menus."""
    parsed = edits.condition_rows(question.get(c.SHOW_IF))
    st.markdown(t("builder.condition"))
    if parsed is None:
        st.caption(t("builder.condition_complex"))
        return "keep" if not st.checkbox(t("builder.condition_clear"), key=f"{key}cond_clear") else None
    combinator, rows = parsed
    targets = {q[c.ID]: q for q in edits.condition_targets(definition, question[c.ID])}
    if not targets:
        st.caption(t("builder.condition_none_possible"))
        return None
    count_key = f"{key}cond_n"
    if count_key not in st.session_state:
        st.session_state[count_key] = len(rows)
    if st.session_state[count_key] > 1:
        combinator = st.radio(t("builder.condition_combine"), [c.ALL, c.ANY], index=0 if combinator == c.ALL else 1,
                              key=f"{key}cond_comb", horizontal=True, format_func=lambda x: t(f"builder.combine.{x}"))
    chosen: list[edits.ConditionRow] = []
    for i in range(st.session_state[count_key]):
        existing = rows[i] if i < len(rows) else None
        cols = st.columns([3, 2, 3])
        options = ["", *targets]
        ref = cols[0].selectbox(
            t("builder.condition_question"), options, key=f"{key}cond{i}_q",
            index=options.index(existing.question) if existing and existing.question in options else 0,
            format_func=lambda i_: t("builder.condition_remove") if not i_ else f"{i_} · {targets[i_].get(c.LABEL, '')}"[:40],
        )
        if not ref:
            continue
        target = targets[ref]
        ops = list(c.OPERATORS_BY_TYPE.get(target.get(c.TYPE), ()))
        if not ops:
            continue
        op = cols[1].selectbox(t("builder.condition_op"), ops, key=f"{key}cond{i}_op",
                               index=ops.index(existing.op) if existing and existing.op in ops else 0,
                               format_func=lambda o: t(f"builder.op.{o}"))
        value: Any = None
        if op not in c.PRESENCE_OPERATORS:
            value = condition_value(target, op, existing.value if existing else None, cols[2], f"{key}cond{i}_v")
        chosen.append(edits.ConditionRow(ref, op, value))
    if st.button(t("builder.condition_add"), key=f"{key}cond_add"):
        st.session_state[count_key] += 1
        st.rerun()
    return edits.rows_to_condition(combinator, chosen)


def condition_value(target: dict[str, Any], op: str, current: Any, where: Any, key: str) -> Any:
    """The value menu for one condition line: choices from the question, numbers and dates by picker."""
    qtype = target.get(c.TYPE)
    options = edits.choice_options(definition, target)
    if qtype == c.NPS:
        options = [(n, str(n)) for n in range(c.NPS_MIN, c.NPS_MAX + 1)]
    if options:
        values = [value for value, _ in options]
        labels = {value: label for value, label in options}
        if op in c.LIST_OPERATORS:
            default = [v for v in (current or ()) if v in values]
            return tuple(where.multiselect(t("builder.condition_value"), values, default=default, key=key,
                                           format_func=lambda v: f"{labels[v]} ({v})"))
        return where.selectbox(t("builder.condition_value"), values, key=key,
                               index=values.index(current) if current in values else 0,
                               format_func=lambda v: f"{labels[v]} ({v})")
    if qtype == c.NUMBER:
        return where.number_input(t("builder.condition_value"), value=float(current or 0), key=key)
    if qtype == c.DATE:
        picked = where.date_input(t("builder.condition_value"), value=dt.date.fromisoformat(str(current)) if current else dt.date.today(), key=key)
        return picked.isoformat()
    if op in c.LIST_OPERATORS:
        text = where.text_input(t("builder.condition_values"), value=", ".join(current or ()), key=key)
        return tuple(part.strip() for part in text.split(",") if part.strip())
    return where.text_input(t("builder.condition_value"), value=str(current or ""), key=key)


def question_editor(question: dict[str, Any]) -> None:
    """The form for one question; Save writes the draft."""
    qid = question[c.ID]
    key = f"builder.q.{qid}."
    qtype = question[c.TYPE]
    st.subheader(t("builder.edit_question", id=plain(qid)), anchor=False)
    new: dict[str, Any] = {c.ID: st.text_input(t("builder.q.id"), value=qid, key=f"{key}id").strip(), c.TYPE: qtype}
    new[c.LABEL] = st.text_area(t("builder.q.label"), value=question.get(c.LABEL, ""), key=f"{key}label", height=70)
    hint = st.text_input(t("builder.q.hint"), value=question.get(c.HINT) or "", key=f"{key}hint")
    if hint.strip():
        new[c.HINT] = hint.strip()
    if qtype != c.NOTE:
        if st.checkbox(t("builder.q.required"), value=bool(question.get(c.REQUIRED)), key=f"{key}required"):
            new[c.REQUIRED] = True
    lists = list(definition.get(c.CHOICE_LISTS, {}))
    if qtype in (c.SINGLE_CHOICE, c.MULTI_CHOICE):
        source = st.radio(t("builder.q.choice_source"), ["inline", "list"], horizontal=True, key=f"{key}source",
                          index=1 if question.get(c.CHOICE_LIST) and lists else 0,
                          format_func=lambda s: t(f"builder.q.source.{s}"))
        if source == "list" and lists:
            name = st.selectbox(t("builder.q.choice_list"), lists, key=f"{key}list",
                                index=lists.index(question[c.CHOICE_LIST]) if question.get(c.CHOICE_LIST) in lists else 0)
            new[c.CHOICE_LIST] = name
        else:
            text = st.text_area(t("builder.q.choices"), value=edits.choices_to_lines(question.get(c.CHOICES, [])),
                                key=f"{key}choices", help=t("builder.q.choices_help"))
            new[c.CHOICES] = edits.lines_to_choices(text)
        if qtype == c.MULTI_CHOICE:
            low = st.number_input(t("builder.q.min_choices"), min_value=0, step=1, value=int(question.get(c.MIN_CHOICES) or 0), key=f"{key}minc")
            high = st.number_input(t("builder.q.max_choices"), min_value=0, step=1, value=int(question.get(c.MAX_CHOICES) or 0), key=f"{key}maxc", help=t("builder.zero_no_limit"))
            if low:
                new[c.MIN_CHOICES] = int(low)
            if high:
                new[c.MAX_CHOICES] = int(high)
    if qtype in (c.RATING, c.MATRIX):
        scale_options = ["", *lists]
        scale = question.get(c.SCALE) if isinstance(question.get(c.SCALE), str) else ""
        picked = st.selectbox(t("builder.q.scale"), scale_options, key=f"{key}scale",
                              index=scale_options.index(scale) if scale in scale_options else 0,
                              format_func=lambda s: t("builder.q.default_scale") if not s else s)
        if picked:
            new[c.SCALE] = picked
        elif isinstance(question.get(c.SCALE), list):
            new[c.SCALE] = question[c.SCALE]
        if qtype == c.MATRIX:
            text = st.text_area(t("builder.q.rows"), value=edits.rows_to_lines(question.get(c.ROWS, [])), key=f"{key}rows",
                                help=t("builder.q.rows_help"))
            new[c.ROWS] = edits.lines_to_rows(text)
        counts_default = question.get(c.COUNTS_TOWARD_SATISFACTION, qtype == c.RATING)
        counts = st.checkbox(t("builder.q.counts"), value=bool(counts_default), key=f"{key}counts")
        if counts != (qtype == c.RATING):
            new[c.COUNTS_TOWARD_SATISFACTION] = counts
    if qtype == c.TEXT:
        low = st.number_input(t("builder.q.min_length"), min_value=0, step=1, value=int(question.get(c.MIN_LENGTH) or 0), key=f"{key}minl")
        high = st.number_input(t("builder.q.max_length"), min_value=1, max_value=c.TEXT_MAX_LENGTH, step=1,
                               value=int(question.get(c.MAX_LENGTH) or c.TEXT_MAX_LENGTH), key=f"{key}maxl")
        if low:
            new[c.MIN_LENGTH] = int(low)
        if high != c.TEXT_MAX_LENGTH:
            new[c.MAX_LENGTH] = int(high)
        if st.checkbox(t("builder.q.multiline"), value=bool(question.get(c.MULTILINE)), key=f"{key}multiline"):
            new[c.MULTILINE] = True
    if qtype == c.NUMBER:
        integer = st.checkbox(t("builder.q.integer"), value=bool(question.get(c.INTEGER)), key=f"{key}integer")
        if integer:
            new[c.INTEGER] = True
        for bound in (c.MIN, c.MAX):
            on = st.checkbox(t(f"builder.q.has_{bound}"), value=question.get(bound) is not None, key=f"{key}has{bound}")
            if on:
                new[bound] = st.number_input(t(f"builder.q.{bound}"), value=float(question.get(bound) or 0), key=f"{key}{bound}")
                if integer and float(new[bound]).is_integer():
                    new[bound] = int(new[bound])
    if qtype == c.DATE:
        for bound in (c.MIN, c.MAX):
            on = st.checkbox(t(f"builder.q.has_{bound}_date"), value=question.get(bound) is not None, key=f"{key}has{bound}")
            if on:
                current = question.get(bound)
                picked = st.date_input(t(f"builder.q.{bound}_date"), key=f"{key}{bound}",
                                       value=dt.date.fromisoformat(str(current)) if current else dt.date.today())
                new[bound] = picked.isoformat()
    condition = condition_editor(question, key)
    if condition == "keep":
        new[c.SHOW_IF] = question[c.SHOW_IF]
    elif condition is not None:
        new[c.SHOW_IF] = condition
    cols = st.columns(2)
    if cols[0].button(t("builder.q.save"), key=f"{key}save", type="primary"):
        if not new[c.ID] or (new[c.ID] != qid and edits.find_question(definition, new[c.ID]) is not None):
            st.error(t("builder.err.question_id", id=plain(new[c.ID])))
            return
        st.session_state[state.BUILDER_QUESTION] = new[c.ID]
        save(survey_id, edits.replace_question(definition, qid, new), "builder.question_saved", id=new[c.ID])
    if cols[1].button(t("builder.q.close"), key=f"{key}close"):
        st.session_state.pop(state.BUILDER_QUESTION, None)
        st.rerun()


with tab_questions:
    left, right = st.columns([3, 2])
    with left:
        for p, page in enumerate(definition[c.PAGES]):
            st.markdown(f"**{t('builder.page', n=p + 1)}**")
            if page.get(c.TITLE):
                st.text(page[c.TITLE])
            if not page.get(c.QUESTIONS):
                st.caption(t("builder.page_empty"))
                if len(definition[c.PAGES]) > 1 and st.button(t("builder.page_delete"), key=f"builder.page.del.{p}"):
                    save(survey_id, edits.delete_empty_page(definition, p))
            for question in page.get(c.QUESTIONS, []):
                qid = str(question.get(c.ID))
                cols = st.columns([6, 1, 1, 1, 1])
                flag = " ★" if question.get(c.SHOW_IF) else ""
                cols[0].text(f"{qid} · {type_name(str(question.get(c.TYPE)))}{flag}\n{question.get(c.LABEL, '')}")
                if cols[1].button("↑", key=f"builder.up.{qid}", help=t("builder.up")):
                    save(survey_id, edits.move_question(definition, qid, -1))
                if cols[2].button("↓", key=f"builder.down.{qid}", help=t("builder.down")):
                    save(survey_id, edits.move_question(definition, qid, 1))
                if cols[3].button("✎", key=f"builder.edit.{qid}", help=t("builder.edit")):
                    st.session_state[state.BUILDER_QUESTION] = qid
                    st.rerun()
                if cols[4].button("✕", key=f"builder.delete.{qid}", help=t("builder.delete")):
                    if st.session_state.get(state.BUILDER_QUESTION) == qid:
                        st.session_state.pop(state.BUILDER_QUESTION, None)
                    save(survey_id, edits.delete_question(definition, qid), "builder.question_deleted", id=qid)
        st.divider()
        st.markdown(f"**{t('builder.add_question')}**")
        add_cols = st.columns(2)
        add_type = add_cols[0].selectbox(t("builder.add_type"), c.QUESTION_TYPES, key="builder.add.type", format_func=type_name)
        add_page = add_cols[1].selectbox(t("builder.add_page"), list(range(len(definition[c.PAGES]))), key="builder.add.page",
                                         index=len(definition[c.PAGES]) - 1, format_func=lambda i: t("builder.page", n=i + 1))
        add_id = st.text_input(t("builder.add_id"), key="builder.add.id", help=t("builder.add_id_help"))
        add_label = st.text_input(t("builder.add_label"), key="builder.add.label")
        if st.button(t("builder.add_button"), key="builder.add.button"):
            wanted = add_id.strip()
            if wanted and not edits.IDENTIFIER_RE.fullmatch(wanted):
                st.error(t("builder.err.question_id", id=plain(wanted)))
            elif wanted and edits.find_question(definition, wanted) is not None:
                st.error(t("builder.err.question_id", id=plain(wanted)))
            else:
                qid = wanted or edits.free_question_id(definition, "q")
                question = edits.skeleton(add_type, qid, add_label.strip() or type_name(add_type))
                st.session_state[state.BUILDER_QUESTION] = qid
                save(survey_id, edits.add_question(definition, int(add_page), question), "builder.question_added", id=qid)
        page_title = st.text_input(t("builder.page_title"), key="builder.page.title")
        if st.button(t("builder.page_add"), key="builder.page.add"):
            save(survey_id, edits.add_page(definition, page_title.strip()))
        open_id = st.session_state.get(state.BUILDER_QUESTION)
        where = edits.find_question(definition, open_id) if open_id else None
        if where is not None:
            st.divider()
            question_editor(definition[c.PAGES][where[0]][c.QUESTIONS][where[1]])
    with right:
        st.markdown(f"**{t('builder.preview')}**")
        if model is None:
            st.warning(t("builder.problems", n=len(problems)))
            for message in problems:
                st.text(message)
        else:
            page_index = 0
            if len(model.pages) > 1:
                page_index = st.selectbox(t("builder.preview_page"), list(range(len(model.pages))), key="builder.preview.page",
                                          format_func=lambda i: t("builder.page", n=i + 1))
            with st.container(width=380, border=True):
                if model.title:
                    st.subheader(plain(model.title), anchor=False)
                # A fresh key per draft state: a widget whose options changed must not keep a stale value.
                digest = hashlib.sha1(json.dumps(definition, sort_keys=True, default=str).encode()).hexdigest()[:10]
                render_page(model, int(page_index), {}, lang=L, key_prefix=f"builder.preview.{survey_id}.{digest}")

# --- settings --------------------------------------------------------------------
with tab_settings:
    title = st.text_input(t("builder.s.title"), value=definition.get(c.TITLE, ""), key=f"builder.s.{survey_id}.title")
    intro = st.text_area(t("builder.s.intro"), value=definition.get(c.INTRO, ""), key=f"builder.s.{survey_id}.intro")
    kind = st.selectbox(t("builder.kind"), c.SURVEY_KINDS, key=f"builder.s.{survey_id}.kind",
                        index=c.SURVEY_KINDS.index(definition.get(c.KIND, c.DEFAULT_KIND)) if definition.get(c.KIND, c.DEFAULT_KIND) in c.SURVEY_KINDS else 0,
                        format_func=lambda k: t(f"survey.kind.{k}"))
    level = st.selectbox(t("builder.s.satisfied_level"), [5, 4, 3, 2, 1], key=f"builder.s.{survey_id}.level",
                         index=[5, 4, 3, 2, 1].index(definition.get(c.SATISFIED_LEVEL, c.DEFAULT_SATISFIED_LEVEL))
                         if definition.get(c.SATISFIED_LEVEL, c.DEFAULT_SATISFIED_LEVEL) in (5, 4, 3, 2, 1) else 2,
                         format_func=lambda v: f"{v} · {dict((s[0], s[1]) for s in c.SATISFACTION_SCALE)[v]}")
    scored = [q for q in edits.all_questions(definition) if q.get(c.TYPE) in (c.RATING, c.MATRIX)]
    counted_now = [q[c.ID] for q in scored if q.get(c.COUNTS_TOWARD_SATISFACTION, q.get(c.TYPE) == c.RATING)]
    counted = st.multiselect(t("builder.s.counted"), [q[c.ID] for q in scored], default=counted_now,
                             key=f"builder.s.{survey_id}.counted", help=t("builder.s.counted_help"))
    if st.button(t("builder.s.save"), key="builder.s.save"):
        if not title.strip():
            st.error(t("builder.err.title_needed"))
        else:
            updated = copy.deepcopy(definition)
            updated[c.TITLE] = title.strip()
            for name, value, default in ((c.INTRO, intro.strip(), ""), (c.KIND, kind, c.DEFAULT_KIND),
                                         (c.SATISFIED_LEVEL, level, c.DEFAULT_SATISFIED_LEVEL)):
                if value != default:
                    updated[name] = value
                else:
                    updated.pop(name, None)
            for question in edits.all_questions(updated):
                if question.get(c.TYPE) in (c.RATING, c.MATRIX):
                    on = question[c.ID] in counted
                    if on == (question[c.TYPE] == c.RATING):
                        question.pop(c.COUNTS_TOWARD_SATISFACTION, None)
                    else:
                        question[c.COUNTS_TOWARD_SATISFACTION] = on
            save(survey_id, updated)
    st.divider()
    st.markdown(f"**{t('builder.lists')}**")
    lists = definition.get(c.CHOICE_LISTS, {})
    list_name = st.selectbox(t("builder.list_pick"), ["", *lists], key=f"builder.lists.{survey_id}.pick",
                             format_func=lambda n: t("builder.list_new") if not n else n)
    name_value = st.text_input(t("builder.list_name"), value=list_name, key=f"builder.lists.{survey_id}.name.{list_name}")
    lines = st.text_area(t("builder.q.choices"), value=edits.choices_to_lines(lists.get(list_name, [])),
                         key=f"builder.lists.{survey_id}.lines.{list_name}", help=t("builder.q.choices_help"))
    if st.button(t("builder.list_save"), key="builder.lists.save"):
        name = name_value.strip()
        if not edits.IDENTIFIER_RE.fullmatch(name):
            st.error(t("builder.err.list_name"))
        else:
            updated = copy.deepcopy(definition)
            updated.setdefault(c.CHOICE_LISTS, {})
            if list_name and list_name != name:
                updated[c.CHOICE_LISTS].pop(list_name, None)
            updated[c.CHOICE_LISTS][name] = edits.lines_to_choices(lines)
            save(survey_id, updated)

# --- publish, status, schedule, copy, export ------------------------------------------
with tab_publish:
    if model is None:
        st.warning(t("builder.problems", n=len(problems)))
        for message in problems:
            st.text(message)
    elif not draft_exists:
        st.caption(t("builder.nothing_to_publish"))
    if st.button(t("builder.publish"), key="builder.publish", type="primary", disabled=model is None or not draft_exists):
        try:
            version = authoring.publish(db, user, survey_id)
        except (authoring.AuthoringError, SurveyDefinitionError) as exc:
            st.error(t(exc.key, **plain_values(exc.params)) if isinstance(exc, authoring.AuthoringError) else plain(exc.message(L)))
        else:
            notice("builder.published", version=version)
            st.rerun()
    if draft_exists and row.current_version is not None and st.button(t("builder.discard"), key="builder.discard"):
        authoring.discard_draft(db, user, survey_id)
        notice("builder.discarded")
        st.rerun()
    st.divider()
    cols = st.columns(3)
    for col, status in zip(cols, ("open", "closed", "archived")):
        if col.button(t(f"builder.set_{status}"), key=f"builder.status.{status}", disabled=row.status == status):
            try:
                authoring.set_status(db, user, survey_id, status)
            except authoring.AuthoringError as exc:
                st.error(t(exc.key, **plain_values(exc.params)))
            else:
                notice("builder.status_set", status=t(f"survey.status.{status}"))
                st.rerun()
    st.markdown(f"**{t('builder.schedule')}**")
    sched = st.columns(2)
    opens_on = sched[0].checkbox(t("builder.opens_at"), value=row.opens_at is not None, key="builder.sched.has_open")
    open_day = sched[0].date_input(t("builder.day"), value=(row.opens_at or dt.datetime.now()).date(), key="builder.sched.open_day", disabled=not opens_on)
    open_time = sched[0].time_input(t("builder.time"), value=(row.opens_at or dt.datetime(2000, 1, 1, 8)).time(), key="builder.sched.open_time", disabled=not opens_on)
    closes_on = sched[1].checkbox(t("builder.closes_at"), value=row.closes_at is not None, key="builder.sched.has_close")
    close_day = sched[1].date_input(t("builder.day"), value=(row.closes_at or dt.datetime.now() + dt.timedelta(days=30)).date(), key="builder.sched.close_day", disabled=not closes_on)
    close_time = sched[1].time_input(t("builder.time"), value=(row.closes_at or dt.datetime(2000, 1, 1, 18)).time(), key="builder.sched.close_time", disabled=not closes_on)
    if st.button(t("builder.schedule_save"), key="builder.sched.save"):
        try:
            authoring.schedule(db, user, survey_id,
                               dt.datetime.combine(open_day, open_time) if opens_on else None,
                               dt.datetime.combine(close_day, close_time) if closes_on else None)
        except authoring.AuthoringError as exc:
            st.error(t(exc.key, **plain_values(exc.params)))
        else:
            notice("builder.schedule_saved")
            st.rerun()
    st.divider()
    st.markdown(f"**{t('builder.duplicate')}**")
    dup_id = st.text_input(t("builder.new_id"), value=f"{survey_id}_copy", key="builder.dup.id")
    dup_title = st.text_input(t("builder.new_title"), value=f"{row.title}（副本）", key="builder.dup.title")
    if st.button(t("builder.duplicate_button"), key="builder.dup.button"):
        if not authoring.survey_id_valid(dup_id.strip()):
            st.error(t("builder.err.bad_id"))
        else:
            copy_id = authoring.duplicate(db, user, survey_id, dup_id.strip(), dup_title.strip())
            st.session_state[state.BUILDER_SWITCH_TO] = copy_id
            notice("builder.created", id=copy_id)
            st.rerun()
    st.divider()
    try:
        yaml_text = authoring.export_yaml(db, survey_id)
    except (authoring.AuthoringError, SurveyDefinitionError):
        yaml_text = None
    if yaml_text is not None:
        st.download_button(t("builder.export_yaml"), yaml_text.encode("utf-8"), file_name=f"{survey_id}.yaml",
                           mime="application/x-yaml", key="builder.export")
    st.link_button(t("builder.go_import"), "/survey-import")

# --- versions --------------------------------------------------------------------
with tab_versions:
    versions = authoring.versions(db, survey_id)
    if not versions:
        st.caption(t("builder.no_versions"))
    else:
        st.dataframe([{t("builder.v.version"): v.version, t("builder.v.published_at"): v.published_at} for v in versions],
                     hide_index=True)
        numbers = [v.version for v in versions]
        if len(numbers) > 1:
            pick = st.columns(2)
            old_v = pick[0].selectbox(t("builder.v.old"), numbers, index=len(numbers) - 2, key="builder.v.old")
            new_v = pick[1].selectbox(t("builder.v.new"), numbers, index=len(numbers) - 1, key="builder.v.new")
            old_model = survey_version(db, survey_id, int(old_v))
            new_model = survey_version(db, survey_id, int(new_v))
            if old_model and new_model:
                changes = authoring.version_changes(old_model[0], new_model[0])
                st.dataframe([{t("builder.v.question"): qid, t("builder.v.change"): t(f"builder.change.{change}")}
                              for qid, change in changes.items()], hide_index=True)
