"""A small but real OpenID Connect provider for the sign-in tests.

The machine cannot reach an external identity provider, so the tests start
this one in-process (uvicorn on a loopback port): discovery, an authorization
endpoint (authorization code flow; PKCE S256 required), a token endpoint (client
secret by HTTP Basic, single-use codes, the PKCE verifier checked), and a JWKS.
Its id_tokens are RS256-signed with a freshly generated 2048-bit RSA key.

Knobs for the negative tests (``tamper``): ``"aud"``, ``"iss"``, ``"expired"``,
``"nonce"``, ``"foreign_key"`` (signed by a key the JWKS does not hold, under
a published ``kid``), ``"no_kid"``; :meth:`TestProvider.rotate` publishes a new
signing key (the old one dropped), as a provider rotating its keys does.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID = "b2bcx-test-client"
CLIENT_SECRET = "s3cret-of-the-test-client-" + "y" * 20


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class _Key:
    kid: str
    private: rsa.RSAPrivateKey

    def jwk(self) -> dict[str, Any]:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**public, "kid": self.kid, "use": "sig", "alg": "RS256"}


def _new_key() -> _Key:
    return _Key(
        secrets.token_hex(6), rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )


@dataclass
class TestProvider:
    """The provider's state; ``issuer`` is set once it listens."""

    __test__ = False  # not a test class

    claims: dict[str, Any] = field(default_factory=dict)
    interactive: bool = False
    tamper: str | None = None
    issuer: str = ""
    keys: list[_Key] = field(default_factory=lambda: [_new_key()])
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    jwks_fetches: int = 0

    def rotate(self) -> None:
        """Publish a new signing key in place of the old one."""
        self.keys = [_new_key()]

    # -- endpoints -----------------------------------------------------------

    async def discovery(self, request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                "scopes_supported": ["openid", "email", "profile"],
            }
        )

    async def jwks(self, request: Request) -> Response:
        self.jwks_fetches += 1
        return JSONResponse({"keys": [k.jwk() for k in self.keys]})

    async def authorize(self, request: Request) -> Response:
        q = request.query_params
        problems = []
        if q.get("response_type") != "code":
            problems.append("response_type")
        if q.get("client_id") != CLIENT_ID:
            problems.append("client_id")
        if "openid" not in (q.get("scope") or "").split():
            problems.append("scope")
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            problems.append("pkce")
        if not q.get("state") or not q.get("nonce") or not q.get("redirect_uri"):
            problems.append("state/nonce/redirect_uri")
        if problems:
            return JSONResponse({"error": "invalid_request", "bad": problems}, status_code=400)
        if self.interactive and request.method == "GET":
            fields = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                for k, v in q.items()
            )
            who = html.escape(str(self.claims.get("email")))
            return HTMLResponse(
                "<!doctype html><html><head><title>Test IdP</title></head><body>"
                f"<h1>Test IdP</h1><p>Sign in to b2bcx as {who}?</p>"
                f'<form method="post" action="/authorize?{html.escape(urlencode(dict(q)))}">'
                f'{fields}<button id="approve" type="submit">Continue</button></form></body></html>'
            )
        code = secrets.token_urlsafe(24)
        self.codes[code] = {
            "redirect_uri": q["redirect_uri"],
            "nonce": q["nonce"],
            "challenge": q["code_challenge"],
            "claims": dict(self.claims),
            "at": time.time(),
        }
        back = f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}"
        return RedirectResponse(back, status_code=303)

    async def token(self, request: Request) -> Response:
        form = dict(await request.form())
        self.token_requests.append(form)
        auth = request.headers.get("authorization", "")
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if auth != expected:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = self.codes.pop(str(form.get("code")), None)  # single use
        if grant is None or form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return JSONResponse({"error": "invalid_grant", "bad": "redirect_uri"}, status_code=400)
        verifier = str(form.get("code_verifier") or "")
        if _b64(hashlib.sha256(verifier.encode()).digest()) != grant["challenge"]:
            return JSONResponse({"error": "invalid_grant", "bad": "code_verifier"}, status_code=400)
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(24),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": self.id_token(grant["claims"], grant["nonce"]),
            }
        )

    def id_token(self, claims: dict[str, Any], nonce: str) -> str:
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            **claims,
        }
        key = self.keys[0]
        headers: dict[str, Any] = {"kid": key.kid}
        private = key.private
        if self.tamper == "aud":
            payload["aud"] = "another-client"
        elif self.tamper == "iss":
            payload["iss"] = "https://evil.example"
        elif self.tamper == "expired":
            payload["iat"], payload["exp"] = now - 7200, now - 3600
        elif self.tamper == "nonce":
            payload["nonce"] = "a-replayed-nonce"
        elif self.tamper == "foreign_key":
            private = _new_key().private
        elif self.tamper == "no_kid":
            headers = {}
        return jwt.encode(payload, private, algorithm="RS256", headers=headers)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/jwks", self.jwks),
                Route("/authorize", self.authorize, methods=["GET", "POST"]),
                Route("/token", self.token, methods=["POST"]),
            ]
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_provider(**claims: Any) -> Iterator[TestProvider]:
    """A provider listening on ``http://127.0.0.1:PORT`` whose signed-in person
    has ``claims`` (``sub``, ``email``, ...)."""
    provider = TestProvider(claims=claims)
    port = free_port()
    provider.issuer = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(
        uvicorn.Config(provider.app(), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started, "the test OIDC provider did not start"
    try:
        yield provider
    finally:
        server.should_exit = True
        thread.join(timeout=10)
