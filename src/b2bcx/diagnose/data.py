"""The small tables the detectors read, each one group-by inside the engine.

Everything is on the 0–100 scale of the chosen metric. Three residuals take out
what would otherwise be confounded (documented in docs/diagnose.md):

- ``r_tp = x − touchpoint effect``: the portfolio-wide effect of the touchpoint
  met (its mean minus the grand mean) is removed, so an account whose late stages
  run through a weak partner is not read as a journey mismatch (that is C4);
- ``r_acc = x − account mean``: touchpoints are compared within the accounts
  they serve, so a partner serving poor accounts is not blamed for them;
- ``r_w = r_tp − the person's mean r_tp``: change over time *within* people, so
  a trend is not who happened to answer that month.
"""

from __future__ import annotations

import datetime as _dt
import itertools
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from b2bcx.diagnose.options import DiagnoseOptions
from b2bcx.diagnose.stats import two_way_effects
from b2bcx.measures.frame import experience_frame
from b2bcx.measures.individual import DecayOptions, individual_cx_expr, resolve_as_of
from b2bcx.model.enums import BUYING_STAGES, USAGE_STAGES, Goal
from b2bcx.model.tables import RATING_SCALES
from b2bcx.storage import Backend

#: Words that make a promise, and words that say one was not kept (matched on
#: lower-cased text). Word edges are spelled out as ASCII classes, not ``\b``/``\w``,
#: and there are no look-arounds: PostgreSQL reads ``\b`` as a backspace, Java's
#: ``\w`` differs from RE2's and RE2 has no look-arounds, so this is the one form
#: that means the same on DuckDB, PostgreSQL and Spark. Written for B2B language in
#: general and checked on varied sentences and on G2 reviews
#: (tests/diagnose/test_promise_language.py, docs/diagnose.md): a broken promise
#: is a promise word followed in the same sentence by a negation or a charge, or
#: a phrase such as "over-promised", "still waiting for", "no longer free".
_EDGE_L = "(^|[^a-z0-9_])"
_EDGE_R = "($|[^a-z0-9_])"
_NOT_KEPT = (
    "(" + _EDGE_L + "(never|not|no longer|failed|still waiting|stopped|charged|billed|"
    "invoic[a-z]*)" + _EDGE_R + "|n['’]t" + _EDGE_R + ")"
)
PROMISE_MADE = (
    _EDGE_L + "(promis(e|ed|es)|guarantee(d|s)?|assure[ds]? (us|me|that)|"
    "commit(s|ted)? to (provid[a-z]*|deliver[a-z]*|giv[a-z]*|includ[a-z]*|a|an)|"
    "(we|i) (were|was) (told|promised|assured)|"
    "free of charge|at no (extra |additional )?(cost|charge)|"
    "(would|will) (be|come) (free|included|at no)|"
    "offer(ed|s)? [^.!?]{0,60}for free)" + _EDGE_R
)
PROMISE_BROKEN = (
    _EDGE_L + "(promis(e|ed|es)|told|assured|guarantee(d|s)?|committed|commitments?|"
    "supposed to)[^.!?]{0,80}" + _NOT_KEPT + "|"
    "(not|n['’]t) what (we|i) (were|was) (sold|promised|told)|"
    "what (we|i) (were|was) (sold|promised|told)[^.!?]{0,40}(not|n['’]t|never)" + _EDGE_R + "|"
    "over[- ]?promis|under[- ]?deliver|(big|empty|broken) promises?|"
    "fail(ed|s|ing)? to deliver|still waiting (for|on)|"
    "none of [^.!?]{0,30}(promis|commitment|guarantee)|"
    "no longer (free|included)|(now|later|then)[^.!?]{0,20}(charg|bill|invoic)|"
    "never (materiali[sz]ed|happened|came|arrived|showed up|got delivered)|"
    "(was|were|had been|we['’]d been) promised|"
    "not (been )?(kept|honou?red|delivered)|"
    "did ?n[o'’]t (get|receive) what|did ?n[o'’]t (deliver|happen|materiali[sz]e)"
)


@dataclass
class Prepared:
    """Aggregates shared by the detectors."""

    as_of: _dt.datetime
    accounts: pd.DataFrame
    people: pd.DataFrame  # per stakeholder: account, function, level, unit, score (0–100)
    person_stage: pd.DataFrame  # account, stakeholder, stage, n, mean r_tp
    person_journey: pd.DataFrame  # account, journey, stakeholder, n, mean r_tp
    touchpoints: pd.DataFrame  # touchpoint version effects within the accounts served
    contact: pd.DataFrame  # per account: last supplier / partner contact
    monthly: pd.DataFrame  # account × month: n, mean r_w, ss_w, mean x
    relationships: pd.DataFrame
    goal_waves: pd.DataFrame
    promises: pd.DataFrame
    control_changes: pd.DataFrame
    catalogue: pd.DataFrame
    grand_mean: float
    #: per stakeholder: n, mean and variance of r_tp over all their ratings (C2)
    person_tp: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: per stakeholder and goal: the latest importance (1–5) and when it was asked (C1)
    goal_latest: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: per stakeholder: mean and count of each goal-performance rating (1–5) (C1)
    person_goals: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: account × month: interactions of any kind (rated or not) by controller
    #: (``n_all``, ``n_partner``, ``n_supplier``), for relationship ownership (C4)
    contact_monthly: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: touchpoint version effects net of the people who rated them (``accounts``
    #: counts people here), for C4's like-with-like comparison
    touchpoints_within_people: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: commercial events (``account_id``, ``occurred_at``, ``kind``) up to the date
    outcomes: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: the metric the aggregates are on (the requested one, or the fallback)
    metric: str = "cx"
    #: the experience frame at the diagnosis date, materialized once in the engine
    #: (:func:`shared_frame`) for the steps after the detectors (risk agreement,
    #: key drivers, priorities); None once released or when not kept
    frame: ir.Table | None = field(default=None, repr=False, compare=False)
    #: whether ``frame`` holds every account (not one ``account_id``'s rows only)
    frame_is_portfolio: bool = field(default=False, repr=False, compare=False)
    #: per stakeholder: individual CX on the metric's own scale with the agreement's
    #: moments (``individual_cx_expr(moments=True)`` on the shared frame), fetched
    #: with ``people`` for the risk score's agreement (``measure_units(people=...)``)
    people_moments: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    _by_account: dict[str, pd.DataFrame] | None = field(default=None, repr=False)

    def frame_with_people(self, backend: Backend) -> ir.Table | None:
        """``frame`` with each person's and account's columns joined back
        (:func:`with_people`), for measures grouped by them; None without a frame."""
        return None if self.frame is None else with_people(backend, self.frame)

    def release(self) -> None:
        """Drop the materialized ``frame`` from the engine (idempotent)."""
        frame, self.frame = self.frame, None
        if frame is not None:
            frame.release()

    def monthly_of(self, account: str) -> pd.DataFrame:
        """The monthly rows of one account (indexed once, on first use)."""
        if self._by_account is None:
            monthly = self.monthly.assign(month=pd.to_datetime(self.monthly.month))
            self._by_account = {str(a): g for a, g in monthly.groupby("account_id")}
        return self._by_account.get(account, self.monthly.iloc[:0])


def _to_100(col: ir.NumericValue, metric: str) -> ir.NumericValue:
    scale = RATING_SCALES[metric]
    return (col.cast("float64") - scale.low) / (scale.high - scale.low) * 100.0


def _df(expr: ir.Table) -> pd.DataFrame:
    """``expr`` fetched as a DataFrame; through Arrow when every column is a string
    or a number (the same frame as ``to_pandas()``, which converts each column again:
    half the conversion's CPU on the large per-person tables)."""
    if all(t.is_string() or t.is_integer() or t.is_floating() for t in expr.schema().types):
        arrow: pd.DataFrame = expr.to_pyarrow().to_pandas()
        return arrow
    out: pd.DataFrame = expr.to_pandas()
    return out


#: Columns of the experience frame no step of a diagnosis reads from the shared
#: frame: the comment text (read once, into the promise flags), the row id, and
#: the ratings other than cx, nps and the diagnosed metric.
_NOT_SHARED = ("comment", "interaction_id", "solicited", "csat", "ces")

#: The person's and account's columns of the experience frame other than
#: ``account_id``: one value per person, so they are joined back to the shared
#: frame where needed (:func:`with_people`) instead of being materialized per row.
PERSON_ONLY = ("function", "level", "center", "decision_maker", "segment", "annual_value")

#: The columns ``individual_cx_expr(moments=True)`` adds (kept out of ``Prepared.people``).
_MOMENTS = ("m_eff_inv", "ss_within", "df_within")


def shared_frame(
    backend: Backend, as_of: _dt.datetime, account_id: str | None = None, metric: str = "cx"
) -> ir.Table:
    """The experience frame at ``as_of`` materialized once in the engine.

    Every column of :func:`~b2bcx.measures.frame.experience_frame` but the
    comment text, the interaction id, the ratings a diagnosis on ``metric``
    does not read (:data:`_NOT_SHARED`) and the person's columns other than the
    account (:data:`PERSON_ONLY`, joined back by :func:`with_people`), plus three
    flags read from the comment in the same pass: ``_commented`` (a comment at a
    known stage), ``_made`` (a promise made in a buying stage) and ``_broken`` (a
    promise broken in a usage stage). Building it joins the interactions to their
    people, accounts and touchpoint versions once; the diagnosis's aggregates, the
    individual CX, the risk score's agreement, the key drivers and the priorities
    then read this table instead of repeating the join. The caller releases it (``.release()``).
    """
    # without the person's other columns: no join to the accounts at all
    base = experience_frame(backend, as_of=as_of, person_columns=("account_id",))
    if account_id is not None:
        base = base.filter(base.account_id == account_id)
    commented = base.comment.notnull() & base.stage.notnull()
    low = base.comment.lower()
    buying = commented & base.stage.isin([s.value for s in BUYING_STAGES])
    usage = commented & base.stage.isin([s.value for s in USAGE_STAGES])
    # each pattern is searched only where its answer can count (the costliest part of
    # the frame): a promise made in a buying stage, one broken in a usage stage
    flagged = base.mutate(
        _commented=commented,
        _made=ibis.ifelse(buying, low.re_search(PROMISE_MADE), ibis.literal(False)),
        _broken=ibis.ifelse(usage, low.re_search(PROMISE_BROKEN), ibis.literal(False)),
    )
    unread = [c for c in (*_NOT_SHARED, *PERSON_ONLY) if c in base.columns and c != metric]
    return flagged.drop(*unread).cache()


def with_people(backend: Backend, frame: ir.Table) -> ir.Table:
    """The shared ``frame`` with the columns of :data:`PERSON_ONLY` joined back
    from the stakeholders and accounts, as :func:`experience_frame` has them."""
    sh = backend.table("stakeholders").select(
        p_sid="stakeholder_id", function="function", level="level", center="center",
        decision_maker="decision_maker",
    )  # fmt: skip
    acc = backend.table("accounts").select(
        acc_id="account_id", segment="segment", annual_value="annual_value"
    )
    out = frame.inner_join(sh, frame.stakeholder_id == sh.p_sid).drop("p_sid")
    return out.left_join(acc, out.account_id == acc.acc_id).drop("acc_id")


def prepare(
    backend: Backend,
    options: DiagnoseOptions,
    *,
    as_of: _dt.datetime | _dt.date | None = None,
    account_id: str | None = None,
    keep_frame: bool = False,
) -> Prepared:
    """Compute every aggregate the detectors need, for all accounts at once.

    The experience frame is materialized once (:func:`shared_frame`) and every
    aggregate is a group-by on it. With ``keep_frame`` it stays in the engine as
    ``Prepared.frame`` for the steps after the detectors (release it with
    :meth:`Prepared.release`); otherwise it is dropped before returning.
    """
    stamp = resolve_as_of(backend, as_of)
    metric = options.metric
    base = shared_frame(backend, stamp, account_id, metric)
    try:
        prepared = _prepare(backend, options, base, stamp, metric, account_id)
    except BaseException:
        base.release()
        raise
    if keep_frame:
        prepared.frame = base
        prepared.frame_is_portfolio = account_id is None
    else:
        base.release()
    return prepared


def _prepare(
    backend: Backend,
    options: DiagnoseOptions,
    base: ir.Table,
    stamp: _dt.datetime,
    metric: str,
    account_id: str | None,
) -> Prepared:
    # The residuals are shifts by group constants (a touchpoint's effect, an
    # account's mean, a person's mean r_tp): only those small tables are computed
    # (the touchpoint effects materialized, they feed four aggregates), and each
    # aggregate reads the shared frame with them joined, not a materialized
    # residual frame of every rated row (half of prepare's engine time at 10 M).
    x = base.filter(base[metric].notnull()).mutate(x=_to_100(base[metric], metric))
    grand = x.x.mean().name("g").as_scalar()
    tp_eff = (
        x.filter(x.touchpoint_id.notnull())
        .group_by("touchpoint_id")
        .aggregate(tp_eff=x.x.mean() - grand)
    ).cache()
    try:
        return _prepare_on(backend, options, base, x, tp_eff, stamp, metric, account_id)
    finally:
        tp_eff.release()


def _prepare_on(
    backend: Backend,
    options: DiagnoseOptions,
    base: ir.Table,
    x: ir.Table,
    tp_eff: ir.Table,
    stamp: _dt.datetime,
    metric: str,
    account_id: str | None,
) -> Prepared:
    """:func:`_prepare` given the rated rows ``x`` (with ``x`` on 0–100) and the
    touchpoint effects ``tp_eff``."""
    f = x.left_join(tp_eff, "touchpoint_id").drop("touchpoint_id_right")
    f = f.mutate(r_tp=f.x - f.tp_eff.fill_null(0.0))
    f = f.select(
        "account_id", "stakeholder_id", "journey_id", "touchpoint_id", "controller",
        "partner_id", "stage", "occurred_at", "x", "r_tp",
    )  # fmt: skip
    # r_w for the monthly rows: r_tp less the person's mean r_tp
    person_mean = f.group_by("stakeholder_id").aggregate(p_r=f.r_tp.mean())
    fw = f.inner_join(person_mean, "stakeholder_id")
    fw = fw.mutate(r_w=fw.r_tp - fw.p_r)
    # r_acc for the controller changes: x less the account's mean
    acc_mean = x.group_by("account_id").aggregate(acc_x=x.x.mean())
    fa = x.select("account_id", "touchpoint_id", "occurred_at", "x")
    fa = fa.inner_join(acc_mean, "account_id")
    fa = fa.mutate(r_acc=fa.x - fa.acc_x)

    # per person and stage, the rows without a stage included: the per-person
    # moments (person_tp) are these cells combined, not another pass
    person_stage = f.group_by(["account_id", "stakeholder_id", "stage"]).aggregate(
        n=ibis._.count(), mean=ibis._.r_tp.mean(), var=ibis._.r_tp.var()
    )
    person_journey = f.filter(f.journey_id.notnull())
    person_journey = person_journey.group_by(["account_id", "journey_id", "stakeholder_id"])
    person_journey = person_journey.aggregate(n=ibis._.count(), mean=ibis._.r_tp.mean())
    # the cells read x alone: the rated rows without the effects joined
    cells = x.filter(x.touchpoint_id.notnull()).group_by(
        ["account_id", "touchpoint_id", "controller", "partner_id", "stage"]
    )
    cells = cells.aggregate(n=ibis._.count(), mean=ibis._.x.mean(), var=ibis._.x.var())
    # the same, within people (C4 like with like: who rates is not the controller's doing)
    person_cells = x.filter(x.touchpoint_id.notnull()).group_by(
        ["stakeholder_id", "touchpoint_id", "controller", "partner_id", "stage"]
    ).aggregate(n=ibis._.count(), mean=ibis._.x.mean(), var=ibis._.x.var())  # fmt: skip
    monthly = (
        fw.mutate(month=fw.occurred_at.truncate("M"))
        .group_by(["account_id", "month"])
        .aggregate(
            n=ibis._.count(), mean=ibis._.r_w.mean(), var=ibis._.r_w.var(), raw=ibis._.x.mean()
        )
    )

    # last direct (supplier-controlled) contact and partner contacts after it, all interactions
    everyone = base.group_by("account_id").aggregate(
        first_seen=ibis._.occurred_at.min(), last_seen=ibis._.occurred_at.max(),
        n_all=ibis._.count(),
        last_direct=ibis._.occurred_at.max(where=ibis._.controller == "supplier"),
        n_controlled=ibis._.controller.count(),
        n_customer=(ibis._.controller == "customer").sum(),
        # a review on a review site is not contact in a relationship (risk recency)
        last_relationship=ibis._.occurred_at.max(where=_relationship_source(base)),
        last_review=ibis._.occurred_at.max(where=~_relationship_source(base)),
        # the promise counts, in the same pass (split off below into ``promises``)
        **{f"_p_{k}": v for k, v in _promise_counts(base).items()},
    )  # fmt: skip
    contact_monthly = base.mutate(month=base.occurred_at.truncate("M")).group_by(
        ["account_id", "month"]
    ).aggregate(
        n_all=ibis._.count(),
        n_partner=(ibis._.controller == "partner").cast("int32").sum(),
        n_supplier=(ibis._.controller == "supplier").cast("int32").sum(),
    )  # fmt: skip
    everyone = everyone.mutate(
        customer_share=ibis.ifelse(
            everyone.n_controlled > 0,
            everyone.n_customer.cast("float64") / everyone.n_controlled.cast("float64"),
            ibis.null("float64"),
        )
    )
    partner = base.filter(base.controller == "partner").select("account_id", "occurred_at")
    joined = partner.inner_join(everyone.select("account_id", "last_direct"), "account_id")
    after = joined.filter(
        joined.last_direct.isnull() | (joined.occurred_at > joined.last_direct)
    ).group_by("account_id").aggregate(
        partner_after=ibis._.count(), last_partner=ibis._.occurred_at.max()
    )  # fmt: skip
    contact = everyone.left_join(after, "account_id").drop("account_id_right")

    # with the moments the agreement needs: one query serves the detectors and the
    # risk score's agreement (measure_units(people=...)), which would run it again;
    # on the shared frame itself, so the person's columns are joined per person
    # after the group-by, not per interaction before it
    people = individual_cx_expr(
        backend, metric=metric, decay=DecayOptions(as_of=stamp), moments=True, frame=base
    )
    if account_id is not None:
        people = people.filter(people.account_id == account_id)
    units = backend.table("stakeholders").select(sid="stakeholder_id", unit="unit")
    people = people.left_join(units, people.stakeholder_id == units.sid).drop("sid")
    scale = RATING_SCALES[metric]
    people_df = _df(people)
    people_moments = people_df.drop(columns=["unit"])
    people_df = people_df.drop(columns=list(_MOMENTS))
    people_df["score"] = scale.to_0_100(people_df["score"].to_numpy(dtype=float))

    accounts = _df(backend.table("accounts"))
    if account_id is not None:
        accounts = accounts[accounts.account_id == account_id]
    relationships = _df(backend.table("relationships"))
    goal_waves, goal_latest = _goal_tables(backend, stamp, account_id)
    person_goals = _person_goals(base)
    catalogue = _df(backend.table("touchpoints"))
    control_changes = _control_changes(fa, catalogue, options)
    grand_value = x.x.mean().execute()
    contact_df = _df(contact)
    promise_cols = [c for c in contact_df.columns if c.startswith("_p_")]
    promises_df = contact_df.loc[contact_df["_p_comments"] > 0, ["account_id", *promise_cols]]
    promises_df = promises_df.rename(columns={c: c.removeprefix("_p_") for c in promise_cols})
    promises_df = promises_df.reset_index(drop=True)
    contact_df = contact_df.drop(columns=promise_cols)
    outcomes = backend.table("outcomes")
    outcomes = outcomes.filter(outcomes.occurred_at <= ibis.literal(stamp.date()))
    if account_id is not None:
        outcomes = outcomes.filter(outcomes.account_id == account_id)
    outcomes_df = _df(outcomes.select("account_id", "occurred_at", "kind"))
    stage_cells = _df(person_stage)
    return Prepared(
        as_of=stamp,
        accounts=accounts,
        people=people_df,
        person_stage=stage_cells.loc[
            stage_cells.stage.notna(), ["account_id", "stakeholder_id", "stage", "n", "mean"]
        ].reset_index(drop=True),
        person_journey=_df(person_journey),
        touchpoints=touchpoint_effects(_df(cells)),
        touchpoints_within_people=touchpoint_effects(
            _df(person_cells).rename(columns={"stakeholder_id": "account_id"})
        ),
        contact=contact_df,
        monthly=_df(monthly),
        relationships=relationships,
        goal_waves=goal_waves,
        promises=promises_df,
        control_changes=control_changes,
        catalogue=catalogue,
        grand_mean=float(grand_value) if grand_value is not None else float("nan"),
        person_tp=combine_moments(stage_cells, ["account_id", "stakeholder_id"]),
        goal_latest=goal_latest,
        person_goals=person_goals,
        contact_monthly=_df(contact_monthly),
        outcomes=outcomes_df,
        metric=metric,
        people_moments=people_moments,
    )


def combine_moments(cells: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Cells of ``n``, ``mean`` and sample ``var`` combined into groups by ``keys``.

    Chan, Golub and LeVeque's pairwise update, summed over the cells: the
    group's ``n = Σ nᵢ``, ``mean = Σ nᵢ meanᵢ / n`` and sum of squared deviations
    ``M2 = Σ (nᵢ − 1) varᵢ + Σ nᵢ (meanᵢ − mean)²`` (every term non-negative, so
    it does not cancel as ``Σx² − (Σx)²/n`` does); ``var = M2 / (n − 1)``, missing
    for a group of one rating, as the engine's sample variance. A cell of one
    rating (missing ``var``) adds no within-cell spread.

    Parameters
    ----------
    cells : DataFrame
        One row per cell: ``keys``, ``n`` (ratings), ``mean`` and ``var``.
    keys : list of str
        The columns to group by (the cells' other key columns are summed over).

    Returns
    -------
    DataFrame
        ``keys``, ``n`` (int64), ``mean`` and ``var``, one row per group in the
        order of first appearance.
    """
    if cells.empty:
        return pd.DataFrame({
            **{k: cells[k] for k in keys}, "n": cells["n"].astype("int64"),
            "mean": cells["mean"].astype(float), "var": cells["var"].astype(float),
        }).iloc[:0]  # fmt: skip
    codes = cells.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    k = int(codes.max()) + 1
    n_i = cells["n"].to_numpy(dtype=float)
    mean_i = cells["mean"].to_numpy(dtype=float)
    m2_i = np.nan_to_num(cells["var"].to_numpy(dtype=float)) * (n_i - 1.0)
    n = np.bincount(codes, weights=n_i, minlength=k)
    mean = np.bincount(codes, weights=n_i * mean_i, minlength=k) / n
    m2 = np.bincount(codes, weights=m2_i + n_i * (mean_i - mean[codes]) ** 2, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where(n > 1, m2 / (n - 1.0), np.nan)
    first = cells.assign(_g=codes).drop_duplicates("_g").sort_values("_g")
    out = first[keys].reset_index(drop=True)
    out["n"] = n.astype("int64")
    out["mean"] = mean
    out["var"] = var
    return out


def _promise_counts(base: ir.Table) -> dict[str, ir.IntegerScalar]:
    """Per group: promises made, promises broken and comments at a known stage
    (the shared frame's flags), as integer sums that are 0, not null, without any."""
    # CASE … THEN 1 ELSE 0, not a cast: PostgreSQL casts no boolean to bigint
    return {
        "made": ibis.ifelse(base._commented & base._made, 1, 0).sum(),
        "broken": ibis.ifelse(base._commented & base._broken, 1, 0).sum(),
        "comments": ibis.ifelse(base._commented, 1, 0).sum(),
    }


def _relationship_source(t: ir.Table) -> ir.BooleanValue:
    """Interactions that are contact in the relationship: any source but ``review``
    (a review on a review site says nothing about whether the relationship lapsed)."""
    if "source" not in t.columns:
        return ibis.literal(True)
    result: ir.BooleanValue = t.source.isnull() | (t.source != "review")
    return result


def _goal_tables(
    backend: Backend, as_of: _dt.datetime, account_id: str | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`_goal_waves` and :func:`_goal_latest` from one group-by (the same
    stakeholder × goal cells): the goals are joined and grouped once, not twice."""
    g = backend.table("goals")
    g = g.filter(g.asked_at.isnull() | (g.asked_at <= ibis.literal(as_of.date())))
    sh = backend.table("stakeholders").select("stakeholder_id", "account_id")
    g = g.inner_join(sh, "stakeholder_id")
    if account_id is not None:
        g = g.filter(g.account_id == account_id)
    cells = _df(g.group_by(["account_id", "stakeholder_id", "goal"]).aggregate(
        answers=g.asked_at.nunique(),
        first=g.importance.argmin(g.asked_at),
        last=g.importance.argmax(g.asked_at),
        first_at=g.asked_at.min(),
        last_at=g.asked_at.max(),
        importance=g.importance.argmax(g.asked_at.coalesce(ibis.literal(_dt.date(1900, 1, 1)))),
    ))  # fmt: skip
    waves = cells.loc[cells.answers >= 2, list(_WAVE_COLUMNS)].reset_index(drop=True)
    latest = cells[["account_id", "stakeholder_id", "goal", "importance", "last_at"]]
    return waves, latest.rename(columns={"last_at": "asked_at"})


_WAVE_COLUMNS = ("account_id", "stakeholder_id", "goal", "answers", "first", "last",
                 "first_at", "last_at")  # fmt: skip


def _goal_waves(backend: Backend, as_of: _dt.datetime, account_id: str | None) -> pd.DataFrame:
    """Per stakeholder and goal with two or more answers: the first and the latest."""
    return _goal_tables(backend, as_of, account_id)[0]


def _goal_latest(backend: Backend, as_of: _dt.datetime, account_id: str | None) -> pd.DataFrame:
    """Per stakeholder and goal: the latest importance answer (one answer is enough)."""
    return _goal_tables(backend, as_of, account_id)[1]


def _person_goals(base: ir.Table) -> pd.DataFrame:
    """Per stakeholder: mean and count of each goal-performance rating (1–5)."""
    goals = [g.value for g in Goal if g.value in base.columns]
    if not goals:
        return pd.DataFrame(columns=["account_id", "stakeholder_id"])
    aggs: dict[str, Any] = {}
    for goal in goals:
        col = base[goal].cast("float64")
        aggs[goal] = col.mean()
        aggs[f"{goal}_n"] = col.count()
    return _df(base.group_by(["account_id", "stakeholder_id"]).aggregate(**aggs))


def _control_changes(
    f: ir.Table, catalogue: pd.DataFrame, options: DiagnoseOptions
) -> pd.DataFrame:
    """Every change of a touchpoint's controller, with r_acc before and after it.

    Two queries for all the changes together (the ratings in each change's
    window joined to a small table of the changes), not two per change.
    """
    rows: list[dict[str, Any]] = []
    if catalogue.empty or "valid_from" not in catalogue:
        return pd.DataFrame(rows)
    cat = catalogue.sort_values(["touchpoint_id", "valid_from"], na_position="first")
    window = _dt.timedelta(days=options.change_window_days)
    for tid, versions in cat.groupby("touchpoint_id", sort=True):
        records = versions.to_dict("records")
        for before, after in itertools.pairwise(records):
            changed = (before["controller"], before.get("partner_id")) != (
                after["controller"],
                after.get("partner_id"),
            )
            if not changed or pd.isna(after["valid_from"]):
                continue
            day = pd.Timestamp(after["valid_from"]).to_pydatetime()
            rows.append({
                "touchpoint_id": tid, "date": day.date(), "name": after.get("name"),
                "from_controller": before["controller"], "to_controller": after["controller"],
                "from_partner": before.get("partner_id"), "to_partner": after.get("partner_id"),
                "_day": day,
            })  # fmt: skip
    if not rows:
        return pd.DataFrame(rows)
    changes = ibis.memtable(
        pd.DataFrame(
            {
                "_k": np.arange(len(rows), dtype="int64"),
                "_tp": [str(r["touchpoint_id"]) for r in rows],
                "_day": pd.to_datetime([r["_day"] for r in rows]),
                "_lo": pd.to_datetime([r["_day"] - window for r in rows]),
                "_hi": pd.to_datetime([r["_day"] + window for r in rows]),
            }
        )
    )
    # the touchpoints as literals too, so the engine filters the scan before the
    # join; their ratings (a few touchpoints') materialized for the two group-bys,
    # so the frame is scanned (and r_acc's account means computed) once, not twice
    # (before the join: Spark cannot cache a query that reads a memtable)
    f = f.filter(f.touchpoint_id.isin(sorted({str(r["touchpoint_id"]) for r in rows})))
    f = f.select("account_id", "touchpoint_id", "occurred_at", "x", "r_acc").cache()
    try:
        t = f.inner_join(changes, [
            f.touchpoint_id == changes._tp, f.occurred_at >= changes._lo,
            f.occurred_at < changes._hi,
        ])  # fmt: skip
        t = t.mutate(side=ibis.ifelse(t.occurred_at >= t._day, "after", "before"))
        stats = _df(t.group_by(["_k", "side"]).aggregate(
            n=ibis._.count(), mean=ibis._.r_acc.mean(), sd=ibis._.r_acc.std(),
            raw=ibis._.x.mean(),
        ))  # fmt: skip
        # per account, both sides: the clusters of C5's difference-in-differences
        per = _df(t.group_by(["_k", "account_id", "side"]).aggregate(raw=ibis._.x.mean()))
    finally:
        f.release()
    stats_by: dict[Any, pd.DataFrame] = dict(iter(stats.groupby("_k", sort=False)))
    per_by: dict[Any, pd.DataFrame] = dict(iter(per.groupby("_k", sort=False)))
    for k, row in enumerate(rows):
        del row["_day"]
        for rec in stats_by.get(k, stats.iloc[:0]).to_dict("records"):
            for name in ("n", "mean", "sd", "raw"):
                row[f"{rec['side']}_{name}"] = rec[name]
        wide = per_by.get(k, per.iloc[:0]).pivot(index="account_id", columns="side", values="raw")
        both = wide.dropna() if {"before", "after"} <= set(wide.columns) else wide.iloc[:0]
        row["per_account"] = [
            {"account_id": str(a), "before": float(v.before), "after": float(v.after)}
            for a, v in both.iterrows()
        ]
    return pd.DataFrame(rows)


def touchpoint_effects(cells: pd.DataFrame) -> pd.DataFrame:
    """Each touchpoint version's effect (0–100 points) net of the accounts it serves.

    Fitted as an additive account + touchpoint model on the account × touchpoint
    cells (:func:`~b2bcx.diagnose.stats.two_way_effects`); ``se`` its standard
    error, ``raw`` its plain mean, ``accounts`` how many accounts rated it.
    """
    columns = ["touchpoint_id", "controller", "partner_id", "stage", "n", "effect", "se",
               "raw", "accounts"]  # fmt: skip
    cells = cells.dropna(subset=["mean"])
    if cells.empty:
        return pd.DataFrame(columns=columns)
    key = ["touchpoint_id", "controller", "partner_id", "stage"]
    col_codes = cells.groupby(key, dropna=False, sort=False).ngroup().to_numpy()
    col_labels = np.arange(int(col_codes.max()) + 1)
    row_codes, _ = pd.factorize(cells.account_id)
    ss_within = float((cells["var"].fillna(0.0) * (cells.n - 1)).sum())
    fit = two_way_effects(row_codes, col_codes, cells.n.to_numpy(), cells["mean"].to_numpy(),
                          ss_within)  # fmt: skip
    first = cells.assign(_v=col_codes).drop_duplicates("_v").set_index("_v")[key]
    out = first.sort_index().reset_index(drop=True)
    grouped = cells.assign(_v=col_codes, _s=cells["mean"] * cells.n).groupby("_v")
    out["n"] = grouped.n.sum().sort_index().to_numpy()
    out["raw"] = (grouped._s.sum() / grouped.n.sum()).sort_index().to_numpy()
    out["accounts"] = grouped.account_id.nunique().sort_index().to_numpy()
    out["effect"] = fit.col_effect[: len(col_labels)]
    out["se"] = fit.col_se[: len(col_labels)]
    return out[columns]
