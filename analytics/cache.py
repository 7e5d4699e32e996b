"""Figures kept while the data under them is unchanged: a live refresh with nothing new costs one small query."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from storage.db import Database

T = TypeVar("T")


class VersionedCache(Generic[T]):
    """Per database, the latest result for each key together with the data version it was computed at.

    ``get`` reads nothing itself: the caller passes the current version (a cheap stamp from storage, read before
    computing), so a value is never older than the stamp it is filed under and any change since is recomputed.
    Leaders refreshing the same view every few seconds then share one computation per change.
    """

    def __init__(self, size: int = 128) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._by_db: weakref.WeakKeyDictionary[Database, OrderedDict[Hashable, tuple[Hashable, T]]] = (
            weakref.WeakKeyDictionary())

    def clear(self) -> None:
        with self._lock:
            self._by_db.clear()

    def get(self, db: Database, key: Hashable, version: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            items = self._by_db.setdefault(db, OrderedDict())
            hit = items.get(key)
            if hit is not None and hit[0] == version:
                items.move_to_end(key)
                return hit[1]
        value = compute()
        with self._lock:
            items[key] = (version, value)
            items.move_to_end(key)
            while len(items) > self._size:
                items.popitem(last=False)
        return value
