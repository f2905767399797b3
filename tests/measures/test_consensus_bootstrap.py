"""The rwg and rwg(j) bootstrap intervals against a unit-by-unit reference.

Both intervals share one resampling loop (all units and a chunk of repetitions
at once). The reference redraws the same uniforms (``default_rng(seed)``, the
same chunks) and recomputes each resampled unit alone with the public
:func:`unit_variance` and :func:`rwg_j_from_variance`, one repetition and one
unit at a time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from b2bcx.measures import consensus
from b2bcx.measures.agreement import rwg_j_from_variance
from b2bcx.measures.consensus import rwg_bootstrap, rwg_j_bootstrap, unit_variance

Array = np.ndarray[Any, Any]
NULL_VAR = 8.0


def _reference(unit: Array, reps: int, seed: int, alpha: float, rwg_of: Any) -> tuple[Array, Array]:
    """Percentile interval, each repetition and unit computed on its own."""
    labels, codes = np.unique(unit, return_inverse=True)
    k = len(labels)
    order = np.argsort(codes, kind="stable")
    codes = codes[order]
    sizes = np.bincount(codes, minlength=k)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rng = np.random.default_rng(seed)
    out = np.empty((reps, k))
    done = 0
    while done < reps:
        b = min(consensus._CHUNK, reps - done)
        draws = rng.random((b, len(codes)))
        for rep in range(b):
            idx = starts[codes] + np.floor(draws[rep] * sizes[codes]).astype(np.intp)
            for c in range(k):
                people = order[idx[codes == c]]  # back to the caller's row order
                out[done + rep, c] = rwg_of(people) if sizes[c] > 1 else 0.0
        done += b
    lo, hi = np.quantile(out, [alpha / 2, 1 - alpha / 2], axis=0)
    few = sizes < 2
    lo[few], hi[few] = np.nan, np.nan
    return lo, hi


@pytest.fixture
def people() -> dict[str, Array]:
    rng = np.random.default_rng(11)
    n = 180
    unit = rng.integers(0, 14, n).astype(str)
    unit[0] = "one person"
    return {
        "unit": unit,
        "score": np.clip(rng.normal(5, 2, (n, 3)) + rng.normal(0, 1, (n, 1)), 0, 10),
        "h": rng.uniform(0.2, 1.0, (n, 3)),
        "ss": rng.uniform(0.0, 4.0, (n, 3)),
        "df": rng.integers(0, 4, (n, 3)).astype(float),
    }


@pytest.mark.parametrize("reps", [1, 30, 60])
def test_rwg_interval_equals_unit_by_unit(people: dict[str, Array], reps: int) -> None:
    p = people
    one = {"m_eff_inv": p["h"][:, 0], "ss_within": p["ss"][:, 0], "df_within": p["df"][:, 0]}
    labels, lo, hi = rwg_bootstrap(
        p["score"][:, 0], p["unit"], null_var=NULL_VAR, reps=reps, seed=4, **one
    )

    def rwg_of(rows: Array) -> float:
        _, v = unit_variance(
            p["score"][rows, 0], np.zeros(len(rows)), **{k: a[rows] for k, a in one.items()}
        )
        return float(v.rwg(NULL_VAR)[0])

    ref_lo, ref_hi = _reference(p["unit"], reps, 4, 0.05, rwg_of)
    assert list(labels) == sorted(set(p["unit"]))
    np.testing.assert_allclose(lo, ref_lo, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(hi, ref_hi, rtol=1e-9, atol=1e-12)
    single = list(labels).index("one person")
    assert np.isnan(lo[single]) and np.isnan(hi[single])
    if reps > 1:
        assert (np.nan_to_num(hi - lo) > 0).any()  # the resamples differ


def test_rwg_j_interval_equals_unit_by_unit(people: dict[str, Array]) -> None:
    p = people
    labels, lo, hi = rwg_j_bootstrap(
        p["score"], p["unit"], null_var=NULL_VAR, m_eff_inv=p["h"], ss_within=p["ss"],
        df_within=p["df"], reps=40, seed=2, alpha=0.1,
    )  # fmt: skip

    def rwg_j_of(rows: Array) -> float:
        s2 = np.mean(
            [
                unit_variance(
                    p["score"][rows, i], np.zeros(len(rows)), m_eff_inv=p["h"][rows, i],
                    ss_within=p["ss"][rows, i], df_within=p["df"][rows, i],
                )[1].var_response[0]
                for i in range(3)
            ]
        )  # fmt: skip
        return float(rwg_j_from_variance(s2, 3, null_var=NULL_VAR))

    ref_lo, ref_hi = _reference(p["unit"], 40, 2, 0.1, rwg_j_of)
    np.testing.assert_allclose(lo, ref_lo, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(hi, ref_hi, rtol=1e-9, atol=1e-12)
    assert np.isnan(lo[list(labels).index("one person")])


def test_no_variance_gives_full_agreement_in_every_resample() -> None:
    """Everyone answers the same: every resample's rwg is 1, so is the interval."""
    labels, lo, hi = rwg_bootstrap([7.0] * 6, ["a"] * 3 + ["b"] * 3, null_var=NULL_VAR, reps=20)
    assert list(labels) == ["a", "b"]
    np.testing.assert_array_equal(lo, [1.0, 1.0])
    np.testing.assert_array_equal(hi, [1.0, 1.0])
