"""What issue 22's speed-ups share must give what was computed before: the
individual CX fetched once in ``prepare`` serves the risk score's agreement
(``measure_units(people=...)``) exactly as the query it replaces, and a
diagnosis runs that query once, not twice."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

import b2bcx
from b2bcx.diagnose import diagnose
from b2bcx.diagnose.data import prepare
from b2bcx.diagnose.options import DiagnoseOptions
from b2bcx.measures.collective import AgreementOptions, measure_units
from b2bcx.measures.individual import DecayOptions
from demo_workspace import demo_workspace


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[b2bcx.Workspace]:
    yield from demo_workspace(tmp_path_factory.mktemp("speed"), size=800, seed=4)


def test_units_from_the_fetched_people_equal_their_own_query(demo: b2bcx.Workspace) -> None:
    b = demo.backend
    prep = prepare(b, DiagnoseOptions(), keep_frame=True)
    try:
        assert prep.people_moments is not None
        moments = prep.people_moments
        # the detectors' people are the same rows on 0–100, without the moments
        assert len(moments) == len(prep.people) > 0
        assert {"m_eff_inv", "ss_within", "df_within"} <= set(moments.columns)
        assert not {"m_eff_inv", "ss_within", "df_within"} & set(prep.people.columns)
        kwargs: dict[str, Any] = {
            "by": "account", "decay": DecayOptions(as_of=prep.as_of),
            "agreement": AgreementOptions(chance_reps=0, interval_reps=0),
            "frame": prep.frame_with_people(b),
        }  # fmt: skip
        given = measure_units(b, people=moments, **kwargs)
        own = measure_units(b, **kwargs)
        # the people given are really read: one person fewer changes the units
        fewer = measure_units(b, people=moments.iloc[1:], **kwargs)
    finally:
        prep.release()
    pd.testing.assert_frame_equal(given.units, own.units, check_exact=False, rtol=1e-12)
    assert given.portfolio.keys() == own.portfolio.keys()
    for key, value in own.portfolio.items():
        if isinstance(value, float):
            assert given.portfolio[key] == pytest.approx(value, rel=1e-12, nan_ok=True)
    assert int(fewer.units.n_stakeholders.sum()) == int(own.units.n_stakeholders.sum()) - 1


def test_a_diagnosis_fetches_individual_cx_once(
    demo: b2bcx.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from b2bcx.diagnose import data
    from b2bcx.measures import collective

    calls: list[str] = []
    for module in (data, collective):
        original = module.individual_cx_expr

        def counting(*args: Any, _f: Any = original, _m: str = module.__name__, **kw: Any) -> Any:
            calls.append(_m)
            return _f(*args, **kw)

        monkeypatch.setattr(module, "individual_cx_expr", counting)
    diagnose(demo.backend)
    assert calls == ["b2bcx.diagnose.data"]
