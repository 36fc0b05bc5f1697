"""The diagnosis: why reps miss target, most at stake first."""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse, Response

from attain.diagnosis.checked import unchecked_causes, unchecked_line
from attain.reports.diagnosis import diagnosis_headline
from attain.web import view_models
from attain.web.deps import ApiUser, AsOfParam, CurrentPage, ListParams, Services, routers
from attain.web.schemas import Finding, Page

pages, api = routers("diagnosis")


@pages.get("/diagnosis", response_class=HTMLResponse)
def diagnosis_page(page: CurrentPage, services: Services, as_of: AsOfParam = None) -> Response:
    day = services.as_of(as_of)
    findings = view_models.findings_view(services, page.user, day.day)
    found = services.diagnosis(day.day)
    data = {
        "as_of": day.day.isoformat(),
        "notes": list(day.notes),
        "findings": findings,
        "headline": diagnosis_headline(found),
        "unchecked": [unchecked_line(item) for item in unchecked_causes(found.skipped)],
    }
    return page.render("diagnosis.html", data=data, page="diagnosis")


@api.get(
    "/diagnosis/findings",
    response_model=Page[Finding],
    summary="Why reps miss target, most at stake first",
)
def findings(
    services: Services, user: ApiUser, listing: ListParams, as_of: AsOfParam = None
) -> Any:
    rows = view_models.findings_view(services, user, services.as_of(as_of).day)
    return listing.answer(rows, "findings")
