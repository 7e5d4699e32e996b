"""The string catalogue: both languages for every key, the same placeholders, no typos in use."""

from __future__ import annotations

import re
import string
from pathlib import Path

from i18n import catalogue, t

ROOT = Path(__file__).resolve().parents[2]


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_has_chinese_and_english_with_the_same_placeholders():
    for key, (zh, en) in catalogue().items():
        assert zh.strip() and en.strip(), key
        assert _fields(zh) == _fields(en), key


def test_keys_used_in_code_exist():
    used: set[str] = set()
    pattern = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']""")
    for path in ROOT.glob("**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts:
            continue
        used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    missing = sorted(k for k in used if k not in catalogue())
    assert missing == []


def test_translation_falls_back_to_key_and_fills_placeholders():
    assert t("no.such.key") == "no.such.key"
    assert t("units.created", "en", name="X") == "X created."
    assert t("units.created", "zh", name="X") == "已创建 X。"
