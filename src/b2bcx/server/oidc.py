"""Single sign-on with OpenID Connect: the authorization code flow with PKCE,
``state`` and ``nonce``, and an id_token verified against the provider's JWKS.

The flow (:func:`begin` then :func:`finish`):

1. the sign-in page sends the browser to the provider's authorization endpoint
   with a random ``state`` (against forged callbacks), a random ``nonce``
   (against replayed id_tokens) and a PKCE ``code_challenge`` (S256 of a random
   verifier, against stolen codes); the three secrets stay in a signed,
   short-lived, HTTP-only cookie of the browser;
2. the provider sends the browser back with a ``code`` and the ``state``,
   which must equal the cookie's;
3. the server exchanges the code (with the verifier and, for a confidential
   client, its secret) at the token endpoint, and verifies the id_token: its
   RS256/ES256/PS256 signature against a key of the provider's JWKS (fetched
   from ``jwks_uri``; fetched again once when the token names an unknown key,
   for key rotation), ``iss`` equal to the configured issuer, ``aud`` holding the
   client id (and ``azp`` equal to it when there are several audiences),
   ``exp`` in the future, ``iat`` present, and the ``nonce`` equal to the cookie's.

:func:`sign_in_user` then matches the identity to a user (by its subject,
``"<issuer> <sub>"``, else by login) or makes one, with the role and account
scope the claims map to (:class:`~b2bcx.server.settings.ServerSettings`'s
``oidc_*`` settings).

The provider's metadata and keys are fetched with :mod:`httpx` and cached for
an hour per issuer (:class:`Provider`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import httpx
import jwt

from b2bcx.errors import B2bcxError, ConfigurationError
from b2bcx.server.tokens import AuditedBy, Role
from b2bcx.server.users import User, create_user, get_user, normalize_login
from b2bcx.storage import authstore

if TYPE_CHECKING:
    from b2bcx.server.settings import ServerSettings
    from b2bcx.storage import Backend

__all__ = [
    "ALGORITHMS",
    "Authorization",
    "Identity",
    "OidcError",
    "Provider",
    "begin",
    "finish",
    "identity_of",
    "provider_for",
    "sign_in_user",
    "verify_id_token",
]

#: The id_token signature algorithms accepted (asymmetric only: a client secret
#: never verifies a token, so no HS256/RS256 key confusion).
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
#: How long the provider's metadata and keys are kept, in seconds.
CACHE_SECONDS = 3600.0
#: Clock skew tolerated on ``exp`` and ``iat``, in seconds.
LEEWAY = 60
_TIMEOUT = httpx.Timeout(10.0)


class OidcError(B2bcxError):
    """Single sign-on failed: the provider cannot be reached or answered
    something that does not verify, or the identity maps to no user; the
    message says which, in words a person signing in can act on."""


@dataclass(frozen=True)
class Authorization:
    """A started sign-in: where to send the browser, and the secrets to keep
    (in a signed cookie) until the provider sends it back."""

    url: str
    state: str
    nonce: str
    verifier: str


@dataclass(frozen=True)
class Identity:
    """What a verified id_token says about the person, mapped to b2bcx terms.

    Attributes
    ----------
    subject:
        ``"<issuer> <sub>"``: the identity's stable key.
    login:
        The login a new user gets (from ``oidc_login_claim``), normalised.
    display_name:
        From ``oidc_name_claim`` (the login if absent).
    role:
        The highest role the role claim maps to, else ``oidc_default_role``;
        ``None`` if neither gives one.
    accounts:
        The account ids of ``oidc_accounts_claim``, or ``None`` for every account.
    email_verified:
        The ``email_verified`` claim (``None`` when absent).
    """

    subject: str
    login: str
    display_name: str
    role: Role | None
    accounts: tuple[str, ...] | None
    email_verified: bool | None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _local(host: str | None) -> bool:
    return host in {"localhost", "127.0.0.1", "::1"}


class Provider:
    """An OpenID Connect provider: its discovery document and keys, cached.

    Parameters
    ----------
    issuer:
        The issuer URL, exactly as the provider's tokens name it (HTTPS, or
        HTTP on this machine only).
    client:
        The HTTP client to use (tests); a fresh one per call by default.
    """

    def __init__(self, issuer: str, *, client: httpx.Client | None = None) -> None:
        parts = urlsplit(issuer)
        if parts.scheme != "https" and not (parts.scheme == "http" and _local(parts.hostname)):
            raise ConfigurationError(
                f"B2BCX_OIDC_ISSUER must be an https:// URL (got {issuer!r}); "
                "plain http is accepted for localhost only"
            )
        self.issuer = issuer
        self._client = client
        self._lock = threading.Lock()
        self._metadata: tuple[float, dict[str, Any]] | None = None
        self._keys: tuple[float, jwt.PyJWKSet] | None = None

    def _get(self, url: str) -> dict[str, Any]:
        try:
            if self._client is not None:
                response = self._client.get(url, timeout=_TIMEOUT)
            else:
                response = httpx.get(url, timeout=_TIMEOUT)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcError(
                f"the sign-on provider could not be reached ({url}: {exc}); try again later"
            ) from exc
        if not isinstance(data, dict):
            raise OidcError(f"the sign-on provider answered {url} with something not JSON")
        return data

    def post(self, url: str, data: dict[str, str], auth: tuple[str, str] | None) -> dict[str, Any]:
        """POST a form to the provider and return its JSON answer."""
        try:
            extra: dict[str, Any] = {} if auth is None else {"auth": httpx.BasicAuth(*auth)}
            if self._client is not None:
                response = self._client.post(url, data=data, timeout=_TIMEOUT, **extra)
            else:
                response = httpx.post(url, data=data, timeout=_TIMEOUT, **extra)
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcError(
                f"the sign-on provider's token endpoint failed ({exc}); try again"
            ) from exc
        if response.status_code != 200 or not isinstance(body, dict):
            error = body.get("error") if isinstance(body, dict) else None
            raise OidcError(
                f"the sign-on provider refused the sign-in code ({error or response.status_code}); "
                "sign in again"
            )
        return body

    def metadata(self) -> dict[str, Any]:
        """The discovery document (``/.well-known/openid-configuration``), checked:
        its ``issuer`` is the configured one and it names the endpoints the flow needs."""
        with self._lock:
            if self._metadata is not None and time.monotonic() - self._metadata[0] < CACHE_SECONDS:
                return self._metadata[1]
        data = self._get(self.issuer.rstrip("/") + "/.well-known/openid-configuration")
        if data.get("issuer") != self.issuer:
            raise OidcError(
                f"the sign-on provider says its issuer is {data.get('issuer')!r}, "
                f"not {self.issuer!r} as configured (B2BCX_OIDC_ISSUER)"
            )
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(data.get(key), str):
                raise OidcError(f"the sign-on provider's metadata lacks {key}")
        with self._lock:
            self._metadata = (time.monotonic(), data)
        return data

    def keys(self, *, refresh: bool = False) -> jwt.PyJWKSet:
        """The provider's signing keys (its JWKS), fetched again with ``refresh``."""
        with self._lock:
            if (
                not refresh
                and self._keys is not None
                and time.monotonic() - self._keys[0] < CACHE_SECONDS
            ):
                return self._keys[1]
        data = self._get(str(self.metadata()["jwks_uri"]))
        try:
            keys = jwt.PyJWKSet.from_dict(data)
        except jwt.PyJWTError as exc:
            raise OidcError(f"the sign-on provider's keys cannot be read ({exc})") from exc
        with self._lock:
            self._keys = (time.monotonic(), keys)
        return keys

    def key_for(self, token: str) -> jwt.PyJWK:
        """The JWKS key that signed ``token`` (by its ``kid``; the keys are
        fetched again once if none matches, as after a key rotation)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise OidcError(f"the id_token is not a JWT ({exc})") from exc
        kid = header.get("kid")
        for refresh in (False, True):
            keys = [k for k in self.keys(refresh=refresh).keys if k.public_key_use in (None, "sig")]
            matching = [k for k in keys if kid is None or k.key_id == kid]
            if (kid is None and len(matching) == 1) or (kid is not None and matching):
                return matching[0]
        raise OidcError("the id_token was signed with a key the sign-on provider does not publish")


_PROVIDERS: dict[str, Provider] = {}
_PROVIDERS_LOCK = threading.Lock()


def provider_for(settings: ServerSettings) -> Provider:
    """The (cached) provider of ``settings``.

    Raises
    ------
    ConfigurationError
        If single sign-on is not configured.
    """
    if not settings.oidc_enabled or settings.oidc_issuer is None:
        raise ConfigurationError(
            "single sign-on is not configured: set B2BCX_OIDC_ISSUER and B2BCX_OIDC_CLIENT_ID"
        )
    with _PROVIDERS_LOCK:
        found = _PROVIDERS.get(settings.oidc_issuer)
        if found is None:
            found = _PROVIDERS[settings.oidc_issuer] = Provider(settings.oidc_issuer)
        return found


def _scopes(settings: ServerSettings) -> str:
    scopes = settings.oidc_scopes.split()
    return " ".join(["openid", *(s for s in scopes if s != "openid")])


def begin(
    settings: ServerSettings, redirect_uri: str, *, provider: Provider | None = None
) -> Authorization:
    """Start a sign-in: the provider's authorization URL with a fresh ``state``,
    ``nonce`` and PKCE challenge (S256)."""
    provider = provider or provider_for(settings)
    meta = provider.metadata()
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)
    challenge = _b64(hashlib.sha256(verifier.encode("ascii")).digest())
    query = {
        "response_type": "code",
        "client_id": str(settings.oidc_client_id),
        "redirect_uri": redirect_uri,
        "scope": _scopes(settings),
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    endpoint = str(meta["authorization_endpoint"])
    joiner = "&" if urlsplit(endpoint).query else "?"
    return Authorization(f"{endpoint}{joiner}{urlencode(query)}", state, nonce, verifier)


def verify_id_token(
    settings: ServerSettings, token: str, nonce: str, *, provider: Provider | None = None
) -> dict[str, Any]:
    """The claims of an id_token whose signature, issuer, audience, expiry and
    nonce hold.

    Raises
    ------
    OidcError
        Saying which check failed.
    """
    provider = provider or provider_for(settings)
    meta = provider.metadata()
    advertised = meta.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [a for a in ALGORITHMS if a in advertised]
    if not algorithms:
        raise OidcError(f"the sign-on provider signs id_tokens with {advertised}, none accepted")
    key = provider.key_for(token)
    client_id = str(settings.oidc_client_id)
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key.key,
            algorithms=algorithms,
            audience=client_id,
            issuer=provider.issuer,
            leeway=LEEWAY,
            options={"require": ["iss", "aud", "exp", "iat", "sub"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise OidcError("the id_token has expired; sign in again") from exc
    except jwt.InvalidAudienceError as exc:
        raise OidcError("the id_token was issued to another client (aud)") from exc
    except jwt.InvalidIssuerError as exc:
        raise OidcError("the id_token was issued by another provider (iss)") from exc
    except jwt.InvalidSignatureError as exc:
        raise OidcError("the id_token's signature does not verify") from exc
    except jwt.PyJWTError as exc:
        raise OidcError(f"the id_token does not verify ({exc})") from exc
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise OidcError("the id_token names several audiences and another authorized party (azp)")
    if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
        raise OidcError("the id_token's nonce is not this sign-in's; sign in again")
    return claims


def finish(
    settings: ServerSettings,
    *,
    code: str,
    redirect_uri: str,
    verifier: str,
    nonce: str,
    provider: Provider | None = None,
) -> dict[str, Any]:
    """Exchange the code for tokens (PKCE verifier; client secret if configured)
    and return the verified id_token's claims (:func:`verify_id_token`)."""
    provider = provider or provider_for(settings)
    meta = provider.metadata()
    client_id = str(settings.oidc_client_id)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
        "client_id": client_id,
    }
    auth = None
    if settings.oidc_client_secret is not None:
        secret = settings.oidc_client_secret.get_secret_value()
        methods = meta.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        if "client_secret_basic" in methods:
            auth = (client_id, secret)
        else:
            data["client_secret"] = secret
    answer = provider.post(str(meta["token_endpoint"]), data, auth)
    token = answer.get("id_token")
    if not isinstance(token, str):
        raise OidcError("the sign-on provider returned no id_token (is 'openid' an allowed scope?)")
    return verify_id_token(settings, token, nonce, provider=provider)


def _values(claim: Any) -> list[str]:
    if claim is None:
        return []
    if isinstance(claim, str):
        return [v.strip() for v in claim.replace(",", " ").split() if v.strip()]
    if isinstance(claim, list | tuple):
        return [str(v).strip() for v in claim if str(v).strip()]
    return [str(claim)]


def identity_of(settings: ServerSettings, claims: dict[str, Any]) -> Identity:
    """The b2bcx identity of verified ``claims``: login, name, role, scope.

    Raises
    ------
    OidcError
        If the login claim is missing or not a valid login.
    """
    raw_login = claims.get(settings.oidc_login_claim)
    if not isinstance(raw_login, str) or not raw_login.strip():
        raise OidcError(
            f"the sign-on provider sent no {settings.oidc_login_claim!r} claim to sign in with "
            "(B2BCX_OIDC_LOGIN_CLAIM; add the scope that carries it to B2BCX_OIDC_SCOPES)"
        )
    try:
        login = normalize_login(raw_login)
    except ConfigurationError as exc:
        raise OidcError(str(exc)) from exc
    name = claims.get(settings.oidc_name_claim)
    role: Role | None = None
    if settings.oidc_role_claim:
        for value in _values(claims.get(settings.oidc_role_claim)):
            mapped = settings.oidc_role_map.get(value)
            if mapped is None:
                continue
            candidate = Role(mapped)
            if role is None or candidate.rank > role.rank:
                role = candidate
    if role is None and settings.oidc_default_role:
        role = Role(settings.oidc_default_role)
    accounts: tuple[str, ...] | None = None
    if settings.oidc_accounts_claim and settings.oidc_accounts_claim in claims:
        accounts = tuple(sorted(set(_values(claims[settings.oidc_accounts_claim]))))
    verified = claims.get("email_verified")
    return Identity(
        subject=f"{claims['iss']} {claims['sub']}",
        login=login,
        display_name=str(name).strip() if isinstance(name, str) and name.strip() else login,
        role=role,
        accounts=accounts,
        email_verified=verified if isinstance(verified, bool) else None,
    )


def sign_in_user(
    backend: Backend,
    settings: ServerSettings,
    identity: Identity,
    *,
    audit: AuditedBy | None = None,
) -> User:
    """The user ``identity`` signs in as, matched or made, with its role and
    scope brought up to the claims.

    A user is matched by the identity's subject; failing that, by login, if
    that user is not linked to another identity and the login is not an
    unverified e-mail address (``email_verified`` false) — the user is then
    linked to the identity. Otherwise a user is made (audited with ``audit``)
    with the role and scope the claims map to. At every sign-in the role and
    scope follow the claims (when a role claim or accounts claim is configured),
    so a change at the provider takes effect at the next sign-in.

    Raises
    ------
    OidcError
        If the claims map to no role, the login belongs to another identity,
        or the user is disabled.
    """
    row = authstore.get_user_by_subject(backend, identity.subject)
    if row is None:
        existing = get_user(backend, identity.login)
        if existing is not None:
            if existing.oidc_subject is not None:
                raise OidcError(
                    f"the login {identity.login!r} belongs to another single sign-on identity; "
                    "ask an administrator"
                )
            if identity.email_verified is False and settings.oidc_login_claim == "email":
                raise OidcError(
                    f"there is a user {identity.login!r} already, and the provider has not "
                    "verified this e-mail address; verify it at the provider first"
                )
            authstore.update_user(backend, existing.login, oidc_subject=identity.subject)
            if audit is not None:
                audit.record(
                    backend,
                    target=existing.subject,
                    status=200,
                    detail={"linked": identity.subject},
                )
            row = authstore.get_user(backend, existing.login)
        else:
            if identity.role is None:
                raise OidcError(
                    "your single sign-on account has no b2bcx role (B2BCX_OIDC_ROLE_MAP); "
                    "ask an administrator"
                )
            made = create_user(
                backend,
                login=identity.login,
                role=identity.role,
                password=None,
                display_name=identity.display_name,
                accounts=list(identity.accounts) if identity.accounts is not None else None,
                oidc_subject=identity.subject,
                check_accounts=False,
                audit=audit,
            )
            row = authstore.get_user(backend, made.login)
    assert row is not None
    login = str(row["login"])
    if row.get("disabled_at") is not None:
        raise OidcError("this user is disabled; ask an administrator")
    values: dict[str, Any] = {"last_signin_at": _now()}
    if settings.oidc_role_claim:
        if identity.role is None:
            raise OidcError(
                "your single sign-on account no longer has a b2bcx role; ask an administrator"
            )
        values["role"] = identity.role.value
    if settings.oidc_accounts_claim:
        values["accounts"] = list(identity.accounts) if identity.accounts is not None else None
    authstore.update_user(backend, login, **values)
    user = get_user(backend, login)
    assert user is not None
    return user


def _now() -> Any:
    import datetime as _dt

    return _dt.datetime.now(_dt.UTC).replace(tzinfo=None)
