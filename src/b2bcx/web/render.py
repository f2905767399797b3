"""Templates: one Jinja2 environment, autoescaped, with the chart functions."""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, pass_context, select_autoescape

from b2bcx.diagnose.risk import HIGH_RISK
from b2bcx.measures.verdict import TOO_FEW
from b2bcx.model.enums import STAGE_ORDER, Controller
from b2bcx.report import charts, figures, summary


def code_words(value: Any) -> Any:
    """A stored code as people write it (``pre_bid`` → ``pre-bid``); other values unchanged."""
    return value.replace("_", "-") if isinstance(value, str) else value


#: Field names the analyses' texts carry, as a page says them (after
#: :func:`b2bcx.report.summary.plain` has taken out command-line hints).
_FIELD_WORDS: tuple[tuple[str, str], ...] = (
    (r"\bspearman_rho\b", "Spearman's ρ"),
    (r"\btext_share is empty", "the share of comments per goal is unknown"),
    (r"\btext_share\b", "share of comments"),
    (r"\bclosed_loop\b", "closed loop"),
)


def page_text(text: Any) -> str:
    """A text of the analyses as a page shows it: no command-line instructions
    (:func:`b2bcx.report.summary.plain`) and no field names where words exist.

    >>> page_text("net value change (spearman_rho now -0.05)")
    "net value change (Spearman's ρ now -0.05)"
    """
    out = summary.plain(text)
    for pattern, replacement in _FIELD_WORDS:
        out = re.sub(pattern, replacement, out)
    return out


def with_currency(value: Any, currency: str | None) -> str:
    """A money figure with the workspace's currency: ``EUR 240,300`` for a
    code, ``€240,300`` for a one-character symbol; without a currency, or for a
    missing value, the plain figure (``240,300``, ``–``).

    >>> with_currency(240300, "EUR"), with_currency(12.4, "€"), with_currency(None, "EUR")
    ('EUR\xa0240,300', '€12', '–')
    """
    text = figures.num(value, 0)
    if not currency or text == "–":
        return text
    return f"{currency}{text}" if len(currency) == 1 else f"{currency}\u00a0{text}"


@pass_context
def _money(context: Any, value: Any) -> str:
    """``value|money``: :func:`with_currency` with the page's ``currency``."""
    return with_currency(value, context.get("currency"))


def money_header(label: str, currency: str | None) -> str:
    """A money column's header: ``Annual value (EUR)``, or the label alone."""
    return f"{label} ({currency})" if currency else label


def field_words(value: Any) -> Any:
    """A lower-case code made of words and underscores as words
    (``usage_worse`` → ``usage worse``); anything else unchanged (ids such as
    ``P-SRV-1`` or ``ACC_7`` keep their form).

    >>> field_words("usage_worse"), field_words("ACC_7"), field_words(3)
    ('usage worse', 'ACC_7', 3)
    """
    if isinstance(value, str) and re.fullmatch(r"[a-z]+(?:_[a-z]+)+", value):
        return value.replace("_", " ")
    return value


def _pct(value: Any, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{float(value) * 100:.{digits}f}%"


#: The high-risk threshold as the pages write it ("50 %").
_HIGH_PCT = f"{HIGH_RISK * 100:.0f} %"


@dataclass(frozen=True)
class Definition:
    """One metric as the pages name it: the hover text (plain words), and the
    "how this is computed" panel's formula, denominator and source."""

    name: str
    hover: str
    formula: str
    denominator: str
    source: str


#: Every figure the dashboard shows, defined once (``{metric}`` is the page's
#: metric name, e.g. "CX" or "NPS"). The tiles' hover text and the "how this is
#: computed" panels read these, so a figure has one definition wherever it appears.
DEFINITIONS: dict[str, Definition] = {
    "score": Definition(
        "Collective {metric} (0–100)",
        "How the people of the accounts rate their experience, on 0 to 100: "
        "every person counts once, recent ratings count more.",
        "mean over people of each person's time-decayed mean rating, rescaled to 0–100 "
        "((mean − scale minimum) / (scale maximum − scale minimum) × 100)",
        "the people with a rating (each person once)",
        "Wirtz et al. 2025 (individual → collective CX); docs/measures.md",
    ),
    "nps": Definition(
        "NPS (−100 to +100)",
        "Net Promoter Score: the share of promoters (9–10) minus the share of "
        "detractors (0–6), from each person's latest answer, per account; the "
        "portfolio figure weighs accounts by contract value when there are any.",
        "per account: % promoters − % detractors among its people's latest answers; "
        "portfolio: the accounts' NPS weighted by annual contract value (plain mean "
        "without contract values); intervals are clipped to −100…100",
        "people who answered the NPS question (each person's latest answer)",
        "METHODS.md, Standard CX metrics (NPS; account NPS in B2B)",
    ),
    "period_nps": Definition(
        "NPS of the period's answers",
        "Promoters minus detractors among every NPS answer given in the period "
        "(each answer counts, not each person): it moves with the period, so it "
        "is the one compared with the previous period.",
        "100 × (promoters − detractors) / answers, over the answers in the period",
        "NPS answers in the period (response level)",
        "METHODS.md, Standard CX metrics; docs/measures.md (breakdowns)",
    ),
    "period_score": Definition(
        "{metric} of the period's ratings (0–100)",
        "The mean of every rating given in the period, on 0 to 100; each rating counts once.",
        "(mean rating − scale minimum) / (scale maximum − scale minimum) × 100, over "
        "the ratings in the period",
        "rated interactions in the period",
        "docs/measures.md (breakdowns: response level)",
    ),
    "aligned": Definition(
        "Accounts aligned",
        "Accounts whose people rate alike, more than people drawn at random do, so "
        'one collective experience exists (verdict "collective & aligned").',
        "count of accounts with the verdict collective & aligned (at least 3 people, "
        "rwg ≥ 0.70 and more alike than random groups, p ≤ 0.05); an account whose "
        'people rate alike but no more than random groups do is "agreement not proven" '
        "and not counted",
        "every account listed (accounts with too few people or agreement not proven "
        "count in the denominator, neither aligned nor diverse)",
        "METHODS.md, Within-group agreement; LeBreton & Senter 2008",
    ),
    "verdict": Definition(
        "Verdict",
        "Collective & aligned: the people rate alike, more than people drawn at random "
        "do, so one collective experience exists. Agreement not proven: they rate alike, "
        "but no more than random people of this portfolio would, so neither a shared "
        "experience nor a mix is shown. Diverse & unaligned: they rate differently. "
        "Too few respondents: fewer than 3 people rated.",
        "at least 3 people; rwg ≥ 0.70 and the chance test p ≤ 0.05: collective & aligned; "
        "rwg ≥ 0.70 but p > 0.05: agreement not proven; rwg < 0.70: diverse & unaligned",
        "the account's (or group's) people with a rating; the chance test draws random "
        "groups of the same size from all the portfolio's people",
        "Wirtz et al. 2025, Table 2; METHODS.md, Within-group agreement (random group "
        "resampling); docs/measures.md (verdict)",
    ),
    "agreement": Definition(
        "Agreement (rwg, 0–1)",
        "How alike the people of an account rate: 1 = everyone the same, 0 = as "
        "scattered as random answers; 0.70 or more counts as agreement.",
        "rwg = 1 − observed variance / variance of random answers (uniform null); "
        "negative values reported as 0",
        "the account's people with a rating",
        "METHODS.md, Within-group agreement (James, Demaree & Wolf 1984)",
    ),
    "ad": Definition(
        "Spread (AD, scale points)",
        "The average distance of people's ratings from their group's mean, in "
        "scale points; below about a sixth of the scale's range counts as agreement.",
        "AD(M) = mean absolute deviation from the group mean",
        "the group's people with a rating",
        "METHODS.md, Within-group agreement (Burke & Dunlap 2002)",
    ),
    "icc": Definition(
        "Do accounts differ? (ICC)",
        "How much of the differences between people is explained by which account "
        "they belong to (ICC(1)), and how reliable an account's mean is (ICC(2)).",
        "ICC(1) = (MSB − MSW) / (MSB + (k − 1) MSW), k = people per account on average; "
        "ICC(2) = (MSB − MSW) / MSB (one-way ANOVA over accounts)",
        "people with a rating, grouped by account",
        "METHODS.md, Reliability of unit means (Bliese 2000)",
    ),
    "risk": Definition(
        "Risk (0–100 %)",
        "How likely the account is to be lost, from its recent score, its trend, "
        "how much its people disagree, its findings and how long it has been "
        'silent; grey "–" when the data is too thin or too old to judge.',
        "logistic(intercept + Σ component value × weight); each account's components "
        f"and weights are on its page; at high risk: {_HIGH_PCT} or more",
        "accounts with enough recent ratings (unknown risks are left out)",
        "docs/diagnose.md (risk); Gainsight-style health components",
    ),
    "high_risk": Definition(
        "At high risk",
        f"Accounts whose risk is {_HIGH_PCT} or more (the report's summary counts the same).",
        f"count of accounts with risk ≥ {HIGH_RISK:.2f}",
        "the accounts listed (unknown risks count as not at high risk)",
        "docs/diagnose.md (risk)",
    ),
    "severity": Definition(
        "Severity (0–1)",
        "How strongly a finding holds, from 0 (barely) to 1 (as clear as the "
        "check can tell); findings are sorted by it.",
        "each check's effect scaled to 0–1 against its threshold (docs/diagnose.md)",
        "the findings of the diagnosis",
        "docs/diagnose.md; Witell et al. 2020 (the five challenges)",
    ),
    "p_value": Definition(
        "p-value",
        "The chance of seeing a difference this large if there were none; small "
        "(below 0.05) means the difference is unlikely to be noise.",
        'from the test named beside it; "adjusted" means corrected for testing many cells',
        "the observations of the test",
        "docs/diagnose.md",
    ),
    "omega2": Definition(
        "ω² (effect size)",
        "The share of the differences in ratings explained by the groups compared "
        "(0 = none, 1 = all).",
        "ω² = (SSB − (J − 1) MSW) / (SST + MSW)",
        "the ratings compared",
        "docs/diagnose.md (C2 silos)",
    ),
    "share": Definition(
        "Share of explained NPS",
        "How much of the differences in people's NPS each touchpoint explains, "
        "as a share of all the touchpoints explain together.",
        "Johnson's relative weight of the touchpoint / R² (the weights sum to R²)",
        "people who rated the touchpoints and answered NPS",
        "METHODS.md, Key-driver analysis (Johnson 2000)",
    ),
    "performance": Definition(
        "Performance (0–100)",
        "The mean rating of a touchpoint, or of a partner's touchpoints, on 0 to 100.",
        "mean rating at the touchpoint rescaled to 0–100; a partner's: the "
        "touchpoints' performance weighted by their raters",
        "people who rated the touchpoint",
        "METHODS.md, Key-driver analysis; docs/diagnose.md (C4)",
    ),
    "harm": Definition(
        "Harm (rating points × raters)",
        "How much a partner pulls the experience down: how far its touchpoints "
        "score below the supplier's own touchpoints, times how many people met them.",
        "Σ over the partner's rated touchpoints of max(0, reference − performance) × "
        "raters; reference = the rater-weighted performance of the supplier's own touchpoints",
        "people who rated the partner's touchpoints",
        "docs/web.md (partner scorecards); Witell et al. 2020, C4",
    ),
    "impact": Definition(
        "CXM impact (0–1)",
        "How far key stakeholders see customer-experience management as a source "
        "of competitive advantage, from the assessment answers.",
        "the perception items' mean on 0–1; where the options give the perception a "
        "share below 1, share × perception + (1 − share) × market context",
        "the respondents of the saved assessment",
        "Wirtz et al. 2025, §4.1; docs/strategy.md (CXM impact)",
    ),
    "scope": Definition(
        "CXM scope (0–1)",
        "How much of the customer's experience the firm manages: touchpoints, "
        "cues, journeys, stakeholders, data, metrics, partners, activities.",
        "in the data: the mean over the counted dimensions of their share (measured, "
        "acted on, owned); self-assessed: from the assessment answers",
        "the scope dimensions with an answer or data",
        "Wirtz et al. 2025, §4.2; docs/strategy.md (CXM scope)",
    ),
    "gap": Definition(
        "Gap (importance − rating)",
        "How much more a goal matters to customers than how well it is served; "
        "above 0 the goal is served below its importance.",
        "mean importance (1–5) − mean rating (1–5) of the goal",
        "the people who rated the goal",
        "Wirtz et al. 2025, Table 1; docs/strategy.md (profile)",
    ),
    "poor_rate": Definition(
        "Poor rate",
        "Of the goal ratings detractors gave at this touchpoint and stage, the "
        "share that were poor.",
        "poor goal ratings among detractors / all goal ratings in the cell",
        "goal ratings given in the cell",
        "docs/diagnose.md (priorities); McColl-Kennedy et al. 2019",
    ),
}


#: Below this many ratings (or NPS answers) in either period the change is not shown.
MIN_COMPARE = 30


def definition(key: str, metric: str = "CX") -> Definition:
    """The definition of ``key`` with the page's metric name filled in."""
    d = DEFINITIONS[key]
    return Definition(*(str(v).replace("{metric}", metric) for v in dataclasses.astuple(d)))


#: Words in an evidence key → the definition that explains it (the first match wins).
_EXPLAINED = (
    ("omega", "omega2"),
    ("eta", "omega2"),
    ("p_", "p_value"),
    ("p adjusted", "p_value"),
    ("pvalue", "p_value"),
    ("rwg", "agreement"),
    ("ad_", "ad"),
    ("severity", "severity"),
    ("share", "share"),
    ("poor_rate", "poor_rate"),
    ("nps", "nps"),
    ("icc", "icc"),
)


def explain(key: str) -> str:
    """The plain-words definition behind a statistic's name in a finding's
    evidence (e.g. ``p_adjusted``, ``omega2``, ``rwg``), or "" when none applies."""
    k = str(key).lower()
    if k in ("p", "ad"):
        return DEFINITIONS["p_value" if k == "p" else "ad"].hover
    for word, name in _EXPLAINED:
        if word in k:
            return DEFINITIONS[name].hover.replace("{metric}", "CX")
    if "ci" in k or "interval" in k:
        return (
            "The range the true value lies in with 95 % confidence, kept within the scale "
            "(e.g. NPS within −100…100)."
        )
    return ""


def is_p(key: str) -> bool:
    """Whether an evidence key names a p-value (``p``, ``p_adjusted``, ``p_bonferroni``, ...)."""
    k = str(key).lower()
    return k == "p" or k.startswith("p_") or k.startswith("p ") or k.endswith("_p")


def p_value(value: Any) -> str:
    """A p-value for people: "< 0.001" below that, else three decimals."""
    if value is None:
        return "–"
    f = float(value)
    return "< 0.001" if f < 0.001 else f"{f:.3f}"


#: Evidence keys as the report's sentences name them (see :func:`evidence_terms`).
_TERM_WORDS = {"ci95": "95% interval", "omega2": "ω²", "eta2": "η²", "p_adjusted": "p (adjusted)"}


def evidence_terms(evidence: Any) -> list[tuple[str, str]]:
    """(name as the evidence sentence writes it, plain-words definition) of the
    statistics in a finding's ``evidence`` that have one (p-values, intervals,
    effect sizes...), in order, each once: the hover texts beside the sentence.

    >>> [t for t, _ in evidence_terms({"gap": 3.1, "ci95": [1, 2], "p_adjusted": 0.01})]
    ['95% interval', 'p (adjusted)']
    """
    out: list[tuple[str, str]] = []
    if not isinstance(evidence, dict):
        return out
    for key in evidence:
        why = explain(str(key))
        term = _TERM_WORDS.get(str(key), str(key).replace("_", " "))
        if why and all(term != t for t, _ in out):
            out.append((term, why))
    return out


def catalogue_names(state: Any) -> dict[str, str]:
    """Id → name of the workspace's accounts, partners and touchpoints (those the
    server's catalogue results name), for wording evidence and quotes with names
    instead of ids; {} while the catalogue is not available."""
    from b2bcx.server.results import Unavailable

    out: dict[str, str] = {}
    for table, key in summary.NAMED_TABLES.items():
        found = state.results.get(f"catalogue:{table}") if state is not None else None
        if found is None or isinstance(found, Unavailable):
            continue
        for r in found:
            if r.get(key) is not None and r.get("name"):
                out[str(r[key])] = str(r["name"])
    return out


@functools.cache
def environment() -> Environment:
    """The dashboard's template environment."""
    env = Environment(
        loader=PackageLoader("b2bcx.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = figures.num
    env.filters["pct"] = _pct
    env.filters["money"] = _money  # with the workspace currency (B2BCX_CURRENCY)
    env.filters["points"] = figures.points
    env.filters["cells"] = figures.cells
    env.filters["p_value"] = p_value
    env.filters["plain"] = page_text  # no CLI commands, flags or field names in page text
    env.filters["words"] = code_words  # "pre_bid" reads "pre-bid"
    env.filters["field_words"] = field_words  # "usage_worse" reads "usage worse"
    env.filters["named"] = summary.named  # ids → names: ``text|named(names)``
    env.filters["evidence_words"] = summary.evidence_sentence  # the report's evidence sentence
    env.globals.update(figures.template_globals())
    env.globals.update(
        score_colour=charts.score_colour,
        challenge_bars=figures.challenge_bars,
        risk_bars=figures.risk_bars,
        controller_bars=figures.controller_bars,
        driver_points=figures.driver_points,
        driver_guides=figures.driver_guides,
        partner_bars=figures.partner_bars,
        share_bars=figures.share_bars,
        vp_bars=figures.vp_bars,
        stage_bars=figures.stage_bars,
        gap_bars=figures.gap_bars,
        topic_bars=figures.topic_bars,
        define=definition,
        MIN_COMPARE=MIN_COMPARE,
        HIGH_RISK=HIGH_RISK,
        TOO_FEW=TOO_FEW,
        money_header=money_header,
        explain=explain,
        evidence_terms=evidence_terms,
        is_p=is_p,
        STAGES=[s.value for s in STAGE_ORDER],
        CONTROLLERS=[c.value for c in Controller],
    )
    return env


def shown_metric(state: Any) -> str:
    """The name of what the pages' scores measure, e.g. "collective CX", or
    "collective NPS" where the workspace has no cx ratings and the analyses fall
    back to NPS (the measured accounts' ``metric_label``)."""
    from b2bcx.measures.individual import metric_label
    from b2bcx.server.results import Unavailable

    measured = state.results.get("accounts") if state is not None else None
    if measured is None or isinstance(measured, Unavailable):
        return "collective CX"
    label: str = measured.metric_label or metric_label(measured.metric)
    return label


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page: ``template`` with ``context`` and what every page shows (who, CSRF)."""
    principal = getattr(request.state, "principal", None)
    state = getattr(request.app.state, "b2bcx", None)
    refreshing = state is not None and state.results.is_refreshing()
    session = getattr(request.state, "session", None)
    if "metric_label" not in context and principal is not None:
        context["metric_label"] = shown_metric(state)
    label = str(context.get("metric_label") or "collective CX")
    context.setdefault("metric_name", label.split(" ", 1)[-1])  # "CX", "NPS", ...
    settings = getattr(state, "settings", None)
    context.setdefault("currency", getattr(settings, "currency", None))
    html = (
        environment()
        .get_template(template)
        .render(
            request=request,
            principal=principal,
            csrf=session.csrf if session is not None else None,
            path=request.url.path,
            refreshing=refreshing,
            **context,
        )
    )
    return HTMLResponse(html, status_code=status)
