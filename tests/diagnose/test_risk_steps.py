"""The steps after the detectors, made cheaper for issue 22, give what the full
computations give: the risk score's agreement (``_account_rwg``) equals
``measure_units(by="account")``'s rwg."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pandas as pd
import pytest

import b2bcx
from b2bcx.diagnose import _account_rwg, _account_units
from b2bcx.diagnose.data import prepare
from b2bcx.diagnose.options import DiagnoseOptions
from demo_workspace import demo_workspace


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[b2bcx.Workspace]:
    yield from demo_workspace(tmp_path_factory.mktemp("risksteps"), size=800, seed=4)


def _same_rwg(got: dict[str, float], want: dict[str, float], rel: float = 0.0) -> None:
    assert list(got) == list(want)
    for a, w in want.items():
        if math.isnan(w):
            assert math.isnan(got[a]), a
        else:
            assert got[a] == pytest.approx(w, rel=rel, abs=0.0), a


@pytest.mark.parametrize("metric", ["cx", "nps"])
def test_account_rwg_is_the_account_units_rwg(demo: b2bcx.Workspace, metric: str) -> None:
    options = DiagnoseOptions(metric=metric)
    prep = prepare(demo.backend, options, keep_frame=True)
    try:
        units = _account_units(demo.backend, options, prep).units
        got = _account_rwg(demo.backend, options, prep)
    finally:
        prep.release()
    want = {str(a): float(v) for a, v in zip(units.account_id, units.rwg, strict=True)}
    assert len(want) > 10 and any(0 < v < 1 for v in want.values())
    _same_rwg(got, want)  # bit for bit: the same rows in the same order


def test_account_rwg_of_one_account(demo: b2bcx.Workspace) -> None:
    options = DiagnoseOptions()
    account = "ACC-00003"
    prep = prepare(demo.backend, options, keep_frame=True, account_id=account)
    try:
        units = _account_units(demo.backend, options, prep).units
        got = _account_rwg(demo.backend, options, prep)
    finally:
        prep.release()
    want = {str(a): float(v) for a, v in zip(units.account_id, units.rwg, strict=True)}
    assert list(got) == [account]
    # the units of the whole workspace were summed over more rows: last digits only
    _same_rwg(got, {account: want[account]}, rel=1e-12)


def test_account_rwg_with_one_respondent_and_missing_scores(demo: b2bcx.Workspace) -> None:
    from b2bcx.measures.collective import AgreementOptions, measure_units
    from b2bcx.measures.individual import DecayOptions

    options = DiagnoseOptions()
    prep = prepare(demo.backend, options, keep_frame=True)
    try:
        moments = prep.people_moments
        assert moments is not None
        ordered = moments.sort_values("stakeholder_id")
        first, second = sorted(ordered.account_id.unique())[:2]
        # one account left with one respondent, another with a missing score
        alone = ordered[ordered.account_id == first].index[1:]
        missing = ordered[ordered.account_id == second].index[0]
        people = moments.drop(index=alone)
        people.loc[missing, "score"] = float("nan")
        prep.people_moments = people
        got = _account_rwg(demo.backend, options, prep)
        units = measure_units(
            demo.backend, by="account", metric=options.metric,
            decay=DecayOptions(as_of=prep.as_of),
            agreement=AgreementOptions(chance_reps=0, interval_reps=0),
            frame=prep.frame_with_people(demo.backend), people=people,
        ).units  # fmt: skip
    finally:
        prep.release()
    want = {str(a): float(v) for a, v in zip(units.account_id, units.rwg, strict=True)}
    assert int(units.set_index("account_id").n_stakeholders[first]) == 1
    _same_rwg(got, want)


def test_account_rwg_without_moments_or_people(demo: b2bcx.Workspace) -> None:
    options = DiagnoseOptions()
    prep = prepare(demo.backend, options, keep_frame=True)
    try:
        full = _account_rwg(demo.backend, options, prep)
        moments = prep.people_moments
        assert moments is not None
        prep.people_moments = None  # made without the moments: the full measure
        _same_rwg(_account_rwg(demo.backend, options, prep), full, rel=1e-12)
        prep.people_moments = moments.iloc[:0]
        assert _account_rwg(demo.backend, options, prep) == {}
        # no variance at all: every rating equal makes rwg 1 where people are several
        flat = moments.assign(score=5.0, ss_within=0.0)
        prep.people_moments = flat
        ones = _account_rwg(demo.backend, options, prep)
        several = flat.groupby("account_id").size()
        assert all(ones[str(a)] == 1.0 for a in several[several >= 2].index)
    finally:
        prep.release()
    assert isinstance(moments, pd.DataFrame)


def test_unavailable_drivers_are_not_tried_again(
    demo: b2bcx.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from b2bcx.diagnose import DriversUnavailable, diagnose
    from b2bcx.errors import ConfigurationError
    from b2bcx.measures import keydrivers
    from demo_workspace import forbidden

    options = DiagnoseOptions(min_ratings=3)
    tried: list[str] = []

    def failing(*args: object, drivers: str = "goals", **kwargs: object) -> None:
        tried.append(drivers)
        raise ConfigurationError("too few people")

    monkeypatch.setattr(keydrivers, "key_drivers", failing)
    failed = diagnose(demo.backend, options)
    assert sorted(tried) == ["goals", "touchpoints"]  # tried, failed: equal weights
    monkeypatch.setattr(keydrivers, "key_drivers", forbidden("tried again"))
    told = diagnose(
        demo.backend, options, touchpoint_drivers=DriversUnavailable("too few people"),
        goal_drivers=DriversUnavailable(),
    )  # fmt: skip
    assert told.priorities and told.to_dict() == failed.to_dict()
    # every driver weighs alike: one driver weight for all priorities
    assert len({p.driver_weight for p in told.priorities}) == 1


def _long_frame_cells(wide: pd.DataFrame, values: pd.Series) -> pd.DataFrame:
    """The priorities' cells as a long frame grouped by pandas (the former code)."""
    from b2bcx.model.enums import Goal

    keys = ["touchpoint_id", "stage", "controller", "account_id"]
    parts = [
        wide[keys].assign(goal=g.value, rated=wide[f"rated__{g.value}"],
                          poor=wide[f"poor__{g.value}"])
        for g in Goal
    ]  # fmt: skip
    cells = pd.concat(parts, ignore_index=True)
    cells = cells[cells.rated > 0].reset_index(drop=True)
    cells["poor"] = cells.poor.fillna(0).astype("int64")
    cells["value"] = cells.account_id.map(values).fillna(0.0) * (cells.poor > 0)
    return cells.groupby(["touchpoint_id", "stage", "controller", "goal"], dropna=False).agg(
        rated=("rated", "sum"), poor=("poor", "sum"), value=("value", "sum"),
        accounts=("poor", lambda s: int((s > 0).sum())),
    ).reset_index()  # fmt: skip


def test_goal_cells_equal_the_long_frame_group_by() -> None:
    import numpy as np

    from b2bcx.diagnose.risk import _goal_cells
    from b2bcx.model.enums import Goal

    rng = np.random.default_rng(5)
    n = 400
    wide = pd.DataFrame({
        "touchpoint_id": rng.choice(["tp-b", "tp-a", "tp-c"], n),
        # a missing stage and a missing controller make cells of their own
        "stage": pd.Series(rng.choice(["use", "buy", None], n), dtype="str"),
        "controller": pd.Series(rng.choice(["supplier", "partner", None], n), dtype="str"),
        "account_id": rng.choice([f"A{i}" for i in range(30)], n),
    })  # fmt: skip
    for g in Goal:
        rated = rng.integers(0, 4, n)
        wide[f"rated__{g.value}"] = rated
        poor = np.minimum(rated, rng.integers(0, 3, n)).astype(float)
        poor[rated == 0] = np.nan  # no rating: the engine's sum is NULL
        wide[f"poor__{g.value}"] = poor
    # values with cents: the sums' order and compensation matter to the last digit
    values = pd.Series(rng.uniform(1e3, 1e6, 30).round(2), index=[f"A{i}" for i in range(30)])
    want = _long_frame_cells(wide, values)
    got = _goal_cells(wide, values)
    pd.testing.assert_frame_equal(got, want, check_dtype=False, check_exact=True)
    # nobody rated a goal poorly anywhere: no cells
    for g in Goal:
        wide[f"poor__{g.value}"] = 0.0
    assert _goal_cells(wide, values).empty
    assert _goal_cells(wide.iloc[:0], values).empty
