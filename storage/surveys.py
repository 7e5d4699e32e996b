"""Surveys and their immutable published versions (definitions kept as JSON text)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from settings import now
from storage.db import Database, Scope, Tx

STATUSES = ("draft", "open", "closed", "archived")


@dataclass(frozen=True)
class SurveyRow:
    id: str
    title: str
    kind: str
    status: str
    current_version: int | None
    opens_at: datetime | None
    closes_at: datetime | None
    source: str
    versions: int

    def is_open(self, at: datetime) -> bool:
        """Accepting responses at ``at``: status open and inside the schedule."""
        if self.status != "open" or self.current_version is None:
            return False
        if self.opens_at is not None and at < self.opens_at:
            return False
        return self.closes_at is None or at < self.closes_at


_SELECT = """SELECT s.id, s.title, s.kind, s.status, s.current_version, s.opens_at, s.closes_at, s.source,
    (SELECT count(*) FROM survey_versions v WHERE v.survey_id = s.id) AS versions
    FROM surveys s"""


def get_survey(db: Database | Tx, survey_id: str) -> SurveyRow | None:
    row = db.query(_SELECT + " WHERE s.id = ?", [survey_id]).first()
    return SurveyRow(*row) if row else None


def _visible(scope: Scope) -> tuple[str, list]:
    """Surveys owned by a unit inside ``scope`` or above it (its ancestors), and the unowned built-in surveys,
    which belong to the root: a survey of another branch of the tree is never among them."""
    return ("(s.owner_unit_id IS NULL OR o.path LIKE ? OR starts_with(?, o.path))", [scope.like, scope.path])


def _owned(scope: Scope) -> tuple[str, list]:
    """Surveys owned by a unit inside ``scope``; the unowned built-in surveys only for the top of the tree."""
    return ("(o.path LIKE ? OR (? AND s.owner_unit_id IS NULL))", [scope.like, scope.is_top])


def list_surveys(db: Database | Tx, scope: Scope, include_archived: bool = False) -> list[SurveyRow]:
    """The surveys staff of ``scope`` may see and use: those of their subtree and above (built-in ones included)."""
    where, params = _visible(scope)
    sql = (_SELECT + " LEFT JOIN org_units o ON o.id = s.owner_unit_id WHERE " + where
           + ("" if include_archived else " AND s.status <> 'archived'") + " ORDER BY s.created_at, s.id")
    return [SurveyRow(*r) for r in db.query(sql, params).rows]


def visible_within(db: Database | Tx, scope: Scope, survey_id: str) -> bool:
    """Whether staff of ``scope`` may see the survey (one of list_surveys(scope)): what copying it requires."""
    where, params = _visible(scope)
    sql = "SELECT 1 FROM surveys s LEFT JOIN org_units o ON o.id = s.owner_unit_id WHERE s.id = ? AND " + where
    return db.query(sql, [survey_id, *params]).first() is not None


def owned_within(db: Database | Tx, scope: Scope, survey_id: str) -> bool:
    """Whether ``scope`` owns the survey (a unit of the subtree, or the top of the tree for a built-in survey):
    what editing, publishing, closing and scheduling require."""
    where, params = _owned(scope)
    sql = "SELECT 1 FROM surveys s LEFT JOIN org_units o ON o.id = s.owner_unit_id WHERE s.id = ? AND " + where
    return db.query(sql, [survey_id, *params]).first() is not None


def create_survey(
    db: Database | Tx,
    survey_id: str,
    title: str,
    kind: str,
    *,
    source: str,
    draft: dict[str, Any] | None = None,
    created_by: int | None = None,
    owner_unit_id: int | None = None,
) -> None:
    at = now()
    db.execute(
        "INSERT INTO surveys (id, title, kind, status, draft_definition, source, created_by, owner_unit_id, created_at, updated_at) "
        "VALUES (?, ?, ?, 'draft', ?, ?, ?, ?, ?, ?)",
        [survey_id, title, kind, json.dumps(draft, ensure_ascii=False) if draft else None, source, created_by, owner_unit_id, at, at],
    )


def publish_version(db: Database, survey_id: str, definition: dict[str, Any], published_by: int | None = None) -> int:
    """Freeze ``definition`` as the survey's next version and make it current.
    Published versions are never updated: a change is always a new version."""
    with db.transaction() as tx:
        version = int(tx.query("SELECT coalesce(max(version), 0) + 1 FROM survey_versions WHERE survey_id = ?", [survey_id]).single_value())
        at = now()
        tx.execute(
            "INSERT INTO survey_versions (survey_id, version, definition, published_at, published_by) VALUES (?, ?, ?, ?, ?)",
            [survey_id, version, json.dumps(definition, ensure_ascii=False, default=str), at, published_by],
        )
        tx.execute(
            "UPDATE surveys SET current_version = ?, title = ?, draft_definition = NULL, updated_at = ? WHERE id = ?",
            [version, definition.get("title", survey_id), at, survey_id],
        )
    return version


def version_definition(db: Database | Tx, survey_id: str, version: int | None = None) -> dict[str, Any] | None:
    """The definition of one published version (default: the current one)."""
    text = version_definition_json(db, survey_id, version)
    return json.loads(text) if text else None


def version_definition_json(db: Database | Tx, survey_id: str, version: int | None = None) -> str | None:
    """The stored JSON text of one published version (default: the current one)."""
    if version is None:
        row = db.query(
            "SELECT v.definition FROM survey_versions v JOIN surveys s ON s.id = v.survey_id AND s.current_version = v.version WHERE s.id = ?",
            [survey_id],
        ).first()
    else:
        row = db.query("SELECT definition FROM survey_versions WHERE survey_id = ? AND version = ?", [survey_id, version]).first()
    return str(row[0]) if row else None


def set_status(db: Database | Tx, survey_id: str, status: str) -> None:
    if status not in STATUSES:
        raise ValueError(f"unknown survey status {status!r}")
    db.execute("UPDATE surveys SET status = ?, updated_at = ? WHERE id = ?", [status, now(), survey_id])


def set_schedule(db: Database | Tx, survey_id: str, opens_at: datetime | None, closes_at: datetime | None) -> None:
    db.execute("UPDATE surveys SET opens_at = ?, closes_at = ?, updated_at = ? WHERE id = ?", [opens_at, closes_at, now(), survey_id])


def save_draft(db: Database | Tx, survey_id: str, draft: dict[str, Any]) -> None:
    db.execute(
        "UPDATE surveys SET draft_definition = ?, updated_at = ? WHERE id = ?",
        [json.dumps(draft, ensure_ascii=False), now(), survey_id],
    )


def draft_definition(db: Database | Tx, survey_id: str) -> dict[str, Any] | None:
    value = db.query("SELECT draft_definition FROM surveys WHERE id = ?", [survey_id]).single_value()
    return json.loads(value) if value else None


# --- authoring (issue 6): versions list, titles, ownership ------------------


@dataclass(frozen=True)
class VersionRow:
    """One published version of a survey (its definition is read separately)."""

    version: int
    published_at: datetime
    published_by: int | None


def list_versions(db: Database | Tx, survey_id: str) -> list[VersionRow]:
    """Every published version of a survey, oldest first."""
    rows = db.query(
        "SELECT version, published_at, published_by FROM survey_versions WHERE survey_id = ? ORDER BY version",
        [survey_id],
    ).rows
    return [VersionRow(int(r[0]), r[1], r[2]) for r in rows]


def set_title(db: Database | Tx, survey_id: str, title: str) -> None:
    """Rename a survey in the list (a draft's title; publishing sets it from the definition)."""
    db.execute("UPDATE surveys SET title = ?, updated_at = ? WHERE id = ?", [title, now(), survey_id])


def survey_exists(db: Database | Tx, survey_id: str) -> bool:
    return db.query("SELECT 1 FROM surveys WHERE id = ?", [survey_id]).first() is not None


def owner_unit_path(db: Database | Tx, survey_id: str) -> str | None:
    """The materialized path of the unit that owns a survey (None for the built-in surveys, owned by the root)."""
    value = db.query(
        "SELECT o.path FROM surveys s JOIN org_units o ON o.id = s.owner_unit_id WHERE s.id = ?", [survey_id]
    ).single_value()
    return str(value) if value is not None else None


def list_owned_surveys(db: Database, scope: Scope, include_archived: bool = False) -> list[SurveyRow]:
    """Surveys owned inside ``scope`` (what its admins and leaders may edit), filtered in SQL."""
    where, params = _owned(scope)
    sql = (
        _SELECT + " LEFT JOIN org_units o ON o.id = s.owner_unit_id WHERE " + where
        + ("" if include_archived else " AND s.status <> 'archived'")
        + " ORDER BY s.created_at, s.id"
    )
    return [SurveyRow(*r) for r in db.query(sql, params).rows]


def clear_draft(db: Database | Tx, survey_id: str) -> None:
    """Drop a survey's working copy (the published versions stay as they are)."""
    db.execute("UPDATE surveys SET draft_definition = NULL, updated_at = ? WHERE id = ?", [now(), survey_id])
