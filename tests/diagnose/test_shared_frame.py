"""One experience frame per diagnosis (issue 22): built and materialized once,
read by every aggregate, the risk score's agreement, the key drivers and the
priorities, and dropped from the engine afterwards; the measures computed on it
equal the measures computed on their own."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

import b2bcx
from b2bcx.diagnose import diagnose
from b2bcx.diagnose.data import (
    PROMISE_BROKEN,
    PROMISE_MADE,
    prepare,
    shared_frame,
    with_people,
)
from b2bcx.diagnose.options import DiagnoseOptions
from b2bcx.measures.frame import experience_frame
from b2bcx.measures.individual import DecayOptions, resolve_as_of
from b2bcx.model.enums import BUYING_STAGES, USAGE_STAGES
from demo_workspace import demo_workspace, forbidden


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[b2bcx.Workspace]:
    yield from demo_workspace(tmp_path_factory.mktemp("shared"))


_boom = forbidden("the experience frame was built again")


def test_the_measures_read_the_shared_frame_not_a_new_one(
    demo: b2bcx.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from b2bcx.measures import collective, individual, keydrivers

    expected = diagnose(demo.backend).to_dict()
    # the measures' own frame builders must not run inside a portfolio diagnosis
    for module in (collective, individual, keydrivers):
        monkeypatch.setattr(module, "experience_frame", _boom)
    assert diagnose(demo.backend).to_dict() == expected
    # a one-account diagnosis still measures the portfolio's agreement itself
    with pytest.raises(AssertionError, match="built again"):
        diagnose(demo.backend, account_id="ACC-00000")


def test_one_materialization_of_the_joined_frame_per_diagnosis(
    demo: b2bcx.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ibis.expr.types.relations as relations

    made: list[list[str]] = []
    cache = relations.Table.cache

    def counting(self: Any) -> Any:
        made.append(list(self.columns))
        return cache(self)

    monkeypatch.setattr(relations.Table, "cache", counting)
    diagnose(demo.backend)
    joined = [cols for cols in made if "_made" in cols]
    assert len(joined) == 1  # the shared frame; the residual frame is cached from it
    assert "comment" not in joined[0] and "account_id" in joined[0]


def _temporary_tables(ws: b2bcx.Workspace) -> int:
    return int(ws.backend.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary")[0][0])


def test_nothing_is_left_in_the_engine(demo: b2bcx.Workspace) -> None:
    b = demo.backend
    before = _temporary_tables(demo)
    diagnose(b)
    diagnose(b, account_id="ACC-00001", challenges=["C1"])
    assert _temporary_tables(demo) == before
    prep = prepare(b, DiagnoseOptions(), keep_frame=True)
    assert prep.frame is not None and prep.frame_is_portfolio
    assert _temporary_tables(demo) == before + 1  # kept until released
    prep.release()
    prep.release()  # idempotent
    assert prep.frame is None
    assert _temporary_tables(demo) == before
    one = prepare(b, DiagnoseOptions(), account_id="ACC-00001", keep_frame=True)
    assert one.frame is not None and not one.frame_is_portfolio
    one.release()
    assert _temporary_tables(demo) == before


def test_measures_on_the_shared_frame_equal_their_own(demo: b2bcx.Workspace) -> None:
    from b2bcx.measures.collective import AgreementOptions, measure_units
    from b2bcx.measures.keydrivers import key_drivers

    b = demo.backend
    stamp = resolve_as_of(b, None)
    frame = shared_frame(b, stamp)
    try:
        kwargs: dict[str, Any] = {
            "by": "account",
            "decay": DecayOptions(as_of=stamp),
            "agreement": AgreementOptions(chance_reps=0, interval_reps=0),
        }
        own = measure_units(b, **kwargs)
        # the person's columns are joined back to the shared frame for the measures
        shared = measure_units(b, frame=with_people(b, frame), **kwargs)
        pd.testing.assert_frame_equal(shared.units, own.units, rtol=1e-12)
        assert len(own.units) > 10
        for kind in ("goals", "touchpoints"):
            a = key_drivers(b, drivers=kind, n_boot=0, as_of=stamp)
            c = key_drivers(b, drivers=kind, n_boot=0, as_of=stamp, frame=frame)
            pd.testing.assert_frame_equal(c.table, a.table, rtol=1e-10)
            assert c.n == a.n
    finally:
        frame.release()


def test_promise_flags_match_a_python_reading_of_the_comments(demo: b2bcx.Workspace) -> None:
    b = demo.backend
    stamp = resolve_as_of(b, None)
    prep = prepare(b, DiagnoseOptions())
    f = experience_frame(b, as_of=stamp)
    rows = pd.DataFrame(
        f.filter(f.comment.notnull() & f.stage.notnull())
        .select("account_id", "stage", "comment")
        .to_pandas()
    )
    buying = {s.value for s in BUYING_STAGES}
    usage = {s.value for s in USAGE_STAGES}
    low = rows.comment.str.lower()
    made_re, broken_re = re.compile(PROMISE_MADE), re.compile(PROMISE_BROKEN)
    pairs = list(zip(low, rows.stage, strict=True))
    rows["made"] = [bool(made_re.search(c)) and s in buying for c, s in pairs]
    rows["broken"] = [bool(broken_re.search(c)) and s in usage for c, s in pairs]
    expected = rows.groupby("account_id").agg(
        made=("made", "sum"), broken=("broken", "sum"), comments=("made", "size")
    )
    got = prep.promises.set_index("account_id").sort_index()[["made", "broken", "comments"]]
    assert int(expected.made.sum()) > 0 and int(expected.broken.sum()) > 0
    pd.testing.assert_frame_equal(
        got.astype("int64"), expected.sort_index().astype("int64"), check_names=False
    )
