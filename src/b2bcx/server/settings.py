"""Server settings: read from ``B2BCX_*`` variables, built by a function, passed in.

The server refuses unsafe defaults: without a secret (``B2BCX_SECRET``, at
least 32 characters) it only starts in development mode (``--dev``), where a
random secret is made for the life of the process.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from b2bcx.config import DEFAULT_WORKSPACE
from b2bcx.errors import ConfigurationError

if TYPE_CHECKING:
    from b2bcx.analyses import AnalysisOptions

#: The roles a single sign-on claim may map to (as :class:`b2bcx.server.tokens.Role`).
_ROLES = ("viewer", "analyst", "admin")

#: The shortest secret the server accepts.
MIN_SECRET_LENGTH = 32


class ServerSettings(BaseSettings):
    """Settings of ``b2bcx serve`` (the API and the dashboard).

    Attributes
    ----------
    workspace:
        The workspace URL (``B2BCX_WORKSPACE``).
    secret:
        Signs session cookies and CSRF tokens (``B2BCX_SECRET``, ≥ 32 characters).
    dev:
        Development mode: a random secret when none is configured.
    host, port:
        Where to listen; ``127.0.0.1`` by default (loopback only).
    session_hours:
        How long a dashboard session lasts.
    strategy_answers:
        The strategy questionnaire answers (YAML/JSON) used for the CXM
        impact assessment, the archetype and the plan (``B2BCX_STRATEGY_ANSWERS``);
        without them, the latest answers saved in the workspace.
    thresholds:
        The diagnosis thresholds (a YAML mapping, as ``b2bcx diagnose
        --thresholds``; ``B2BCX_THRESHOLDS``); without them, the defaults.
    warm:
        Compute the cached results in the background when the server starts.
    warm_earlier_up_to:
        The diagnosis as of 3 months earlier (the portfolio's "at high risk
        then", a second full diagnosis) is computed when the server starts, or
        after new data, only on a workspace of at most this many interactions
        (``B2BCX_WARM_EARLIER_UP_TO``, default 2,000,000; ``b2bcx serve
        --warm-earlier-up-to``); on a larger one it is computed when the
        portfolio page first asks for it, once nothing else is being computed,
        and the page shows that figure as being computed meanwhile. Raise it
        to warm that diagnosis on any workspace; 0: never ahead.
    partial_pages:
        Dashboard pages answer at once while a starting server computes, with
        "still being computed" in place of what is not ready, and refresh
        themselves every 5 s until complete (``B2BCX_PARTIAL_PAGES``; ``b2bcx
        serve`` turns it on). The API always waits for complete results.
    max_upload_mb:
        The largest bundle upload accepted.
    auth_failures, auth_window:
        Failed token checks a client address may make within ``auth_window``
        seconds (``B2BCX_AUTH_FAILURES``, ``B2BCX_AUTH_WINDOW``); past them it is
        answered 429 with ``Retry-After`` until the oldest failure is older.
    db_connections:
        Connections serving requests (a DuckDB file or PostgreSQL workspace).
    compute_workers:
        Background workers computing results (``B2BCX_COMPUTE_WORKERS``, 1 or
        2, default 1): with 2 (a DuckDB file or PostgreSQL workspace), a second
        worker on a connection of its own computes the results that need no
        diagnosis (measures, counts, cells, the drivers' bootstrap) while the
        first runs the diagnosis; it uses the core the diagnosis' Python-bound
        steps leave idle, and more memory (two large queries at once).
    webhook_url:
        Where the ``case.opened``/``case.updated`` events of cases opened and
        changed through the server are sent (``B2BCX_WEBHOOK_URL``; queued in the
        outbox, delivered by ``b2bcx alerts deliver``); none: no event is queued.
    password_time_cost, password_memory_kib, password_parallelism:
        The argon2id parameters of users' password hashes
        (``B2BCX_PASSWORD_TIME_COST``, ``B2BCX_PASSWORD_MEMORY_KIB``,
        ``B2BCX_PASSWORD_PARALLELISM``; argon2-cffi's defaults: 3 passes over
        64 MiB, 4 lanes). A hash made with other parameters is re-hashed with
        these at its owner's next sign-in.
    oidc_issuer:
        The OpenID Connect provider's issuer URL (``B2BCX_OIDC_ISSUER``); with
        ``oidc_client_id``, the sign-in page offers single sign-on.
    oidc_client_id, oidc_client_secret:
        The client registered at the provider (``B2BCX_OIDC_CLIENT_ID``); its
        secret is read from the environment only (``B2BCX_OIDC_CLIENT_SECRET``;
        none: a public client, PKCE alone).
    oidc_scopes:
        The scopes asked for (``openid`` is always among them).
    oidc_login_claim, oidc_name_claim:
        The id_token claims that give a new user's login (``email`` by default)
        and display name (``name``).
    oidc_role_claim, oidc_role_map, oidc_default_role:
        The claim holding the user's groups or roles (a string or a list), how
        its values map to b2bcx roles (JSON, e.g. ``{"cx-admins": "admin",
        "cx-team": "analyst"}``; the highest role matched wins), and the role
        when none matches (none: the sign-in is refused).
    oidc_accounts_claim:
        The claim listing the account ids the user may see (a list or a
        comma-separated string); none, or a user without the claim: every account.
    oidc_label:
        The provider's name on the sign-in button.
    oidc_redirect_url:
        The callback URL registered at the provider; by default the server's
        own ``/signin/oidc/callback`` as the request reached it.
    currency:
        The currency of the workspace's money figures (annual and contract
        values; one currency per workspace), as the dashboard writes it beside
        them: an ISO code such as ``EUR`` or a symbol such as ``€``
        (``B2BCX_CURRENCY``); none: the figures are shown without one.
    """

    model_config = SettingsConfigDict(env_prefix="B2BCX_", extra="ignore")

    workspace: str = Field(default=DEFAULT_WORKSPACE)
    secret: SecretStr | None = None
    dev: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    session_hours: float = Field(default=8.0, gt=0)
    strategy_answers: Path | None = None
    thresholds: Path | None = None
    warm: bool = True
    warm_earlier_up_to: int = Field(default=2_000_000, ge=0)
    partial_pages: bool = False
    max_upload_mb: int = Field(default=512, ge=1)
    auth_failures: int = Field(default=20, ge=1)
    auth_window: float = Field(default=60.0, gt=0)
    db_connections: int = Field(default=3, ge=1, le=32)
    compute_workers: int = Field(default=1, ge=1, le=2)
    webhook_url: str | None = None
    password_time_cost: int = Field(default=3, ge=1, le=100)
    password_memory_kib: int = Field(default=65536, ge=8, le=4 * 1024 * 1024)
    password_parallelism: int = Field(default=4, ge=1, le=64)
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_scopes: str = "openid email profile"
    oidc_login_claim: str = "email"
    oidc_name_claim: str = "name"
    oidc_role_claim: str | None = None
    oidc_role_map: dict[str, str] = Field(default_factory=dict)
    oidc_default_role: str | None = None
    oidc_accounts_claim: str | None = None
    oidc_label: str = "single sign-on"
    oidc_redirect_url: str | None = None
    currency: str | None = Field(default=None, max_length=8)

    @field_validator("oidc_role_map")
    @classmethod
    def _roles_in_map(cls, value: dict[str, str]) -> dict[str, str]:
        bad = {k: v for k, v in value.items() if v not in _ROLES}
        if bad:
            raise ValueError(f"B2BCX_OIDC_ROLE_MAP maps to unknown roles {bad}; use {_ROLES}")
        return value

    @field_validator("oidc_default_role")
    @classmethod
    def _known_default_role(cls, value: str | None) -> str | None:
        if value is not None and value not in _ROLES:
            raise ValueError(f"B2BCX_OIDC_DEFAULT_ROLE must be one of {_ROLES} (got {value!r})")
        return value

    @property
    def oidc_enabled(self) -> bool:
        """Whether single sign-on is configured (an issuer and a client id)."""
        return bool(self.oidc_issuer and self.oidc_client_id)


def load_server_settings(**overrides: object) -> ServerSettings:
    """Server settings from the environment, with explicit ``overrides`` (``None`` ignored)."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return ServerSettings(**clean)  # type: ignore[arg-type]


def analysis_options(settings: ServerSettings) -> AnalysisOptions:
    """The options every analysis of the server runs with: the thresholds and
    strategy answers of ``settings`` (read now, so a bad file stops the start).

    Raises
    ------
    ConfigurationError
        If the thresholds or answers file cannot be read or is invalid.
    """
    from b2bcx.analyses import AnalysisOptions

    diagnose = None
    if settings.thresholds is not None:
        from b2bcx.diagnose.thresholds import load_thresholds

        diagnose = load_thresholds(settings.thresholds)
    answers = None
    if settings.strategy_answers is not None:
        from b2bcx.strategy import load_answers

        answers = load_answers(settings.strategy_answers)
    return AnalysisOptions(diagnose=diagnose, answers=answers)


def signing_key(settings: ServerSettings) -> bytes:
    """The key that signs sessions: the configured secret, or a random one in dev mode.

    Raises
    ------
    ConfigurationError
        If no secret is configured outside development mode, or it is too short.
    """
    if settings.secret is None:
        if not settings.dev:
            raise ConfigurationError(
                "no secret configured: set B2BCX_SECRET to a random string of at least "
                f'{MIN_SECRET_LENGTH} characters (e.g. `python -c "import secrets; '
                'print(secrets.token_urlsafe(48))"`), or run with --dev for local development'
            )
        return secrets.token_bytes(32)
    value = settings.secret.get_secret_value()
    if len(value) < MIN_SECRET_LENGTH:
        raise ConfigurationError(
            f"B2BCX_SECRET is {len(value)} characters; use at least {MIN_SECRET_LENGTH}"
        )
    return value.encode("utf-8")
