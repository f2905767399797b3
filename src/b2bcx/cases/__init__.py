"""Close the loop: cases, alert rules, notifications and closed-loop results.

The library the CLI (``b2bcx alerts``, ``b2bcx cases``), the REST API, the
dashboard and the report call (``docs/cases.md``):

- :mod:`~b2bcx.cases.model`: :class:`Case`, :class:`CaseEvent`, statuses and transitions;
- :mod:`~b2bcx.cases.rules`: alert rules from YAML over built-in defaults;
- :mod:`~b2bcx.cases.engine`: :func:`run_alerts`;
- :mod:`~b2bcx.cases.actions`: open, update, list, history, cases from the plan;
- :mod:`~b2bcx.cases.outbox`: the outbox and :func:`deliver`;
- :mod:`~b2bcx.cases.webhooks`: Standard Webhooks signing and :func:`verify`;
- :mod:`~b2bcx.cases.email`: SMTP (STARTTLS) and the daily digest;
- :mod:`~b2bcx.cases.digest`: queue each owner's daily digest;
- :mod:`~b2bcx.cases.results`: :func:`closed_loop`.
"""

from b2bcx.cases.actions import (
    Actor,
    cases_from_plan,
    get_case,
    history,
    list_cases,
    open_case,
    update_case,
)
from b2bcx.cases.engine import AlertRun, run_alerts
from b2bcx.cases.model import Case, CaseEvent, CaseStatus, Priority, check_transition
from b2bcx.cases.outbox import DeliveryResult, deliver
from b2bcx.cases.results import ClosedLoopResult, closed_loop
from b2bcx.cases.rules import Rule, RuleSet, default_rules, load_rules
from b2bcx.cases.webhooks import WebhookVerificationError, verify

__all__ = [
    "Actor",
    "AlertRun",
    "Case",
    "CaseEvent",
    "CaseStatus",
    "ClosedLoopResult",
    "DeliveryResult",
    "Priority",
    "Rule",
    "RuleSet",
    "WebhookVerificationError",
    "cases_from_plan",
    "check_transition",
    "closed_loop",
    "default_rules",
    "deliver",
    "get_case",
    "history",
    "list_cases",
    "load_rules",
    "open_case",
    "run_alerts",
    "update_case",
    "verify",
]
