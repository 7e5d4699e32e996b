"""Unit ownership for what used to be global: audit entries carry the unit they happened in, problem categories
are kept per unit (inherited down the tree, overridable).

``audit_log.org_unit_id`` is the acting user's unit when the entry was written (a later move of the user does
not move their history); entries of no known user have none and belong to the top of the tree. The district-wide
category list that lived in ``app_meta`` becomes the list of each root unit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.db import Tx


def up(tx: "Tx") -> None:
    tx.execute("ALTER TABLE audit_log ADD COLUMN org_unit_id BIGINT")
    tx.execute("""UPDATE audit_log SET org_unit_id = coalesce(
                      (SELECT u.org_unit_id FROM users u WHERE u.id = audit_log.actor_id),
                      (SELECT u.org_unit_id FROM users u WHERE audit_log.actor_id IS NULL
                                                          AND u.username = audit_log.actor_name))""")
    tx.execute("""CREATE TABLE unit_problem_categories (
        org_unit_id BIGINT PRIMARY KEY,
        categories VARCHAR NOT NULL,
        updated_at TIMESTAMP NOT NULL
    )""")
    tx.execute("""INSERT INTO unit_problem_categories (org_unit_id, categories, updated_at)
                  SELECT o.id, m.value, m.updated_at FROM app_meta m, org_units o
                  WHERE m.key = 'fieldwork.problem_categories' AND o.parent_id IS NULL""")
    tx.execute("DELETE FROM app_meta WHERE key = 'fieldwork.problem_categories'")
