"""The experience frame: every interaction with who had it, where and when.

One Ibis expression joins an interaction to its stakeholder (account, function,
level, centre), its account (segment, value) and the touchpoint *version valid
when it happened* (stage, controller, partner; Witell et al. 2020, dimensions
2 and 4). All measures start from it, so they run inside the engine for every
account at once.
"""

from __future__ import annotations

import datetime as _dt

import ibis
import ibis.expr.types as ir

from b2bcx.storage import Backend

#: The person's and account's columns the frame carries for every interaction.
PERSON_COLUMNS: tuple[str, ...] = (
    "account_id",
    "function",
    "level",
    "center",
    "decision_maker",
    "segment",
    "annual_value",
)

#: Every column the frame adds to the interaction's own columns.
FRAME_COLUMNS: tuple[str, ...] = (*PERSON_COLUMNS, "controller", "partner_id")


def touchpoint_periods(backend: Backend) -> ir.Table:
    """Touchpoint versions with the period each held: ``[valid_from, valid_to)``.

    A version with an empty ``valid_from`` holds from the beginning; each
    version holds until the next version of the same touchpoint.
    """
    tp = backend.table("touchpoints")
    w = ibis.window(group_by=tp.touchpoint_id, order_by=tp.valid_from.asc(nulls_first=True))
    return tp.select(
        "touchpoint_id",
        tp_stage=tp.stage,
        controller=tp.controller,
        partner_id=tp.partner_id,
        valid_from=tp.valid_from,
        valid_to=tp.valid_from.lead().over(w),
    )


def experience_frame(backend: Backend, *, as_of: _dt.datetime | None = None) -> ir.Table:
    """Interactions up to ``as_of`` joined to stakeholder, account and touchpoint version.

    Columns: the interaction's columns (``stage`` resolved from the touchpoint
    when the interaction has none) plus :data:`FRAME_COLUMNS`.
    """
    it = backend.table("interactions")
    if as_of is not None:
        it = it.filter(it.occurred_at <= ibis.literal(as_of))
    sh = backend.table("stakeholders").select(
        "stakeholder_id", "account_id", "function", "level", "center", "decision_maker"
    )
    acc = backend.table("accounts").select(
        acc_id="account_id", segment="segment", annual_value="annual_value"
    )
    tp = touchpoint_periods(backend)
    # an open end is a far date, not an OR: plain comparisons beside the equality
    # let the engine hash-join on touchpoint_id (an OR made DuckDB loop over pairs)
    tp = tp.mutate(
        _from=tp.valid_from.coalesce(ibis.literal(_dt.date(1, 1, 1))),
        _to=tp.valid_to.coalesce(ibis.literal(_dt.date(9999, 12, 31))),
    )
    day = it.occurred_at.date()
    joined = it.left_join(
        tp,
        [it.touchpoint_id == tp.touchpoint_id, tp._from <= day, day < tp._to],
    )
    joined = joined.select(
        *[c for c in it.columns if c not in ("stage", "attributes", "_batch_id")],
        stage=it.stage.coalesce(tp.tp_stage),
        controller=tp.controller,
        partner_id=tp.partner_id,
    )
    joined = joined.inner_join(sh, "stakeholder_id")
    joined = joined.left_join(acc, joined.account_id == acc.acc_id).drop("acc_id")
    return joined
