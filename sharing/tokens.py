"""Share-link tokens: unguessable (secrets) yet short enough to type from a printed card."""

from __future__ import annotations

import re
import secrets

# 31 symbols: digits and lower-case letters without 0/o, 1/l/i, which are
# confused on paper. Input is case-insensitive, so an upper-case O/I/L typed
# by a resident is folded first and then rejected as not in the alphabet.
ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
# 10 symbols = 10 * log2(31) ~ 49.5 bits (31**10 ~ 8.2e14 tokens). Even with
# 100,000 live tokens, one guess hits with p ~ 1.2e-10; a guess costs a full
# Streamlit session (~10 ms of server CPU), so 100 guesses/s for a year
# (3.2e9 guesses) finds ~0.4 tokens, each worth one anonymous answer for one
# unit, and revoking a batch ends it. Ten symbols still fit one line on a
# door hanger and are typed in well under a minute.
TOKEN_LENGTH = 10

_TOKEN_RE = re.compile(f"[{ALPHABET}]{{{TOKEN_LENGTH}}}")
_SEPARATORS = re.compile(r"[\s\-_.]")


def new_token() -> str:
    """A fresh random token."""
    return "".join(secrets.choice(ALPHABET) for _ in range(TOKEN_LENGTH))


def new_tokens(count: int) -> list[str]:
    """``count`` distinct fresh tokens (a single-use batch)."""
    if count < 1:
        raise ValueError("count must be at least 1")
    tokens: set[str] = set()
    while len(tokens) < count:
        tokens.add(new_token())
    return sorted(tokens)


def normalize(text: str | None) -> str | None:
    """The token a resident typed or scanned (any case, spaces or dashes
    allowed), or None if it cannot be a token. Only a string that passes is
    ever placed in SQL parameters, cookies or HTML."""
    if not text:
        return None
    candidate = _SEPARATORS.sub("", str(text)).lower()
    return candidate if _TOKEN_RE.fullmatch(candidate) else None


def display(token: str) -> str:
    """The token grouped for print: 'abcde-fghjk'."""
    half = len(token) // 2
    return f"{token[:half]}-{token[half:]}"
