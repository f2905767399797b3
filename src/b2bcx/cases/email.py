"""E-mail through SMTP: settings from the environment, sending, the daily digest.

Settings (:meth:`SmtpSettings.from_env`):

- ``B2BCX_SMTP_HOST`` (required to send), ``B2BCX_SMTP_PORT`` (default 587);
- ``B2BCX_SMTP_USER`` and ``B2BCX_SMTP_PASSWORD`` (log in when given);
- ``B2BCX_SMTP_FROM`` (default ``b2bcx@localhost``);
- ``B2BCX_SMTP_STARTTLS`` (default ``true``: upgrade the connection with
  STARTTLS before logging in; ``false`` only for a local relay).

Credentials are only ever read from the environment, never from a file.
"""

from __future__ import annotations

import datetime as _dt
import os
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage

from b2bcx.cases.model import Case, CaseStatus
from b2bcx.errors import ConfigurationError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the SMTP server (see the module docstring)."""

    host: str
    port: int = 587
    user: str | None = None
    password: str | None = field(default=None, repr=False)  # never shown in logs
    sender: str = "b2bcx@localhost"
    starttls: bool = True
    timeout: float = 30.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SmtpSettings | None:
        """Settings from ``B2BCX_SMTP_*``; ``None`` when no host is set."""
        env = os.environ if environ is None else environ
        host = env.get("B2BCX_SMTP_HOST")
        if not host:
            return None
        port_text = env.get("B2BCX_SMTP_PORT", "587")
        try:
            port = int(port_text)
        except ValueError:
            raise ConfigurationError(
                f"B2BCX_SMTP_PORT must be a port number (got {port_text!r})"
            ) from None
        tls = env.get("B2BCX_SMTP_STARTTLS", "true").strip().lower()
        if tls not in _TRUE | _FALSE:
            raise ConfigurationError(f"B2BCX_SMTP_STARTTLS must be true or false (got {tls!r})")
        return cls(
            host=host,
            port=port,
            user=env.get("B2BCX_SMTP_USER") or None,
            password=env.get("B2BCX_SMTP_PASSWORD") or None,
            sender=env.get("B2BCX_SMTP_FROM") or "b2bcx@localhost",
            starttls=tls in _TRUE,
        )


def send_email(
    settings: SmtpSettings,
    to: str,
    subject: str,
    body: str,
    *,
    ssl_context: ssl.SSLContext | None = None,
) -> None:
    """Send one plain-text e-mail (STARTTLS first when ``settings.starttls``).

    ``ssl_context`` defaults to the system's verifying context; tests pass one
    that trusts their own certificate. Raises the ``smtplib`` error on failure.
    """
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
        smtp.ehlo()
        if settings.starttls:
            smtp.starttls(context=ssl_context or ssl.create_default_context())
            smtp.ehlo()
        if settings.user:
            smtp.login(settings.user, settings.password or "")
        smtp.send_message(message)


def _line(case: Case, now: _dt.datetime) -> str:
    due = case.due_at.strftime("%Y-%m-%d %H:%M") if case.due_at else "no due date"
    late = " OVERDUE" if case.overdue(now) else ""
    who = case.stakeholder_id or case.account_id or "-"
    return f"- [{case.priority}] {case.case_id} {case.status} due {due}{late} ({who}): {case.title}"


def digest(owner: str, cases: Sequence[Case], now: _dt.datetime) -> tuple[str, str] | None:
    """The daily digest of one owner: ``(subject, body)``, or ``None`` with nothing open.

    Lists the owner's cases that are not closed, overdue first, then by due time.
    """
    mine = [c for c in cases if c.owner == owner and c.status != CaseStatus.closed]
    if not mine:
        return None
    mine.sort(key=lambda c: (not c.overdue(now), c.due_at or _dt.datetime.max, c.case_id))
    overdue = sum(c.overdue(now) for c in mine)
    new = sum(c.opened_at >= now - _dt.timedelta(days=1) for c in mine)
    subject = f"b2bcx: {len(mine)} open case(s), {overdue} overdue, {new} new — {now:%Y-%m-%d}"
    body = "\n".join(
        [f"Good morning {owner},", "", f"Your open cases on {now:%Y-%m-%d}:", ""]
        + [_line(c, now) for c in mine]
        + ["", "Update a case: b2bcx cases update CASE_ID --status in_progress --note '...'"]
    )
    return subject, body


__all__ = ["SmtpSettings", "digest", "send_email"]
