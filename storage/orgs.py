"""The org tree: units at data-defined levels, each with a materialized path for subtree checks."""

from __future__ import annotations

from dataclasses import dataclass

from settings import now
from storage.db import Database, Scope, Tx


@dataclass(frozen=True)
class OrgUnit:
    id: int
    parent_id: int | None
    level: int
    code: str
    name: str
    path: str

    @property
    def scope(self) -> Scope:
        return Scope(self.path)


@dataclass(frozen=True)
class OrgLevel:
    level: int
    code: str
    name_zh: str
    name_en: str


_COLUMNS = "id, parent_id, level, code, name, path"


def _unit(row: tuple | None) -> OrgUnit | None:
    return OrgUnit(*row) if row else None


def levels(db: Database) -> list[OrgLevel]:
    return [OrgLevel(*r) for r in db.query("SELECT level, code, name_zh, name_en FROM org_levels ORDER BY level").rows]


def create_unit(db: Database | Tx, code: str, name: str, level: int, parent_id: int | None = None) -> OrgUnit:
    """Add a unit under ``parent_id`` (None for a root); its path is derived from the parent's."""
    parent_path = "/"
    if parent_id is not None:
        parent = db.query(f"SELECT {_COLUMNS} FROM org_units WHERE id = ?", [parent_id]).first()
        if parent is None:
            raise ValueError(f"unknown parent unit {parent_id}")
        parent_path = parent[5]
    new_id = db.query("SELECT nextval('org_units_id_seq')").single_value()
    path = f"{parent_path}{new_id}/"
    db.execute(
        "INSERT INTO org_units (id, parent_id, level, code, name, path, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [new_id, parent_id, level, code, name, path, now()],
    )
    return OrgUnit(new_id, parent_id, level, code, name, path)


def get_unit(db: Database | Tx, unit_id: int) -> OrgUnit | None:
    return _unit(db.query(f"SELECT {_COLUMNS} FROM org_units WHERE id = ?", [unit_id]).first())


def get_unit_by_code(db: Database | Tx, code: str) -> OrgUnit | None:
    return _unit(db.query(f"SELECT {_COLUMNS} FROM org_units WHERE code = ?", [code]).first())


def list_units(db: Database, scope: Scope, level: int | None = None) -> list[OrgUnit]:
    """Every unit inside ``scope`` (optionally only one level), in tree order."""
    sql = f"SELECT {_COLUMNS} FROM org_units WHERE path LIKE ?"
    params: list = [scope.like]
    if level is not None:
        sql += " AND level = ?"
        params.append(level)
    return [OrgUnit(*r) for r in db.query(sql + " ORDER BY path", params).rows]


def children(db: Database, parent_id: int, scope: Scope) -> list[OrgUnit]:
    """The direct children of a unit, limited to ``scope``."""
    rows = db.query(
        f"SELECT {_COLUMNS} FROM org_units WHERE parent_id = ? AND path LIKE ? ORDER BY code",
        [parent_id, scope.like],
    ).rows
    return [OrgUnit(*r) for r in rows]


def roots(db: Database) -> list[OrgUnit]:
    return [OrgUnit(*r) for r in db.query(f"SELECT {_COLUMNS} FROM org_units WHERE parent_id IS NULL ORDER BY code").rows]


def ancestors(db: Database, unit: OrgUnit) -> list[OrgUnit]:
    """The chain from the root down to ``unit`` (inclusive), for breadcrumbs."""
    ids = [int(part) for part in unit.path.strip("/").split("/") if part]
    if not ids:
        return []
    placeholders = ", ".join("?" for _ in ids)
    rows = db.query(f"SELECT {_COLUMNS} FROM org_units WHERE id IN ({placeholders}) ORDER BY level", ids).rows
    return [OrgUnit(*r) for r in rows]


def count_units(db: Database) -> int:
    return int(db.query("SELECT count(*) FROM org_units").single_value())
