"""The API's routes, one module per area; each route parses, makes one call, formats."""

from __future__ import annotations

from fastapi import APIRouter

from b2bcx.api.routes import (
    accounts,
    admin,
    analyses,
    cases,
    catalogue,
    findings,
    imports,
    meta,
    readiness,
    records,
    strategy,
    text,
    users,
)

ROUTERS: tuple[APIRouter, ...] = (
    meta.router,
    readiness.router,
    accounts.router,
    records.router,
    catalogue.router,
    analyses.router,
    findings.router,
    text.router,
    strategy.router,
    cases.router,
    imports.router,
    admin.router,
    users.router,
)
