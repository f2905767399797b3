"""``prepare`` in fewer passes (issue 22): the merged queries give exactly the
tables the separate ones gave. Each test keeps the earlier, separate form as the
reference and compares it with what ``prepare`` now does in one pass: all the
controller changes in two queries (not two per change), the goal waves and
latest goals from one group-by, the promise counts from the per-account contact
pass, and individual CX grouped on a frame without the person's columns (joined
per person afterwards)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pytest

import b2bcx
from b2bcx.diagnose import data
from b2bcx.diagnose.options import DiagnoseOptions
from b2bcx.measures.individual import DecayOptions, individual_cx_expr, resolve_as_of
from demo_workspace import demo_workspace


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[b2bcx.Workspace]:
    yield from demo_workspace(tmp_path_factory.mktemp("prepare_speed"), size=800, seed=11)


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in df.columns if not pd.api.types.is_float_dtype(df[c])]
    return df.sort_values(keys, kind="stable").reset_index(drop=True)


# --- the controller changes: two queries for all of them ------------------------------


@pytest.fixture(scope="module")
def residual(demo: b2bcx.Workspace) -> Iterator[ir.Table]:
    """The columns ``_control_changes`` reads, as ``prepare`` builds them."""
    b = demo.backend
    base = data.shared_frame(b, resolve_as_of(b, None))
    f = base.filter(base.cx.notnull()).mutate(x=data._to_100(base.cx, "cx"))
    acc = f.group_by("account_id").aggregate(acc_x=f.x.mean())
    f = f.inner_join(acc, "account_id")
    yield f.mutate(r_acc=f.x - f.acc_x)
    base.release()


def _per_change_reference(
    f: ir.Table, catalogue: pd.DataFrame, options: DiagnoseOptions
) -> pd.DataFrame:
    """The earlier form: two queries per change (kept here as the reference)."""
    rows: list[dict[str, Any]] = []
    cat = catalogue.sort_values(["touchpoint_id", "valid_from"], na_position="first")
    window = dt.timedelta(days=options.change_window_days)
    for tid, versions in cat.groupby("touchpoint_id", sort=True):
        for before, after in itertools.pairwise(versions.to_dict("records")):
            if (before["controller"], before.get("partner_id")) == (
                after["controller"],
                after.get("partner_id"),
            ) or pd.isna(after["valid_from"]):
                continue
            day = pd.Timestamp(after["valid_from"]).to_pydatetime()
            t = f.filter(
                (f.touchpoint_id == tid)
                & (f.occurred_at >= ibis.literal(day - window))
                & (f.occurred_at < ibis.literal(day + window))
            )
            t = t.mutate(side=ibis.ifelse(t.occurred_at >= ibis.literal(day), "after", "before"))
            stats = t.group_by("side").aggregate(
                n=ibis._.count(), mean=ibis._.r_acc.mean(), sd=ibis._.r_acc.std(),
                raw=ibis._.x.mean(),
            ).to_pandas()  # fmt: skip
            row: dict[str, Any] = {"touchpoint_id": tid, "date": day.date()}
            for rec in stats.to_dict("records"):
                for k in ("n", "mean", "sd", "raw"):
                    row[f"{rec['side']}_{k}"] = rec[k]
            per = t.group_by(["account_id", "side"]).aggregate(raw=ibis._.x.mean()).to_pandas()
            wide = per.pivot(index="account_id", columns="side", values="raw")
            both = wide.dropna() if {"before", "after"} <= set(wide.columns) else wide.iloc[:0]
            row["per_account"] = [(str(a), v.before, v.after) for a, v in both.iterrows()]
            rows.append(row)
    return pd.DataFrame(rows)


def _more_changes(catalogue: pd.DataFrame) -> pd.DataFrame:
    """The catalogue with controller changes added: two on one touchpoint within
    one window (their windows overlap), one long after the last interaction (no
    'after' side), and one that changes only the partner."""
    cat = catalogue.copy()
    cat["valid_from"] = pd.to_datetime(cat.valid_from)
    extra = []
    tids = sorted(cat.touchpoint_id.unique())
    last = cat[cat.touchpoint_id == tids[0]].iloc[-1].to_dict()
    other = "partner" if last["controller"] != "partner" else "supplier"
    for controller, day in ((other, "2024-02-01"), (last["controller"], "2024-06-01")):
        extra.append({**last, "controller": controller, "valid_from": pd.Timestamp(day)})
    late = cat[cat.touchpoint_id == tids[1]].iloc[-1].to_dict()
    flip = "partner" if late["controller"] != "partner" else "supplier"
    extra.append({**late, "controller": flip, "valid_from": pd.Timestamp("2031-01-01")})
    partner = cat[cat.touchpoint_id == tids[2]].iloc[-1].to_dict()
    extra.append({**partner, "partner_id": "PRT-NEW", "valid_from": pd.Timestamp("2024-04-01")})
    return pd.concat([cat, pd.DataFrame(extra)], ignore_index=True)


def test_all_controller_changes_in_two_queries_equal_two_queries_per_change(
    demo: b2bcx.Workspace, residual: ir.Table, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = residual
    catalogue = _more_changes(demo.backend.table("touchpoints").to_pandas())
    options = DiagnoseOptions()
    expected = _per_change_reference(f, catalogue, options)
    assert len(expected) >= 4  # the demo's own change and the added ones
    fetched: list[int] = []
    fetch = data._df
    monkeypatch.setattr(data, "_df", lambda e: fetched.append(1) or fetch(e))
    got = data._control_changes(f, catalogue, options)
    assert len(fetched) == 2  # not two per change
    assert list(got.touchpoint_id) == list(expected.touchpoint_id)
    assert list(got.date) == list(expected.date)
    stats = [c for c in expected.columns if c.startswith(("before_", "after_"))]
    assert sorted(stats) == sorted(c for c in got.columns if c.startswith(("before_", "after_")))
    pd.testing.assert_frame_equal(
        got[stats].astype(float), expected[stats].astype(float), rtol=1e-12, atol=1e-12
    )
    # edge cases: a change with no rating on one side (or on either: the one after
    # the last interaction), so its side's statistics are missing, not zero
    assert got["after_n"].isna().any() and got["before_n"].isna().any()
    assert [] in list(got.per_account)
    for mine, theirs in zip(got.per_account, expected.per_account, strict=True):
        assert [d["account_id"] for d in mine] == [a for a, _, _ in theirs]
        np.testing.assert_allclose(
            np.array([(d["before"], d["after"]) for d in mine]).reshape(-1, 2),
            np.array([(b, a) for _, b, a in theirs]).reshape(-1, 2),
            rtol=1e-12,
        )


def test_no_controller_change_runs_no_query(
    demo: b2bcx.Workspace, residual: ir.Table, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalogue = demo.backend.table("touchpoints").to_pandas()
    one_version = catalogue.drop_duplicates("touchpoint_id")
    monkeypatch.setattr(data, "_df", lambda e: pytest.fail("queried without a change"))
    assert data._control_changes(residual, one_version, DiagnoseOptions()).empty


# --- the goal tables: one group-by -------------------------------------------------


def _goal_reference(
    b: Any, as_of: dt.datetime, account_id: str | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The earlier form: the waves and the latest answers as two queries."""
    g = b.table("goals")
    g = g.filter(g.asked_at.isnull() | (g.asked_at <= ibis.literal(as_of.date())))
    g = g.inner_join(b.table("stakeholders").select("stakeholder_id", "account_id"),
                     "stakeholder_id")  # fmt: skip
    if account_id is not None:
        g = g.filter(g.account_id == account_id)
    keys = ["account_id", "stakeholder_id", "goal"]
    waves = g.group_by(keys).aggregate(
        answers=g.asked_at.nunique(), first=g.importance.argmin(g.asked_at),
        last=g.importance.argmax(g.asked_at), first_at=g.asked_at.min(),
        last_at=g.asked_at.max(),
    )  # fmt: skip
    latest = g.group_by(keys).aggregate(
        importance=g.importance.argmax(g.asked_at.coalesce(ibis.literal(dt.date(1900, 1, 1)))),
        asked_at=g.asked_at.max(),
    )
    return waves.filter(waves.answers >= 2).to_pandas(), latest.to_pandas()


@pytest.mark.parametrize("account_id", [None, "ACC-00000"])
def test_goal_tables_from_one_group_by_equal_two_queries(
    demo: b2bcx.Workspace, account_id: str | None
) -> None:
    b = demo.backend
    as_of = resolve_as_of(b, None)
    waves, latest = data._goal_tables(b, as_of, account_id)
    ref_waves, ref_latest = _goal_reference(b, as_of, account_id)
    assert len(latest) > len(waves) and (account_id is not None or len(waves) > 0)
    pd.testing.assert_frame_equal(_sorted(waves), _sorted(ref_waves))
    pd.testing.assert_frame_equal(_sorted(latest), _sorted(ref_latest))
    # a date before every answer: no goals, the same empty columns
    early = dt.datetime(1990, 1, 1)
    empty_waves, empty_latest = data._goal_tables(b, early, account_id)
    ref_empty = _goal_reference(b, early, account_id)
    assert empty_waves.empty and empty_latest.empty
    assert list(empty_waves.columns) == list(ref_empty[0].columns)
    assert list(empty_latest.columns) == list(ref_empty[1].columns)


# --- the promise counts: in the contact pass ---------------------------------------


@pytest.mark.parametrize("account_id", [None, "ACC-00000"])
def test_promises_from_the_contact_pass_equal_their_own_query(
    demo: b2bcx.Workspace, account_id: str | None
) -> None:
    b = demo.backend
    stamp = resolve_as_of(b, None)
    base = data.shared_frame(b, stamp, account_id)
    try:
        expected = base.filter(base._commented).group_by("account_id").aggregate(
            made=ibis._._made.sum(), broken=ibis._._broken.sum(), comments=ibis._.count()
        ).to_pandas()  # fmt: skip
    finally:
        base.release()
    prep = data.prepare(b, DiagnoseOptions(), account_id=account_id)
    assert expected.made.sum() > 0 and expected.broken.sum() > 0
    pd.testing.assert_frame_equal(_sorted(prep.promises), _sorted(expected))
    assert "_p_made" not in prep.contact.columns and "made" not in prep.contact.columns


# --- individual CX on a frame without the person's columns --------------------------


@pytest.mark.parametrize("by", [(), ("stage",)])
@pytest.mark.parametrize("moments", [False, True])
def test_individual_cx_joins_the_person_columns_after_the_group_by(
    demo: b2bcx.Workspace, by: tuple[str, ...], moments: bool
) -> None:
    b = demo.backend
    stamp = resolve_as_of(b, None)
    base = data.shared_frame(b, stamp)
    try:
        assert "function" not in base.columns and "segment" not in base.columns
        decay = DecayOptions(as_of=stamp)
        kwargs: dict[str, Any] = {"metric": "cx", "decay": decay, "by": by, "moments": moments}
        expected = individual_cx_expr(b, frame=data.with_people(b, base), **kwargs).to_pandas()
        got = individual_cx_expr(b, frame=base, **kwargs).to_pandas()
        # and on a frame without even the account: it is joined too
        bare = individual_cx_expr(b, frame=base.drop("account_id"), **kwargs).to_pandas()
    finally:
        base.release()
    assert list(got.columns) == list(expected.columns) == list(bare.columns)
    assert len(got) > 100
    keys = ["stakeholder_id", *by]
    for frame in (got, bare):
        pd.testing.assert_frame_equal(
            frame.sort_values(keys).reset_index(drop=True),
            expected.sort_values(keys).reset_index(drop=True),
            rtol=1e-12,
        )


def test_one_person_with_one_rating(demo: b2bcx.Workspace) -> None:
    """Edge case: a frame of one rating gives that person's row, weight 1 at as-of."""
    b = demo.backend
    it = b.table("interactions")
    row = it.filter(it.cx.notnull()).order_by("interaction_id").limit(1).to_pandas().iloc[0]
    stamp = row.occurred_at.to_pydatetime()
    base = data.shared_frame(b, stamp)
    try:
        one = base.filter(
            (base.stakeholder_id == row.stakeholder_id) & (base.occurred_at == stamp)
            & base.cx.notnull()
        ).limit(1)  # fmt: skip
        got = individual_cx_expr(
            b, metric="cx", decay=DecayOptions(as_of=stamp), moments=True, frame=one
        ).to_pandas()
    finally:
        base.release()
    assert len(got) == 1
    rec = got.iloc[0]
    assert rec.stakeholder_id == row.stakeholder_id and rec.n == 1
    assert rec.weight == pytest.approx(1.0) and rec.score == pytest.approx(row.cx)
    assert rec.m_eff_inv == pytest.approx(1.0) and rec.ss_within == 0 and rec.df_within == 0
    sh = b.table("stakeholders").to_pandas().set_index("stakeholder_id").loc[row.stakeholder_id]
    assert rec.account_id == sh.account_id and rec.function == sh.function


# --- fetching through Arrow ---------------------------------------------------------


@pytest.mark.parametrize("rows", ["all", "none"])
def test_fetch_through_arrow_gives_the_frame_to_pandas_gives(
    demo: b2bcx.Workspace, rows: str
) -> None:
    """Strings (with missing values), integers and floats: the same frame, dtypes
    included, also when nothing matches; other types still go through ``to_pandas``."""
    it = demo.backend.table("interactions")
    if rows == "none":
        it = it.filter(it.stakeholder_id == "nobody")
    cells = it.group_by(["stakeholder_id", "journey_id", "touchpoint_id"]).aggregate(
        n=ibis._.count(), mean=ibis._.cx.mean(), nps=ibis._.nps.max(),
        comment=ibis._.comment.min(),
    )  # fmt: skip
    got, expected = data._df(cells), cells.to_pandas()
    assert (len(got) > 100) == (rows == "all")
    if rows == "all":
        assert got.comment.isna().any() and got["mean"].isna().any()
    pd.testing.assert_frame_equal(got, expected)
    dated = it.group_by("stakeholder_id").aggregate(last=ibis._.occurred_at.max())
    pd.testing.assert_frame_equal(data._df(dated), dated.to_pandas())
