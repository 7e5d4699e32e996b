"""Households and their tags: set-based bulk import (one transaction), search, and the grid lookups imports use."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pyarrow as pa

from fieldwork.registry import Grid, HouseholdRecord, UnitRecord
from settings import now
from storage import visit_status
from storage.db import Database, Scope, Tx



class HouseholdsOutOfScope(ValueError):
    """Some household codes in the file belong to households outside the importer's subtree; ``key`` is the
    i18n key of the message."""

    key = "households.err.codes_elsewhere"

    def __init__(self, codes: list[str]) -> None:
        super().__init__(self.key)
        self.codes = codes


class GridsOutOfScope(HouseholdsOutOfScope):
    """Some households in the file are put in a grid outside the importer's subtree (or in no grid at all)."""

    key = "households.err.grid_elsewhere"


@dataclass(frozen=True)
class ImportCounts:
    inserted: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class Household:
    id: int
    code: str
    head_name: str
    phone: str | None
    address: str | None
    grid_id: int
    grid_code: str
    grid_name: str
    grid_path: str
    members: int | None
    tags: tuple[str, ...]


def grids(db: Database | Tx, scope: Scope) -> list[Grid]:
    """The units of the lowest level (grids) inside ``scope``: where households may be put."""
    rows = db.query(
        """SELECT id, code, name FROM org_units WHERE path LIKE ?
           AND level = (SELECT max(level) FROM org_levels) ORDER BY code""",
        [scope.like],
    ).rows
    return [Grid(int(r[0]), r[1], r[2]) for r in rows]


COLUMNS = ("code", "head_name", "phone", "address", "grid_id", "members", "tags")


def as_table(records: Sequence[HouseholdRecord] | pa.Table) -> pa.Table:
    """Households as an Arrow table with the staging columns (tags a list of strings)."""
    if isinstance(records, pa.Table):
        return records.select(list(COLUMNS))
    return pa.table({
        "code": pa.array([r.code for r in records], pa.string()),
        "head_name": pa.array([r.head_name for r in records], pa.string()),
        "phone": pa.array([r.phone for r in records], pa.string()),
        "address": pa.array([r.address for r in records], pa.string()),
        "grid_id": pa.array([r.grid_id for r in records], pa.int64()),
        "members": pa.array([r.members for r in records], pa.int32()),
        "tags": pa.array([list(r.tags) for r in records], pa.list_(pa.string())),
    })


def codes_elsewhere(db: Database, scope: Scope, codes: Sequence[str] | pa.Array | pa.ChunkedArray) -> list[str]:
    """Codes that already belong to a household outside ``scope`` (an import must not move or overwrite them).

    The codes are joined as a registered Arrow table: a 600,000-code file is one hash join."""
    if len(codes) == 0:
        return []
    column = codes if isinstance(codes, (pa.Array, pa.ChunkedArray)) else pa.array(list(codes), pa.string())
    with db.transaction() as tx, tx.dialect.staged(tx, pa.table({"code": column})) as view:
        rows = tx.query(
            f"""SELECT h.code FROM {view} c JOIN households h ON h.code = c.code JOIN org_units g ON g.id = h.grid_id
                WHERE g.path NOT LIKE ? ORDER BY h.code LIMIT 100""",
            [scope.like],
        ).rows
    return [r[0] for r in rows]


def upsert_households(
    db: Database,
    scope: Scope,
    records: Sequence[HouseholdRecord] | pa.Table,
    *,
    replace_tags: bool = True,
    progress: Callable[[float], None] | None = None,
) -> ImportCounts:
    """Insert new households and update known ones by code, all in ONE transaction (a failure changes nothing).

    Set-based: the records are registered as an Arrow table and merged with
    ``UPDATE … FROM`` / ``INSERT … SELECT``. Tags are replaced for the households
    in the file when ``replace_tags`` (the file had a 标签 column). Raises
    HouseholdsOutOfScope when a code belongs to a household outside ``scope`` or a record's grid is not a grid
    inside ``scope``.
    """
    stamp = now()
    staged = as_table(records)
    with db.transaction() as tx, tx.dialect.staged(tx, staged) as view:
        if progress:
            progress(0.1)
        foreign = tx.query(
            f"""SELECT s.code FROM {view} s JOIN households h ON h.code = s.code JOIN org_units g ON g.id = h.grid_id
                WHERE g.path NOT LIKE ? ORDER BY s.code LIMIT 100""",
            [scope.like],
        ).rows
        if foreign:
            raise HouseholdsOutOfScope([r[0] for r in foreign])
        # the target grid must be a grid inside the importer's scope too, whatever the caller checked
        outside = tx.query(
            f"""SELECT s.code FROM {view} s LEFT JOIN org_units g ON g.id = s.grid_id
                AND g.level = (SELECT max(level) FROM org_levels) AND g.path LIKE ?
                WHERE g.id IS NULL ORDER BY s.code LIMIT 100""",
            [scope.like],
        ).rows
        if outside:
            raise GridsOutOfScope([r[0] for r in outside])
        changed = """(h.head_name IS DISTINCT FROM s.head_name OR h.phone IS DISTINCT FROM s.phone
            OR h.address IS DISTINCT FROM s.address OR h.grid_id IS DISTINCT FROM s.grid_id
            OR h.members IS DISTINCT FROM s.members OR NOT h.active)"""
        known, to_update = tx.query(
            f"SELECT count(*), count(*) FILTER (WHERE {changed}) FROM {view} s JOIN households h ON h.code = s.code"
        ).first() or (0, 0)
        if progress:
            progress(0.3)
        visit_status.counts_changed(tx)  # households added or back: the coverage counts change
        # households moved to another grid (or back in the registry) count there from now on
        visit_status.touch(tx, [r[0] for r in tx.query(
            f"""SELECT h.id FROM households h JOIN {view} s ON s.code = h.code
                WHERE h.grid_id IS DISTINCT FROM s.grid_id OR NOT h.active""").rows])
        if to_update:
            tx.execute(
                f"""UPDATE households AS h SET head_name = s.head_name, phone = s.phone, address = s.address,
                        grid_id = s.grid_id, members = s.members, active = TRUE, updated_at = ?
                    FROM {view} s WHERE h.code = s.code AND {changed}""",
                [stamp],
            )
        if progress:
            progress(0.5)
        tx.execute(
            f"""INSERT INTO households (code, head_name, phone, address, grid_id, members, created_at, updated_at)
                SELECT s.code, s.head_name, s.phone, s.address, s.grid_id, s.members, ?, ?
                FROM {view} s WHERE NOT EXISTS (SELECT 1 FROM households h WHERE h.code = s.code)""",
            [stamp, stamp],
        )
        if progress:
            progress(0.75)
        if replace_tags:
            tx.execute(f"""DELETE FROM household_tags WHERE household_id IN
                           (SELECT h.id FROM households h JOIN {view} s ON s.code = h.code)""")
            tx.execute(f"""INSERT INTO household_tags (household_id, tag)
                           SELECT DISTINCT h.id, left(trim(t.tag), 32) FROM (SELECT code, unnest(tags) AS tag FROM {view}) t
                           JOIN households h ON h.code = t.code WHERE trim(t.tag) <> ''""")
        if progress:
            progress(1.0)
    inserted = staged.num_rows - int(known)
    return ImportCounts(inserted, int(to_update), int(known) - int(to_update))


def import_units(db: Database, records: Sequence[UnitRecord], scope: Scope,
                 progress: Callable[[float], None] | None = None) -> ImportCounts:
    """Create the org units of a parsed tree (parents first) and rename known ones, in ONE transaction.

    New roots need the whole-tree scope (an admin at the top); a new unit's
    parent, and every renamed unit, must lie inside ``scope``. ``progress(fraction)`` is called inside the
    transaction before each unit, so an exception it raises (a cancelled import job) rolls everything back.
    """
    inserted = updated = unchanged = 0
    stamp = now()
    with db.transaction() as tx:
        for index, rec in enumerate(records):
            if progress is not None:
                progress(index / max(len(records), 1))
            known = tx.query("SELECT id, name, path FROM org_units WHERE code = ?", [rec.code]).first()
            if known is not None:
                if not scope.covers(known[2]):
                    raise PermissionError(rec.code)
                if known[1] != rec.name:
                    tx.execute("UPDATE org_units SET name = ? WHERE id = ?", [rec.name, known[0]])
                    updated += 1
                else:
                    unchanged += 1
                continue
            parent_path = "/"
            parent_id = None
            if rec.parent_code is not None:
                parent = tx.query("SELECT id, path FROM org_units WHERE code = ?", [rec.parent_code]).first()
                if parent is None:
                    raise LookupError(rec.parent_code)
                parent_id, parent_path = int(parent[0]), parent[1]
            if not scope.covers(parent_path) or (parent_id is None and scope.path != "/"):
                raise PermissionError(rec.code)
            new_id = int(tx.query("SELECT nextval('org_units_id_seq')").single_value())
            tx.execute(
                "INSERT INTO org_units (id, parent_id, level, code, name, path, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [new_id, parent_id, rec.level, rec.code, rec.name, f"{parent_path}{new_id}/", stamp],
            )
            inserted += 1
    return ImportCounts(inserted, updated, unchanged)


def unit_levels(db: Database | Tx) -> dict[str, int]:
    """Every known unit code -> its level (for checking an org tree file)."""
    return {r[0]: int(r[1]) for r in db.query("SELECT code, level FROM org_units").rows}


_SELECT = """SELECT h.id, h.code, h.head_name, h.phone, h.address, h.grid_id, g.code, g.name, g.path, h.members,
    coalesce((SELECT array_agg(t.tag ORDER BY t.tag) FROM household_tags t WHERE t.household_id = h.id),
             ARRAY[]::VARCHAR[])
    FROM households h JOIN org_units g ON g.id = h.grid_id"""


def _household(row: tuple) -> Household:
    return Household(*row[:10], tuple(row[10]))


def _filters(scope: Scope, search: str | None, tag: str | None, grid_id: int | None) -> tuple[str, list]:
    where = " WHERE h.active AND g.path LIKE ?"
    params: list = [scope.like]
    if search:
        where += " AND (h.code ILIKE ? OR h.head_name ILIKE ? OR h.address ILIKE ?)"
        params += [f"%{search.strip()}%"] * 3
    if tag:
        where += " AND EXISTS (SELECT 1 FROM household_tags t WHERE t.household_id = h.id AND t.tag = ?)"
        params.append(tag)
    if grid_id is not None:
        where += " AND h.grid_id = ?"
        params.append(grid_id)
    return where, params


def list_households(
    db: Database,
    scope: Scope,
    *,
    search: str | None = None,
    tag: str | None = None,
    grid_id: int | None = None,
    ids: Sequence[int] | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[Household]:
    """Active households in ``scope``, searchable by code, head's name or address and filterable by tag."""
    where, params = _filters(scope, search, tag, grid_id)
    if ids is not None:
        where += " AND list_contains(?, h.id)"
        params.append(list(ids))
    rows = db.query(_SELECT + where + " ORDER BY g.code, h.code LIMIT ? OFFSET ?", params + [limit, offset]).rows
    return [_household(r) for r in rows]


def count_households(db: Database, scope: Scope, *, search: str | None = None, tag: str | None = None,
                     grid_id: int | None = None) -> int:
    where, params = _filters(scope, search, tag, grid_id)
    return int(db.query("SELECT count(*) FROM households h JOIN org_units g ON g.id = h.grid_id" + where,
                        params).single_value())


def get_household(db: Database | Tx, scope: Scope, household_id: int) -> Household | None:
    """One household, only when it lies inside ``scope``."""
    row = db.query(_SELECT + " WHERE h.id = ? AND g.path LIKE ?", [household_id, scope.like]).first()
    return _household(row) if row else None


def household_ids_by_code(db: Database | Tx, scope: Scope, codes: Sequence[str]) -> dict[str, int]:
    """code -> id for the given codes that belong to households inside ``scope``."""
    rows = db.query(
        """SELECT h.code, h.id FROM households h JOIN org_units g ON g.id = h.grid_id
           WHERE h.active AND g.path LIKE ? AND list_contains(?, h.code)""",
        [scope.like, list(codes)],
    ).rows
    return {r[0]: int(r[1]) for r in rows}


def tags_in_use(db: Database, scope: Scope) -> list[str]:
    rows = db.query(
        """SELECT DISTINCT t.tag FROM household_tags t JOIN households h ON h.id = t.household_id
           JOIN org_units g ON g.id = h.grid_id WHERE g.path LIKE ? ORDER BY t.tag""",
        [scope.like],
    ).rows
    return [r[0] for r in rows]
