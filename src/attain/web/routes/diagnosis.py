"""The diagnosis: why reps miss target, most at stake first."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from attain.web import view_models
from attain.web.deps import ApiUser, AsOfParam, ListParams, PageUser, Services
from attain.web.rendering import render

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["diagnosis"])


@pages.get("/diagnosis", response_class=HTMLResponse)
def diagnosis_page(
    request: Request, services: Services, user: PageUser, as_of: AsOfParam = None
) -> Response:
    day = services.as_of(as_of)
    findings = view_models.findings_view(services, user, day.day)
    data = {"as_of": day.day.isoformat(), "notes": list(day.notes), "findings": findings}
    return render(request, "diagnosis.html", user, data=data, page="diagnosis")


@api.get("/diagnosis/findings", summary="Why reps miss target, most at stake first")
def findings(
    services: Services, user: ApiUser, listing: ListParams, as_of: AsOfParam = None
) -> Any:
    rows = view_models.findings_view(services, user, services.as_of(as_of).day)
    return listing.answer(rows, "findings")
