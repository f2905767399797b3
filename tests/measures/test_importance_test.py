"""Key drivers that can say "we can't tell": the equal-importance test on small simulations.

The full evidence (hundreds of runs) is ``benchmarks/validity/drivers_sim.py``;
these are small, fast versions that fail if the rule is a median split again.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from b2bcx.measures.drivers import bootstrap_rows, relative_weights
from b2bcx.measures.keydrivers import (
    CANNOT_TELL,
    FIX_FIRST,
    _importance_test,
    _quadrants,
)


def _run(
    beta: list[float], *, accounts: int, per: int, seed: int, n_boot: int = 100
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n, p = accounts * per, len(beta)
    acc = np.repeat(np.arange(accounts), per)
    # drivers share an account effect (people of one account are alike)
    x = rng.normal(size=(n, p)) + rng.normal(scale=0.5, size=(accounts, p))[acc]
    y = x @ np.asarray(beta) + rng.normal(scale=1.5, size=n) + rng.normal(size=accounts)[acc]
    r = relative_weights(x, y, n_boot=n_boot, seed=seed, clusters=acc)
    table = r.to_frame()
    # driver 0 performs worst, so a dominant driver 0 belongs in "fix first"
    table["performance"] = np.linspace(40, 80, p)
    return _quadrants(_importance_test(table, r.boot, 0.05))


def test_equal_importance_rarely_gives_fix_first() -> None:
    said = [(_run([0.5] * 5, accounts=40, per=5, seed=s).quadrant == FIX_FIRST).any()
            for s in range(20)]  # fmt: skip
    # ≤ 5 % expected; 3 of 20 would already be far above (binomial p ≈ .08 at 5 %)
    assert sum(said) <= 2
    # here every driver says so (a median split would have made one "fix first")
    assert all(_run([0.5] * 5, accounts=40, per=5, seed=0).quadrant.isin([CANNOT_TELL]))


def test_a_dominant_driver_is_fix_first() -> None:
    hits = []
    for s in range(10):
        t = _run([1.2, 0.3, 0.3, 0.3, 0.3], accounts=40, per=5, seed=s).set_index("driver")
        hits.append(t.loc["x1", "quadrant"] == FIX_FIRST)
    assert sum(hits) >= 9


def test_cluster_bootstrap_keeps_accounts_together() -> None:
    rng = np.random.default_rng(3)
    clusters = np.repeat(["a", "b", "c", "d"], [1, 2, 3, 4])
    for _ in range(20):
        idx = bootstrap_rows(10, clusters, rng)
        drawn = pd.Series(clusters[idx]).value_counts()
        sizes = pd.Series(clusters).value_counts()
        # every account appears a whole number of times in full
        assert all(drawn[c] % sizes[c] == 0 for c in drawn.index)


def test_cluster_bootstrap_is_wider_when_accounts_matter() -> None:
    # with a strong account effect in the drivers, resampling people understates
    # the uncertainty; resampling accounts does not
    rng = np.random.default_rng(5)
    acc = np.repeat(np.arange(15), 20)
    x = rng.normal(size=(300, 3)) * 0.3 + rng.normal(size=(15, 3))[acc]
    y = x @ [1.0, 0.5, 0.2] + rng.normal(size=300) + rng.normal(size=15)[acc] * 2
    people = relative_weights(x, y, n_boot=200, seed=1)
    accounts = relative_weights(x, y, n_boot=200, seed=1, clusters=acc)
    assert people.upper is not None and accounts.upper is not None
    assert people.lower is not None and accounts.lower is not None
    assert np.mean(accounts.upper - accounts.lower) > np.mean(people.upper - people.lower)


def test_without_bootstrap_nothing_can_be_told_apart() -> None:
    table = pd.DataFrame({"driver": ["a", "b"], "share": [0.9, 0.1], "performance": [10, 90]})
    out = _quadrants(_importance_test(table, None, 0.05))
    assert (out.quadrant == CANNOT_TELL).all()


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_alpha_is_checked(alpha: float) -> None:
    from b2bcx.errors import ConfigurationError
    from b2bcx.measures.keydrivers import key_drivers

    with pytest.raises(ConfigurationError, match="alpha"):
        key_drivers(None, alpha=alpha)  # type: ignore[arg-type]


def test_no_driver_at_all_is_an_empty_table_not_a_division_by_zero() -> None:
    table = pd.DataFrame({"driver": [], "share": [], "performance": []})
    out = _quadrants(_importance_test(table, np.empty((10, 0)), 0.05))
    assert out.empty
