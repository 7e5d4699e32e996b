"""The only place that speaks SQL: connection, migrations, repositories and analytics queries."""

from storage.db import (
    Database,
    DatabaseLocked,
    DatabaseTooNew,
    NotADatabase,
    Result,
    Scope,
    StorageError,
    StorageLocationError,
    open_database,
)

__all__ = [
    "Database",
    "DatabaseLocked",
    "DatabaseTooNew",
    "NotADatabase",
    "Result",
    "Scope",
    "StorageError",
    "StorageLocationError",
    "open_database",
]
