"""The dashboard's pages, one module per page."""

from __future__ import annotations

from fastapi import APIRouter

from b2bcx.web.routes import (
    account,
    cases,
    imports,
    portfolio,
    readiness,
    signin,
    strategy,
    text,
    text_jobs,
    touchpoints,
)

ROUTERS: tuple[APIRouter, ...] = (
    signin.router,
    portfolio.router,
    account.router,
    touchpoints.router,
    text.router,
    text_jobs.router,
    strategy.router,
    cases.router,
    imports.router,
    readiness.router,
)
