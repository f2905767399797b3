"""C5 goal shifts: the accounts a shift is compared with are those without an
event of their own. When a survey is re-run only where priorities moved, the
re-asked accounts' median is no reference for "no shift" (the 200 k demo: 16 of
16 shifts missed before); on null data the comparison stays as it was."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from b2bcx.diagnose.c5_dynamics import _goal_shifts, _own_change_p
from b2bcx.diagnose.options import DiagnoseOptions

GOALS = ("efficiency", "relationships", "convenience")


class _Prep:
    """The two things the goal-shift test reads from a prepared diagnosis."""

    def __init__(self, waves: pd.DataFrame) -> None:
        self.goal_waves = waves
        # no account-months (the CX before and after is then unknown)
        self.monthly = pd.DataFrame(
            {"account_id": [], "month": pd.to_datetime([]), "mean": [], "n": [], "raw": []}
        )

    def monthly_of(self, account: str) -> pd.DataFrame:
        return pd.DataFrame({"month": pd.to_datetime([]), "mean": [], "n": []})


def _waves(rng: np.random.Generator, shifts: dict[str, dict[str, float]],
           quiet: int, people: int = 8) -> pd.DataFrame:  # fmt: skip
    """Two waves of goal importance (1–5) per person: ``shifts`` accounts move by
    the given amounts, ``quiet`` more accounts only by test–retest noise."""
    rows: list[dict[str, Any]] = []
    accounts = {**shifts, **{f"Q{i:03d}": {} for i in range(quiet)}}
    for account, moves in accounts.items():
        for person in range(people):
            for goal in GOALS:
                first = float(rng.integers(2, 5))
                last = first + moves.get(goal, 0.0) + float(rng.normal(0, 0.8))
                rows.append({"account_id": account, "stakeholder_id": f"{account}-{person}",
                             "goal": goal, "first": first, "last": last,
                             "last_at": pd.Timestamp("2024-06-01")})  # fmt: skip
    return pd.DataFrame(rows)


def _found(waves: pd.DataFrame) -> set[str]:
    return {str(f.account_id) for f in _goal_shifts(_Prep(waves), DiagnoseOptions())}  # type: ignore[arg-type]


def test_every_reasked_account_shifted_is_still_found() -> None:
    rng = np.random.default_rng(1)
    move = {"efficiency": 2.0, "relationships": -1.0}
    shifted = {f"S{i:02d}": move for i in range(16)}
    assert _found(_waves(rng, shifted, quiet=0)) == set(shifted)


def test_a_few_shifts_among_many_quiet_accounts_are_found_against_them() -> None:
    rng = np.random.default_rng(2)
    shifted = {f"S{i:02d}": {"efficiency": 2.0} for i in range(4)}
    found = _found(_waves(rng, shifted, quiet=60))
    assert set(shifted) <= found
    assert len(found - set(shifted)) <= 1


def test_null_portfolios_stay_silent_at_the_nominal_rate() -> None:
    flagged = tested = 0
    for seed in range(20):
        found = _found(_waves(np.random.default_rng(100 + seed), {}, quiet=40))
        flagged += len(found)
        tested += 40
    assert flagged / tested <= 0.01  # BH at .05 over the portfolio: at most a stray one


def test_own_change_p_is_the_one_sample_t() -> None:
    rng = np.random.default_rng(3)
    deltas = [rng.normal(0.4, 1.0, n) for n in (3, 8, 20)]
    ok = pd.DataFrame({"mean": [d.mean() for d in deltas], "var": [d.var(ddof=1) for d in deltas],
                       "size": [len(d) for d in deltas]})  # fmt: skip
    expected = [stats.ttest_1samp(d, 0.0).pvalue for d in deltas]
    assert np.allclose(_own_change_p(ok), expected, rtol=1e-10)
    edge = pd.DataFrame({"mean": [0.0, 1.0], "var": [0.0, 0.0], "size": [5, 5]})
    assert _own_change_p(edge).tolist() == [1.0, 0.0]  # no change; all agree on +1
