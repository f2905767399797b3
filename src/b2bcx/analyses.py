"""The standard analyses of one workspace: the front door every adapter uses.

An :class:`Analyses` is bound to one workspace, one date and one set of
options (:class:`AnalysisOptions`: the metric, the diagnosis thresholds, the
strategy options and answers). Each standard analysis is one attribute or
method, computed at most once and then kept; the diagnosis and the plan are
given what is already computed (key drivers, the assessment and the profile)
instead of computing it again. It holds no logic of its own: every
member is a one-line delegation to the library function that does the work.

The CLI, the REST API, the dashboard and the management report take their
standard results from here, so a threshold or an answers file given once
reaches every surface. Parameterised, non-standard runs call the library
functions themselves (their names are in ``b2bcx.__all__``).

>>> import b2bcx
>>> with b2bcx.open_workspace(":memory:") as ws:
...     a = ws.analyses()
...     a.diagnosis is a.diagnosis, a.plan.as_is
(True, None)
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from b2bcx.errors import B2bcxError

if TYPE_CHECKING:
    import pandas as pd

    from b2bcx.diagnose import DiagnoseOptions, Diagnosis, DriversUnavailable
    from b2bcx.info import WorkspaceInfo
    from b2bcx.measures.collective import CollectiveResult
    from b2bcx.measures.keydrivers import KeyDriverResult
    from b2bcx.measures.maps import StageControlMap
    from b2bcx.readiness import Readiness
    from b2bcx.storage import Backend
    from b2bcx.strategy import Answers, Assessment, Plan, Profile, StrategyOptions
    from b2bcx.strategy.saved import ResolvedAnswers

__all__ = ["Analyses", "AnalysisOptions"]

T = TypeVar("T")

#: Driver kinds :meth:`Analyses.drivers` accepts (``key_drivers(drivers=...)``).
DRIVER_KINDS = ("goals", "touchpoints", "stages", "controllers")


@dataclass(frozen=True, kw_only=True)
class AnalysisOptions:
    """How the standard analyses are run.

    Parameters
    ----------
    metric
        The rating every analysis uses; ``None`` means ``cx``, else the rating
        the workspace has (:func:`b2bcx.measures.individual.default_metric`).
        It overrides ``diagnose.metric``.
    as_of
        The date the workspace is analysed at (``None``: its latest
        interaction); every analysis uses the same date.
    diagnose
        Thresholds of the diagnosis (``None``: the defaults).
    strategy
        Options of the strategy assessment and plan (``None``: the defaults).
    answers
        Strategy answers (an answers file, :func:`b2bcx.strategy.load_answers`);
        ``None`` uses the latest answers saved in the workspace when
        ``use_saved_answers``.
    use_saved_answers
        Whether the answers saved in the workspace are used when none are given.
    n_boot
        Bootstrap resamples for the key drivers' intervals.
    target
        The to-be archetype the plan is made for (``None``: recommended).
    """

    metric: str | None = None
    as_of: _dt.date | _dt.datetime | None = None
    diagnose: DiagnoseOptions | None = None
    strategy: StrategyOptions | None = None
    answers: Answers | None = None
    use_saved_answers: bool = True
    n_boot: int = 100
    target: str | None = None


class Analyses:
    """The standard analyses of one workspace under one :class:`AnalysisOptions`.

    Make one with :meth:`b2bcx.Workspace.analyses`. Every result is computed on
    first use and kept (thread-safe); a failing analysis raises its
    :class:`~b2bcx.errors.B2bcxError` again on every use without recomputing.
    """

    def __init__(self, backend: Backend, options: AnalysisOptions | None = None) -> None:
        self.backend = backend
        self.options = options or AnalysisOptions()
        self._memo: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _once(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()`` the first time ``key`` is asked for; its value (or error) after."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._memo:
                try:
                    self._memo[key] = (True, compute())
                except B2bcxError as exc:
                    self._memo[key] = (False, exc)
            ok, value = self._memo[key]
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    def using(self, backend: Backend) -> Analyses:
        """These analyses computed through another connection to the same
        workspace: the same options and the same kept results (what either
        computes, both have; each result still computed once), queries sent on
        ``backend``. For computing two results at once, one per connection
        (DuckDB runs one query on both cores, but Python-bound steps leave one
        idle)."""
        other = Analyses.__new__(Analyses)
        other.backend = backend
        other.options = self.options
        other._memo = self._memo
        other._locks = self._locks
        other._guard = self._guard
        return other

    def computed(self) -> list[str]:
        """The keys computed so far (for progress and tests)."""
        return sorted(self._memo)

    # -- settings every analysis shares --------------------------------------

    @property
    def metric(self) -> str:
        """The rating the analyses use (the option, else cx or the one the workspace has)."""
        from b2bcx.measures.individual import default_metric

        return self._once("metric", lambda: self.options.metric or default_metric(self.backend))

    @property
    def as_of(self) -> _dt.datetime:
        """The date every analysis is made at."""
        from b2bcx.measures.individual import resolve_as_of

        return self._once("as_of", lambda: resolve_as_of(self.backend, self.options.as_of))

    @property
    def diagnose_options(self) -> DiagnoseOptions:
        """The diagnosis thresholds, with the shared metric."""
        from b2bcx.diagnose import DiagnoseOptions

        given = self.options.diagnose or DiagnoseOptions()
        return dataclasses.replace(given, metric=self.metric)

    @property
    def strategy_options(self) -> StrategyOptions:
        """The strategy options."""
        from b2bcx.strategy import DEFAULT_OPTIONS

        return self.options.strategy or DEFAULT_OPTIONS

    # -- measures -------------------------------------------------------------

    def units(self, by: str = "account") -> CollectiveResult:
        """Collective CX per unit (:func:`b2bcx.measures.collective.measure_units`)."""
        from b2bcx.measures.collective import measure_units
        from b2bcx.measures.individual import DecayOptions

        return self._once(
            f"units:{by}",
            lambda: measure_units(
                self.backend, by=by, metric=self.metric, decay=DecayOptions(as_of=self.as_of)
            ),
        )

    @property
    def groups(self) -> dict[str, str]:
        """Account → its corporate group (top of the ``parent_account_id`` chain)."""
        from b2bcx.measures.collective import account_groups

        return self._once("groups", lambda: account_groups(self.backend))

    def map(self, *, per_account: bool = False) -> StageControlMap:
        """The stage × controller map (Witell Table 2), for the portfolio or each account."""
        from b2bcx.measures.maps import stage_control_map

        return self._once(
            f"map:{per_account}",
            lambda: stage_control_map(
                self.backend, metric=self.metric, per_account=per_account, as_of=self.as_of
            ),
        )

    def trend(self, *, per_account: bool = False) -> pd.DataFrame:
        """The monthly trend (portfolio or per account)."""
        from b2bcx.measures.breakdowns import monthly_trend

        return self._once(
            f"trend:{per_account}",
            lambda: monthly_trend(
                self.backend, metric=self.metric, per_account=per_account, as_of=self.as_of
            ),
        )

    def activity(self) -> pd.DataFrame:
        """Additive counts per account × touchpoint × partner × stage × controller ×
        month (:func:`b2bcx.measures.breakdowns.activity_cells`): any filter of
        them sums to its scores and NPS."""
        from b2bcx.measures.breakdowns import activity_cells

        return self._once(
            "activity",
            lambda: activity_cells(self.backend, metric=self.metric, as_of=self.as_of),
        )

    def split(self, by: str = "controller") -> pd.DataFrame:
        """Counts, mean, score and NPS per value of ``by`` (e.g. controller, solicited)."""
        from b2bcx.measures.breakdowns import split

        return self._once(
            f"split:{by}",
            lambda: split(self.backend, by=by, metric=self.metric, as_of=self.as_of),
        )

    def drivers(self, kind: str = "goals") -> KeyDriverResult:
        """Key drivers of NPS by ``kind`` (goals, touchpoints, stages, controllers)."""
        from b2bcx.measures.keydrivers import key_drivers

        return self._once(
            f"drivers:{kind}",
            lambda: key_drivers(
                self.backend,
                target="nps",
                drivers=kind,
                n_boot=self.options.n_boot,
                as_of=self.as_of,
            ),
        )

    def _drivers_or_none(self, kind: str) -> KeyDriverResult | None:
        """The drivers, or None when the data cannot carry them (the caller then says so)."""
        try:
            return self.drivers(kind)
        except B2bcxError:
            return None

    # -- diagnosis -------------------------------------------------------------

    def _diagnosis_drivers(self, kind: str) -> KeyDriverResult | DriversUnavailable:
        """The key drivers the diagnosis weighs its priorities with: those already
        computed (:meth:`drivers`), else their point estimates alone (``n_boot=0``,
        kept): the diagnosis reads only each driver's share, which the bootstrap
        does not change (bit for bit), so it never waits for the resamples."""
        from b2bcx.diagnose import DriversUnavailable
        from b2bcx.measures.keydrivers import key_drivers

        found = self._memo.get(f"drivers:{kind}")
        if found is not None and found[0]:
            return found[1]  # type: ignore[no-any-return]
        try:
            return self._once(
                f"driver_shares:{kind}",
                lambda: key_drivers(
                    self.backend, target="nps", drivers=kind, n_boot=0, as_of=self.as_of
                ),
            )
        except B2bcxError as error:
            # said once: the diagnosis does not try key_drivers again (and fail again)
            return DriversUnavailable(str(error))

    @property
    def diagnosis(self) -> Diagnosis:
        """Challenges C1–C5, at-risk accounts and priorities, with the drivers' shares
        above (the account units are not waited for: the risk score's agreement
        comes from what the diagnosis already read)."""
        from b2bcx.diagnose import diagnose

        return self._once(
            "diagnosis",
            lambda: diagnose(
                self.backend,
                self.diagnose_options,
                as_of=self.as_of,
                touchpoint_drivers=self._diagnosis_drivers("touchpoints"),
                goal_drivers=self._diagnosis_drivers("goals"),
            ),
        )

    @property
    def scorecards(self) -> list[dict[str, Any]]:
        """One scorecard per partner: its touchpoints' performance and share, and C4 findings."""
        from b2bcx.diagnose.scorecards import partner_scorecards

        return self._once(
            "scorecards",
            lambda: partner_scorecards(
                self.backend, self._drivers_or_none("touchpoints"), self.diagnosis
            ),
        )

    def earlier(self, months: int = 3) -> Analyses:
        """The same analyses ``months`` months before this one's date (the
        previous period's figures, e.g. its diagnosis), made once and kept."""
        import pandas as pd

        as_of = (pd.Timestamp(self.as_of) - pd.DateOffset(months=months)).to_pydatetime()
        return self._once(
            f"earlier:{months}",
            lambda: Analyses(self.backend, dataclasses.replace(self.options, as_of=as_of)),
        )

    # -- strategy --------------------------------------------------------------

    @property
    def answers(self) -> ResolvedAnswers:
        """The answers used (given, else the latest saved) and the previous ones."""
        from b2bcx.strategy.saved import resolve_answers

        return self._once(
            "answers",
            lambda: resolve_answers(
                self.backend, self.options.answers, use_saved=self.options.use_saved_answers
            ),
        )

    @property
    def profile(self) -> Profile:
        """The value-proposition profile (Wirtz Table 1)."""
        from b2bcx.strategy import profile

        return self._once(
            "profile",
            lambda: profile(self.backend, as_of=self.as_of, options=self.strategy_options),
        )

    @property
    def assessment(self) -> Assessment:
        """CXM impact, scope and the archetype (Wirtz Fig. 1)."""
        from b2bcx.strategy import assess

        return self._once(
            "assessment",
            lambda: assess(
                self.backend,
                self.answers.answers,
                as_of=self.as_of,
                options=self.strategy_options,
            ),
        )

    @property
    def previous_assessment(self) -> Assessment | None:
        """The assessment of the answers before the ones used (None without them)."""
        from b2bcx.strategy import assess

        previous = self.answers.previous
        return self._once(
            "previous_assessment",
            lambda: (
                None
                if previous is None
                else assess(self.backend, previous, as_of=self.as_of, options=self.strategy_options)
            ),
        )

    @property
    def plan(self) -> Plan:
        """The four-step playbook, from the assessment, profile and drivers above."""
        from b2bcx.strategy import plan

        return self._once(
            "plan",
            lambda: plan(
                self.backend,
                self.answers.answers,
                target=self.options.target,
                as_of=self.as_of,
                options=self.strategy_options,
                previous=self.answers.previous,
                assessment=self.assessment,
                profile=self.profile,
                previous_assessment=self.previous_assessment,
                touchpoint_drivers=self._drivers_or_none("touchpoints"),
                diagnosis=self.diagnosis,
            ),
        )

    # -- text ------------------------------------------------------------------

    @property
    def text(self) -> dict[str, Any] | None:
        """Goals, emotions and sentiment of the analysed comments (None: none analysed)."""
        from b2bcx.text.insights import text_insights

        return self._once("text", lambda: text_insights(self.backend))

    @property
    def topics(self) -> pd.DataFrame:
        """Themes of the analysed comments (not stored back)."""
        from b2bcx.text import topics

        return self._once("topics", lambda: topics(self.backend, store=False))

    # -- the workspace ---------------------------------------------------------

    @property
    def info(self) -> WorkspaceInfo:
        """Counts per table, the date range and column coverage."""
        from b2bcx.info import describe_workspace

        return self._once("info", lambda: describe_workspace(self.backend))

    def readiness(self) -> Readiness:
        """Which analyses the data supports, why (counts) and what unlocks the rest
        (:func:`b2bcx.readiness.workspace_readiness`; counts only, no analysis)."""
        from b2bcx.readiness import workspace_readiness

        return self._once(
            "readiness",
            lambda: workspace_readiness(
                self.backend, metric=self.metric, answers_given=self.options.answers is not None
            ),
        )


#: Every standard analysis with no argument, in the order a page or report needs them.
STANDARD: tuple[str, ...] = (
    "groups",
    "diagnosis",
    "scorecards",
    "profile",
    "assessment",
    "plan",
    "text",
)
