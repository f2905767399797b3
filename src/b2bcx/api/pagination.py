"""Paging and sorting conventions, shared by every list endpoint.

- ``limit`` (1–1000, default 50) and ``offset`` (default 0) select a page;
- the response is ``{"items": [...], "total": N, "limit": L, "offset": O,
  "next": URL or null}``; ``next`` is the URL of the following page;
- ``sort`` names a field, ``-field`` for descending; each endpoint lists the
  fields it sorts by, and ties are broken by the record's id so pages are stable;
- filters are query parameters named after the field they filter (exact match),
  with ``since``/``until`` for date ranges and ``q`` for a case-insensitive
  text search where an endpoint documents it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request
from pydantic import BaseModel

from b2bcx.api.errors import ApiError

T = TypeVar("T")

MAX_LIMIT = 1000
DEFAULT_LIMIT = 50


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    items: list[T]
    total: int
    limit: int
    offset: int
    next: str | None = None


@dataclass(frozen=True)
class PageParams:
    """``limit`` and ``offset`` of a request."""

    limit: int
    offset: int


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=2**31, description="Items to skip.")] = 0,
) -> PageParams:
    """The paging parameters of a list endpoint."""
    return PageParams(limit=limit, offset=offset)


Paging = Annotated[PageParams, Depends(page_params)]


def next_url(request: Request, params: PageParams, total: int) -> str | None:
    """The URL of the following page, or ``None`` on the last page."""
    if params.offset + params.limit >= total:
        return None
    return str(request.url.include_query_params(offset=params.offset + params.limit))


def page_of(request: Request, params: PageParams, total: int, items: list[Any]) -> dict[str, Any]:
    """A page response."""
    return {
        "items": items,
        "total": total,
        "limit": params.limit,
        "offset": params.offset,
        "next": next_url(request, params, total),
    }


def slice_page(request: Request, params: PageParams, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A page of an in-memory list (cached results)."""
    return page_of(request, params, len(rows), rows[params.offset : params.offset + params.limit])


def parse_sort(sort: str | None, allowed: tuple[str, ...], default: str) -> tuple[str, bool]:
    """``(field, descending)`` of a ``sort`` parameter, checked against ``allowed``."""
    value = sort or default
    descending = value.startswith("-")
    name = value.lstrip("-")
    if name not in allowed:
        raise ApiError(
            422,
            f"sort: must be one of {', '.join(allowed)} (optionally with a "
            f"leading '-'), got {value!r}",
            code="invalid_request",
        )
    return name, descending


def sort_rows(rows: list[dict[str, Any]], name: str, descending: bool) -> list[dict[str, Any]]:
    """Rows sorted by ``name`` with missing values last, in either direction."""
    present = [r for r in rows if r.get(name) is not None]
    missing = [r for r in rows if r.get(name) is None]
    present.sort(key=lambda r: r[name], reverse=descending)
    return present + missing


def sort_query(fields: tuple[str, ...], default: str) -> Any:
    """The ``Query`` of a ``sort`` parameter over ``fields`` (documented as a pattern)."""
    return Query(
        pattern=f"^-?({'|'.join(fields)})$",
        description=f"One of {', '.join(fields)}; a leading '-' sorts descending. "
        f"Default: {default}.",
    )
