"""CX measures: individual and collective CX, agreement, reliability, scores, key drivers.

The public names are listed in ``__all__`` and imported lazily (PEP 562): ``import
b2bcx.measures`` costs nothing until a name is used, so the CLI and the API start
fast. Each name lives in one module, for example::

    from b2bcx.measures import measure_units, VerdictRule, key_drivers

Modules: ``individual`` (decayed individual CX), ``collective`` (units, verdicts),
``consensus`` (response-level agreement, variance components, rwg intervals,
reliability), ``agreement`` (rwg, rwg(j), r*wg(j), AD, awg), ``icc``, ``resampling``
(chance tests), ``verdict``, ``nps`` (NPS, CSAT, CES with intervals), ``drivers``
and ``keydrivers``, ``maps`` (stage × controller), ``breakdowns`` (trends,
splits), ``tabular`` (the pandas / Arrow / notebook mixin of the result types).

``nps()`` and ``icc()`` share their names with their modules, so they are not
re-exported here (an import of the module would replace the function on the
package): use ``from b2bcx.measures.nps import nps`` and
``from b2bcx.measures.icc import icc``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_WHERE: dict[str, str] = {
    # collective CX and its options
    "measure_units": "collective",
    "CollectiveResult": "collective",
    "AgreementOptions": "collective",
    "RoleWeights": "collective",
    "UNITS": "collective",
    "account_groups": "collective",
    "accounts_json": "collective",
    # the verdict
    "VerdictRule": "verdict",
    "verdicts": "verdict",
    "ad_cutoff": "verdict",
    "ALIGNED": "verdict",
    "UNALIGNED": "verdict",
    "TOO_FEW": "verdict",
    "NOT_PROVEN": "verdict",
    "VERDICTS": "verdict",
    # individual CX
    "DecayOptions": "individual",
    "individual_cx": "individual",
    "individual_cx_expr": "individual",
    "default_metric": "individual",
    "metric_label": "individual",
    "rating_counts": "individual",
    "experience_frame": "frame",
    # agreement and reliability
    "rwg": "agreement",
    "rwg_j": "agreement",
    "rwg_lindell": "agreement",
    "average_deviation": "agreement",
    "awg": "agreement",
    "null_variance": "agreement",
    "AgreementResult": "agreement",
    "unit_variance": "consensus",
    "rwg_bootstrap": "consensus",
    "spearman_brown": "consensus",
    "shrout_fleiss": "icc",
    "IccResult": "icc",
    "chance_p_values": "resampling",
    "random_group_agreement": "resampling",
    # scores
    "csat": "nps",
    "ces": "nps",
    "ScoreResult": "nps",
    # key drivers
    "key_drivers": "keydrivers",
    "KeyDriverResult": "keydrivers",
    "relative_weights": "drivers",
    "pairwise_relative_weights": "drivers",
    "shapley_r2": "drivers",
    "DriverResult": "drivers",
    # maps, trends, splits
    "stage_control_map": "maps",
    "StageControlMap": "maps",
    "monthly_trend": "breakdowns",
    "split": "breakdowns",
    # interchange
    "TabularMixin": "tabular",
}

__all__ = [
    "ALIGNED",
    "NOT_PROVEN",
    "TOO_FEW",
    "UNALIGNED",
    "UNITS",
    "VERDICTS",
    "AgreementOptions",
    "AgreementResult",
    "CollectiveResult",
    "DecayOptions",
    "DriverResult",
    "IccResult",
    "KeyDriverResult",
    "RoleWeights",
    "ScoreResult",
    "StageControlMap",
    "TabularMixin",
    "VerdictRule",
    "account_groups",
    "accounts_json",
    "ad_cutoff",
    "average_deviation",
    "awg",
    "ces",
    "chance_p_values",
    "csat",
    "default_metric",
    "experience_frame",
    "individual_cx",
    "individual_cx_expr",
    "key_drivers",
    "measure_units",
    "metric_label",
    "monthly_trend",
    "null_variance",
    "pairwise_relative_weights",
    "random_group_agreement",
    "rating_counts",
    "relative_weights",
    "rwg",
    "rwg_bootstrap",
    "rwg_j",
    "rwg_lindell",
    "shapley_r2",
    "shrout_fleiss",
    "spearman_brown",
    "split",
    "stage_control_map",
    "unit_variance",
    "verdicts",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'b2bcx.measures' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"b2bcx.measures.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from b2bcx.measures.agreement import (
        AgreementResult,
        average_deviation,
        awg,
        null_variance,
        rwg,
        rwg_j,
        rwg_lindell,
    )
    from b2bcx.measures.breakdowns import monthly_trend, split
    from b2bcx.measures.collective import (
        UNITS,
        AgreementOptions,
        CollectiveResult,
        RoleWeights,
        account_groups,
        accounts_json,
        measure_units,
    )
    from b2bcx.measures.consensus import rwg_bootstrap, spearman_brown, unit_variance
    from b2bcx.measures.drivers import (
        DriverResult,
        pairwise_relative_weights,
        relative_weights,
        shapley_r2,
    )
    from b2bcx.measures.frame import experience_frame
    from b2bcx.measures.icc import IccResult, shrout_fleiss
    from b2bcx.measures.individual import (
        DecayOptions,
        default_metric,
        individual_cx,
        individual_cx_expr,
        metric_label,
        rating_counts,
    )
    from b2bcx.measures.keydrivers import KeyDriverResult, key_drivers
    from b2bcx.measures.maps import StageControlMap, stage_control_map
    from b2bcx.measures.nps import ScoreResult, ces, csat
    from b2bcx.measures.resampling import chance_p_values, random_group_agreement
    from b2bcx.measures.tabular import TabularMixin
    from b2bcx.measures.verdict import (
        ALIGNED,
        NOT_PROVEN,
        TOO_FEW,
        UNALIGNED,
        VERDICTS,
        VerdictRule,
        ad_cutoff,
        verdicts,
    )
