"""Delivery preferences: when and where each user's digest goes and which alerts they get
(`/delivery`), and the signed unsubscribe links of every e-mail (`/unsubscribe/{token}`),
which work without signing in: GET asks to confirm (link checkers fetch links), POST stops
(also the one-click POST of mail clients, RFC 8058)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from attain.access import NotFound
from attain.appdb.database import session_scope
from attain.appdb.delivery import AlertKind, Channel
from attain.errors import InputError
from attain.web.delivery import preferences_view, set_alerts
from attain.web.deps import AppDb, CurrentPage, page_forms, routers
from attain.web.rendering import render, text
from attain.workflow.delivery import unsubscribe
from attain.workflow.delivery.schedule import parse_clock, parse_weekday, set_schedule
from attain.workflow.delivery.schedule import zone as check_zone

pages, api = routers("delivery")
forms = page_forms()


@pages.get("/delivery", response_class=HTMLResponse)
def delivery_page(page: CurrentPage, engine: AppDb) -> Response:
    data = preferences_view(engine, page.user)
    return page.render("delivery.html", data=data, page="delivery")


@forms.post("/delivery/schedule")
async def set_schedule_page(page: CurrentPage, engine: AppDb) -> Response:
    form = await page.request.form()
    channel = _channel(text(form, "channel"))
    weekday = parse_weekday(text(form, "weekday") or "Monday")
    hour, minute = parse_clock(text(form, "at") or "08:00")
    time_zone = text(form, "time_zone") or "UTC"
    check_zone(time_zone)
    with session_scope(engine, user_id=page.user.id) as session:
        set_schedule(
            session,
            page.user.id,
            channel,
            now=datetime.now(UTC),
            weekday=weekday,
            hour=hour,
            minute=minute,
            time_zone=time_zone,
            webhook_url=text(form, "webhook"),
            enabled=text(form, "enabled") != "off",
        )
    return RedirectResponse("/delivery", status_code=303)


@forms.post("/delivery/alerts")
async def set_alerts_page(page: CurrentPage, engine: AppDb) -> Response:
    form = await page.request.form()
    kinds = [AlertKind(k) for k in form.getlist("kind") if k in {a.value for a in AlertKind}]
    set_alerts(engine, page.user, kinds, _channel(text(form, "channel")), text(form, "webhook"))
    return RedirectResponse("/delivery", status_code=303)


@pages.get("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_page(request: Request, engine: AppDb, token: str) -> Response:
    stop = _stop(engine, token)
    return render(request, "unsubscribe.html", None, stop=stop, token=token, done=False)


@pages.post("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_now(request: Request, engine: AppDb, token: str) -> Response:
    stop = _stop(engine, token)
    unsubscribe.apply(engine, stop)
    return render(request, "unsubscribe.html", None, stop=stop, token=token, done=True)


def _stop(engine: AppDb, token: str) -> unsubscribe.Unsubscribe:
    found = unsubscribe.read(engine, token)
    if found is None:
        raise NotFound("no such unsubscribe link")
    return found


def _channel(value: str) -> Channel:
    try:
        return Channel(value or "email")
    except ValueError as error:
        raise InputError(f"channel {value!r}: choose email, slack or teams") from error
