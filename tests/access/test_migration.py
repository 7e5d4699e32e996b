"""m0510 on a database from before it: the district-wide categories become the root's, old audit entries get units."""

from __future__ import annotations

import datetime as dt

from storage import audit, migrations, orgs
from storage import problems as problem_store
from storage.db import Database, Scope


def test_an_upgraded_database_keeps_its_categories_at_the_root_and_its_audit_log_scoped(tmp_path):
    import duckdb

    conn = duckdb.connect(str(tmp_path / "old.duckdb"))
    db = Database(conn, str(tmp_path / "old.duckdb"))
    migrations._ensure_table(db)
    for m in migrations.known():
        if m.name >= "m0510":
            break
        with db.transaction() as tx:
            m.up(tx)
            tx.execute(f"INSERT INTO {migrations.TABLE} VALUES (?, ?)", [m.name, dt.datetime.now()])
    root = orgs.create_unit(db, "D01", "清河区", 1)
    town = orgs.create_unit(db, "T1", "一街道", 2, root.id)
    other = orgs.create_unit(db, "T2", "二街道", 2, root.id)
    db.execute("INSERT INTO users (id, username, display_name, role, org_unit_id, password_hash, created_at) "
               "VALUES (7, 'town_admin', 'x', 'admin', ?, 'h', now())", [town.id])
    db.execute("INSERT INTO app_meta VALUES ('fieldwork.problem_categories', '旧类别甲\n旧类别乙', now())")
    db.execute("INSERT INTO audit_log (occurred_at, actor_id, actor_name, action) VALUES (now(), 7, 'town_admin', 'x.old')")
    db.execute("INSERT INTO audit_log (occurred_at, actor_name, action) VALUES (now(), 'town_admin', 'auth.login_failed')")
    assert migrations.apply(db)[0] == "m0510_unit_ownership"
    assert problem_store.problem_categories(db, Scope(town.path)) == ["旧类别甲", "旧类别乙"]  # inherited from the root
    assert db.query("SELECT count(*) FROM app_meta WHERE key = 'fieldwork.problem_categories'").single_value() == 0
    assert {e.action for e in audit.recent(db, Scope(town.path))} == {"x.old", "auth.login_failed"}
    assert audit.recent(db, Scope(other.path)) == []
    db.close()
