"""The web app: `create_app(settings)` builds the FastAPI application that `attain serve` runs.

The lifespan opens the app database's engine (migrating it to the newest schema first) and
the cached services over the store, which is opened read-only only while a result is computed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from attain import __version__
from attain.appdb.database import app_db_url, make_engine, upgrade
from attain.config import Settings
from attain.ingest.connectors.schedule import SyncSchedule
from attain.metrics.periods import configure_calendar
from attain.reports.templating import label, money, ratio, times
from attain.web import problems
from attain.web.rendering import named, rep_name, team_name, vega
from attain.web.routes import MODULES
from attain.web.services import Services

HERE = Path(__file__).parent

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # vega compiles chart expressions with Function(), hence 'unsafe-eval'; nothing is
    # loaded from elsewhere.
    "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
}


def templates() -> Jinja2Templates:
    """The page templates with Attain's number formats as filters."""
    found = Jinja2Templates(directory=HERE / "templates")
    found.env.filters.update(money=money, ratio=ratio, times=times, label=label)
    found.env.filters.update(rep_name=rep_name, team_name=team_name, named=named)
    found.env.globals["vega"] = vega
    return found


def create_app(settings: Settings, store: str | None = None, app_db: str | None = None) -> FastAPI:
    """The application over the store `store` (default settings.db) and the app database
    `app_db` (default settings.app_db)."""
    url = app_db_url(settings, app_db)
    target = store or settings.db
    configure_calendar(settings.calendar.fiscal())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        upgrade(url)
        app.state.engine = make_engine(url)
        app.state.services = Services(settings, target)
        app.state.sync_schedule = _sync_schedule(settings, target, app.state.services)
        try:
            yield
        finally:
            if app.state.sync_schedule is not None:
                app.state.sync_schedule.stop()
            app.state.engine.dispose()

    app = FastAPI(
        title="Attain",
        version=__version__,
        summary="Will we hit this quarter's targets, who is on pace, and why not.",
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.templates = templates()
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in MODULES:
        app.include_router(module.api)
        if hasattr(module, "writes"):
            app.include_router(module.writes)
        app.include_router(module.pages)
    problems.install(app)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app


def _sync_schedule(settings: Settings, store: str, services: Services) -> SyncSchedule | None:
    """The scheduled CRM syncs of `[sync]`, started; None when none is asked for."""
    if not settings.sync.every_minutes or not settings.sync.crms:
        return None
    schedule = SyncSchedule(settings.sync, store, services.writing)
    schedule.start()
    return schedule
