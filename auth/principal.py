"""The signed-in principal and the role rules every page and query relies on."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Scope
from storage.users import User

STAFF_ROLES = ("admin", "leader", "cadre")


@dataclass(frozen=True)
class Principal:
    """Who is acting: a user, their role and the subtree of the org tree they may see."""

    user_id: int
    username: str
    display_name: str
    role: str
    unit_id: int
    unit_path: str
    unit_level: int
    unit_name: str

    @classmethod
    def from_user(cls, user: User) -> "Principal":
        return cls(user.id, user.username, user.display_name, user.role, user.org_unit_id,
                   user.unit_path, user.unit_level, user.unit_name)

    @property
    def scope(self) -> Scope:
        return Scope(self.unit_path)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can_see(self, unit_path: str) -> bool:
        return self.scope.covers(unit_path)

    def sees_personal_data_of(self, grid_path: str) -> bool:
        """Names and phones are shown unmasked to admins and to the cadres of
        the household's own grid; everyone else sees them masked."""
        if self.role == "admin":
            return self.can_see(grid_path)
        return self.role == "cadre" and self.can_see(grid_path)
