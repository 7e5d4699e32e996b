"""Word and phrase frequencies in what residents wrote: jieba segmentation, stop words removed."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from storage.analytics import TextCount

STOP_WORDS_FILE = Path(__file__).with_name("stopwords_zh.txt")
_WORDLIKE = re.compile(r"^[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z0-9]*$")


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """The kept stop-word list (one word a line, # comments)."""
    lines = STOP_WORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def _tokens(text: str) -> list[str]:
    stops = stop_words()
    return [w for w in _jieba().lcut(text) if len(w) > 1 and _WORDLIKE.match(w) and w not in stops]


@lru_cache(maxsize=20_000)
def _segmented(text: str) -> tuple[str, ...]:
    return tuple(_tokens(text))


def word_counts(texts: Iterable[TextCount], top: int = 40) -> list[tuple[str, int]]:
    """The ``top`` most frequent words (2+ characters, stop words removed), each text weighted by its count."""
    counter: Counter[str] = Counter()
    for item in texts:
        for word in _segmented(item.text):
            counter[word] += item.count
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:top]


def phrase_counts(texts: Iterable[TextCount], top: int = 20) -> list[tuple[str, int]]:
    """The ``top`` most frequent phrases: two adjacent content words, joined."""
    counter: Counter[str] = Counter()
    for item in texts:
        words = _segmented(item.text)
        for first, second in zip(words, words[1:]):
            counter[first + second] += item.count
    return sorted(((p, n) for p, n in counter.items() if n > 1), key=lambda kv: (-kv[1], kv[0]))[:top]
