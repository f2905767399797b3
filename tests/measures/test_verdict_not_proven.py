"""The fourth verdict: people who agree, but not provably more than chance.

A unit whose people rate alike (rwg ≥ .70, AD within its limit) but who are no
more alike than people drawn at random from the portfolio (chance p > .05) is
*agreement not proven*: in plain words they agree, we only cannot show it is
more than the portfolio's own uniformity. It is neither *collective & aligned*
(Wirtz et al. 2025, Table 2: shared **and** aligned, which the chance test
cannot confirm) nor *diverse & unaligned* (nothing says they differ). The rule
is checked on its four cases and boundaries, against an independent per-unit
implementation of its documented wording, and end to end on a workspace where
everyone gives the same rating (the G2 export's situation: most reviewers give
9–10).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from b2bcx.cli import app
from b2bcx.measures.collective import measure_units
from b2bcx.measures.individual import DecayOptions
from b2bcx.measures.resampling import chance_p_values
from b2bcx.measures.verdict import (
    ALIGNED,
    NOT_PROVEN,
    TOO_FEW,
    UNALIGNED,
    VERDICTS,
    VerdictRule,
    verdicts,
)
from verdict_world import ratings_workspace


def test_the_four_cases() -> None:
    v, why = verdicts(
        [5, 5, 5, 5, 2],
        [0.90, 0.90, 0.40, 0.40, 1.0],
        p_chance=[0.01, 0.30, 0.01, 0.90, 0.01],
    )
    assert v == [ALIGNED, NOT_PROVEN, UNALIGNED, UNALIGNED, TOO_FEW]
    assert "not proven" in why[1] and "chance p > 0.05" in why[1] and "agree" in why[1]
    assert "diverge" in why[2] and "diverge" in why[3]
    # each verdict has a reason of its own
    assert len({why[0], why[1], why[2], why[4]}) == 4


def test_the_new_value_is_listed_and_the_old_names_stay() -> None:
    assert NOT_PROVEN == "agreement not proven"
    assert (ALIGNED, UNALIGNED, TOO_FEW) == (
        "collective & aligned",
        "diverse & unaligned",
        "too few respondents",
    )
    assert set(VERDICTS) == {ALIGNED, NOT_PROVEN, UNALIGNED, TOO_FEW}
    assert len(VERDICTS) == 4


@pytest.mark.parametrize(
    ("n", "rwg", "p", "expected"),
    [
        (3, 0.70, 0.05, ALIGNED),  # both cuts are inclusive
        (3, 0.70, 0.0500001, NOT_PROVEN),
        (3, 0.6999999, 0.0500001, UNALIGNED),
        (3, 0.6999999, 0.01, UNALIGNED),
        (3, 0.7 - 1e-15, 0.06, NOT_PROVEN),  # float noise on the cut: judged to 12 decimals
        (3, 1.0, 1.0, NOT_PROVEN),  # full agreement, no evidence beyond chance
        (2, 1.0, 1.0, TOO_FEW),  # below min_n nothing else is judged
        (2, 0.0, 0.01, TOO_FEW),
    ],
)
def test_boundaries(n: int, rwg: float, p: float, expected: str) -> None:
    assert verdicts([n], [rwg], p_chance=[p])[0] == [expected]


def test_a_missing_p_value_means_the_test_was_not_run() -> None:
    v, why = verdicts([4, 4], [0.9, 0.5], p_chance=[np.nan, np.nan])
    assert v == [ALIGNED, UNALIGNED]  # never "not proven" without a test
    assert "chance test not run" in why[0]
    v, _ = verdicts([4], [0.9])  # no p-values at all
    assert v == [ALIGNED]
    # with the chance test left out of the rule, p is not read
    assert verdicts([4], [0.9], VerdictRule(chance_alpha=None), p_chance=[0.9])[0] == [ALIGNED]


def test_ad_over_its_limit_stays_diverse_even_when_chance_also_fails() -> None:
    rule = VerdictRule(max_ad=1.0)
    v, why = verdicts([5, 5], [0.9, 0.9], rule, ad=[1.5, 0.5], p_chance=[0.5, 0.5])
    assert v == [UNALIGNED, NOT_PROVEN]
    assert "AD > 1.00" in why[0] and "not proven" in why[1]


def test_max_p_and_chance_alpha_set_the_limit() -> None:
    v, why = verdicts([5, 5], [0.9, 0.9], VerdictRule(max_p=0.01), p_chance=[0.005, 0.02])
    assert v == [ALIGNED, NOT_PROVEN] and "p > 0.01" in why[1]
    v, _ = verdicts([5], [0.9], VerdictRule(chance_alpha=0.10), p_chance=[0.08])
    assert v == [ALIGNED]


def _reference(n: int, rwg: float, ad: float, p: float, rule: VerdictRule) -> str:
    """The rule as docs/measures.md words it, one unit at a time."""
    if n < rule.min_n:
        return TOO_FEW
    if math.isnan(rwg) or round(rwg, 12) < rule.min_rwg:
        return UNALIGNED
    if rule.max_ad is not None and not round(ad, 12) <= rule.max_ad:
        return UNALIGNED
    limit = rule.p_limit
    if limit is None or math.isnan(p):
        return ALIGNED
    return ALIGNED if p <= limit else NOT_PROVEN


@pytest.mark.parametrize("rule", [VerdictRule(), VerdictRule(max_ad=1.2, min_n=4)])
def test_matches_a_per_unit_reference(rule: VerdictRule) -> None:
    rng = np.random.default_rng(3)
    k = 2000
    n = rng.integers(1, 8, k)
    rwg = rng.choice([0.0, 0.5, 0.69, 0.70, 0.71, 0.9, 1.0, np.nan], k)
    ad = rng.choice([0.0, 0.8, 1.2, 1.21, 2.5], k)
    p = rng.choice([0.001, 0.05, 0.051, 0.5, 1.0, np.nan], k)
    got, _ = verdicts(n, rwg, rule, ad=ad, p_chance=p)
    want = [
        _reference(int(a), float(b), float(c), float(d), rule)
        for a, b, c, d in zip(n, rwg, ad, p, strict=True)
    ]
    assert got == want
    assert set(got) == set(VERDICTS)  # every case occurs in the sample


def test_identical_ratings_in_a_portfolio_of_identical_ratings() -> None:
    # 6 groups of 3 people, everyone gives 10: rwg = 1, AD = 0, and every
    # random group is exactly as alike, so p = 1
    x = np.full(18, 10.0)
    groups = np.arange(6).repeat(3)
    _, p = chance_p_values(x, groups, reps=200, seed=0)
    assert np.allclose(p, 1.0)
    rule = VerdictRule(ad_rule=True)
    v, why = verdicts(np.full(6, 3), np.ones(6), rule, p_chance=p, ad=np.zeros(6), options=11)
    assert v == [NOT_PROVEN] * 6
    assert all("agree" in w and "not proven" in w for w in why)


def test_end_to_end_everyone_gives_ten(tmp_path: Path) -> None:
    # three accounts of three, the rest single reviewers, all giving 10 (the
    # G2 case): the trios agree fully but cannot beat chance; never "diverse"
    people = {f"T{k}": {f"t{k}-{j}": [10.0] for j in range(3)} for k in range(3)}
    people |= {f"S{k}": {f"s{k}": [10.0]} for k in range(12)}
    ws = ratings_workspace(tmp_path / "w.duckdb", people)
    units = measure_units(ws.backend, decay=DecayOptions(half_life_days=math.inf)).units
    units = units.set_index("account_id")
    trios = units.loc[["T0", "T1", "T2"]]
    assert (trios.rwg == 1.0).all() and (trios.p_chance > 0.05).all()
    assert trios.verdict.tolist() == [NOT_PROVEN] * 3
    assert (units.drop(index=trios.index).verdict == TOO_FEW).all()
    assert UNALIGNED not in set(units.verdict)
    url = ws.url
    ws.close()
    # the CLI table counts the verdicts and says what "not proven" means
    out = CliRunner().invoke(app, ["measure", "-w", url], env={"COLUMNS": "120"})
    assert out.exit_code == 0, out.output
    text = " ".join(out.stdout.split())  # lines wrap at the terminal width
    assert "Verdicts: 3 agreement not proven, 12 too few respondents." in text
    assert "neither collective nor diverse" in text


def test_end_to_end_a_split_trio_stays_diverse(tmp_path: Path) -> None:
    # beside the agreeing trios, one trio that spans the scale is diverse; the
    # trios of tens keep "not proven": a random trio of the 12 people (ten 10s,
    # a 0 and a 5) is all tens with probability C(10,3)/C(12,3) = 120/220
    people = {f"T{k}": {f"t{k}-{j}": [10.0] for j in range(3)} for k in range(3)}
    people["MIX"] = {"m0": [0.0], "m1": [5.0], "m2": [10.0]}
    ws = ratings_workspace(tmp_path / "w.duckdb", people)
    units = measure_units(ws.backend, decay=DecayOptions(half_life_days=math.inf)).units
    units = units.set_index("account_id")
    assert units.loc["MIX", "verdict"] == UNALIGNED
    assert units.loc["T0", "p_chance"] == pytest.approx(120 / 220, abs=0.06)
    assert units.loc["T0", "verdict"] == NOT_PROVEN
    ws.close()
