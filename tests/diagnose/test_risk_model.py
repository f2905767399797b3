"""The risk model: weights fitted to churn only with enough events (else a risk
index), cross-validated AUC and calibration, probability-weighted value only for
a fitted probability."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from b2bcx.diagnose import DiagnoseOptions
from b2bcx.diagnose.data import Prepared
from b2bcx.diagnose.risk import at_risk, risk_model

AS_OF = dt.datetime(2025, 1, 1)


def _prep(accounts: int, churn_scale: float, seed: int = 0) -> Prepared:
    """Accounts rated monthly for two years; those with a low level churn in the
    last year more often (logit = −1 + churn_scale · (60 − level)/10)."""
    rng = np.random.default_rng(seed)
    ids = [f"A{i:03d}" for i in range(accounts)]
    level = rng.normal(65, 12, accounts)
    months = pd.date_range("2023-01-01", "2024-12-01", freq="MS")
    monthly = pd.DataFrame(
        [{"account_id": a, "month": m, "n": 4, "raw": lv + rng.normal(0, 5), "mean": 0.0,
          "var": 1.0} for a, lv in zip(ids, level, strict=True) for m in months]
    )  # fmt: skip
    p = 1 / (1 + np.exp(-(-1 + churn_scale * (60 - level) / 10)))
    churned = rng.uniform(size=accounts) < p
    days = rng.integers(1, 360, accounts)
    outcomes = pd.DataFrame(
        [{"account_id": a, "occurred_at": (AS_OF - dt.timedelta(days=int(d))).date(),
          "kind": "churn"} for a, c, d in zip(ids, churned, days, strict=True) if c]
    , columns=["account_id", "occurred_at", "kind"])  # fmt: skip
    empty = pd.DataFrame()
    contact = pd.DataFrame({"account_id": ids, "last_seen": [AS_OF] * accounts,
                            "last_relationship": [AS_OF] * accounts,
                            "last_review": [pd.NaT] * accounts})  # fmt: skip
    return Prepared(
        as_of=AS_OF, accounts=pd.DataFrame({"account_id": ids, "annual_value": 1000.0}),
        people=empty, person_stage=empty, person_journey=empty, touchpoints=empty,
        contact=contact, monthly=monthly, relationships=empty, goal_waves=empty,
        promises=empty, control_changes=empty, catalogue=empty, grand_mean=60.0,
        outcomes=outcomes,
    )  # fmt: skip


def test_enough_events_fit_weights_with_cross_validated_calibration() -> None:
    prep = _prep(400, churn_scale=1.5)
    options = DiagnoseOptions()
    model = risk_model(prep, options)
    assert model.kind == "fitted"
    assert min(model.events.values()) >= options.risk_min_events
    assert model.weights["level"] > 0  # lower CX, more churn
    v = model.validation
    assert v is not None and v["auc"] > 0.7
    assert 0 < v["brier"] < v["base_rate"] * (1 - v["base_rate"])  # beats the base rate
    assert v["reliability"] and v["cv"].startswith("5-fold")
    rows = at_risk(prep, [], {}, options=options, model=model)
    for r in rows:
        assert r.risk_kind == "fitted"
        assert r.risk is not None and r.value_at_risk == pytest.approx(r.risk * r.annual_value)


def test_too_few_events_give_a_risk_index_without_value_at_risk() -> None:
    prep = _prep(60, churn_scale=0.2)
    options = DiagnoseOptions()
    model = risk_model(prep, options)
    assert model.kind == "index"
    assert "risk index" in model.reason
    assert model.events["churned"] < options.risk_min_events
    rows = at_risk(prep, [], {}, options=options, model=model)
    assert rows and all(r.value_at_risk is None for r in rows)


def test_no_outcomes_at_all() -> None:
    prep = _prep(50, churn_scale=0.0)
    prep.outcomes = prep.outcomes.iloc[:0]
    assert risk_model(prep, DiagnoseOptions()).reason == "no outcome events in the workspace"
