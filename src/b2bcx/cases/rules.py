"""Alert rules: what opens a case, for whom, how urgently and by when.

Rules come from a YAML file over built-in defaults a team can switch on as
they are (``docs/cases.md``)::

    default_owner: cx-team            # when a rule finds no owner
    owners:                           # owner → e-mail address (digests)
      Anna Berg: anna.berg@example.com
    webhook:
      url: https://hooks.example.com/b2bcx
      secret: whsec_...               # or B2BCX_WEBHOOK_SECRET
    rules:
      detractor: {due_business_days: 1}     # change a default
      collective_drop: {enabled: true, params: {min_drop: 8}}
      big-c4:                               # a second rule of a kind
        kind: finding
        enabled: true
        params: {challenge: C4, min_severity: 0.7}

Each rule has a *kind* (:data:`KINDS`), parameters with validated ranges,
an owner (``account_manager``: the account's manager, else ``default_owner``;
any other text: that owner), a priority, a due time in business days, and a
dedupe key (at most one open case per key: the stakeholder, the account, the
finding's subject or the touchpoint).

>>> rules = default_rules()
>>> [r.name for r in rules.enabled]
['detractor']
>>> rules.rule("detractor").params["max_nps"]
6
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from b2bcx.cases.model import parse_priority
from b2bcx.errors import ConfigurationError


@dataclass(frozen=True)
class Param:
    """One parameter of a rule kind: its default and valid range (or choices)."""

    default: int | float | str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    doc: str = ""

    def check(self, rule: str, name: str, value: Any) -> int | float | str:
        """``value`` validated (and typed like the default), or a clear error."""
        if self.choices:
            if str(value) not in self.choices:
                raise ConfigurationError(
                    f"rule {rule!r}: {name} must be one of {', '.join(self.choices)} "
                    f"(got {value!r})"
                )
            return str(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigurationError(f"rule {rule!r}: {name} must be a number (got {value!r})")
        if isinstance(self.default, int) and not float(value).is_integer():
            raise ConfigurationError(f"rule {rule!r}: {name} must be a whole number (got {value})")
        number: int | float = int(value) if isinstance(self.default, int) else float(value)
        if (self.low is not None and number < self.low) or (
            self.high is not None and number > self.high
        ):
            raise ConfigurationError(
                f"rule {rule!r}: {name} must lie in [{self.low:g}, {self.high:g}] (got {value})"
            )
        return number


_METRICS = ("cx", "nps", "csat", "ces")
_WINDOW = Param(90, 1, 730, doc="days compared: the state now against the state this long ago")
_KEY = Param(0.25, 0.01, 1.0, doc="key accounts: this top share of accounts by annual value")

#: Rule kind → its parameters.
KINDS: dict[str, dict[str, Param]] = {
    "detractor": {
        "max_nps": Param(6, 0, 10, doc="an NPS answer at or below this opens a case"),
        "lookback_days": Param(30, 1, 3650, doc="first run without --since: answers this recent"),
        "grace_days": Param(7, 0, 365, doc="each run looks this far behind its mark (late data)"),
        "decision_maker_priority": Param(
            "high", choices=("low", "normal", "high"), doc="priority of a decision maker's case"
        ),
    },
    "collective_drop": {
        "min_drop": Param(10.0, 0.1, 100.0, doc="points (0–100) the account's collective CX fell"),
        "window_days": _WINDOW,
        "key_share": _KEY,
        "metric": Param("cx", choices=_METRICS),
    },
    "risk_jump": {
        "min_jump": Param(0.15, 0.01, 1.0, doc="rise of the risk score (0–1)"),
        "window_days": _WINDOW,
        "key_share": Param(1.0, 0.01, 1.0, doc="only the top share of accounts by annual value"),
    },
    "finding": {
        "challenge": Param("C4", choices=("C1", "C2", "C3", "C4", "C5")),
        "min_severity": Param(0.5, 0.0, 1.0, doc="a new finding at least this severe"),
        "window_days": _WINDOW,
    },
    "partner_touchpoint": {
        "threshold": Param(50.0, 0.0, 100.0, doc="mean rating (0–100) it falls below"),
        "window_days": _WINDOW,
        "min_answers": Param(5, 1, 1_000_000, doc="answers in the window for a mean"),
        "metric": Param("cx", choices=_METRICS),
    },
    "silent_decision_maker": {
        "days": Param(90, 1, 3650, doc="days without any interaction"),
        "key_share": _KEY,
        "window_days": _WINDOW,
    },
}

#: Rule kind → what its dedupe key is made of.
DEDUPE: dict[str, str] = {
    "detractor": "stakeholder",
    "collective_drop": "account",
    "risk_jump": "account",
    "finding": "subject",
    "partner_touchpoint": "touchpoint",
    "silent_decision_maker": "stakeholder",
}

_DEFAULT_PRIORITY = {
    "detractor": "normal",
    "collective_drop": "high",
    "risk_jump": "high",
    "finding": "normal",
    "partner_touchpoint": "normal",
    "silent_decision_maker": "normal",
}
_DEFAULT_DUE = {"detractor": 2}

#: The owner that means "the account's manager".
ACCOUNT_MANAGER = "account_manager"


@dataclass(frozen=True)
class Rule:
    """One alert rule (validated)."""

    name: str
    kind: str
    enabled: bool
    params: Mapping[str, Any]
    owner: str = ACCOUNT_MANAGER
    priority: str = "normal"
    due_business_days: int = 5
    dedupe: str = "stakeholder"

    def to_dict(self) -> dict[str, Any]:
        """As JSON-ready values."""
        return {
            "name": self.name,
            "kind": self.kind,
            "enabled": self.enabled,
            "params": dict(self.params),
            "owner": self.owner,
            "priority": self.priority,
            "due_business_days": self.due_business_days,
            "dedupe": self.dedupe,
        }


@dataclass(frozen=True)
class RuleSet:
    """Every rule, and the notification settings of a rules file."""

    rules: tuple[Rule, ...]
    default_owner: str = "unassigned"
    owners: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    webhook_url: str | None = None
    webhook_secret: str | None = None
    source: str = "built-in defaults"

    @property
    def enabled(self) -> tuple[Rule, ...]:
        """The rules switched on."""
        return tuple(r for r in self.rules if r.enabled)

    def rule(self, name: str) -> Rule:
        """The rule called ``name``."""
        for r in self.rules:
            if r.name == name:
                return r
        raise ConfigurationError(
            f"no rule {name!r}; the rules are: {', '.join(r.name for r in self.rules)}"
        )

    def email_of(self, owner: str) -> str | None:
        """The e-mail address of an owner (``owners`` map, or the owner itself if one)."""
        if owner in self.owners:
            return self.owners[owner]
        return owner if "@" in owner else None

    def secret(self) -> str | None:
        """The webhook secret: ``B2BCX_WEBHOOK_SECRET``, else the rules file's."""
        return os.environ.get("B2BCX_WEBHOOK_SECRET") or self.webhook_secret


def make_rule(name: str, spec: Mapping[str, Any] | None = None) -> Rule:
    """A validated rule from its YAML mapping (missing keys take the kind's defaults)."""
    spec = dict(spec or {})
    kind = str(spec.pop("kind", name))
    if kind not in KINDS:
        raise ConfigurationError(
            f"rule {name!r}: unknown kind {kind!r}; the kinds are: {', '.join(KINDS)}"
        )
    given = spec.pop("params", None) or {}
    if not isinstance(given, Mapping):
        raise ConfigurationError(f"rule {name!r}: params must be a mapping")
    unknown = set(given) - set(KINDS[kind])
    if unknown:
        raise ConfigurationError(
            f"rule {name!r}: unknown parameter(s) {', '.join(sorted(map(str, unknown)))}; "
            f"a {kind} rule takes: {', '.join(KINDS[kind])}"
        )
    params = {
        key: p.check(name, key, given[key]) if key in given else p.default
        for key, p in KINDS[kind].items()
    }
    enabled = spec.pop("enabled", kind == "detractor" and name == "detractor")
    if not isinstance(enabled, bool):
        raise ConfigurationError(f"rule {name!r}: enabled must be true or false")
    priority = parse_priority(str(spec.pop("priority", _DEFAULT_PRIORITY[kind]))).value
    due = spec.pop("due_business_days", _DEFAULT_DUE.get(kind, 5))
    if isinstance(due, bool) or not isinstance(due, int) or not 0 <= due <= 60:
        raise ConfigurationError(
            f"rule {name!r}: due_business_days must be a whole number in [0, 60] (got {due!r})"
        )
    owner = str(spec.pop("owner", ACCOUNT_MANAGER)).strip()
    if not owner:
        raise ConfigurationError(f"rule {name!r}: owner must not be empty")
    dedupe = str(spec.pop("dedupe", DEDUPE[kind]))
    if dedupe not in ("stakeholder", "account", "subject", "touchpoint"):
        raise ConfigurationError(
            f"rule {name!r}: dedupe must be stakeholder, account, subject or touchpoint"
        )
    if spec:
        raise ConfigurationError(
            f"rule {name!r}: unknown key(s) {', '.join(sorted(map(str, spec)))}; a rule takes "
            "kind, enabled, params, owner, priority, due_business_days, dedupe"
        )
    return Rule(name, kind, enabled, MappingProxyType(params), owner, priority, due, dedupe)


def default_rules() -> RuleSet:
    """The built-in rules: one per kind, only ``detractor`` switched on."""
    return RuleSet(tuple(make_rule(kind) for kind in KINDS))


def parse_rules(data: Mapping[str, Any] | None, *, source: str = "the rules") -> RuleSet:
    """A :class:`RuleSet` from a parsed rules YAML (over the built-in defaults)."""
    data = dict(data or {})
    known = {"default_owner", "owners", "webhook", "rules"}
    unknown = set(data) - known
    if unknown:
        raise ConfigurationError(
            f"{source}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
            f"a rules file has: {', '.join(sorted(known))}"
        )
    specs = data.get("rules") or {}
    if not isinstance(specs, Mapping):
        raise ConfigurationError(f"{source}: rules must be a mapping of rule name → settings")
    rules: dict[str, Rule] = {r.name: r for r in default_rules().rules}
    for name, spec in specs.items():
        if spec is not None and not isinstance(spec, Mapping):
            raise ConfigurationError(f"{source}: rule {name!r} must be a mapping")
        if name in rules and spec is not None and "kind" not in spec:
            base = rules[str(name)].to_dict()
            merged = {k: v for k, v in base.items() if k not in ("name", "params")}
            merged["params"] = {**base["params"], **dict(spec.get("params") or {})}
            merged.update({k: v for k, v in spec.items() if k != "params"})
            merged.pop("kind", None)
            rules[str(name)] = make_rule(str(name), {"kind": base["kind"], **merged})
        else:
            rules[str(name)] = make_rule(str(name), spec)
    webhook = data.get("webhook") or {}
    owners = data.get("owners") or {}
    if not isinstance(webhook, Mapping) or not isinstance(owners, Mapping):
        raise ConfigurationError(f"{source}: webhook and owners must be mappings")
    return RuleSet(
        tuple(rules.values()),
        default_owner=str(data.get("default_owner") or "unassigned"),
        owners=MappingProxyType({str(k): str(v) for k, v in owners.items()}),
        webhook_url=webhook.get("url"),
        webhook_secret=webhook.get("secret"),
        source=source,
    )


def load_rules(path: str | Path | None = None) -> RuleSet:
    """The rules of a YAML file over the built-in defaults (``None``: the defaults)."""
    if path is None:
        return default_rules()
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"no rules file {path}") from None
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{path} is not valid YAML: {exc}") from None
    if data is not None and not isinstance(data, Mapping):
        raise ConfigurationError(f"{path}: a rules file is a mapping (see docs/cases.md)")
    return parse_rules(data, source=str(path))


def with_webhook(rules: RuleSet, url: str | None) -> RuleSet:
    """``rules`` with the webhook URL replaced (``--webhook``), if one is given."""
    return rules if url is None else replace(rules, webhook_url=url)


__all__ = [
    "ACCOUNT_MANAGER",
    "DEDUPE",
    "KINDS",
    "Param",
    "Rule",
    "RuleSet",
    "default_rules",
    "load_rules",
    "make_rule",
    "parse_rules",
    "with_webhook",
]
