"""The README names every CLI command and configuration variable, so docs and code stay in step."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from cli.main import build_parser

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(parser: argparse.ArgumentParser, prefix: str = "") -> list[str]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                nested = _commands(sub, f"{prefix}{name} ")
                found.extend(nested or [f"{prefix}{name}"])
    return found


def test_readme_names_every_cli_command():
    commands = _commands(build_parser())
    assert "user add" in commands and "init" in commands
    missing = [c for c in commands if f"`{c}" not in README]
    assert missing == []


def test_readme_names_every_setting():
    source = (ROOT / "settings.py").read_text(encoding="utf-8")
    for name in set(re.findall(r'"(MINYI_[A-Z_]+)"', source)):
        assert f"`{name}`" in README, name


def test_readme_quick_start_commands_are_the_ci_commands():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "bash scripts/test.sh" in README and "bash scripts/test.sh" in ci
    assert "bash scripts/start.sh" in README
