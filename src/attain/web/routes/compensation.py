"""Compensation: each rep's payout for a period, and whether the plan rewards priority
products."""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse, Response

from attain.web import deps, management
from attain.web.deps import ApiUser, AppDb, AsOfParam, CurrentPage, PeriodParam, RepParam
from attain.web.schemas import Payouts

pages, api = deps.routers("compensation")


@pages.get("/compensation", response_class=HTMLResponse)
def compensation_page(
    page: CurrentPage,
    services: deps.Services,
    engine: AppDb,
    as_of: AsOfParam = None,
    period: PeriodParam = None,
    rep: str | None = None,
) -> Response:
    data = management.payouts_view(services, engine, page.user, as_of, period or None, rep)
    return page.render("compensation.html", data=data, page="compensation")


@api.get(
    "/payouts",
    response_model=Payouts,
    summary="Each rep's payout for a period and whether the plan rewards priority products",
)
def payouts(
    services: deps.Services,
    engine: AppDb,
    user: ApiUser,
    table: deps.TableParams,
    period: PeriodParam = None,
    rep_id: RepParam = None,
) -> Any:
    data = management.payouts_view(services, engine, user, table.as_of, period, rep_id)
    rows = [{k: v for k, v in row.items() if k != "deals"} for row in data["reps"]]
    return table.answer(data, rows, f"payouts-{data['period']['start']}")
