"""Splitting a comment into sentences (the splitter the coded G2 corpus was
built with, ``scripts/text_corpus.py``), and the roll-up of sentence scores to
the comment."""

from __future__ import annotations

import re

#: A sentence ends at . ! ? (or …) followed by white space, or at a line break;
#: bullets and list dashes at a line start are dropped.
_BREAK = re.compile(r"(?<=[.!?…])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])|\s*[\r\n]+\s*")
_BULLET = re.compile(r"^\s*(?:[-*•·]+|\d+[.)])\s+")
_WORD = re.compile(r"[A-Za-z]{2,}")


def split_sentences(text: str, *, min_words: int = 2) -> list[str]:
    """The sentences of ``text`` (at least ``min_words`` words each), in order.

    >>> split_sentences("Easy to use. Support is slow!\\n- great reports")
    ['Easy to use.', 'Support is slow!', 'great reports']
    >>> split_sentences("Great")
    []
    """
    out = []
    for part in _BREAK.split(text or ""):
        part = _BULLET.sub("", part or "").strip()
        if len(_WORD.findall(part)) >= min_words:
            out.append(part)
    return out


def comment_sentences(text: str) -> list[str]:
    """The units a comment is scored in: its sentences (one word is enough
    here), or the whole comment (stripped) when it has no word at all.

    >>> comment_sentences("Fast. But the invoices are always wrong.")
    ['Fast.', 'But the invoices are always wrong.']
    >>> comment_sentences("  :-)  ")
    [':-)']
    """
    found = split_sentences(text, min_words=1)
    return found or [text.strip()]
