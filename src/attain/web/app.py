"""The web app: `create_app(settings)` builds the FastAPI application that `attain serve` runs.

The lifespan opens the app database's engine (migrating it to the newest schema first) and
the cached services over the store, which is opened read-only only while a result is computed.
`attain serve` also makes the app the store's one writer (`writer_token`: the token of its
claim on the store, attain.store.owner) and has it compute the pages' results in the
background (`background`: after each write, and at start when they are not kept yet).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from attain import __version__
from attain.appdb.database import app_db_url, make_engine, session_scope, upgrade
from attain.config import Settings
from attain.forecast.forecast import Overrides
from attain.ingest.connectors.schedule import SyncSchedule
from attain.metrics.periods import configure_calendar
from attain.plan.overrides import live_overrides
from attain.reports.templating import chance, label, money, ratio, times
from attain.store.owner import store_file
from attain.web import problems, view_models
from attain.web.delivery import delivery_loop
from attain.web.explain import evidence_view, meaning
from attain.web.rendering import named, render, rep_name, team_name, vega
from attain.web.results_cache import ResultsFile
from attain.web.routes import MODULES
from attain.web.services import PAGE_REQUEST, Services
from attain.web.warmup import ResultsComing

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
    found.env.auto_reload = False  # the templates ship with the code: no stat per page
    found.env.filters.update(money=money, ratio=ratio, chance=chance, times=times, label=label)
    found.env.filters.update(rep_name=rep_name, team_name=team_name, named=named)
    found.env.globals["vega"] = vega
    found.env.globals.update(evidence=evidence_view, meaning=meaning)
    return found


def create_app(
    settings: Settings,
    store: str | None = None,
    app_db: str | None = None,
    *,
    writer_token: str | None = None,
    background: bool = False,
) -> FastAPI:
    """The application over the store `store` (default settings.db) and the app database
    `app_db` (default settings.app_db); `writer_token` and `background` as the module says."""
    url = app_db_url(settings, app_db)
    target = store or settings.db
    configure_calendar(settings.calendar.fiscal())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        upgrade(url)
        app.state.engine = make_engine(url)
        app.state.services = _services(settings, target, app.state.engine, background)
        app.state.services.warm()
        app.state.sync_schedule = _sync_schedule(settings, target, app.state.services)
        app.state.delivery = delivery_loop(settings, app.state.engine, app.state.services)
        try:
            yield
        finally:
            _stop_jobs(app)
            app.state.services.close()
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
    app.state.writer_token = writer_token
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in MODULES:  # each route module's routers (web.routes says which it may have)
        for router in ("api", "writes", "pages", "forms"):
            if hasattr(module, router):
                app.include_router(getattr(module, router))
    problems.install(app)
    app.add_exception_handler(ResultsComing, _results_coming)

    app.add_middleware(PageRequests)
    return app


class PageRequests:
    """Every HTTP request's marks: whether it is a page (`PAGE_REQUEST`) and the security
    headers of its answer. A plain ASGI middleware: Starlette's `BaseHTTPMiddleware` (what
    `@app.middleware` makes) runs the app in a task of its own and streams the answer
    through it, which under load cost a warm page a tenth of its time in the server."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        # Set here, it is seen by the route's thread: a page whose result is still being
        # computed in the background says so (ResultsComing) where the API waits for it.
        PAGE_REQUEST.set(scope["method"] == "GET" and not path.startswith("/api/"))
        cached = path.startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for header, value in SECURITY_HEADERS.items():
                    headers.setdefault(header, value)
                if not cached:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, with_headers)


def _services(settings: Settings, store: str, engine: Engine, background: bool) -> Services:
    """The cached services, with a results file beside a DuckDB store."""
    path = store_file(store)
    results = None if path is None else ResultsFile.beside(path, settings.model_dump_json())
    services = Services(settings, store, results)
    services.background = background

    def overrides() -> Overrides:
        with session_scope(engine) as session:
            return live_overrides(session)

    services.live_overrides = overrides
    services.prepare_pages = lambda day: view_models.prepare_rep_pages(services, day)
    return services


async def _results_coming(request: Request, error: Exception) -> Response:
    """A page whose result is being computed: what is ready and what is coming; it reloads."""
    assert isinstance(error, ResultsComing)
    response = render(request, "results_coming.html", None, steps=error.steps)
    response.headers["Refresh"] = "3"
    return response


def _stop_jobs(app: FastAPI) -> None:
    """Stop the background jobs the lifespan started: scheduled syncs, delivery."""
    for job in (app.state.sync_schedule, app.state.delivery):
        if job is not None:
            job.stop()


def _sync_schedule(settings: Settings, store: str, services: Services) -> SyncSchedule | None:
    """The scheduled CRM syncs of `[sync]`, started; None when none is asked for."""
    if not settings.sync.every_minutes or not settings.sync.crms:
        return None
    schedule = SyncSchedule(settings.sync, store, services.writing)
    schedule.start()
    return schedule
