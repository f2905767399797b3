"""Text insights: goals, emotions and topics with example comments.

Quotes are shown as people read them: a discourse opener ("In short:",
"Overall:", "Honestly,") is dropped from the display, near-duplicate quotes of a
list are shown once (with how many more said the same), and each quote names
its account (linked to the account page) and its person instead of their ids.
The analysis' results are not changed: only their display.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from b2bcx.server.http import State
from b2bcx.server.results import Unavailable
from b2bcx.server.views import quote_text
from b2bcx.web.deps import Visitor
from b2bcx.web.render import catalogue_names, render
from b2bcx.web.routes.text_jobs import JOB_REFRESH_SECONDS, job_context

router = APIRouter(include_in_schema=False)


@router.get("/text", response_class=HTMLResponse)
def text(request: Request, visitor: Visitor, state: State) -> HTMLResponse:
    """The text insights page (topics only once computed: they take a clustering run)."""
    if visitor.is_restricted:
        return render(request, "restricted.html", what="Text insights")
    insights = state.results.get("text")
    topics = state.results.peek("topics")
    job = job_context(request, state)
    topic_rows = (
        None
        if topics is None
        else (
            topics.value
            if isinstance(topics.value, Unavailable)
            else topics.value.to_dict("records")
        )
    )
    shown = insights if isinstance(insights, Unavailable) else shown_insights(insights)
    topic_rows = topic_rows if not isinstance(topic_rows, list) else shown_topics(topic_rows)
    page = render(
        request,
        "text.html",
        text_job=job,
        insights=shown,
        topics=topic_rows,
        names=catalogue_names(state),
        people=quote_people(state, [shown, topic_rows]),
    )
    following = job["job"].running or (job["job"].state == "done" and state.results.is_refreshing())
    if following:  # the page follows the analysis until its results are in
        page.headers["Refresh"] = str(JOB_REFRESH_SECONDS)
        page.headers["Cache-Control"] = "no-store"
    return page


#: Discourse openers that add nothing to a quote ("In short: The portal logs us
#: out." shows "The portal logs us out."): only before ":" or "," and only when
#: at least three words remain.
_OPENER = re.compile(
    r"^\s*(?:in short|in summary|in sum|in brief|in a nutshell|to sum up|to summari[sz]e|"
    r"summary|overall|all in all|honestly|to be honest|to be frank|frankly|bottom line|"
    r"tl;?dr|feedback from (?:our|the) [\w -]{1,30}?)\s*[:,]\s+",
    re.IGNORECASE,
)

#: Quotes at least this alike (tokens shared, or characters in sequence after
#: their openers, case and punctuation are set aside) are shown once.
ALIKE_TOKENS = 0.8
ALIKE_CHARACTERS = 0.9
#: Words that turn a statement around: quotes that differ in them are not alike.
_NEGATIONS = frozenset({"not", "no", "never", "nothing", "none", "nor", "without", "t", "cannot"})


def without_opener(text: str) -> str:
    """``text`` without a leading field label of the import ("Liked best:",
    "Disliked:") or discourse opener, its first letter capitalised.

    >>> without_opener("In short: Procurement liked the quote.")
    'Procurement liked the quote.'
    >>> without_opener("overall: they handled our portal without fuss.")
    'They handled our portal without fuss.'
    >>> without_opener("Overall: fine.")  # too little would remain
    'Overall: fine.'
    >>> without_opener("Liked best: easy to use.")
    'Easy to use.'
    >>> without_opener("Disliked: Nothing.")  # the label is all the context left
    'Disliked: Nothing.'
    """
    text = quote_text(text)
    found = _OPENER.match(text)
    if found is None:
        return text
    rest = text[found.end() :]
    if len(rest.split()) < 3:
        return text
    return rest[:1].upper() + rest[1:]


def _normal(text: str) -> str:
    """Lower-case words of ``text`` without its opener or punctuation."""
    return " ".join(re.findall(r"[^\W_]+", without_opener(text).lower()))


def alike(a: str, b: str) -> bool:
    """Whether two quotes say the same: equal once normalised (openers, case,
    punctuation and spaces aside), one containing the other (five words or
    more), at least :data:`ALIKE_TOKENS` of their words shared (Jaccard), or at
    least :data:`ALIKE_CHARACTERS` of their letters in sequence (a typo apart).

    >>> alike("Honestly, Delivery was on time.", "Delivery was on time!")
    True
    >>> alike("The technician fixed the problem btu came back.",
    ...       "The technician fixe dthe problem but came back.")
    True
    >>> alike("Invoicing is accurate.", "Invoicing is never accurate.")
    False
    >>> alike("Delivery was punctual.", "Delivery was not punctual.")  # a negation apart
    False
    """
    na, nb = _normal(a), _normal(b)
    if na == nb:
        return True
    if _NEGATIONS & set(na.split()) != _NEGATIONS & set(nb.split()):
        return False  # one says "not", "never", "no", ... where the other does not
    short, long = sorted((na, nb), key=len)
    if len(short.split()) >= 5 and f" {short} " in f" {long} ":
        return True
    ta, tb = set(na.split()), set(nb.split())
    if ta and tb and len(ta & tb) / len(ta | tb) >= ALIKE_TOKENS:
        return True
    ca, cb = na.replace(" ", ""), nb.replace(" ", "")
    matcher = difflib.SequenceMatcher(None, ca, cb, autojunk=False)
    return matcher.quick_ratio() >= ALIKE_CHARACTERS and matcher.ratio() >= ALIKE_CHARACTERS


def distinct_quotes(quotes: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``quotes`` (the analysis' dicts with ``sentence`` or ``comment``) in their
    order, each near-duplicate of an earlier one left out: every quote kept gets
    ``shown`` (its text without opener) and ``alike`` (how many left out were
    like it)."""
    kept: list[dict[str, Any]] = []
    for q in quotes:
        text = str(q.get("sentence") or q.get("comment") or "")
        twin = next((k for k in kept if alike(k["shown"], text)), None)
        if twin is not None:
            twin["alike"] += 1
            continue
        kept.append({**q, "shown": without_opener(text), "alike": 0})
    return kept


def shown_insights(insights: Mapping[str, Any]) -> dict[str, Any]:
    """The text insights as the page shows them: every list of quotes distinct
    (:func:`distinct_quotes`); the analysis' value itself is not changed."""
    out = dict(insights)
    for key in ("complaints", "praise"):
        out[key] = distinct_quotes(insights.get(key) or [])
    for key in ("goals", "ekman"):
        out[key] = [{**row, "examples": distinct_quotes(row.get("examples") or [])}
                    for row in insights.get(key) or []]  # fmt: skip
    return out


def shown_topics(topics: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The topics' quotes distinct, and their plain example texts without
    openers and near-duplicates."""
    out = []
    for t in topics:
        row = dict(t)
        if row.get("quotes"):
            row["quotes"] = distinct_quotes(row["quotes"])
        examples = [{"sentence": str(e)} for e in row.get("examples") or []]
        row["examples"] = [q["shown"] for q in distinct_quotes(examples)]
        out.append(row)
    return out


def _stakeholder_ids(value: Any) -> set[str]:
    """Every ``stakeholder_id`` in nested lists and dicts of quotes."""
    if isinstance(value, Mapping):
        found = {str(value["stakeholder_id"])} if value.get("stakeholder_id") else set()
        for v in value.values():
            if isinstance(v, (list, tuple, dict)):
                found |= _stakeholder_ids(v)
        return found
    if isinstance(value, (list, tuple)):
        return set().union(*(_stakeholder_ids(v) for v in value)) if value else set()
    return set()


def person_label(row: Mapping[str, Any]) -> str:
    """A person as the page names them: the name, else the role, else the
    function and level ("finance executive"), else "a person" (never the id).

    >>> person_label({"name": None, "role": "controller", "function": "finance"})
    'controller'
    >>> person_label({"function": "it", "level": "manager"})
    'IT manager'
    """
    for key in ("name", "role"):
        if row.get(key):
            return str(row[key])
    words = [str(row[k]) for k in ("function", "level") if row.get(k)]
    if words:
        words[0] = "IT" if words[0] == "it" else words[0].replace("_", " ")
        return " ".join(words)
    return "a person"


def quote_people(state: Any, quoted: Any) -> dict[str, str]:
    """Stakeholder id → :func:`person_label` for the people the page quotes
    (read once per data version and set of people)."""
    ids = sorted(_stakeholder_ids(quoted))
    if not ids:
        return {}
    key = "view:text_people:" + hashlib.sha1("\n".join(ids).encode()).hexdigest()[:16]

    def build() -> dict[str, str]:
        with state.db() as backend:
            t = backend.table("stakeholders")
            wanted = [c for c in ("stakeholder_id", "name", "role", "function", "level")
                      if c in t.columns]  # fmt: skip
            rows = backend.to_arrow(t.filter(t.stakeholder_id.isin(ids)).select(*wanted))
        return {str(r["stakeholder_id"]): person_label(r) for r in rows.to_pylist()}

    people: dict[str, str] = state.results.derived(key, build)
    return people
