"""The dashboard's handling of the fourth verdict, *agreement not proven*: its
own badge, its place among the filter's choices, the filter keeps it, and the
"aligned" tile counts it like *too few respondents* (in the total, not aligned)."""

from __future__ import annotations

from b2bcx.measures.verdict import ALIGNED, NOT_PROVEN, TOO_FEW, UNALIGNED, VERDICTS
from b2bcx.server.views import AccountFilters, account_tiles, filter_accounts, filter_options
from b2bcx.web.render import environment

ROWS = [
    {"account_id": "A", "verdict": TOO_FEW, "cx": 90.0, "risk": None},
    {"account_id": "B", "verdict": NOT_PROVEN, "cx": 100.0, "risk": 0.1},
    {"account_id": "C", "verdict": ALIGNED, "cx": 70.0, "risk": 0.2},
    {"account_id": "D", "verdict": NOT_PROVEN, "cx": 95.0, "risk": 0.1},
    {"account_id": "E", "verdict": UNALIGNED, "cx": 40.0, "risk": 0.8},
]


class _Cache:
    def get(self, key: str) -> object:
        return []  # no monthly series


def test_filter_choices_follow_the_rule_order() -> None:
    options = filter_options(_Cache(), ROWS)  # type: ignore[arg-type]
    assert options["verdict"] == [ALIGNED, NOT_PROVEN, UNALIGNED, TOO_FEW]
    assert list(VERDICTS) == options["verdict"]


def test_the_filter_keeps_not_proven_accounts() -> None:
    kept = filter_accounts(_Cache(), ROWS, AccountFilters(verdict=NOT_PROVEN))  # type: ignore[arg-type]
    assert [r["account_id"] for r in kept] == ["B", "D"]


def test_the_aligned_tile_counts_not_proven_like_too_few() -> None:
    tiles = account_tiles(ROWS)
    assert tiles["n_accounts"] == 5 and tiles["n_aligned"] == 1
    only_unproven = account_tiles([r for r in ROWS if r["verdict"] in (NOT_PROVEN, TOO_FEW)])
    assert only_unproven["n_aligned"] == 0 and only_unproven["n_accounts"] == 3


def _badge(verdict: str | None) -> str:
    template = environment().from_string('{% from "macros.html" import verdict %}{{ verdict(v) }}')
    return template.render(v=verdict).strip()


def test_each_verdict_has_its_own_badge() -> None:
    badges = {v: _badge(v) for v in VERDICTS}
    assert 'class="pill unproven"' in badges[NOT_PROVEN]
    assert "agreement not proven</span>" in badges[NOT_PROVEN]
    assert "no more alike than people drawn at random" in badges[NOT_PROVEN]
    assert 'class="pill good"' in badges[ALIGNED] and 'class="pill bad"' in badges[UNALIGNED]
    assert len(set(badges.values())) == 4
    assert "good" not in badges[NOT_PROVEN] and "bad" not in badges[NOT_PROVEN]
