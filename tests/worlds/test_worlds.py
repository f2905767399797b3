"""The independent world generator (benchmarks/worlds): bundles import cleanly,
worlds are deterministic, null worlds plant nothing, planted effects show in the
raw files in their planted direction, and the nuisances exist.

Every check on the data uses plain pandas on the bundle's CSV files, never
b2bcx's detectors.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # benchmarks/ is a folder beside src/, not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks.worlds import WorldSpec, generate_world  # noqa: E402

import b2bcx  # noqa: E402

USAGE = {"implementation", "operations"}


def _read(folder: Path) -> dict[str, pd.DataFrame]:
    return {
        p.stem: pd.read_csv(p, keep_default_na=False, na_values=[""]) for p in folder.glob("*.csv")
    }


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("planted")
    spec = WorldSpec(accounts=60, seed=3, effect="strong", share=0.15, drop_probability=0.0)
    return folder, generate_world(folder, spec)


@pytest.fixture(scope="module")
def null(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("null")
    spec = WorldSpec(accounts=40, seed=5, null=True, drop_probability=0.0)
    return folder, generate_world(folder, spec)


def _import(folder: Path) -> Any:
    with b2bcx.open_workspace(":memory:") as ws:
        return ws.import_bundle(folder)


@pytest.mark.parametrize("which", ["planted", "null"])
def test_bundle_imports_with_no_rejects(which: str, request: pytest.FixtureRequest) -> None:
    folder, truth = request.getfixturevalue(which)
    result = _import(folder)
    assert result.status == "committed"
    assert result.n_rejected == 0
    assert result.tables["interactions"].read == truth["generator"]["interactions"] > 1000


def test_world_without_optional_columns_imports(tmp_path: Path) -> None:
    truth = generate_world(tmp_path, WorldSpec(accounts=12, seed=1, drop_probability=1.0))
    assert len(truth["generator"]["dropped_columns"]) == 8
    header = (tmp_path / "stakeholders.csv").read_text().splitlines()[0].split(",")
    assert "unit" not in header and "level" not in header
    assert _import(tmp_path).n_rejected == 0


def test_deterministic_per_seed(tmp_path: Path) -> None:
    spec = WorldSpec(accounts=15, seed=11)
    generate_world(tmp_path / "a", spec)
    generate_world(tmp_path / "b", spec)
    generate_world(tmp_path / "c", WorldSpec(accounts=15, seed=12))
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert "truth.json" in files and "interactions.csv" in files
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a" / "interactions.csv").read_bytes() != (
        tmp_path / "c" / "interactions.csv"
    ).read_bytes()


def test_null_world_plants_nothing(null: tuple[Path, dict[str, Any]]) -> None:
    folder, truth = null
    assert truth["planted"] == []
    assert truth["churn"] == []
    t = _read(folder)
    acc = t["accounts"].dropna(subset=["relationship_expected"])
    assert len(acc) > 0
    assert (acc["relationship_intended"] == acc["relationship_expected"]).all()
    assert t["touchpoints"]["touchpoint_id"].is_unique  # no control change
    assert not (t["outcomes"]["kind"] == "churn").any()


def test_truth_is_matchable(planted: tuple[Path, dict[str, Any]]) -> None:
    _, truth = planted
    items = truth["planted"]
    accounts = [p for p in items if p["account_id"] is not None]
    assert {p["challenge"] for p in accounts} == {"C1", "C2", "C3", "C4", "C5"}
    assert len({p["account_id"] for p in accounts}) == len(accounts)  # one per account
    for p in items:
        assert {"challenge", "account_id", "subject", "effect", "effect_size", "direction"} <= set(
            p
        )
        assert p["effect"] == "strong" and p["effect_size"] == pytest.approx(1.2)
    assert {p["direction"] for p in items} == {"down", "up"}  # improvements as well as declines
    portfolio = {p["subject"]["kind"] for p in items if p["account_id"] is None}
    assert portfolio == {"partner", "touchpoint"}


def _rated(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    x = t["interactions"].dropna(subset=["cx"]).merge(t["stakeholders"], on="stakeholder_id")
    x["day"] = pd.to_datetime(x["occurred_at"])
    return x


def _by(truth: dict[str, Any], challenge: str) -> list[dict[str, Any]]:
    """Account items of one challenge whose change shows in the data (not churned before)."""
    return [
        p
        for p in truth["planted"]
        if p["challenge"] == challenge
        and p["account_id"]
        and (p["observable"] or challenge == "C1")
    ]


def _sign(p: dict[str, Any]) -> int:
    return -1 if p["direction"] == "down" else 1


def test_c1_mismatch_and_relational_goals(planted: tuple[Path, dict[str, Any]]) -> None:
    folder, truth = planted
    t = _read(folder)
    items = _by(truth, "C1")
    ids = {p["account_id"] for p in items}
    acc = t["accounts"].set_index("account_id")
    assert (acc.loc[list(ids), "relationship_intended"] == "transactional").all()
    unstated = acc["relationship_expected"].isna()
    for p in items:
        if p["stated"]:
            assert acc.at[p["account_id"], "relationship_expected"] == "relational"
        else:
            assert unstated[p["account_id"]]
    g = t["goals"].merge(t["stakeholders"][["stakeholder_id", "account_id"]], on="stakeholder_id")
    g = g[g["goal"].isin(["relationships", "empowerment"])]
    transactional = set(acc.index[acc["relationship_intended"] == "transactional"]) - ids
    mean_c1 = g[g["account_id"].isin(ids)]["importance"].mean()
    mean_other = g[g["account_id"].isin(transactional)]["importance"].mean()
    assert mean_c1 - mean_other > 0.5  # 0.9 · d = 1.08 planted


def test_c2_silo_group_differs_from_rest(planted: tuple[Path, dict[str, Any]]) -> None:
    folder, truth = planted
    x = _rated(_read(folder))
    gaps = []
    for p in _by(truth, "C2"):
        a = x[x["account_id"] == p["account_id"]]
        inside = a["function"] == p["subject"]["group"]
        gaps.append(_sign(p) * (a.loc[inside, "cx"].mean() - a.loc[~inside, "cx"].mean()))
    assert np.mean(gaps) > 1.0  # d = 1.2 SD ≈ 2.2 points planted
    assert np.mean(np.array(gaps) > 0) >= 0.75


def test_c3_usage_and_buying_stages_differ(planted: tuple[Path, dict[str, Any]]) -> None:
    folder, truth = planted
    x = _rated(_read(folder))
    x["usage"] = x["stage"].isin(USAGE)
    per = x.groupby(["account_id", "usage"])["cx"].mean().unstack()
    gap = per[True] - per[False]
    items = _by(truth, "C3")
    planted_ids = {p["account_id"] for p in truth["planted"] if p["account_id"]}
    norm = gap[~gap.index.isin(planted_ids)].median()  # stage baseline of clean accounts
    signed = [_sign(p) * (gap[p["account_id"]] - norm) for p in items]
    assert np.mean(signed) > 1.0
    assert np.mean(np.array(signed) > 0) >= 0.75


def test_c4_partner_takes_over_contact(planted: tuple[Path, dict[str, Any]]) -> None:
    folder, truth = planted
    t = _read(folder)
    x = t["interactions"].merge(t["stakeholders"], on="stakeholder_id")
    ctl = t["touchpoints"].drop_duplicates("touchpoint_id").set_index("touchpoint_id")["controller"]
    x["supplier"] = x["touchpoint_id"].map(ctl) == "supplier"
    x["day"] = pd.to_datetime(x["occurred_at"])
    drops = []
    for p in _by(truth, "C4"):
        a = x[x["account_id"] == p["account_id"]]
        after = a["day"] >= pd.Timestamp(p["since"])
        drops.append(a.loc[~after, "supplier"].mean() - a.loc[after, "supplier"].mean())
    assert min(drops) > 0.3  # strong: the partner takes over all supplier contact
    weak = next(p for p in truth["planted"] if p["subject"]["kind"] == "partner")
    r = _rated(t)
    impl = r[r["stage"] == "implementation"]
    theirs = impl["touchpoint_id"].isin(weak["subject"]["touchpoints"])
    assert impl.loc[theirs, "cx"].mean() < impl.loc[~theirs, "cx"].mean() - 1.0


def test_c5_changes_in_planted_direction(planted: tuple[Path, dict[str, Any]]) -> None:
    folder, truth = planted
    t = _read(folder)
    x = _rated(t)
    signed = []
    for p in _by(truth, "C5"):
        if p["mechanism"] == "goal_shift":
            continue
        a = x[x["account_id"] == p["account_id"]]
        after = a["day"] >= pd.Timestamp(p["since"])
        signed.append(_sign(p) * (a.loc[after, "cx"].mean() - a.loc[~after, "cx"].mean()))
    assert len(signed) >= 5
    assert np.mean(signed) > 0.8
    tp = next(p for p in truth["planted"] if p["subject"]["kind"] == "touchpoint")
    at = x[x["touchpoint_id"] == tp["subject"]["id"]]
    after = at["day"] >= pd.Timestamp(tp["since"])
    assert _sign(tp) * (at.loc[after, "cx"].mean() - at.loc[~after, "cx"].mean()) > 0.8
    changes = t["touchpoints"][t["touchpoints"]["touchpoint_id"] == tp["subject"]["id"]]
    assert list(changes["controller"]) == ["supplier", "partner"]


def test_c5_goal_shift_shows_in_goal_importance(tmp_path: Path) -> None:
    spec = WorldSpec(accounts=60, seed=4, effect="strong", share=0.15, drop_probability=0.0)
    truth = generate_world(tmp_path, spec)
    t = _read(tmp_path)
    g = t["goals"].merge(t["stakeholders"][["stakeholder_id", "account_id"]], on="stakeholder_id")
    items = [p for p in _by(truth, "C5") if p["mechanism"] == "goal_shift"]
    assert items
    signed = []
    for p in items:
        mine = g[(g["account_id"] == p["account_id"]) & (g["goal"] == p["goal"])]
        after = pd.to_datetime(mine["asked_at"]) >= pd.Timestamp(p["since"])
        change = mine.loc[after, "importance"].mean() - mine.loc[~after, "importance"].mean()
        signed.append(_sign(p) * change)
    assert np.mean(signed) > 0.5  # 1.2 · d = 1.44 planted (rounded and clipped to 1–5)


def test_nuisance_serial_correlation_in_null_world(null: tuple[Path, dict[str, Any]]) -> None:
    folder, _ = null
    x = _rated(_read(folder))
    x["month"] = x["day"].dt.to_period("M")
    m = x.groupby(["account_id", "month"])["cx"].mean().rename("cx").reset_index()
    m["resid"] = m["cx"] - m.groupby("account_id")["cx"].transform("mean")
    m = m.sort_values(["account_id", "month"])
    prev = m.groupby("account_id")["resid"].shift(1)
    consecutive = m["month"] - m.groupby("account_id")["month"].shift(1) == pd.offsets.MonthEnd(1)
    ok = prev.notna() & consecutive.fillna(False)
    r = np.corrcoef(m.loc[ok, "resid"], prev[ok])[0, 1]
    assert r > 0.05  # AR(1) shocks with φ = 0.6 under ~2-point rating noise


def test_nuisance_turnover_groups_and_confounding(null: tuple[Path, dict[str, Any]]) -> None:
    folder, _ = null
    t = _read(folder)
    s = t["stakeholders"]
    assert s["active_to"].notna().mean() > 0.1  # people leave …
    first = s.groupby(["account_id", "function"])["active_from"].transform("min")
    assert (s["active_from"] > first).any()  # … and are replaced
    active = (
        s[s["active_to"].isna()].groupby(["account_id", "function"]).size().unstack(fill_value=0)
    )
    assert active["it"].min() >= 2 and active["finance"].max() <= 1
    x = t["interactions"].merge(s, on="stakeholder_id")
    ctl = t["touchpoints"].set_index("touchpoint_id")["controller"]
    x["controller"] = x["touchpoint_id"].map(ctl)
    partner, supplier = x[x["controller"] == "partner"], x[x["controller"] == "supplier"]
    # controller confounded with stage and with function
    assert (partner["stage"] == "implementation").mean() > (
        supplier["stage"] == "implementation"
    ).mean() + 0.2
    assert (partner["function"] == "it").mean() > (supplier["function"] == "it").mean()
    # people meet the supplier only at their own stages
    buying_people = x[x["center"] == "buying"]
    assert not buying_people["stage"].isin(["implementation"]).any()
    usage_people = x[x["center"] == "usage"]
    assert not usage_people["stage"].isin(["pre_bid", "negotiation"]).any()


def test_truth_json_on_disk_matches_return(planted: tuple[Path, dict[str, Any]]) -> None:
    folder, truth = planted
    assert json.loads((folder / "truth.json").read_text()) == truth
