"""Loading the synthetic district into a database (refusing to mix it with real data unless forced)."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from settings import now as settings_now
from demo.generate import (
    DEMO_PASSWORD,
    SATISFACTION_SURVEY,
    VISIT_SURVEY,
    DemoDistrict,
    ResponseBatch,
    build_district,
)
from storage import bulk, visit_status

Progress = Callable[[str], None]


class DemoDataPresent(Exception):
    """The database holds data the demo did not create; loading needs force=True."""

    code = "demo.non_demo_data"


@dataclass(frozen=True)
class DemoSummary:
    """What load_demo wrote: demo rows per table, the demo accounts and their password, and the time taken."""

    counts: Mapping[str, int]
    accounts: Mapping[str, str]  # username -> role description
    password: str = DEMO_PASSWORD
    seconds: float = 0.0
    seed: int = 0
    extra: Mapping[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """A human summary for the CLI."""
        out = [f"{table}: {n:,}" for table, n in self.counts.items()]
        out.append(f"演示账号（密码均为 {self.password}）：")
        out.extend(f"  {name}  {role}" for name, role in self.accounts.items())
        return out


def _hash(password: str) -> str:
    try:
        from auth.passwords import hash_password
    except ImportError:  # auth not installed yet: same argon2 hasher directly
        from argon2 import PasswordHasher

        return PasswordHasher().hash(password)
    return hash_password(password)


def _installed_surveys(db) -> dict:
    """The two template surveys as installed in the database (the definition the responses answer)."""
    from surveys.loader import survey_from_dict

    out = {}
    for survey_id in (SATISFACTION_SURVEY, VISIT_SURVEY):
        version = bulk.survey_version(db, survey_id)
        out[survey_id] = (version, survey_from_dict(json.loads(bulk.survey_definition(db, survey_id, version))))
    return out


def load_demo(
    db,
    households: int = 3000,
    seed: int = 1,
    responses: int | None = None,
    force: bool = False,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> DemoSummary:
    """Fill `db` with the synthetic district for `seed`.

    Refuses (DemoDataPresent) when the database holds non-demo org units, users,
    households or responses, unless `force`; an earlier demo is always replaced.
    With force beside real data, demo usernames and org codes get a ``demo_``
    prefix if the plain ones are taken.
    """
    say = progress or (lambda _msg: None)
    began = time.perf_counter()
    if bulk.has_non_demo_data(db) and not force:
        raise DemoDataPresent("database holds non-demo data")
    if bulk.has_demo_data(db):
        say("清除旧的演示数据…")
        bulk.clear_demo_data(db)

    now = settings_now().replace(microsecond=0)
    _ensure_template_surveys(db, now)
    installed = _installed_surveys(db)
    surveys = {sid: survey for sid, (_, survey) in installed.items()}

    say("生成演示区…")
    district = build_district(households, seed, responses, today, surveys=surveys, id_base=bulk.id_bases(db))
    if bulk.taken(db, district.users.username, district.org_units.code):
        district = build_district(
            households, seed, responses, today, surveys=surveys, id_base=bulk.id_bases(db), name_prefix="demo_"
        )
    password_hash = _hash(DEMO_PASSWORD)  # one argon2 hash reused by every demo account: acceptable for demo data only

    # One transaction: a load stopped part-way (kill -9, a full disk) leaves nothing of it behind, and the id
    # sequences are moved past the explicit ids before it commits, so no committed state has rows ahead of them.
    # DuckDB writes the chunks' row groups to the file as they fill, so memory stays flat as before.
    version = installed[SATISFACTION_SURVEY][0]
    with db.transaction() as tx:
        say(f"写入组织、账号、{len(district.households):,} 户…")
        _insert_static(tx, district, password_hash, now, installed)
        say(f"写入 {len(district.visit_batch):,} 条走访记录表…")
        _insert_responses(tx, district.visit_batch, installed[VISIT_SURVEY][0])
        written = 0
        for batch in district.response_batches():
            _insert_responses(tx, batch, version)
            written += len(batch)
            say(f"测评答卷 {written:,} / {district.responses:,}")
        bulk.advance_sequences(tx)
        visit_status.invalidate_all(tx)
        bulk.set_meta(tx, bulk.DEMO_ROOT_KEY, district.org_units.path[0], now)
        bulk.set_meta(tx, bulk.DEMO_META_KEY, str(seed), now)

    accounts = {}
    for name, role, unit_id in zip(district.users.username, district.users.role, district.users.org_unit_id):
        if role == "cadre" and len(accounts) > 12:
            continue
        unit = district.org_units.name[district.org_units.id.index(unit_id)]
        accounts[name] = f"{role} · {unit}"
    if len(district.users) > len(accounts):
        accounts["…"] = f"共 {len(district.users)} 个账号（cadre_0001 … 每个网格一名网格员）"
    return DemoSummary(
        counts=bulk.demo_counts(db), accounts=accounts, seconds=time.perf_counter() - began, seed=seed,
    )


def _ensure_template_surveys(db, now: dt.datetime) -> None:
    from surveys.loader import load_templates, survey_to_dict

    templates = load_templates().surveys
    wanted = {}
    for survey_id in (SATISFACTION_SURVEY, VISIT_SURVEY):
        survey = templates[survey_id]
        wanted[survey_id] = (survey.title, survey.kind, json.dumps(survey_to_dict(survey), ensure_ascii=False))
    with db.transaction() as tx:
        bulk.ensure_surveys(tx, wanted, now)


def _null_zero(values: np.ndarray) -> pa.Array:
    values = np.asarray(values, np.int64)
    return pa.array(values, pa.int64(), mask=values == 0)


def _insert_static(tx, d: DemoDistrict, password_hash: str, now: dt.datetime, installed) -> None:
    ou = d.org_units
    bulk.insert_arrow(tx, "org_units", pa.table({
        "id": pa.array(ou.id, pa.int64()), "parent_id": pa.array(ou.parent_id, pa.int64()),
        "level": pa.array(ou.level, pa.int32()), "code": ou.code, "name": ou.name, "path": ou.path,
        "created_at": pa.array([now] * len(ou), pa.timestamp("us")),
    }))
    u = d.users
    bulk.insert_arrow(tx, "users", pa.table({
        "id": pa.array(u.id, pa.int64()), "username": u.username, "display_name": u.display_name, "role": u.role,
        "org_unit_id": pa.array(u.org_unit_id, pa.int64()), "password_hash": [password_hash] * len(u),
        "phone": u.phone, "active": [True] * len(u), "is_demo": [True] * len(u),
        "created_at": pa.array([now] * len(u), pa.timestamp("us")),
    }))
    h = d.households
    stamp = pa.array(np.full(len(h), np.datetime64(d.window_start, "s")), pa.timestamp("s"))
    bulk.insert_arrow(tx, "households", pa.table({
        "id": h.id, "code": h.code, "head_name": h.head_name, "phone": h.phone, "address": h.address,
        "grid_id": h.grid_id, "members": pa.array(h.members, pa.int32()), "active": np.ones(len(h), bool),
        "is_demo": np.ones(len(h), bool), "created_at": stamp, "updated_at": stamp,
    }))
    bulk.insert_arrow(tx, "household_tags", pa.table({"household_id": h.tag_household_id, "tag": pa.array(h.tag, pa.string())}))
    cp = d.campaign
    bulk.insert_arrow(tx, "campaigns", pa.table({
        "id": [cp.id], "name": [cp.name], "starts_on": [cp.starts_on], "ends_on": [cp.ends_on],
        "visit_survey_id": [cp.visit_survey_id], "coverage_target": [cp.coverage_target],
        "covering_outcomes": ["met"], "created_by": [cp.created_by], "created_at": pa.array([now], pa.timestamp("us")),
    }))
    bulk.insert_arrow(tx, "campaign_units", pa.table({
        "campaign_id": pa.array([cp.id] * len(cp.unit_ids), pa.int64()), "org_unit_id": pa.array(cp.unit_ids, pa.int64()),
    }))
    v = d.visits
    visited = pa.array(v.visited_at, pa.timestamp("s"))
    bulk.insert_arrow(tx, "visits", pa.table({
        "id": v.id, "client_key": v.client_key, "campaign_id": pa.array(np.full(len(v), cp.id), pa.int64()),
        "household_id": v.household_id, "org_unit_id": v.org_unit_id, "cadre_id": v.cadre_id,
        "visited_at": visited, "outcome": v.outcome, "response_id": _null_zero(v.response_id),
        "follow_up": v.follow_up, "is_return_visit": v.is_return_visit,
        "note": pa.array([n or None for n in v.note], pa.string()), "created_at": visited, "updated_at": visited,
    }))
    p = d.problems
    bulk.insert_arrow(tx, "problems", pa.table({
        "id": p.id, "client_key": p.client_key, "household_id": p.household_id, "org_unit_id": p.org_unit_id,
        "visit_id": p.visit_id, "response_id": _null_zero(p.response_id), "category": p.category,
        "description": p.description, "urgency": p.urgency, "state": p.state,
        "assignee_user_id": _null_zero(p.assignee_user_id), "assignee_unit_id": _null_zero(p.assignee_unit_id),
        "raised_at": pa.array(p.raised_at, pa.timestamp("s")), "due_on": pa.array(p.due_on, pa.date32()),
        "resolved_at": pa.array(p.resolved_at, pa.timestamp("us")), "closed_at": pa.array(p.closed_at, pa.timestamp("us")),
        "resolution_satisfaction": pa.array(p.resolution_satisfaction, pa.int16()), "created_by": p.created_by,
    }))
    e = d.problem_events
    bulk.insert_arrow(tx, "problem_events", pa.table({
        "id": pa.array(e.id, pa.int64()), "problem_id": pa.array(e.problem_id, pa.int64()),
        "occurred_at": pa.array(e.occurred_at, pa.timestamp("us")), "actor_id": pa.array(e.actor_id, pa.int64()),
        "action": e.action, "from_state": pa.array(e.from_state, pa.string()), "to_state": e.to_state,
        "note": pa.array(e.note, pa.string()),
    }))


def _dictionary(codes: np.ndarray, vocab: list[str]) -> pa.Array:
    codes = np.asarray(codes)
    return pa.DictionaryArray.from_arrays(
        pa.array(codes.astype(np.int32), pa.int32(), mask=codes < 0), pa.array(vocab, pa.string())
    )


def _insert_responses(tx, b: ResponseBatch, version: int) -> None:
    n = len(b)
    if n == 0:
        return
    submitted = pa.array(b.submitted_at, pa.timestamp("s"))
    void_at = np.where(b.voided, b.submitted_at + np.timedelta64(1, "h"), b.submitted_at)
    bulk.insert_arrow(tx, "responses", pa.table({
        "id": b.id, "client_key": b.client_key, "survey_id": pa.array([b.survey_id] * n, pa.string()),
        "survey_version": pa.array(np.full(n, version), pa.int32()), "org_unit_id": b.org_unit_id,
        "household_id": _null_zero(b.household_id), "visit_id": _null_zero(b.visit_id),
        "channel": pa.array(b.channel, pa.string()), "submitted_at": submitted,
        "started_at": pa.array(b.started_at, pa.timestamp("s")), "duration_seconds": b.duration_seconds,
        "submitted_by": _null_zero(b.submitted_by), "sat_n": pa.array(b.sat_n, pa.int32()),
        "sat_ok": pa.array(b.sat_ok, pa.int32()), "sat_index_sum": b.sat_index_sum,
        "nps_score": pa.array(b.nps_score, pa.int16(), mask=b.nps_score < 0),
        "voided_at": pa.array(void_at, pa.timestamp("s"), mask=~b.voided),
        "void_reason": pa.array(np.where(b.voided, "重复提交", None), pa.string()),
        "is_demo": np.ones(n, bool),
    }))
    bulk.insert_arrow(tx, "answers", pa.table({
        "response_id": b.answer_response_id,
        "question_id": _dictionary(b.answer_question_code, b.question_vocab),
        "row_id": _dictionary(b.answer_row_code, b.row_vocab),
        "value_num": pa.array(b.answer_value_num, pa.float64(), mask=np.isnan(b.answer_value_num)),
        "value_text": _dictionary(b.answer_text_code, b.text_vocab),
    }))
