"""The diagnosis' ranked priorities grouped one way for every reader.

The dashboard's causes, the report's priority list and executive actions and
the plan's "act first" lines all show the same grouping of
:func:`b2bcx.diagnose.risk.priorities`: one group per touchpoint and controller
(who ran the touchpoint when the poor experiences happened), in the order of each
group's best rank. A touchpoint handed over (from the supplier to a partner, say)
carries priority rows of two controllers; they stay two groups, because each
row's action says with whom to fix it ("in house", "with the partner that runs
it") and one group must not show one owner beside another owner's action.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from typing import Any

from b2bcx.diagnose.findings import Priority

__all__ = ["PriorityGroup", "group_priorities", "priority_field"]


def priority_field(row: Mapping[str, Any] | Priority | Any, name: str) -> Any:
    """A field of a priority given as a mapping (``to_dict()``, the JSON) or as an
    object (:class:`~b2bcx.diagnose.findings.Priority`); None when absent."""
    if isinstance(row, Mapping):
        return row.get(name)
    return getattr(row, name, None)


def _said(value: Any) -> str:
    """A key's text: '' for None or NaN (a missing controller or touchpoint)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


@dataclasses.dataclass(frozen=True, kw_only=True)
class PriorityGroup:
    """The ranked priorities at one touchpoint run by one controller.

    Attributes
    ----------
    rank : int
        The best (lowest) rank of the group's priorities.
    touchpoint_id : str
    touchpoint : str
        The top row's touchpoint name (its id when it has none).
    stage : str
        The top row's stage ('' when none).
    controller : str
        Who ran the touchpoint for these rows ('' when not said).
    goals : tuple of str
        The goals served poorly there, in rank order, each once.
    ranks : tuple of int
        The group's ranks, ascending.
    accounts : int
        The most accounts behind one of the group's priorities.
    action : str
        The top row's action (as the diagnosis words it).
    rows : tuple
        The group's priorities, ranked, as given (mappings or :class:`Priority`).
    handover : bool
        Whether the touchpoint also has priorities under another controller (a
        touchpoint handed over within the period: its rows form one group per
        controller).
    """

    rank: int
    touchpoint_id: str
    touchpoint: str
    stage: str
    controller: str
    goals: tuple[str, ...]
    ranks: tuple[int, ...]
    accounts: int
    action: str
    rows: tuple[Any, ...]
    handover: bool = False


def group_priorities(
    priorities: Iterable[Mapping[str, Any] | Priority],
) -> tuple[PriorityGroup, ...]:
    """The ranked priorities grouped by touchpoint and controller, in the order of
    each group's best rank (rows of equal rank keep their given order).

    Parameters
    ----------
    priorities
        The diagnosis' priorities: ``Diagnosis.priorities`` or their ``to_dict()``
        rows (``rank``, ``touchpoint_id``, ``touchpoint``, ``stage``,
        ``controller``, ``goal``, ``accounts``, ``action``).

    Returns
    -------
    tuple of PriorityGroup

    Examples
    --------
    >>> rows = [{"rank": 2, "touchpoint_id": "T1", "controller": "partner", "goal": "b"},
    ...         {"rank": 1, "touchpoint_id": "T1", "controller": "supplier", "goal": "a"},
    ...         {"rank": 3, "touchpoint_id": "T1", "controller": "partner", "goal": "c"}]
    >>> [(g.controller, g.goals, g.ranks, g.handover) for g in group_priorities(rows)]
    [('supplier', ('a',), (1,), True), ('partner', ('b', 'c'), (2, 3), True)]
    """
    ranked = sorted(priorities, key=lambda p: int(priority_field(p, "rank") or 0))
    groups: dict[tuple[str, str], list[Any]] = {}
    for p in ranked:
        key = (_said(priority_field(p, "touchpoint_id")), _said(priority_field(p, "controller")))
        groups.setdefault(key, []).append(p)
    controllers: dict[str, int] = {}
    for tp, _ in groups:
        controllers[tp] = controllers.get(tp, 0) + 1
    out: list[PriorityGroup] = []
    for (tp, controller), rows in groups.items():
        top = rows[0]
        goals = [_said(priority_field(r, "goal")) for r in rows]
        out.append(
            PriorityGroup(
                rank=int(priority_field(top, "rank") or 0),
                touchpoint_id=tp,
                touchpoint=_said(priority_field(top, "touchpoint")) or tp,
                stage=_said(priority_field(top, "stage")),
                controller=controller,
                goals=tuple(dict.fromkeys(g for g in goals if g)),
                ranks=tuple(int(priority_field(r, "rank") or 0) for r in rows),
                accounts=max(int(priority_field(r, "accounts") or 0) for r in rows),
                action=_said(priority_field(top, "action")),
                rows=tuple(rows),
                handover=controllers[tp] > 1,
            )
        )
    return tuple(out)
