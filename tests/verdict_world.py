"""A tiny workspace of ratings, for the tests of the verdict *agreement not
proven* (``tests/measures/test_verdict_not_proven.py``,
``tests/web/test_verdict_not_proven_web.py``,
``tests/report/test_report_verdicts.py``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa

import b2bcx

#: The G2 export's situation: three organizations whose three reviewers all
#: give 10, among twelve single reviewers who give 9 or 10 as well.
G2_LIKE: dict[str, dict[str, list[float]]] = {
    **{f"T{k}": {f"t{k}-{j}": [10.0] for j in range(3)} for k in range(3)},
    **{f"S{k}": {f"s{k}": [9.0 + k % 2]} for k in range(12)},
}


def ratings_workspace(path: Path, people: dict[str, dict[str, list[float]]]) -> b2bcx.Workspace:
    """An open workspace at ``path`` with ``people``: account → stakeholder → cx
    ratings (one interaction each, a day apart)."""
    w = b2bcx.open_workspace(path)
    b = w.backend
    b.append("accounts", pa.table({"account_id": list(people)}))
    sh = [(s, a) for a, ps in people.items() for s in ps]
    b.append(
        "stakeholders",
        pa.table({"stakeholder_id": [s for s, _ in sh], "account_id": [a for _, a in sh]}),
    )
    rows = [
        (f"{s}-{i}", s, dt.datetime(2024, 1, 1 + i), float(v))
        for ps in people.values()
        for s, ratings in ps.items()
        for i, v in enumerate(ratings)
    ]
    b.append(
        "interactions",
        pa.table({
            "interaction_id": [r[0] for r in rows], "stakeholder_id": [r[1] for r in rows],
            "occurred_at": [r[2] for r in rows], "cx": pa.array([r[3] for r in rows], pa.float64()),
        }),
    )  # fmt: skip
    return w
