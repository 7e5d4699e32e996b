"""Survey authoring: create, duplicate, archive, drafts, publishing versions, scheduling, YAML/XLSForm import and export."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from auth.principal import Principal
from services import uploads
from services.survey_catalog import survey_version
from storage import audit
from storage import surveys as survey_store
from storage.db import Database
from surveys import Survey, SurveyDefinitionError, dump_survey_yaml, load_survey_text, survey_from_dict, survey_to_dict
from surveys import constants as c
from surveys.model import MatrixQuestion, MultiChoiceQuestion, RatingQuestion, SingleChoiceQuestion, SURVEY_ID_RE
from surveys.loader import decode_survey_file, storable_errors
from surveys.xlsform import ImportIssue, unreadable, xlsform_to_dict

# version_changes values: what happened to a question id between two versions.
UNCHANGED = "unchanged"
ADDED = "added"
REMOVED = "removed"
TYPE_CHANGED = "type_changed"  # answers are not comparable across versions
CHOICES_CHANGED = "choices_changed"  # choice values / scale / matrix rows differ: compare with care
LABEL_CHANGED = "label_changed"  # only the wording changed
SETTINGS_CHANGED = "settings_changed"  # required, validation, condition or satisfaction flag changed

EDIT_ROLES = ("admin", "leader")


class AuthoringError(Exception):
    """An expected authoring failure: an i18n key (authoring catalogue) with parameters."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class UnreadableWorkbook(Exception):
    """The uploaded file is not a readable XLSForm: nothing was created; ``issues`` say why."""

    def __init__(self, issues: list[ImportIssue]) -> None:
        super().__init__(", ".join(issue.code for issue in issues))
        self.issues = issues


@dataclass(frozen=True)
class ImportOutcome:
    """The result of importing a survey definition: its id, the version published (if any) and the import report."""

    survey_id: str
    version: int | None
    report: list[ImportIssue] = field(default_factory=list)
    definition_errors: list[str] = field(default_factory=list)  # messages of a draft that does not load yet


def json_ready(definition: dict[str, Any]) -> dict[str, Any]:
    """A definition with dates as ISO text, as it is stored (JSON) and read back (the loader accepts ISO dates)."""
    return json.loads(json.dumps(definition, ensure_ascii=False, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v)))


# --- permissions ----------------------------------------------------------


def can_edit(db: Database, principal: Principal, survey_id: str) -> bool:
    """Admins and leaders edit the surveys owned inside their subtree (the built-in ones belong to the root):
    the subtree rule every other query follows, so a town admin cannot close a district survey."""
    return principal.role in EDIT_ROLES and survey_store.owned_within(db, principal.scope, survey_id)


def _require_edit(db: Database, principal: Principal, survey_id: str) -> survey_store.SurveyRow:
    row = survey_store.get_survey(db, survey_id)
    if row is None:
        raise AuthoringError("authoring.err.unknown_survey", id=survey_id)
    if not can_edit(db, principal, survey_id):
        raise AuthoringError("authoring.err.forbidden", id=survey_id)
    return row


def editable_surveys(db: Database, principal: Principal, include_archived: bool = False) -> list[survey_store.SurveyRow]:
    """The surveys this principal may edit: those owned inside their subtree (admins and leaders alike)."""
    if principal.role not in EDIT_ROLES:
        return []
    return survey_store.list_owned_surveys(db, principal.scope, include_archived=include_archived)


def _audit(db: Database, principal: Principal | None, action: str, survey_id: str, **detail: Any) -> None:
    audit.record(
        db, action, actor_id=(principal.user_id or None) if principal else None,
        actor_name=principal.username if principal else None, target=survey_id, detail=detail or None,
    )


# --- ids -----------------------------------------------------------------


def free_survey_id(db: Database, wanted: str) -> str:
    """``wanted`` made a valid survey id, with ``_2``, ``_3``… appended if already taken."""
    base = re.sub(r"[^a-z0-9_-]+", "_", wanted.lower()).strip("_-") or "survey"
    candidate, n = base, 1
    while survey_store.survey_exists(db, candidate):
        n += 1
        candidate = f"{base}_{n}"
    return candidate


# --- drafts --------------------------------------------------------------


def blank_definition(survey_id: str, title: str, kind: str = c.DEFAULT_KIND) -> dict[str, Any]:
    """A new survey's first draft: one page holding one note (a definition needs at least one question)."""
    data: dict[str, Any] = {c.ID: survey_id, c.TITLE: title}
    if kind != c.DEFAULT_KIND:
        data[c.KIND] = kind
    data[c.PAGES] = [{c.ID: "p1", c.QUESTIONS: [{c.ID: "intro_note", c.TYPE: c.NOTE, c.LABEL: title}]}]
    return data


def create_survey(
    db: Database, principal: Principal | None, definition: dict[str, Any], *, source: str = "builder"
) -> str:
    """Store a new survey whose draft is ``definition`` (its id made free and valid); returns the survey id."""
    refused = storable_errors(definition, str(definition.get(c.ID) or "survey"))
    if refused:
        raise SurveyDefinitionError(refused)
    survey_id = free_survey_id(db, str(definition.get(c.ID) or "survey"))
    definition = json_ready({**definition, c.ID: survey_id})
    title = str(definition.get(c.TITLE) or survey_id)
    kind = definition.get(c.KIND) if definition.get(c.KIND) in c.SURVEY_KINDS else c.DEFAULT_KIND
    owner = (principal.unit_id or None) if principal is not None else None
    survey_store.create_survey(
        db, survey_id, title, kind, source=source, draft=definition,
        created_by=(principal.user_id or None) if principal else None, owner_unit_id=owner,
    )
    _audit(db, principal, "survey.create", survey_id, source=source)
    return survey_id


def create_from_template(db: Database, principal: Principal, template: Survey, new_id: str, title: str) -> str:
    """A new survey whose first draft is a copy of a template."""
    data = survey_to_dict(template)
    data[c.ID] = new_id
    data[c.TITLE] = title or template.title
    return create_survey(db, principal, data, source="template_copy")


def working_definition(db: Database, survey_id: str) -> dict[str, Any] | None:
    """What the builder edits: the draft if there is one, else a copy of the current published version."""
    draft = survey_store.draft_definition(db, survey_id)
    if draft is not None:
        return draft
    return survey_store.version_definition(db, survey_id)


def has_draft(db: Database, survey_id: str) -> bool:
    return survey_store.draft_definition(db, survey_id) is not None


def save_draft(db: Database, principal: Principal, survey_id: str, definition: dict[str, Any]) -> None:
    """Save the builder's working copy (no validation: a draft may be half written, but never larger than a survey
    may be nor hold a NUL: raises SurveyDefinitionError)."""
    row = _require_edit(db, principal, survey_id)
    refused = storable_errors(definition, survey_id)
    if refused:
        raise SurveyDefinitionError(refused)
    definition = json_ready({**definition, c.ID: survey_id})
    survey_store.save_draft(db, survey_id, definition)
    title = definition.get(c.TITLE)
    if isinstance(title, str) and title.strip() and row.current_version is None and title != row.title:
        survey_store.set_title(db, survey_id, title)


def discard_draft(db: Database, principal: Principal, survey_id: str) -> None:
    """Drop the working copy of a published survey (a never-published survey keeps its draft)."""
    row = _require_edit(db, principal, survey_id)
    if row.current_version is None:
        raise AuthoringError("authoring.err.never_published")
    survey_store.clear_draft(db, survey_id)
    _audit(db, principal, "survey.discard_draft", survey_id)


def check_definition(definition: dict[str, Any]) -> Survey:
    """The model of a definition; raises SurveyDefinitionError listing every problem."""
    return survey_from_dict(definition, str(definition.get(c.ID) or "draft"))


def publish(db: Database, principal: Principal | None, survey_id: str) -> int:
    """Freeze the draft as the next version (published versions never change); returns its number."""
    if principal is not None:
        _require_edit(db, principal, survey_id)
    elif survey_store.get_survey(db, survey_id) is None:
        raise AuthoringError("authoring.err.unknown_survey", id=survey_id)
    draft = survey_store.draft_definition(db, survey_id)
    if draft is None:
        raise AuthoringError("authoring.err.no_draft")
    draft = {**draft, c.ID: survey_id}
    survey = check_definition(draft)
    version = survey_store.publish_version(db, survey_id, json_ready(survey_to_dict(survey)), (principal.user_id or None) if principal else None)
    _audit(db, principal, "survey.publish", survey_id, version=version)
    return version


def duplicate(db: Database, principal: Principal, survey_id: str, new_id: str, title: str) -> str:
    """A new survey whose draft copies the source's working definition; responses are not copied. The source must be
    a survey of the principal's subtree or above (another branch's drafts are not theirs to read)."""
    definition = working_definition(db, survey_id)
    if definition is None:
        raise AuthoringError("authoring.err.unknown_survey", id=survey_id)
    if not survey_store.visible_within(db, principal.scope, survey_id):
        raise AuthoringError("authoring.err.forbidden", id=survey_id)
    copy = {**definition, c.ID: new_id or f"{survey_id}_copy", c.TITLE: title or definition.get(c.TITLE, survey_id)}
    return create_survey(db, principal, copy, source="duplicate")


# --- status and schedule ---------------------------------------------------


def set_status(db: Database, principal: Principal, survey_id: str, status: str) -> None:
    """Open, close or archive a survey (opening needs a published version)."""
    row = _require_edit(db, principal, survey_id)
    if status == "open" and row.current_version is None:
        raise AuthoringError("authoring.err.open_unpublished")
    survey_store.set_status(db, survey_id, status)
    _audit(db, principal, f"survey.{status}", survey_id)


def archive(db: Database, principal: Principal, survey_id: str) -> None:
    set_status(db, principal, survey_id, "archived")


def schedule(db: Database, principal: Principal, survey_id: str, opens_at: datetime | None, closes_at: datetime | None) -> None:
    """Set when a survey opens and closes (either may be None: no limit)."""
    _require_edit(db, principal, survey_id)
    if opens_at is not None and closes_at is not None and closes_at <= opens_at:
        raise AuthoringError("authoring.err.bad_schedule")
    survey_store.set_schedule(db, survey_id, opens_at, closes_at)
    _audit(db, principal, "survey.schedule", survey_id, opens_at=opens_at, closes_at=closes_at)


# --- YAML / XLSForm -----------------------------------------------------


def export_yaml(db: Database, survey_id: str, version: int | None = None) -> str:
    """A published version (default: current) as YAML; a never-published survey exports its draft if it loads."""
    definition = survey_store.version_definition(db, survey_id, version)
    if definition is None:
        if version is not None or survey_store.get_survey(db, survey_id) is None:
            raise AuthoringError("authoring.err.unknown_survey", id=survey_id)
        definition = survey_store.draft_definition(db, survey_id)
        if definition is None:
            raise AuthoringError("authoring.err.unknown_survey", id=survey_id)
    return dump_survey_yaml(check_definition(definition))


def import_yaml(db: Database, principal: Principal | None, text: str | bytes, *, filename: str = "survey.yaml",
                publish_now: bool = False, progress: Callable[[float], None] | None = None) -> ImportOutcome:
    """Import a YAML survey as a new survey (id made free if taken); raises SurveyDefinitionError if it does not load.
    An uploaded file is passed as bytes: it must be UTF-8 and within the size bound (never decoded with
    replacements). ``progress`` (an import job's) is called before parsing and once more before anything is written,
    so a cancel up to then creates nothing."""
    step = progress or (lambda fraction: None)
    step(0.0)
    if isinstance(text, bytes):
        text = decode_survey_file(text, filename)
    survey = load_survey_text(text, filename)
    definition = survey_to_dict(survey)
    step(0.9)
    survey_id = create_survey(db, principal, definition, source="yaml")
    report: list[ImportIssue] = []
    if survey_id != survey.id:
        report.append(ImportIssue(0, c.ID, "id_taken", {"wanted": survey.id, "used": survey_id}))
    version = publish(db, principal, survey_id) if publish_now else None
    return ImportOutcome(survey_id, version, report)


def import_xlsform(db: Database, principal: Principal | None, content: bytes, *, filename: str = "form.xlsx",
                   publish_now: bool = False, progress: Callable[[float], None] | None = None) -> ImportOutcome:
    """Import an XLSForm workbook as a new draft (published only if asked and it loads); the report lists what was not
    mapped. A file that is not a readable XLSForm raises UnreadableWorkbook and creates nothing; one past the upload
    bounds raises uploads.UploadRefused before it is unpacked, one past the survey size bounds SurveyDefinitionError.
    ``progress`` as for import_yaml: a cancel before the write creates nothing."""
    step = progress or (lambda fraction: None)
    step(0.0)
    uploads.check_zip(content, uploads.XLSFORM)
    definition, report = xlsform_to_dict(content, filename)
    if unreadable(report):
        raise UnreadableWorkbook(unreadable(report))
    step(0.9)
    survey_id = create_survey(db, principal, definition, source="xlsform")
    if survey_id != definition.get(c.ID):
        report.append(ImportIssue(0, "form_id", "id_taken", {"wanted": definition.get(c.ID), "used": survey_id}))
    try:
        check_definition({**definition, c.ID: survey_id})
    except SurveyDefinitionError as exc:
        return ImportOutcome(survey_id, None, report, [e.message() for e in exc.errors])
    version = publish(db, principal, survey_id) if publish_now else None
    return ImportOutcome(survey_id, version, report)


def is_xlsform(filename: str, content: bytes) -> bool:
    """An Excel workbook (.xlsx zip, or an old .xls that the XLSForm import explains) rather than YAML text."""
    return (filename.lower().endswith((".xlsx", ".xlsm", ".xls")) or content[:2] == b"PK"
            or content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")


# --- comparing versions -----------------------------------------------------


def _answer_space(question: Any) -> Any:
    if isinstance(question, (SingleChoiceQuestion, MultiChoiceQuestion)):
        return tuple(str(ch.value) for ch in question.choices)
    if isinstance(question, RatingQuestion):
        return tuple((ch.value, ch.points) for ch in question.scale)
    if isinstance(question, MatrixQuestion):
        return (tuple(r.id for r in question.rows), tuple((ch.value, ch.points) for ch in question.scale))
    return None


def _labels(question: Any) -> Any:
    parts: list[Any] = [question.label, question.hint]
    for name in ("choices", "scale"):
        parts.append(tuple(ch.label for ch in getattr(question, name, ())))
    parts.append(tuple(r.label for r in getattr(question, "rows", ())))
    return tuple(parts)


def question_change(old: Any, new: Any) -> str:
    """How one question changed between versions (the most serious change wins)."""
    if old.type != new.type:
        return TYPE_CHANGED
    if _answer_space(old) != _answer_space(new):
        return CHOICES_CHANGED
    if _labels(old) != _labels(new):
        same_rest = {k: v for k, v in vars(old).items() if k not in ("label", "hint", "choices", "scale", "rows")} == {
            k: v for k, v in vars(new).items() if k not in ("label", "hint", "choices", "scale", "rows")
        }
        return LABEL_CHANGED if same_rest else SETTINGS_CHANGED
    return UNCHANGED if old == new else SETTINGS_CHANGED


def version_changes(old: Survey, new: Survey) -> dict[str, str]:
    """Per question id (union of both versions, old order then new additions): unchanged, added, removed,
    type_changed, choices_changed, label_changed or settings_changed. Dashboards compare figures across versions
    by question id only where the change is unchanged / label_changed / settings_changed."""
    changes: dict[str, str] = {}
    new_ids = set(new.question_ids())
    for question in old.questions:
        changes[question.id] = question_change(question, new.question(question.id)) if question.id in new_ids else REMOVED
    for question in new.questions:
        if question.id not in changes:
            changes[question.id] = ADDED
    return changes


# Changes after which figures for a question id can still be compared across versions.
COMPARABLE = (UNCHANGED, LABEL_CHANGED, SETTINGS_CHANGED)


def question_history(db: Database, survey_id: str) -> dict[str, list[tuple[int, str]]]:
    """Per question id, every (version, change) where it changed against the version before (for dashboards'
    "this question changed in version N" notes); unchanged versions are left out."""
    history: dict[str, list[tuple[int, str]]] = {}
    previous: Survey | None = None
    for row in survey_store.list_versions(db, survey_id):
        loaded = survey_version(db, survey_id, row.version)
        if loaded is None:
            continue
        if previous is not None:
            for qid, change in version_changes(previous, loaded[0]).items():
                if change != UNCHANGED:
                    history.setdefault(qid, []).append((row.version, change))
        previous = loaded[0]
    return history


def versions(db: Database, survey_id: str) -> list[survey_store.VersionRow]:
    return survey_store.list_versions(db, survey_id)


def survey_id_valid(value: str) -> bool:
    return bool(SURVEY_ID_RE.fullmatch(value))
