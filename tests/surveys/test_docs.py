"""surveys/README.md names every question type, operator and definition key, so the docs keep up with the code."""

from __future__ import annotations

from pathlib import Path

import pytest

from surveys import constants as c

README = (Path(__file__).parents[2] / "surveys" / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("question_type", c.QUESTION_TYPES)
def test_readme_names_question_type(question_type: str) -> None:
    assert f"`{question_type}`" in README


@pytest.mark.parametrize("op", c.OPERATORS)
def test_readme_names_operator(op: str) -> None:
    assert f"`{op}`" in README


@pytest.mark.parametrize(
    "key", sorted({key for keys in c.QUESTION_KEYS.values() for key in keys} | set(c.SURVEY_KEYS))
)
def test_readme_names_key(key: str) -> None:
    assert key in README
