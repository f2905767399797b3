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


#: The field labels an import's comment template writes before each answer
#: ("Liked best: Easy to use.", from ``examples/mappings/g2-reviews.yaml``, and
#: the pros and cons of other review exports): only at the start, before ":".
FIELD_LABEL = re.compile(
    r"^\s*(?:liked best|liked|likes|disliked|dislikes|dislike|pros|cons|benefits|"
    r"recommendations|what (?:i|we) (?:like|liked|dislike|disliked)(?: (?:best|most|least))?|"
    r"problems solved|title|comments?)\s*:\s+",
    re.IGNORECASE,
)


def without_field_label(sentence: str, *, min_words: int = 2) -> str:
    """``sentence`` without a leading field label of an import ("Liked best:",
    "Disliked:", :data:`FIELD_LABEL`), its first letter capitalised, when at
    least ``min_words`` words remain (else the label is the context left).

    >>> without_field_label("Liked best: easy to use.")
    'Easy to use.'
    >>> without_field_label("Disliked: Nothing.")
    'Disliked: Nothing.'
    >>> without_field_label("Support: slow to answer.")
    'Support: slow to answer.'
    """
    found = FIELD_LABEL.match(sentence)
    if found is None:
        return sentence
    rest = sentence[found.end() :]
    if len(rest.split()) < min_words:
        return sentence
    return rest[:1].upper() + rest[1:]


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
    here), each without a leading field label of an import
    (:func:`without_field_label`: "Disliked: The price." is scored as "The
    price.", as the coded corpus's fields were), or the whole comment
    (stripped) when it has no word at all.

    >>> comment_sentences("Fast. But the invoices are always wrong.")
    ['Fast.', 'But the invoices are always wrong.']
    >>> comment_sentences("Great tool\\nLiked best: Easy to use.\\nDisliked: Nothing.")
    ['Great tool', 'Easy to use.', 'Nothing.']
    >>> comment_sentences("  :-)  ")
    [':-)']
    """
    found = [without_field_label(s, min_words=1) for s in split_sentences(text, min_words=1)]
    return found or [text.strip()]


#: A contrast inside a sentence: its main clause weighs this much in the
#: sentence's sentiment, the conceded clause the rest (docs/text.md, "Mixed
#: sentences").
MAIN_WEIGHT = 0.6

#: "X but Y", "X, yet Y", "X; however, Y", "X, though Y": the clause after is the main one.
_ADVERSATIVE = re.compile(
    r"(?:\s*[,;:]\s*|\s+[-–—]+\s*|\s+)(?:and\s+)?"
    r"(?:(?<!only )(?<!nothing )(?<!anything )(?<!all )but(?!\s+also\b)"
    r"|however|nevertheless|nonetheless|(?<=[,;] )yet|(?<=and )yet)\b,?\s*",
    re.I,
)
#: "Good platform concept, poorly delivered!", "Fast, unfortunately buggy": after a
#: comma a word that turns to a complaint starts the main clause (the word stays in it).
_COMPLAINT_AFTER = re.compile(
    r"(?:\s*[,;]\s+|\s+[-–—]+\s+)(?=(?:poorly|badly|sadly|unfortunately|except)\b)", re.I
)
#: "X, although Y", "X whereas Y", "X, while Y": the clause before is the main one.
_CONCESSIVE_AFTER = re.compile(
    r"(?:\s*[,;:]\s*|\s+[-–—]+\s*)(?:even\s+)?(?:although|though|while|whereas|despite)\b\s*"
    r"|\s+(?:although|even\s+though|whereas|despite)\b\s*",
    re.I,
)
#: "Although X, Y": the clause after the comma is the main one.
_CONCESSIVE_FIRST = re.compile(
    r"^\s*(?:(?:but|and)\s+)?(?:even\s+)?(?:although|though|while|whereas|despite|even if)\b\s*",
    re.I,
)
#: "Good concept, poorly delivered!": two clauses with no conjunction.
_ASYNDETIC = re.compile(r"\s*[,;]\s+|\s+[-–—]+\s+")


def _clause(text: str) -> str | None:
    text = text.strip(" ,;:-–—")
    return text if _WORD.search(text) else None


def contrast_clauses(sentence: str) -> tuple[str, str] | None:
    """The conceded and the main clause of a sentence that contrasts two
    evaluations with a conjunction ("X but Y", "Although X, Y", "Y, although X")
    or turns to a complaint after a comma ("X, poorly Y", "X, unfortunately Y"),
    without the conjunction; None when it has no such contrast (or a side has
    no word).

    >>> contrast_clauses("Pricey, but well worth it.")
    ('Pricey', 'well worth it.')
    >>> contrast_clauses("Although the plan is pricey, the platform has many capabilities.")
    ('the plan is pricey', 'the platform has many capabilities.')
    >>> contrast_clauses("Support is slow to reply, although the reports are good.")
    ('the reports are good.', 'Support is slow to reply')
    >>> contrast_clauses("Good platform concept, poorly delivered!")
    ('Good platform concept', 'poorly delivered!')
    >>> contrast_clauses("It helps not only sales but also marketing.") is None
    True
    """
    first = _CONCESSIVE_FIRST.match(sentence)
    if first:
        rest = sentence[first.end() :]
        head, sep, tail = rest.partition(",")
        conceded, main = _clause(head), _clause(tail)
        if sep and conceded and main:
            return conceded, main
    m = _ADVERSATIVE.search(sentence)
    if m and m.start() > 0:
        conceded, main = _clause(sentence[: m.start()]), _clause(sentence[m.end() :])
        if conceded and main:
            return conceded, main
    m = _COMPLAINT_AFTER.search(sentence)
    if m and m.start() > 0:
        conceded, main = _clause(sentence[: m.start()]), _clause(sentence[m.end() :])
        if conceded and main:
            return conceded, main
    m = _CONCESSIVE_AFTER.search(sentence)
    if m and m.start() > 0:
        main, conceded = _clause(sentence[: m.start()]), _clause(sentence[m.end() :])
        if conceded and main:
            return conceded, main
    return None


def asyndetic_clauses(sentence: str) -> tuple[str, str] | None:
    """The first and the last clause of a sentence whose clauses are joined by a
    comma, semicolon or dash alone ("Good platform concept, poorly delivered!"),
    as (conceded, main) candidates; None when there is no such break. Whether
    they contrast is for the sentiment to tell (their polarities differ).

    >>> asyndetic_clauses("Good platform concept, poorly delivered!")
    ('Good platform concept', 'poorly delivered!')
    """
    parts = [p for p in _ASYNDETIC.split(sentence) if p]
    if len(parts) < 2:
        return None
    conceded, main = _clause(", ".join(parts[:-1])), _clause(parts[-1])
    if conceded and main:
        return conceded, main
    return None
