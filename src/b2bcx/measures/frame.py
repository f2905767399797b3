"""The experience frame: every interaction with who had it, where and when.

One Ibis expression joins an interaction to its stakeholder (account, function,
level, centre), its account (segment, value) and the touchpoint *version valid
when it happened* (stage, controller, partner; Witell et al. 2020, dimensions
2 and 4). All measures start from it, so they run inside the engine for every
account at once.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

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


def experience_frame(
    backend: Backend,
    *,
    as_of: _dt.datetime | None = None,
    person_columns: Sequence[str] = PERSON_COLUMNS,
) -> ir.Table:
    """Interactions up to ``as_of`` joined to stakeholder, account and touchpoint version.

    Columns: the interaction's columns (``stage`` resolved from the touchpoint
    when the interaction has none) plus :data:`FRAME_COLUMNS`.

    ``person_columns`` narrows the person's and account's columns to those named
    (of :data:`PERSON_COLUMNS`; ``account_id`` is always there): the accounts are
    joined only when ``segment`` or ``annual_value`` is asked for, and only the
    stakeholder columns asked for are read (the diagnosis's shared frame joins
    them back per person instead of carrying them per interaction).
    """
    it = backend.table("interactions")
    if as_of is not None:
        it = it.filter(it.occurred_at <= ibis.literal(as_of))
    wanted = set(person_columns)
    sh_cols = [c for c in ("function", "level", "center", "decision_maker") if c in wanted]
    sh = backend.table("stakeholders").select("stakeholder_id", "account_id", *sh_cols)
    acc_cols = [c for c in ("segment", "annual_value") if c in wanted]
    tp = touchpoint_periods(backend)
    # an open end is a far date, not an OR: plain comparisons beside the equality
    # let the engine hash-join on touchpoint_id (an OR made DuckDB loop over pairs)
    # the bounds as timestamps (midnight of the day), compared with the time
    # itself: on or after midnight of valid_from is on or after that day, before
    # midnight of the next version's day is before that day; the few versions are
    # cast, not every interaction's time
    tp = tp.mutate(
        _from=tp.valid_from.coalesce(ibis.literal(_dt.date(1, 1, 1))).cast("timestamp"),
        _to=tp.valid_to.coalesce(ibis.literal(_dt.date(9999, 12, 31))).cast("timestamp"),
    )
    at = it.occurred_at
    joined = it.left_join(
        tp,
        [it.touchpoint_id == tp.touchpoint_id, tp._from <= at, at < tp._to],
    )
    joined = joined.select(
        *[c for c in it.columns if c not in ("stage", "attributes", "_batch_id")],
        stage=it.stage.coalesce(tp.tp_stage),
        controller=tp.controller,
        partner_id=tp.partner_id,
    )
    joined = joined.inner_join(sh, "stakeholder_id")
    if not acc_cols:
        return joined
    acc = backend.table("accounts").select("account_id", *acc_cols)
    acc = acc.rename(acc_id="account_id")
    joined = joined.left_join(acc, joined.account_id == acc.acc_id).drop("acc_id")
    return joined
