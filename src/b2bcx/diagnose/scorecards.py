"""Partner scorecards (Witell et al. 2020, C4 lack of touchpoint control): for
each partner, the touchpoints it controls with their performance and share of
explained NPS, and the C4 findings about it. Shared by the API, the dashboard
and the management report through :class:`b2bcx.analyses.Analyses`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from b2bcx.storage import Backend

if TYPE_CHECKING:
    from b2bcx.diagnose.findings import Diagnosis
    from b2bcx.measures.keydrivers import KeyDriverResult

__all__ = ["partner_scorecards", "scorecards_from"]


def partner_scorecards(
    backend: Backend, drivers: KeyDriverResult | None, diagnosis: Diagnosis
) -> list[dict[str, Any]]:
    """The scorecards of every partner in the workspace (:func:`scorecards_from`).

    ``drivers``: the touchpoint key drivers (None when the data cannot carry
    them); ``diagnosis``: the diagnosis whose C4 findings are attached.
    """
    catalogue = backend.to_arrow(backend.table("touchpoints")).to_pandas()
    partners = backend.to_arrow(backend.table("partners")).to_pandas()
    findings = [f.to_json() for f in diagnosis.findings if f.challenge == "C4"]
    return scorecards_from(
        catalogue, partners, None if drivers is None else drivers.table, findings
    )


def scorecards_from(
    catalogue: pd.DataFrame,
    partners: pd.DataFrame,
    drivers: pd.DataFrame | None,
    findings: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """One scorecard per partner: the touchpoints it controls with their
    performance (0–100) and share of explained NPS (key drivers), and the C4
    findings about the partner or its touchpoints.

    ``catalogue``: the touchpoints table; ``partners``: the partners table;
    ``drivers``: :func:`b2bcx.measures.keydrivers.key_drivers` by touchpoints
    (``driver``, ``performance``, ``share``, ``quadrant``, ``raters``);
    ``findings``: the diagnosis' findings as JSON.
    """
    perf = (
        drivers.set_index("driver")
        if drivers is not None and not drivers.empty
        else pd.DataFrame(columns=["performance", "share", "quadrant", "raters"])
    )
    cards = []
    latest = catalogue.sort_values("valid_from", na_position="first").drop_duplicates(
        "touchpoint_id", keep="last"
    )
    for p in partners.sort_values("partner_id").to_dict("records"):
        pid = p["partner_id"]
        tps = latest[latest.partner_id == pid]
        rows = []
        for tp in tps.to_dict("records"):
            d = perf.loc[tp["touchpoint_id"]] if tp["touchpoint_id"] in perf.index else None
            rows.append(
                {
                    "touchpoint_id": tp["touchpoint_id"],
                    "name": tp["name"],
                    "stage": tp["stage"],
                    "performance": None if d is None else float(d["performance"]),
                    "share": None if d is None else float(d["share"]),
                    "quadrant": None if d is None else d["quadrant"],
                    "raters": None if d is None else int(d["raters"]),
                }
            )
        tp_ids = set(tps.touchpoint_id)
        about = [
            f
            for f in findings
            if f["challenge"] == "C4"
            and (
                (f["subject"]["kind"] == "partner" and f["subject"]["id"] == pid)
                or (f["subject"]["kind"] == "touchpoint" and f["subject"]["id"] in tp_ids)
            )
        ]
        rated = [r for r in rows if r["performance"] is not None and r["raters"]]
        weight = sum(r["raters"] for r in rated)
        cards.append(
            {
                "partner_id": pid,
                "name": p.get("name"),
                "kind": p.get("kind"),
                "touchpoints": rows,
                "performance": (
                    sum(r["performance"] * r["raters"] for r in rated) / weight if weight else None
                ),
                "findings": about,
            }
        )
    return cards
