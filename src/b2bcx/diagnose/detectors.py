"""One detector per B2B CEM challenge (Witell et al. 2020, section 3 and Table 3).

Each detector reads the prepared aggregates (:mod:`b2bcx.diagnose.data`), tests
what the paper describes with a documented statistic, and returns findings with
their evidence, or the reason it could not decide. Severity is the size of the
effect relative to its threshold, ``min(1, effect / (2 · threshold))`` unless
said otherwise, so a finding just over the line is about 0.5.
"""

from __future__ import annotations

from collections.abc import Callable

from b2bcx.diagnose.c1_relationships import detect_c1
from b2bcx.diagnose.c2_silos import detect_c2
from b2bcx.diagnose.c3_journey import detect_c3
from b2bcx.diagnose.c4_control import detect_c4
from b2bcx.diagnose.c5_dynamics import detect_c5
from b2bcx.diagnose.data import Prepared
from b2bcx.diagnose.detector_common import Detected
from b2bcx.diagnose.options import DiagnoseOptions

__all__ = ["DETECTORS", "Detected", "detect_c1", "detect_c2", "detect_c3", "detect_c4", "detect_c5"]

DETECTORS: dict[str, Callable[[Prepared, DiagnoseOptions], Detected]] = {
    "C1": detect_c1,
    "C2": detect_c2,
    "C3": detect_c3,
    "C4": detect_c4,
    "C5": detect_c5,
}
