"""Who is looking at a page: the session's token, or a redirect to sign in; and
how a form shows what the server refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request

from b2bcx.errors import B2bcxError
from b2bcx.server.http import State, status_of
from b2bcx.server.sessions import SESSION_COOKIE, session_of
from b2bcx.server.tokens import Principal, Role
from b2bcx.server.uploads import UploadRejected


class SignInRequired(Exception):
    """The page needs a session; the handler redirects to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def signin_url(next_path: str) -> str:
    """The sign-in page, coming back to ``next_path``."""
    return f"/signin?next={quote(next_path, safe='/')}"


def page_principal(request: Request, state: State) -> Principal:
    """The signed-in token of a page request."""
    found = session_of(state, request.cookies.get(SESSION_COOKIE))
    if found is None:
        raise SignInRequired(request.url.path)
    session, principal = found
    request.state.principal = principal
    request.state.session = session
    return principal


Visitor = Annotated[Principal, Depends(page_principal)]


def page_analyst(principal: Visitor) -> Principal:
    """A signed-in token with the analyst role and every account."""
    if not principal.has_role(Role.analyst):
        raise HTTPException(403, "imports and strategy answers need the analyst role")
    if principal.is_restricted:
        raise HTTPException(403, "imports and strategy answers need a token for every account")
    return principal


AnalystVisitor = Annotated[Principal, Depends(page_analyst)]


def refuse_forged_form() -> HTTPException:
    """The error for a form whose CSRF token does not match the session's."""
    return HTTPException(403, "the form expired or did not come from this site; reload the page")


@dataclass(frozen=True)
class FormError:
    """What a form shows when the server refused it: the HTTP status, the
    message, and details (the first rejected rows of a bundle)."""

    status: int
    message: str
    details: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(cls, exc: B2bcxError) -> FormError:
        """The form error of a library or server error."""
        details = exc.details() if isinstance(exc, UploadRejected) else []
        return cls(status_of(exc)[0], str(exc), details)
