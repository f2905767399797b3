"""The demo world: valid per the format, reproducible, and its truths are visible."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import b2bcx
from b2bcx.demo import generate_world
from b2bcx.errors import ConfigurationError
from b2bcx.model.tables import TABLES


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], pd.DataFrame]:
    out = tmp_path_factory.mktemp("demo")
    generate_world(out, size=40_000, seed=11)
    truth = json.loads((out / "truth.json").read_text())
    frame = pd.read_csv(out / "interactions.csv").merge(
        pd.read_csv(out / "stakeholders.csv"), on="stakeholder_id"
    )
    return out, truth, frame


def test_every_file_is_a_valid_bundle_table(
    world: tuple[Path, dict[str, Any], pd.DataFrame],
) -> None:
    out, _, _ = world
    for f in out.glob("*.csv"):
        header = f.read_text().splitlines()[0].replace('"', "").split(",")
        assert f.stem in TABLES
        assert set(header) <= set(TABLES[f.stem].column_names), f.name
    # the real importer is the judge: every row passes, nothing is rejected
    ws = b2bcx.open_workspace(":memory:")
    result = ws.import_bundle(out)
    assert result.n_rejected == 0 and result.warnings == ()
    assert result.tables["interactions"].inserted > 35_000
    assert set(TABLES) == set(result.tables)  # every table of the format is populated


def test_same_seed_same_bytes_other_seed_other_world(tmp_path: Path) -> None:
    a = generate_world(tmp_path / "a", size=1500, seed=3)
    generate_world(tmp_path / "b", size=1500, seed=3)
    generate_world(tmp_path / "c", size=1500, seed=4)
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    match, mismatch, _ = filecmp.cmpfiles(tmp_path / "a", tmp_path / "b", names, shallow=False)
    assert mismatch == [] and match == names
    assert not filecmp.cmp(tmp_path / "a" / "interactions.csv", tmp_path / "c" / "interactions.csv")
    assert a.rows["interactions"] > 1000


def test_size_is_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="at least 100"):
        generate_world(tmp_path, size=10)


def _ids(items: list[dict[str, Any]]) -> set[str]:
    return {i["account_id"] for i in items}


def test_siloed_accounts_split_between_functions(
    world: tuple[Path, dict[str, Any], pd.DataFrame],
) -> None:
    _, truth, f = world
    by = (
        f[f.function.isin(["production", "maintenance"])]
        .groupby(["account_id", "function"])
        .cx.mean()
    )
    gap = (by.xs("production", level=1) - by.xs("maintenance", level=1)).dropna()
    siloed = gap[gap.index.isin(_ids(truth["c2_siloed"]))]
    others = gap[~gap.index.isin(_ids(truth["c2_siloed"]))]
    assert siloed.mean() > 3.0 and abs(others.mean()) < 1.0


def test_unaligned_accounts_spread_more(world: tuple[Path, dict[str, Any], pd.DataFrame]) -> None:
    _, truth, f = world
    per_person = f.groupby(["account_id", "stakeholder_id"]).cx.mean()
    sd = per_person.groupby(level=0).std()
    assert (
        sd[sd.index.isin(truth["unaligned"])].mean()
        > 1.5 * sd[sd.index.isin(truth["aligned"])].mean()
    )


def test_weak_partner_touchpoints_score_lower(
    world: tuple[Path, dict[str, Any], pd.DataFrame],
) -> None:
    _, truth, f = world
    weak = set(truth["c4_weak_partner"][0]["touchpoints"])
    service = f[f.touchpoint_id.isin(["TP-SVC-1", "TP-SVC-2"])]
    means = service.groupby(service.touchpoint_id.isin(weak)).cx.mean()
    assert means[False] - means[True] > 1.5


def test_declining_accounts_trend_down_and_churners_score_low(
    world: tuple[Path, dict[str, Any], pd.DataFrame],
) -> None:
    out, truth, f = world
    when = pd.to_datetime(f.occurred_at)
    f = f.assign(t=(when - when.min()).dt.total_seconds() / 86400 / 365)
    slopes = (
        f.dropna(subset=["cx"])
        .groupby("account_id")
        .apply(lambda g: np.polyfit(g.t, g.cx, 1)[0], include_groups=False)
    )
    declining = slopes[slopes.index.isin(_ids(truth["c5_declining"]))]
    assert declining.mean() < -0.5 < slopes[~slopes.index.isin(declining.index)].mean()
    mean_cx = f.groupby("account_id").cx.mean()
    churned = _ids(truth["churned"])
    assert churned, "the world has churned accounts"
    assert (
        mean_cx[mean_cx.index.isin(churned)].mean() < mean_cx[~mean_cx.index.isin(churned)].mean()
    )
    outcomes = pd.read_csv(out / "outcomes.csv")
    assert set(outcomes[outcomes.kind == "churn"].account_id) == churned


def test_stage_mismatch_lost_contact_and_promises(
    world: tuple[Path, dict[str, Any], pd.DataFrame],
) -> None:
    _, truth, f = world
    stage = f.touchpoint_id.map(
        pd.read_csv(world[0] / "touchpoints.csv")
        .drop_duplicates("touchpoint_id")
        .set_index("touchpoint_id")
        .stage
    )
    f = f.assign(buying=stage.isin(["pre_bid", "negotiation"]))
    gap = f.groupby(["account_id", "buying"]).cx.mean().unstack()
    diff = gap[True] - gap[False]
    c3 = _ids(truth["c3_stage_mismatch"])
    assert diff[diff.index.isin(c3)].mean() > diff[~diff.index.isin(c3)].mean() + 2
    broken = {c["account_id"] for c in truth["c3_stage_mismatch"] if c["promise_broken"]}
    promised = f[f.comment.fillna("").str.contains("never materialised")].account_id
    assert set(promised) <= broken and set(promised)
    supplier = {"TP-SALESV", "TP-CONFIG", "TP-QUOTE", "TP-CONTRACT", "TP-INSTALL", "TP-TRAIN",
                "TP-SVC", "TP-PARTS", "TP-MONITOR", "TP-REVIEW", "TP-BILLING"}  # fmt: skip
    for item in truth["c4_lost_direct_contact"]:
        later = f[(f.account_id == item["account_id"]) & (f.occurred_at >= item["since"])]
        assert not later.touchpoint_id.isin(supplier).any()
        assert later.touchpoint_id.isin(["TP-SVC-1", "TP-SVC-2"]).any()


def test_comments_are_varied_business_language(
    world: tuple[Path, dict[str, Any], pd.DataFrame],
) -> None:
    _, _, f = world
    comments = f.comment.dropna()
    assert 0.2 < len(comments) / len(f) < 0.6
    assert comments.nunique() > 300
    assert (
        comments.str.contains("technician|commissioning|spare parts|quote", case=False).mean() > 0.2
    )
