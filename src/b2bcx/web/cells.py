"""Scores of summed activity cells for the pages under filters: by controller,
touchpoint and partner (the portfolio's and the touchpoints page's shared figures)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from b2bcx.model.tables import RATING_SCALES


def _figures(part: pd.DataFrame, low: float, high: float) -> dict[str, Any]:
    """The 0–100 score (mean rating rescaled) and response-level NPS of summed cells."""
    rated, answered = float(part["n_rated"].sum()), float(part["n_nps"].sum())
    score = (float(part["total"].sum()) / rated - low) / (high - low) * 100 if rated else None
    nps = (
        100 * float(part["promoters"].sum() - part["detractors"].sum()) / answered
        if answered
        else None
    )
    return {"score": score, "nps": nps, "n_interactions": int(part["n_interactions"].sum()),
            "n_rated": int(rated), "n_nps": int(answered)}  # fmt: skip


def _scale(cells: pd.DataFrame) -> tuple[float, float]:
    scale = RATING_SCALES[str(cells.attrs.get("metric") or "cx")]
    return float(scale.low), float(scale.high)


def controller_rows(cells: pd.DataFrame) -> list[dict[str, Any]]:
    """Per touchpoint controller (as at the interaction; None: no touchpoint
    recorded): the score, NPS and counts of ``cells``, in the order of the
    unfiltered split (by controller). Unfiltered, the same numbers as
    ``Analyses.split("controller")``."""
    low, high = _scale(cells)
    key = cells["controller"].astype(object).where(cells["controller"].notna(), None)
    out = []
    for controller in sorted(set(key), key=lambda c: (c is None, str(c))):
        part = cells[key.isna()] if controller is None else cells[key == controller]
        row = _figures(part, low, high)
        if row["n_interactions"]:
            out.append({"controller": controller, **row})
    return out


def touchpoint_rows(cells: pd.DataFrame, names: dict[str, str]) -> list[dict[str, Any]]:
    """Per touchpoint met in ``cells``: its name, score, NPS and counts, the
    lowest score first (touchpoints without a rating last)."""
    low, high = _scale(cells)
    known = cells[cells["touchpoint_id"].notna()]
    out = []
    for tp, part in known.groupby("touchpoint_id", sort=True):
        row = _figures(part, low, high)
        if row["n_interactions"]:
            out.append({"touchpoint_id": str(tp), "name": names.get(str(tp), str(tp)), **row})
    out.sort(key=lambda r: (r["score"] is None, r["score"] or 0.0, r["name"]))
    return out


def partner_rows(cells: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Partner id → the score, NPS and counts of its cells (the touchpoints it
    ran at the time of each interaction)."""
    low, high = _scale(cells)
    known = cells[cells["partner_id"].notna()]
    return {str(p): _figures(part, low, high) for p, part in known.groupby("partner_id")}
