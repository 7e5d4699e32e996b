"""Every public storage function has a scope decision, and every scoped one, called by a principal of town 1 with
the ids of town 2, returns and changes nothing of town 2 (issue 20, proof of items 5 and 6).

``DECISIONS`` names each public function of the storage modules (found by introspection) with its decision:
  unit       takes the caller's Scope and filters by the subtree in SQL;
  principal  bound to the caller's own user id;
  public     reached by a secret or holding nothing personal (the reason says which);
  internal   called only by storage or services code after a scope check, or by the CLI / startup (the reason says).
A function added without a decision fails ``test_every_public_storage_function_has_a_scope_decision``.

Each unit/principal decision has a probe: ``probe(w, scope)`` calls the function with town 2's ids. Run with
town 1's scope it must show nothing of town 2 (no marker of town 2 in what it returns, a count of 0) and change
nothing (the database's fingerprint is the same, the call refused or a no-op). Run with the whole tree's scope the
same probe must show or change town 2's data: the probe can fail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

import storage
from fieldwork.registry import HouseholdRecord, UnitRecord
from services import authoring
from services.survey_catalog import install_templates, survey_version
from settings import now
from storage import analytics as A
from storage import audit, campaigns, downloads, evaluation, households, links, orgs, problems, responses
from storage import credibility
from storage import surveys as survey_store
from storage import users, visits, worklists
from storage.db import Scope
from storage.responses import NewResponse
from surveys.evaluation import comment_question_ids, evaluation_definition, evaluation_question
from tests.conftest import make_principal
from tests.fieldwork.conftest import World, seed_world

REFUSED = (ValueError, PermissionError, LookupError)  # VisitRefused, TransitionError, HouseholdsOutOfScope …


@dataclass(frozen=True)
class Answer:
    question_id: str
    row_id: str
    value_num: float | None
    value_text: str | None


@dataclass
class TwoTowns:
    """The field-work district, plus data of town 2 that town 1 must never reach."""

    w: World
    t1_admin: Any
    t2_admin: Any
    t2_cadre: Any
    t2: orgs.OrgUnit
    t2_grid: orgs.OrgUnit
    household: int  # H301, in town 2
    campaign: int  # town 2's own campaign
    visit: int
    problem: int
    response: int
    token: str
    batch: str
    survey: str  # owned by town 2
    ballot_survey: str  # an evaluation voted on in town 2 only
    ballot_question: str
    comment_questions: list[str]
    ticket: str  # a download ticket of town 2's admin
    markers: tuple[str, ...] = field(default_factory=tuple)

    @property
    def db(self):
        return self.w.db


def build_two_towns(db, tree) -> TwoTowns:
    install_templates(db)
    w = seed_world(db, tree)
    t2, t2_grid = tree.unit("T2"), tree.unit("T2C1G1")
    t1_admin = make_principal(db, "t1_admin", "admin", tree.unit("T1"))
    t2_admin = make_principal(db, "t2_admin", "admin", t2)
    t2_cadre = make_principal(db, "t2_cadre", "cadre", t2_grid)
    everything = Scope.everything()
    households.upsert_households(db, everything, [
        HouseholdRecord(2, "H301", "孙七", "13600003333", "光明路1号", t2_grid.id, 2, ("二街道标签",)),
        HouseholdRecord(3, "H302", "周八", None, "光明路2号", t2_grid.id, 1, ())])  # never visited: a make-up visit
    campaign = campaigns.create_campaign(db, everything, name="二街道走访", unit_ids=[t2.id],
                                         starts_on=dt.date.today() - dt.timedelta(days=5),
                                         ends_on=dt.date.today() + dt.timedelta(days=5))
    at = now() - dt.timedelta(hours=1)
    saved = visits.record_visit(db, Scope(t2_grid.path), visits.NewVisit(
        "t2-visit", w.hh["H301"], t2_cadre.user_id, at, "met", campaign_id=campaign, follow_up=True,
        problems=(problems.NewProblem("t2-visit/p0", "二街道类别", "二街道问题描述"),)))
    version = survey_version(db, "qunzhong_manyidu")[1]
    response = responses.write_response(db, NewResponse(
        "t2-response", "qunzhong_manyidu", version, t2_grid.id, "link", at,
        answers=(Answer("overall", "", 5.0, None), Answer("suggestions", "", None, "二街道意见")),
        sat_n=1, sat_ok=1, sat_index_sum=100.0)).response_id
    survey = authoring.create_survey(db, t2_admin, authoring.blank_definition("t2_owned", "二街道自有问卷"))
    authoring.publish(db, t2_admin, survey)
    responses.write_response(db, NewResponse("t2-own", survey, 1, t2_grid.id, "link", at))
    token, batch = "t2tokenAAAA", "t2batchBBBB"
    links.create_links(db, "qunzhong_manyidu", t2_grid.id, "single_use", [token], at, batch_id=batch)
    links.create_links(db, "qunzhong_manyidu", t2_grid.id, "open", ["t2_openCCCC"], at)
    responses.write_response(db, NewResponse("t2-open", "qunzhong_manyidu", version, t2_grid.id, "link", at,
                                             link_token="t2_openCCCC", browser_id="t2-browser"))
    ballot = evaluation_definition("branch_ballot", "支部评议", ["二街道对象"])
    ballot_survey = authoring.create_survey(db, None, ballot)
    authoring.publish(db, None, ballot_survey)
    model = survey_version(db, ballot_survey)[0]
    question = evaluation_question(model).id
    comments = list(comment_question_ids(model).values())
    row = next(iter(comment_question_ids(model)))
    responses.write_response(db, NewResponse("t2-ballot", ballot_survey, 1, t2_grid.id, "import", at, answers=(
        Answer(question, row, 4.0, None), Answer(comments[0], "", None, "二街道评语"))))
    audit.record(db, "x.t2_work", actor_id=t2_admin.user_id, actor_name=t2_admin.username)
    problems.set_problem_categories(db, t2_admin.scope, ["二街道类别"])
    ticket = downloads.issue_ticket(db, t2_admin.user_id, "二街道.xlsx", "text/csv", b"H301")
    credibility.raise_flags(db, everything, [_t2_flag(t2_grid.id, int(response))], at)
    markers = (t2.path, "T2C", "H30", "孙七", "周八", "13600003333", "第2街道", "二街道", "t2_", token, batch, survey)
    return TwoTowns(w, t1_admin, t2_admin, t2_cadre, t2, t2_grid, w.hh["H301"], campaign, saved.visit_id,
                    saved.problem_ids[0], int(response), token, batch, survey, ballot_survey, question, comments,
                    ticket, markers)


def _t2_flag(grid_id: int, response_id: int, kind: str = "response_too_fast") -> credibility.NewFlag:
    return credibility.NewFlag(kind, grid_id, "response", (response_id,), "cred.reason." + kind, {"responses": 1})


def _t2_flag_id(x: TwoTowns) -> int:
    return int(x.db.query("SELECT min(id) FROM credibility_flags").single_value())


def _t2_rows(frame, x: TwoTowns) -> int:
    return int((frame["org_unit_id"] == x.t2_grid.id).sum())


def fingerprint(db) -> str:
    """Every row of every table, hashed: a call that changes nothing leaves it as it was."""
    digest = hashlib.sha256()
    for table in sorted(db.table_names()):  # rows sorted here: both engines, whatever the column types
        for text in sorted(repr(row) for row in db.query(f'SELECT * FROM "{table}"').rows):
            digest.update(text.encode())
    return digest.hexdigest()


def shows_town2(x: TwoTowns, value: Any) -> bool:
    """A probe's result shows town 2: a count above 0, True, or a marker of town 2 in its text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value > 0
    text = repr(value)
    return any(marker in text for marker in x.markers)


# --- probes: read ---------------------------------------------------------------------------------------------

def _f(x: TwoTowns, **kw: Any) -> A.Filters:
    return A.Filters(**kw)


def _tx(x: TwoTowns, call: Callable[[Any], Any]) -> Any:
    with x.db.transaction() as tx:
        return call(tx)


def _coverage_total(rows) -> int:
    return sum(r.households + r.covered + r.attempted for r in rows)


READS: dict[str, Callable[[TwoTowns, Scope], Any]] = {
    "analytics.answer_texts": lambda x, s: A.answer_texts(x.db, s, _f(x), ["suggestions"]),
    "analytics.coverage_burnup": lambda x, s: sum(n for _, n in A.coverage_burnup(x.db, s, x.campaign)),
    "analytics.drill_down": lambda x, s: A.drill_down(x.db, s, _f(x), x.t2.id),
    "analytics.figures": lambda x, s: A.figures(x.db, s, _f(x, unit_path=x.t2.path)).responses,
    "analytics.overview": lambda x, s: A.overview(x.db, s, _f(x, unit_path=x.t2.path), dt.date.today()).responses_all_time,
    "analytics.problem_texts": lambda x, s: A.problem_texts(x.db, s, _f(x)),
    "analytics.question_counts": lambda x, s: sum(q.n for q in A.question_counts(
        x.db, s, _f(x, survey_id="qunzhong_manyidu", unit_path=x.t2.path))),
    "analytics.raw_responses": lambda x, s: A.raw_responses(x.db, s, _f(x, survey_id="qunzhong_manyidu")),
    "analytics.surveys_answered": lambda x, s: A.surveys_answered(x.db, s),
    "analytics.texts_containing": lambda x, s: A.texts_containing(x.db, s, _f(x), "二街道", ["suggestions"]),
    "analytics.trend": lambda x, s: sum(p.figures.responses for p in A.trend(x.db, s, _f(x, unit_path=x.t2.path))),
    "audit.recent": lambda x, s: audit.recent(x.db, s),
    "credibility.flag_rows": lambda x, s: len(credibility.flag_rows(x.db, s, _t2_flag_id(x))),
    "credibility.get_flag": lambda x, s: credibility.get_flag(x.db, s, _t2_flag_id(x)),
    "credibility.link_response_rows": lambda x, s: _t2_rows(credibility.link_response_rows(x.db, s), x),
    "credibility.list_flags": lambda x, s: credibility.list_flags(x.db, s),
    "credibility.open_flag_sums": lambda x, s: credibility.open_flag_sums(x.db, s)[0],
    "credibility.rating_spread": lambda x, s: int((credibility.rating_spread(
        x.db, s, {"qunzhong_manyidu": ["overall"]})["id"] == x.response).sum()),
    "credibility.repeated_texts": lambda x, s: credibility.repeated_texts(
        x.db, s, {"qunzhong_manyidu": ["suggestions"]}, 1, 1)["text"].tolist(),
    "credibility.response_ids_by_channel": lambda x, s: len(credibility.response_ids_by_channel(
        x.db, s, x.t2.path, "link")),
    "credibility.satisfaction_by_channel": lambda x, s: _t2_rows(credibility.satisfaction_by_channel(x.db, s), x),
    "credibility.unit_tree": lambda x, s: credibility.unit_tree(x.db, s)["path"].tolist(),
    "credibility.visit_rows": lambda x, s: _t2_rows(credibility.visit_rows(x.db, s), x),
    "campaigns.list_campaigns": lambda x, s: campaigns.list_campaigns(x.db, s),
    "evaluation.ballots": lambda x, s: evaluation.ballots(x.db, x.ballot_survey, s),
    "evaluation.comments": lambda x, s: evaluation.comments(x.db, x.ballot_survey, x.comment_questions, s),
    "evaluation.grade_counts": lambda x, s: sum(n for grades in evaluation.grade_counts(
        x.db, x.ballot_survey, x.ballot_question, s).values() for n in grades.values()),
    "households.count_households": lambda x, s: households.count_households(x.db, s, grid_id=x.t2_grid.id),
    "households.get_household": lambda x, s: households.get_household(x.db, s, x.household),
    "households.grids": lambda x, s: households.grids(x.db, s),
    "households.household_ids_by_code": lambda x, s: households.household_ids_by_code(x.db, s, ["H301"]),
    "households.list_households": lambda x, s: households.list_households(x.db, s, ids=[x.household]),
    "households.tags_in_use": lambda x, s: households.tags_in_use(x.db, s),
    "links.get_link_in_scope": lambda x, s: links.get_link_in_scope(x.db, x.token, s, now()),
    "links.links_in_batch": lambda x, s: links.links_in_batch(x.db, x.batch, s, now()),
    "links.list_links": lambda x, s: links.list_links(x.db, "qunzhong_manyidu", s),
    "links.browser_repeats": lambda x, s: links.browser_repeats(x.db, "qunzhong_manyidu", s),
    "orgs.children": lambda x, s: orgs.children(x.db, x.t2.id, s),
    "orgs.list_units": lambda x, s: orgs.list_units(x.db, s),
    "problems.assignable_users": lambda x, s: problems.assignable_users(x.db, s),
    "problems.categories_in_use": lambda x, s: problems.categories_in_use(x.db, s),
    "problems.get_problem": lambda x, s: problems.get_problem(x.db, s, x.problem),
    "problems.history": lambda x, s: len(problems.history(x.db, s, x.problem)),
    "problems.list_problems": lambda x, s: problems.list_problems(x.db, s, unit=Scope(x.t2.path)),
    "responses.answers_of": lambda x, s: responses.answers_of(x.db, x.response, s),
    "responses.count_responses": lambda x, s: responses.count_responses(x.db, s, "qunzhong_manyidu"),
    "surveys.list_owned_surveys": lambda x, s: survey_store.list_owned_surveys(x.db, s),
    "surveys.list_surveys": lambda x, s: survey_store.list_surveys(x.db, s),
    "surveys.owned_within": lambda x, s: survey_store.owned_within(x.db, s, x.survey),
    "surveys.visible_within": lambda x, s: survey_store.visible_within(x.db, s, x.survey),
    "users.list_users": lambda x, s: users.list_users(x.db, s),
    "visits.get_visit": lambda x, s: visits.get_visit(x.db, s, x.visit),
    "visits.recent_visits": lambda x, s: visits.recent_visits(x.db, s),
    "visits.visit_history": lambda x, s: len(visits.visit_history(x.db, s, x.visit)) or visits.get_visit(x.db, s, x.visit),
    "visits.visits_of_household": lambda x, s: visits.visits_of_household(x.db, s, x.household),
    "worklists.campaign_counts": lambda x, s: _coverage_total([worklists.campaign_counts(x.db, s, x.campaign)[0]]),
    "worklists.campaign_counts_by_unit": lambda x, s: _coverage_total(
        worklists.campaign_counts_by_unit(x.db, s, x.campaign, 3)[2]),
    "worklists.coverage": lambda x, s: _coverage_total(worklists.coverage(x.db, s, x.campaign)),
    "worklists.coverage_burnup": lambda x, s: sum(n for _, n in worklists.coverage_burnup(x.db, s, x.campaign)),
    "worklists.household_statuses": lambda x, s: len(worklists.household_statuses(x.db, s, x.campaign, [x.household])),
    "worklists.make_up_visits": lambda x, s: worklists.make_up_visits(x.db, s, x.campaign),
    "worklists.return_visits": lambda x, s: worklists.return_visits(x.db, s, x.campaign),
    "worklists.worklist_counts": lambda x, s: worklists.worklist_counts(x.db, s, x.campaign).return_visits,
    # bound to the caller's user id rather than a subtree: town 1's admin holds no ticket of town 2's admin
    "downloads.claim_ticket": lambda x, s: downloads.claim_ticket(
        x.db, x.ticket, x.t1_admin.user_id if s != Scope.everything() else x.t2_admin.user_id),
}

# --- probes: write (town 1's scope must refuse or do nothing; the fingerprint must not move) --------------------

WRITES: dict[str, Callable[[TwoTowns, Scope], Any]] = {
    "campaigns.create_campaign": lambda x, s: campaigns.create_campaign(
        x.db, s, name="越权活动", unit_ids=[x.t2.id], starts_on=dt.date.today(), ends_on=dt.date.today()),
    "credibility.confirm_flag": lambda x, s: credibility.confirm_flag(
        x.db, s, _t2_flag_id(x), actor_id=x.t1_admin.user_id, reason="越权", at=now()),
    "credibility.dismiss_flag": lambda x, s: credibility.dismiss_flag(
        x.db, s, _t2_flag_id(x), actor_id=x.t1_admin.user_id, reason="越权", at=now()),
    "credibility.raise_flags": lambda x, s: credibility.raise_flags(
        x.db, s, [_t2_flag(x.t2_grid.id, x.response, "response_link_burst")], now()),
    "households.import_units": lambda x, s: households.import_units(
        x.db, [UnitRecord(2, "T2C1", "改名社区", "T2", 3)], s),
    "households.upsert_households": lambda x, s: households.upsert_households(
        x.db, s, [HouseholdRecord(2, "H399", "冒名", None, "x", x.t2_grid.id, 1, ())]),  # a new code in a town 2 grid
    "links.revoke": lambda x, s: links.revoke(x.db, x.token, s, now()),
    "problems.assign_many": lambda x, s: problems.assign_many(
        x.db, s, [x.problem], actor_id=x.t1_admin.user_id, assignee_user_id=x.t2_cadre.user_id),
    "problems.transition": lambda x, s: problems.transition(
        x.db, s, x.problem, "assign", actor_id=x.t1_admin.user_id, assignee_user_id=x.t2_cadre.user_id),
    "problems.transition_tx": lambda x, s: _tx(x, lambda tx: problems.transition_tx(
        tx, s, x.problem, "assign", actor_id=x.t1_admin.user_id, at=now(), assignee_user_id=x.t2_cadre.user_id)),
    "responses.void_response": lambda x, s: responses.void_response(x.db, x.response, "越权作废", s, now()),
    "visits.amend_visit": lambda x, s: visits.amend_visit(x.db, s, x.visit, actor_id=x.t1_admin.user_id, note="越权"),
    "visits.correct_visit": lambda x, s: visits.correct_visit(
        x.db, s, x.visit, actor_id=x.t2_cadre.user_id, changes={"note": "越权"}),
    "visits.record_visit": lambda x, s: visits.record_visit(x.db, s, visits.NewVisit(
        "t1-into-t2", x.household, x.t1_admin.user_id, now(), "not_home")),
    "visits.record_visits": lambda x, s: visits.record_visits(x.db, s, [visits.NewVisit(
        "t1-into-t2", x.household, x.t1_admin.user_id, now(), "not_home")]),
    "visits.record_visit_tx": lambda x, s: _tx(x, lambda tx: visits.record_visit_tx(tx, s, visits.NewVisit(
        "t2-visit", x.w.hh["H101"], x.t1_admin.user_id, now(), "met"))),
}

# Scoped functions whose probe cannot show town 2's data even with the whole tree's scope, and why.
NO_CONTROL = {
    # writes only the unit at the top of the caller's scope (it takes no unit id): town 1 can only change town 1
    "problems.set_problem_categories": lambda x, s: problems.set_problem_categories(x.db, s, ["一街道类别"])
    and problems.problem_categories(x.db, x.t2_admin.scope),
    "problems.problem_categories": lambda x, s: problems.problem_categories(x.db, s),
    # one of list_campaigns(scope) (probed above); the district-wide campaign comes first for every scope
    "campaigns.current_campaign": lambda x, s: campaigns.current_campaign(x.db, s, dt.date.today()),
    # answers which of the codes the caller typed are taken outside their area, nothing about those households
    "households.codes_elsewhere": lambda x, s: [c for c in households.codes_elsewhere(x.db, s, ["H301"]) if c != "H301"],
    # the control would move visit 't2-visit' into town 1's household: record_visit_tx refuses it for everyone
    "visits.record_visit_tx": WRITES["visits.record_visit_tx"],
}


@dataclass(frozen=True)
class Decision:
    kind: str  # unit | principal | public | internal
    reason: str = ""


UNIT = Decision("unit")
PRINCIPAL = Decision("principal")


def public(reason: str) -> Decision:
    return Decision("public", reason)


def internal(reason: str) -> Decision:
    return Decision("internal", reason)


BULK = internal("bulk loading of the synthetic demo district (manage.py demo, app stopped)")
SURVEY_WRITE = internal("called only by services.authoring after _require_edit (storage.surveys.owned_within) "
                        "or by startup/CLI template installation")
SESSIONS = internal("sign-in, sessions and lockout (auth/): keyed by a username, a session token hash or the "
                    "signed-in user's own id, never reached with an id from a page")
COPY_DB = internal("manage.py copy-db: the whole database, run by whoever holds both databases' credentials")
DERIVED = internal("derived per-household visit status, refreshed after writes; readers filter it by scope")
TREE = public("the org tree's names, codes and levels are not personal data; pages resolve units from scoped lists")

DECISIONS: dict[str, Decision] = {
    **{name: UNIT for name in READS if name != "downloads.claim_ticket"},
    **{name: UNIT for name in WRITES},
    "downloads.claim_ticket": PRINCIPAL,
    "problems.set_problem_categories": UNIT,
    "problems.problem_categories": UNIT,
    "households.codes_elsewhere": UNIT,
    "campaigns.current_campaign": UNIT,
    "analytics.refresh_rollups": internal("folds responses into the rollup tables; the background refresher"),
    "analytics.rollup_state": internal("the rollups' watermark, read by the refresher"),
    "audit.record": internal("append-only writer; each entry is stamped with the actor's unit for audit.recent"),
    "bulk.advance_sequences": BULK, "bulk.clear_demo_data": BULK, "bulk.demo_counts": BULK, "bulk.demo_root": BULK,
    "bulk.ensure_surveys": BULK, "bulk.has_demo_data": BULK, "bulk.has_non_demo_data": BULK, "bulk.id_bases": BULK,
    "bulk.insert_arrow": BULK, "bulk.set_meta": BULK, "bulk.survey_definition": BULK, "bulk.survey_version": BULK,
    "bulk.table_counts": BULK, "bulk.taken": BULK,
    "campaigns.all_campaigns": internal("the CLI's campaign list (whole tree, app stopped)"),
    "campaigns.get_campaign": internal("by id for worklists.* and analytics, which filter the campaign's households by "
                                       "the caller's scope; pages pick the id from list_campaigns(scope)"),
    "credibility.browser_column": public("whether the responses table has a per-browser id column: schema, no data"),
    "credibility.visit_survey_ids": public("which questionnaires the visit forms of the scope use: survey ids, no data "
                                           "of a unit or resident (filtered by scope all the same)"),
    "db.open_database": internal("opens the file"), "db.shared_database": internal("opens the file"),
    "db.is_write_conflict": internal("pure: classifies a storage error"),
    "db.is_race": internal("pure: classifies a storage error"),
    "db.engine_errors": internal("pure: the engines' exception classes"),
    "dialects.is_url": internal("pure: reads MINYI_DB"), "dialects.scheme_of": internal("pure: reads MINYI_DB"),
    "dialects.redacted": internal("pure: hides a password in a URL"),
    "dialects.postgres_sql": internal("pure: spells SQL the PostgreSQL way"),
    "copy.base_tables": COPY_DB,
    "copy.begin": COPY_DB,
    "copy.check_distinct": COPY_DB,
    "copy.check_same_schema": COPY_DB,
    "copy.check_table": COPY_DB,
    "copy.copy_all": COPY_DB,
    "copy.copy_sequences": COPY_DB,
    "copy.copy_table": COPY_DB,
    "copy.finish": COPY_DB,
    "copy.first_line": COPY_DB,
    "copy.iter_differences": COPY_DB,
    "copy.open_source": COPY_DB,
    "copy.open_target": COPY_DB,
    "copy.place": COPY_DB,
    "copy.shown": COPY_DB,
    "copy.tables": COPY_DB,
    "drafts.save_draft": public("keyed by the draft id, the resident's own browser secret (fill page)"),
    "drafts.load_draft": public("keyed by the draft id, the resident's own browser secret (fill page)"),
    "drafts.delete_draft": public("keyed by the draft id, the resident's own browser secret (fill page)"),
    "drafts.purge_expired": internal("removes expired drafts of every browser; returns only a count"),
    "users.throttle_state": internal("sign-in throttle counters, keyed by username and address (auth.accounts)"),
    "users.count_failure": internal("sign-in throttle counters, keyed by username and address (auth.accounts)"),
    "users.clear_throttle": internal("sign-in throttle counters, keyed by username and address (auth.accounts)"),
    "users.remember_address": internal("the addresses a user signed in from, for the per-username throttle"),
    "users.is_known_address": internal("the addresses a user signed in from, for the per-username throttle"),
    "users.claim_meta": internal("claims the one-time setup code atomically (auth.setup, before any admin exists)"),
    "sequences.advance": internal("moves id sequences past the rows (bulk loads, open-time repair)"),
    "sequences.repair": internal("open-time check of every id sequence against its table"),
    "sequences.sequence_uses": internal("reads the catalogue: which column takes ids from which sequence"),
    "downloads.issue_ticket": internal("pages issue a ticket for the signed-in user's own id (ui/downloads.py)"),
    "downloads.issue_file_ticket": internal("services.backups.issue_download, for the signed-in admin of the top unit's "
                                            "own id, naming a file listed in the backup folder"),
    **{f"backups.{name}": internal("the whole database, no unit's part of it: services.backups, for the app's backup "
                                   "thread, an admin of the top unit (may_manage) or manage.py backup/restore")
       for name in ("copy_into", "read_marker", "drop_marker", "end_sessions", "row_counts", "file_row_counts", "record_run",
                    "recent_runs")},
    "households.as_table": internal("pure: records as an Arrow table"),
    "households.unit_levels": TREE,
    "links.answered_count": public("keyed by the share-link token, the resident's secret (fill page)"),
    "links.count_bursts": public("keyed by share-link tokens and the residents' own addresses; returns only counts"),
    "links.purge_bursts": internal("removes ended burst windows of every link; returns only a count"),
    "links.claim_tx": public("keyed by the share-link token, the resident's secret (submission)"),
    "links.existing_response_id": public("keyed by the client key the resident's own browser made (idempotent submit)"),
    "links.get_link": public("keyed by the share-link token, the resident's secret (fill page)"),
    "links.record_open": public("keyed by the share-link token, the resident's secret (fill page)"),
    "links.record_opens": public("keyed by the share-link token, the resident's secret (fill page)"),
    "links.submit_facts_tx": public("keyed by the share-link token, the resident's secret (submission)"),
    "links.create_links": internal("called only by services.share_links.create_links, which refuses a unit outside "
                                   "the principal's scope first"),
    "orgs.ancestors": TREE, "orgs.count_units": TREE, "orgs.create_unit": internal("setup and CLI only"),
    "orgs.get_unit": TREE, "orgs.get_unit_by_code": TREE, "orgs.levels": TREE, "orgs.roots": TREE,
    "problems.change_stamp": internal("the in-memory problem table's watermark (analytics/problem_table.py, which "
                                      "filters by scope when a dashboard reads it)"),
    "problems.changed_figure_columns": internal("feeds analytics/problem_table.py, filtered by scope on read"),
    "problems.figure_columns": internal("feeds analytics/problem_table.py, filtered by scope on read"),
    "problems.insert_problems_tx": internal("inside record_visit_tx, after its scope check of the household"),
    "responses.response_exists": public("keyed by the client key the resident's own browser made"),
    "responses.write_response": public("the resident's submission; its unit comes from the share link"),
    "responses.write_response_tx": public("the resident's submission; its unit comes from the share link"),
    "responses.write_responses_tx": public("the group writer's batch of residents' submissions"),
    "surveys.get_survey": public("title and status of the survey behind a share link (fill page)"),
    "surveys.survey_exists": public("whether an id is taken, for a new survey's id"),
    "surveys.version_definition": public("a published questionnaire, shown to residents"),
    "surveys.version_definition_json": public("a published questionnaire, shown to residents"),
    "surveys.list_versions": public("version numbers and dates of a survey"),
    "surveys.owner_unit_path": SURVEY_WRITE, "surveys.clear_draft": SURVEY_WRITE, "surveys.create_survey": SURVEY_WRITE,
    "surveys.draft_definition": SURVEY_WRITE, "surveys.publish_version": SURVEY_WRITE,
    "surveys.save_draft": SURVEY_WRITE, "surveys.set_schedule": SURVEY_WRITE, "surveys.set_status": SURVEY_WRITE,
    "surveys.set_title": SURVEY_WRITE,
    "users.create_session": SESSIONS, "users.create_user": internal("auth.accounts.create_account checks the unit"),
    "users.delete_meta": SESSIONS, "users.get_meta": SESSIONS, "users.get_user": SESSIONS,
    "users.count_users": internal("setup: whether an admin exists"),
    "users.revoke_session": SESSIONS, "users.revoke_user_sessions": SESSIONS,
    "users.get_user_by_username": SESSIONS, "users.password_hash_of": SESSIONS,
    "users.session_user": SESSIONS, "users.set_active": internal("pages/users.py picks the user from list_users(scope)"),
    "users.set_meta": SESSIONS, "users.set_password_hash": SESSIONS,
    "visit_status.counts_changed": DERIVED, "visit_status.generation": DERIVED, "visit_status.invalidate_all": DERIVED,
    "visit_status.rebuild": DERIVED, "visit_status.settle": DERIVED, "visit_status.touch": DERIVED,
}


def public_storage_functions() -> set[str]:
    found = set()
    for info in pkgutil.iter_modules(storage.__path__):
        if info.ispkg:
            continue
        module = importlib.import_module(f"storage.{info.name}")
        for name, member in inspect.getmembers(module, callable):
            fn = inspect.unwrap(member) if hasattr(member, "__wrapped__") else member  # a cached function too
            if inspect.isfunction(fn) and fn.__module__ == module.__name__ and not name.startswith("_"):
                found.add(f"{info.name}.{name}")
    return found


def test_every_public_storage_function_has_a_scope_decision():
    found = public_storage_functions()
    missing = sorted(found - set(DECISIONS))
    stale = sorted(set(DECISIONS) - found)
    assert not missing, f"storage functions without a scope decision (add them to DECISIONS): {missing}"
    assert not stale, f"decisions for functions that no longer exist: {stale}"
    for name, decision in DECISIONS.items():
        assert decision.kind in ("unit", "principal", "public", "internal"), name
        assert decision.kind in ("unit", "principal") or decision.reason, f"{name}: say why"
        if decision.kind in ("unit", "principal"):
            assert name in READS or name in WRITES or name in NO_CONTROL, f"{name}: scoped but never probed"


@pytest.fixture
def towns(db, tree) -> TwoTowns:
    return build_two_towns(db, tree)


def _run(probe, x: TwoTowns, scope: Scope) -> tuple[Any, bool]:
    """The probe's result and whether the call was refused."""
    try:
        return probe(x, scope), False
    except REFUSED:
        return None, True


@pytest.mark.parametrize("name", sorted(READS))
def test_a_town_1_principal_reads_nothing_of_town_2(towns, name):
    probe = READS[name]
    before = fingerprint(towns.db)
    shown, _ = _run(probe, towns, towns.t1_admin.scope)
    assert not shows_town2(towns, shown), f"{name} handed town 1 data of town 2: {shown!r}"
    if name != "downloads.claim_ticket":
        assert fingerprint(towns.db) == before
    control, _ = _run(probe, towns, Scope.everything())
    assert shows_town2(towns, control), f"{name}: the probe cannot see town 2 even with the whole tree"


@pytest.mark.parametrize("name", sorted(set(WRITES) - set(NO_CONTROL)))
def test_a_town_1_principal_changes_nothing_of_town_2(towns, name):
    probe = WRITES[name]
    before = fingerprint(towns.db)
    result, refused = _run(probe, towns, towns.t1_admin.scope)
    assert refused or not result, f"{name} reported a change: {result!r}"
    assert fingerprint(towns.db) == before, f"{name} changed the database for town 1 with town 2's ids"
    _run(probe, towns, Scope.everything())
    assert fingerprint(towns.db) != before, f"{name}: the probe changes nothing even with the whole tree"


@pytest.mark.parametrize("name", sorted(NO_CONTROL))
def test_scoped_functions_without_a_control_still_leave_town_2_alone(towns, name):
    before_t2 = problems.problem_categories(towns.db, towns.t2_admin.scope)
    result, refused = _run(NO_CONTROL[name], towns, towns.t1_admin.scope)
    assert refused or not shows_town2(towns, result if name != "problems.set_problem_categories" else []), result
    assert problems.problem_categories(towns.db, towns.t2_admin.scope) == before_t2
    if name == "visits.record_visit_tx":
        assert refused and visits.get_visit(towns.db, Scope.everything(), towns.visit).household_id == towns.household
