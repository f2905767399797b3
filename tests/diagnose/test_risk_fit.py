"""The risk model's own logistic fit and folds against scikit-learn (an
independent implementation): the same optimum (scikit-learn solved to a tight
tolerance), the same stratified folds, the same cross-validated calibration,
and no scikit-learn import on the way."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from test_risk_model import _prep

from b2bcx.diagnose import DiagnoseOptions
from b2bcx.diagnose.risk import calibration, logistic_fit, risk_model, stratified_folds


def _sklearn(x: np.ndarray, y: np.ndarray, c: float = 1.0) -> LogisticRegression:
    return LogisticRegression(C=c, tol=1e-12, max_iter=100_000).fit(x, y)


@pytest.mark.parametrize("c", [1.0, 0.05, 20.0])
def test_logistic_fit_finds_scikit_learns_optimum(c: float) -> None:
    rng = np.random.default_rng(1)
    # predictors on the risk components' very different scales (points, days)
    x = np.column_stack([rng.normal(0, 12, 500), rng.exponential(5, 500), rng.uniform(0, 300, 500)])
    eta = -1.0 + 0.1 * x[:, 0] - 0.05 * x[:, 1] + 0.004 * x[:, 2]
    y = (rng.uniform(size=500) < 1 / (1 + np.exp(-eta))).astype(int)
    intercept, weights = logistic_fit(x, y, c=c)
    ref = _sklearn(x, y, c)
    assert intercept == pytest.approx(ref.intercept_[0], rel=1e-6, abs=1e-8)
    np.testing.assert_allclose(weights, ref.coef_[0], rtol=1e-6, atol=1e-9)


def test_logistic_fit_separable_data_stays_finite() -> None:
    # perfectly separated classes: only the penalty keeps the weights finite
    x = np.array([[-3.0], [-2.0], [-1.0], [1.0], [2.0], [3.0]])
    y = np.array([0, 0, 0, 1, 1, 1])
    intercept, weights = logistic_fit(x, y)
    ref = _sklearn(x, y)
    assert np.isfinite(weights).all() and weights[0] > 0
    assert intercept == pytest.approx(ref.intercept_[0], abs=1e-7)
    assert weights[0] == pytest.approx(ref.coef_[0][0], rel=1e-6)


def test_logistic_fit_constant_predictor_gets_no_weight() -> None:
    # no variance in a predictor: the penalty puts its weight at 0, the intercept
    # is the log-odds of the base rate
    x = np.zeros((40, 1))
    y = np.array([1] * 10 + [0] * 30)
    intercept, weights = logistic_fit(x, y)
    assert weights[0] == 0.0
    assert intercept == pytest.approx(np.log(10 / 30), rel=1e-9)


@pytest.mark.parametrize(
    "y",
    [
        np.array([0] * 37 + [1] * 13),
        np.array([1, 0] * 20 + [0] * 11),  # the first label is 1
        np.random.default_rng(3).integers(0, 2, 203),
    ],
)
def test_stratified_folds_are_scikit_learns(y: np.ndarray) -> None:
    expected = np.empty(len(y), dtype=int)
    splits = StratifiedKFold(n_splits=5, shuffle=True, random_state=0).split(np.zeros(len(y)), y)
    for k, (_, test) in enumerate(splits):
        expected[test] = k
    np.testing.assert_array_equal(stratified_folds(y, 5, seed=0), expected)


def test_risk_model_validation_matches_scikit_learn_cross_validation() -> None:
    prep = _prep(400, churn_scale=1.5)
    model = risk_model(prep, DiagnoseOptions())
    assert model.kind == "fitted" and model.validation is not None
    # the same training rows, rebuilt by capturing what the fit saw
    import b2bcx.diagnose.risk as risk

    seen: list[tuple[np.ndarray, np.ndarray]] = []
    original = risk.logistic_fit

    def spy(x: np.ndarray, y: np.ndarray, **kw: float) -> tuple[float, np.ndarray]:
        seen.append((np.asarray(x), np.asarray(y)))
        return original(x, y, **kw)

    risk.logistic_fit = spy  # type: ignore[assignment]
    try:
        risk_model(prep, DiagnoseOptions())
    finally:
        risk.logistic_fit = original
    x, y = seen[-1]
    assert len(seen) == 6  # five folds and the final fit
    ref = _sklearn(x, y)
    assert model.intercept == pytest.approx(ref.intercept_[0], rel=1e-6)
    for name, w in zip(("level", "trend", "silence"), ref.coef_[0], strict=True):
        assert model.weights[name] == pytest.approx(w, rel=1e-6, abs=1e-9)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    tight = LogisticRegression(C=1.0, tol=1e-12, max_iter=100_000)
    p = cross_val_predict(tight, x, y, cv=folds, method="predict_proba")[:, 1]
    expected = calibration(y, p)
    assert model.validation["auc"] == pytest.approx(expected["auc"], rel=1e-9)
    assert model.validation["brier"] == pytest.approx(expected["brier"], rel=1e-6)
    for got, want in zip(model.validation["reliability"], expected["reliability"], strict=True):
        assert got["accounts"] == want["accounts"]
        assert got["predicted"] == pytest.approx(want["predicted"], rel=1e-6)


def test_fitting_the_risk_model_does_not_import_scikit_learn() -> None:
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from test_risk_model import _prep\n"
        "from b2bcx.diagnose import DiagnoseOptions\n"
        "from b2bcx.diagnose.risk import risk_model\n"
        "assert risk_model(_prep(400, 1.5), DiagnoseOptions()).kind == 'fitted'\n"
        "print('sklearn' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
