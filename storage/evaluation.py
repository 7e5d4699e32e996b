"""Democratic evaluation queries: votes per (subject, grade) and the comments per subject, never per respondent."""

from __future__ import annotations

from collections.abc import Sequence

from storage.db import Database, Scope


def grade_counts(
    db: Database, survey_id: str, question_id: str, scope: Scope, version: int | None = None
) -> dict[str, dict[int, int]]:
    """Subject row id → grade value → votes, over non-void responses from units inside ``scope``.

    Only counts leave this function: no response id, respondent or time, so a
    result can never be traced back to the person who gave a grade.
    """
    sql = """SELECT a.row_id, CAST(a.value_num AS INTEGER) AS grade, count(*) AS votes
        FROM answers a JOIN responses r ON r.id = a.response_id JOIN org_units o ON o.id = r.org_unit_id
        WHERE r.survey_id = ? AND a.question_id = ? AND r.voided_at IS NULL AND o.path LIKE ?
          AND a.value_num IS NOT NULL"""
    params: list = [survey_id, question_id, scope.like]
    if version is not None:
        sql += " AND r.survey_version = ?"
        params.append(version)
    sql += " GROUP BY a.row_id, grade"
    counts: dict[str, dict[int, int]] = {}
    for row_id, grade, votes in db.query(sql, params).rows:
        counts.setdefault(str(row_id), {})[int(grade)] = int(votes)
    return counts


def ballots(db: Database, survey_id: str, scope: Scope, version: int | None = None) -> int:
    """How many non-void responses (ballots) an evaluation has inside ``scope``."""
    sql = """SELECT count(*) FROM responses r JOIN org_units o ON o.id = r.org_unit_id
        WHERE r.survey_id = ? AND r.voided_at IS NULL AND o.path LIKE ?"""
    params: list = [survey_id, scope.like]
    if version is not None:
        sql += " AND r.survey_version = ?"
        params.append(version)
    return int(db.query(sql, params).single_value())


def comments(
    db: Database, survey_id: str, question_ids: Sequence[str], scope: Scope, version: int | None = None
) -> dict[str, list[str]]:
    """Comment question id → comment texts, sorted by text (not by time) so their order reveals no ballot."""
    if not question_ids:
        return {}
    marks = ", ".join("?" for _ in question_ids)
    sql = f"""SELECT a.question_id, a.value_text
        FROM answers a JOIN responses r ON r.id = a.response_id JOIN org_units o ON o.id = r.org_unit_id
        WHERE r.survey_id = ? AND a.question_id IN ({marks}) AND r.voided_at IS NULL AND o.path LIKE ?
          AND a.value_text IS NOT NULL"""
    params: list = [survey_id, *question_ids, scope.like]
    if version is not None:
        sql += " AND r.survey_version = ?"
        params.append(version)
    sql += " ORDER BY a.question_id, a.value_text"
    out: dict[str, list[str]] = {}
    for question_id, text in db.query(sql, params).rows:
        out.setdefault(str(question_id), []).append(str(text))
    return out
