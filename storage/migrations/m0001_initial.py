"""The initial schema: org tree, accounts, surveys, links, responses, field work, audit.

Conventions (kept close to standard SQL for the later PostgreSQL mode):
- Ids come from sequences (``DEFAULT nextval``), except surveys (a readable slug)
  and share links (the token itself). Ids a client creates for idempotency
  (responses, visits, problems) live in a ``client_key`` column under UNIQUE.
- Timestamps are naive TIMESTAMP in the deployment's time zone (MINYI_TZ), so
  "today" and daily figures need no time-zone arithmetic in queries.
- No FOREIGN KEY constraints: DuckDB implements an UPDATE of an indexed row as
  delete + insert and then refuses it while another table references the row,
  which would forbid ordinary updates (a problem's state, a user's lockout).
  The repositories in storage/ keep references valid instead.

Answer storage shape, chosen from the numbers measured on these machines at 1M
responses (STREAMLIT_NOTES.md): grouped queries over a long answers table cost
350–420 ms, one typed column per question ~120 ms, a pre-aggregated table
10–15 ms, while the dashboards must reach <= 150 ms per view.
- ``answers`` is the long table, one row per answered item, by value
  (value_num for scale/number answers, value_text for choice values and text).
  It is the source of truth for exports, per-question breakdowns and re-scoring,
  and works for every survey without DDL per survey version.
- ``responses`` carries each response's satisfaction summary, computed once at
  write time by surveys.scoring: sat_n (satisfaction items answered), sat_ok
  (items at or above the satisfied level) and sat_index_sum. The headline
  figures (rate, index, n per unit and day) are then one grouped scan over
  1M narrow rows instead of 20M answers; the dashboards' per-question views
  add a rollup table in their own migration.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.db import Tx

STATEMENTS = [
    # --- key/value facts about this installation (setup code hash, ...)
    """CREATE TABLE app_meta (
        key VARCHAR PRIMARY KEY,
        value VARCHAR NOT NULL,
        updated_at TIMESTAMP NOT NULL
    )""",
    # --- org tree: levels are data, not code
    """CREATE TABLE org_levels (
        level INTEGER PRIMARY KEY,
        code VARCHAR NOT NULL UNIQUE,
        name_zh VARCHAR NOT NULL,
        name_en VARCHAR NOT NULL
    )""",
    """INSERT INTO org_levels VALUES
        (1, 'district', '区', 'District'),
        (2, 'town', '镇(街道)', 'Town'),
        (3, 'community', '村(社区)', 'Community'),
        (4, 'grid', '网格', 'Grid')""",
    "CREATE SEQUENCE org_units_id_seq START 1",
    """CREATE TABLE org_units (
        id BIGINT PRIMARY KEY DEFAULT nextval('org_units_id_seq'),
        parent_id BIGINT,
        level INTEGER NOT NULL,
        code VARCHAR NOT NULL UNIQUE,
        name VARCHAR NOT NULL,
        path VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL
    )""",
    # --- accounts
    "CREATE SEQUENCE users_id_seq START 1",
    """CREATE TABLE users (
        id BIGINT PRIMARY KEY DEFAULT nextval('users_id_seq'),
        username VARCHAR NOT NULL UNIQUE,
        display_name VARCHAR NOT NULL,
        role VARCHAR NOT NULL CHECK (role IN ('admin', 'leader', 'cadre')),
        org_unit_id BIGINT NOT NULL,
        password_hash VARCHAR NOT NULL,
        phone VARCHAR,
        active BOOLEAN NOT NULL DEFAULT TRUE,
        is_demo BOOLEAN NOT NULL DEFAULT FALSE,
        created_at TIMESTAMP NOT NULL
    )""",
    # Lockout state lives apart from users so that counting a failure never
    # rewrites (delete + insert) the indexed users row.
    """CREATE TABLE login_failures (
        username VARCHAR PRIMARY KEY,
        failures INTEGER NOT NULL,
        last_failure_at TIMESTAMP NOT NULL,
        locked_until TIMESTAMP
    )""",
    """CREATE TABLE user_sessions (
        token_hash VARCHAR PRIMARY KEY,
        user_id BIGINT NOT NULL,
        created_at TIMESTAMP NOT NULL,
        expires_at TIMESTAMP NOT NULL,
        revoked_at TIMESTAMP
    )""",
    # --- surveys: a survey and its immutable published versions
    """CREATE TABLE surveys (
        id VARCHAR PRIMARY KEY,
        title VARCHAR NOT NULL,
        kind VARCHAR NOT NULL DEFAULT 'satisfaction',
        status VARCHAR NOT NULL DEFAULT 'draft'
            CHECK (status IN ('draft', 'open', 'closed', 'archived')),
        opens_at TIMESTAMP,
        closes_at TIMESTAMP,
        current_version INTEGER,
        draft_definition VARCHAR,
        owner_unit_id BIGINT,
        source VARCHAR NOT NULL DEFAULT 'template',
        created_by BIGINT,
        created_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL
    )""",
    """CREATE TABLE survey_versions (
        survey_id VARCHAR NOT NULL,
        version INTEGER NOT NULL,
        definition VARCHAR NOT NULL,
        published_at TIMESTAMP NOT NULL,
        published_by BIGINT,
        PRIMARY KEY (survey_id, version)
    )""",
    # --- share links (one row per token; a single-use batch shares batch_id)
    """CREATE TABLE share_links (
        token VARCHAR PRIMARY KEY,
        survey_id VARCHAR NOT NULL,
        org_unit_id BIGINT NOT NULL,
        mode VARCHAR NOT NULL CHECK (mode IN ('open', 'single_use')),
        batch_id VARCHAR,
        label VARCHAR,
        expires_at TIMESTAMP,
        response_cap INTEGER,
        rate_limit_per_minute INTEGER,
        revoked_at TIMESTAMP,
        used_at TIMESTAMP,
        created_by BIGINT,
        created_at TIMESTAMP NOT NULL
    )""",
    # --- responses and their answers (see the module docstring for the shape)
    "CREATE SEQUENCE responses_id_seq START 1",
    """CREATE TABLE responses (
        id BIGINT PRIMARY KEY DEFAULT nextval('responses_id_seq'),
        client_key VARCHAR NOT NULL UNIQUE,
        survey_id VARCHAR NOT NULL,
        survey_version INTEGER NOT NULL,
        org_unit_id BIGINT NOT NULL,
        household_id BIGINT,
        visit_id BIGINT,
        channel VARCHAR NOT NULL CHECK (channel IN ('link', 'visit', 'import')),
        link_token VARCHAR,
        submitted_at TIMESTAMP NOT NULL,
        started_at TIMESTAMP,
        duration_seconds DOUBLE,
        submitted_by BIGINT,
        sat_n INTEGER NOT NULL DEFAULT 0,
        sat_ok INTEGER NOT NULL DEFAULT 0,
        sat_index_sum DOUBLE NOT NULL DEFAULT 0,
        nps_score SMALLINT,
        voided_at TIMESTAMP,
        void_reason VARCHAR,
        is_demo BOOLEAN NOT NULL DEFAULT FALSE
    )""",
    # No primary key or index: an ART index on 20M rows costs memory and slows
    # every insert, and answers are always reached through their response.
    """CREATE TABLE answers (
        response_id BIGINT NOT NULL,
        question_id VARCHAR NOT NULL,
        row_id VARCHAR NOT NULL DEFAULT '',
        value_num DOUBLE,
        value_text VARCHAR
    )""",
    # --- households and field work
    "CREATE SEQUENCE households_id_seq START 1",
    """CREATE TABLE households (
        id BIGINT PRIMARY KEY DEFAULT nextval('households_id_seq'),
        code VARCHAR NOT NULL UNIQUE,
        head_name VARCHAR NOT NULL,
        phone VARCHAR,
        address VARCHAR,
        grid_id BIGINT NOT NULL,
        members INTEGER,
        active BOOLEAN NOT NULL DEFAULT TRUE,
        is_demo BOOLEAN NOT NULL DEFAULT FALSE,
        created_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL
    )""",
    """CREATE TABLE household_tags (
        household_id BIGINT NOT NULL,
        tag VARCHAR NOT NULL,
        PRIMARY KEY (household_id, tag)
    )""",
    "CREATE SEQUENCE campaigns_id_seq START 1",
    """CREATE TABLE campaigns (
        id BIGINT PRIMARY KEY DEFAULT nextval('campaigns_id_seq'),
        name VARCHAR NOT NULL,
        starts_on DATE NOT NULL,
        ends_on DATE NOT NULL,
        visit_survey_id VARCHAR NOT NULL,
        coverage_target DOUBLE NOT NULL DEFAULT 1.0,
        covering_outcomes VARCHAR NOT NULL DEFAULT 'met',
        created_by BIGINT,
        created_at TIMESTAMP NOT NULL
    )""",
    """CREATE TABLE campaign_units (
        campaign_id BIGINT NOT NULL,
        org_unit_id BIGINT NOT NULL,
        PRIMARY KEY (campaign_id, org_unit_id)
    )""",
    "CREATE SEQUENCE visits_id_seq START 1",
    """CREATE TABLE visits (
        id BIGINT PRIMARY KEY DEFAULT nextval('visits_id_seq'),
        client_key VARCHAR NOT NULL UNIQUE,
        campaign_id BIGINT,
        household_id BIGINT NOT NULL,
        org_unit_id BIGINT NOT NULL,
        cadre_id BIGINT NOT NULL,
        visited_at TIMESTAMP NOT NULL,
        outcome VARCHAR NOT NULL CHECK (outcome IN ('met', 'not_home', 'refused', 'vacant', 'moved')),
        response_id BIGINT,
        follow_up BOOLEAN NOT NULL DEFAULT FALSE,
        is_return_visit BOOLEAN NOT NULL DEFAULT FALSE,
        note VARCHAR,
        created_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL
    )""",
    "CREATE SEQUENCE problems_id_seq START 1",
    """CREATE TABLE problems (
        id BIGINT PRIMARY KEY DEFAULT nextval('problems_id_seq'),
        client_key VARCHAR NOT NULL UNIQUE,
        household_id BIGINT,
        org_unit_id BIGINT NOT NULL,
        visit_id BIGINT,
        response_id BIGINT,
        category VARCHAR NOT NULL,
        description VARCHAR NOT NULL,
        urgency VARCHAR NOT NULL DEFAULT 'normal' CHECK (urgency IN ('low', 'normal', 'high', 'urgent')),
        state VARCHAR NOT NULL DEFAULT 'new'
            CHECK (state IN ('new', 'assigned', 'in_progress', 'resolved', 'closed')),
        assignee_user_id BIGINT,
        assignee_unit_id BIGINT,
        raised_at TIMESTAMP NOT NULL,
        due_on DATE NOT NULL,
        resolved_at TIMESTAMP,
        closed_at TIMESTAMP,
        resolution_satisfaction SMALLINT,
        created_by BIGINT
    )""",
    "CREATE SEQUENCE problem_events_id_seq START 1",
    """CREATE TABLE problem_events (
        id BIGINT PRIMARY KEY DEFAULT nextval('problem_events_id_seq'),
        problem_id BIGINT NOT NULL,
        occurred_at TIMESTAMP NOT NULL,
        actor_id BIGINT,
        action VARCHAR NOT NULL,
        from_state VARCHAR,
        to_state VARCHAR,
        note VARCHAR
    )""",
    # --- audit log: append only
    "CREATE SEQUENCE audit_log_id_seq START 1",
    """CREATE TABLE audit_log (
        id BIGINT PRIMARY KEY DEFAULT nextval('audit_log_id_seq'),
        occurred_at TIMESTAMP NOT NULL,
        actor_id BIGINT,
        actor_name VARCHAR,
        action VARCHAR NOT NULL,
        target VARCHAR,
        detail VARCHAR,
        ip VARCHAR
    )""",
]


def up(tx: "Tx") -> None:
    for statement in STATEMENTS:
        tx.execute(statement)
