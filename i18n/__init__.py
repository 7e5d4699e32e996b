"""UI strings: one catalogue (split by area under i18n/catalog/), Chinese first, English second."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from typing import Any

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"


@lru_cache(maxsize=1)
def catalogue() -> dict[str, tuple[str, str]]:
    """Every key -> (zh, en), merged from i18n/catalog/*.py; a key defined twice is an error."""
    from i18n import catalog

    merged: dict[str, tuple[str, str]] = {}
    for info in sorted(pkgutil.iter_modules(catalog.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"i18n.catalog.{info.name}")
        for key, value in module.STRINGS.items():
            if key in merged:
                raise RuntimeError(f"i18n key {key!r} defined twice (second time in {info.name})")
            merged[key] = value
    return merged


def t(key: str, lang: str = DEFAULT_LANG, **params: Any) -> str:
    """The text for ``key`` in ``lang`` with ``{placeholders}`` filled.

    An unknown key returns the key itself, so a missing string shows up as a
    visible bug rather than a crash in front of a resident.
    """
    entry = catalogue().get(key)
    if entry is None:
        return key
    text = entry[1] if lang == "en" else entry[0]
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text
