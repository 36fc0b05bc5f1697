"""The team's voice and reps learning from each other: pulse surveys, feedback on coaching,
peer pairings, and the calendar feed that calendar apps subscribe to (docs/workflow.md)."""

from __future__ import annotations

from fastapi import Path
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from attain.web import deps, voice
from attain.web.deps import ApiUser, AppDb, AsOfParam, CurrentPage, RecordId, Services
from attain.web.rendering import text
from attain.web.schemas import PairingReview, PairingSuggestions, TeamSurveys

pages, api = deps.routers("voice")
forms = deps.page_forms()

FeedToken = Path(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")


@pages.get("/surveys", response_class=HTMLResponse)
def surveys_page(page: CurrentPage, services: Services, engine: AppDb) -> Response:
    data = voice.surveys_page(services, engine, page.user)
    return page.render("surveys.html", data=data, page="surveys")


@forms.post("/surveys")
async def send_survey(page: CurrentPage, services: Services, engine: AppDb) -> Response:
    form = await page.request.form()
    made = voice.send_survey_view(
        services, engine, page.user, text(form, "team_id"), text(form, "template")
    )
    return RedirectResponse(f"/surveys/{made['id']}", status_code=303)


@pages.get("/surveys/{survey_id}", response_class=HTMLResponse)
def survey_page(
    page: CurrentPage, services: Services, engine: AppDb, survey_id: RecordId
) -> Response:
    data = voice.survey_view(services, engine, page.user, survey_id)
    return page.render("survey.html", data=data, page="surveys")


@forms.post("/surveys/{survey_id}/answers")
async def answer_survey(
    page: CurrentPage, services: Services, engine: AppDb, survey_id: RecordId
) -> Response:
    form = await page.request.form()
    voice.answer_survey_view(
        services, engine, page.user, survey_id, text(form, "score"), text(form, "words")
    )
    return RedirectResponse(f"/surveys/{survey_id}", status_code=303)


@forms.post("/coaching-sessions/{session_id}/feedback")
async def give_feedback(
    page: CurrentPage, services: Services, engine: AppDb, session_id: RecordId
) -> Response:
    form = await page.request.form()
    voice.feedback_view(
        services, engine, page.user, session_id, text(form, "useful"), text(form, "word")
    )
    return RedirectResponse("/surveys", status_code=303)


@pages.get("/pairings", response_class=HTMLResponse)
def pairings_page(
    page: CurrentPage, services: Services, engine: AppDb, as_of: AsOfParam = None
) -> Response:
    data = voice.pairings_page(services, engine, page.user, as_of)
    return page.render("pairings.html", data=data, page="pairings")


@forms.post("/pairings")
async def propose_pairing(page: CurrentPage, services: Services, engine: AppDb) -> Response:
    form = await page.request.form()
    fields = ("learner", "peer", "gap_kind", "gap", "planned_at")
    made = voice.propose_view(services, engine, page.user, {f: text(form, f) for f in fields})
    return RedirectResponse(f"/pairings/{made['id']}", status_code=303)


@pages.get("/pairings/{pairing_id}", response_class=HTMLResponse)
def pairing_page(
    page: CurrentPage,
    services: Services,
    engine: AppDb,
    pairing_id: RecordId,
    as_of: AsOfParam = None,
) -> Response:
    data = voice.pairing_view(services, engine, page.user, pairing_id, as_of)
    return page.render("pairing.html", data=data, page="pairings")


@forms.post("/pairings/{pairing_id}/met")
async def pairing_met(
    page: CurrentPage, services: Services, engine: AppDb, pairing_id: RecordId
) -> Response:
    form = await page.request.form()
    fields = ("held_on", "minutes", "notes")
    voice.met_view(services, engine, page.user, pairing_id, {f: text(form, f) for f in fields})
    return RedirectResponse(f"/pairings/{pairing_id}", status_code=303)


@forms.post("/calendar/token")
def new_calendar_token(page: CurrentPage, services: Services, engine: AppDb) -> Response:
    data = voice.new_feed_view(services, engine, page.user)
    url = f"{str(page.request.base_url).rstrip('/')}{data['path']}"
    return page.render("calendar_token.html", data={**data, "url": url}, page="surveys")


@pages.get("/calendar/{token}.ics")
def calendar_feed(services: Services, engine: AppDb, token: str = FeedToken) -> Response:
    """The feed itself: no session, the token in the URL is the secret (404 otherwise)."""
    document = voice.feed_document(services, engine, token)
    return Response(
        document,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )


@api.get(
    "/teams/{team_id}/surveys",
    summary="A team's pulse surveys over time: answers, mean, change and themes, each hidden "
    "below the minimum of answers (admins; managers for their teams)",
)
def team_surveys(services: Services, engine: AppDb, user: ApiUser, team_id: str) -> TeamSurveys:
    return TeamSurveys.model_validate(voice.team_surveys_view(services, engine, user, team_id))


@api.get(
    "/pairings/suggestions",
    summary="For each rep with a stage, skill or activity gap, the peer strong exactly there",
)
def pairing_suggestions(
    services: Services, engine: AppDb, user: ApiUser, as_of: AsOfParam = None
) -> PairingSuggestions:
    return PairingSuggestions.model_validate(voice.suggestions_view(services, engine, user, as_of))


@api.get(
    "/pairings/{pairing_id}/review",
    summary="Whether a pairing's gap closed: weekly values before and after, test and verdict",
)
def pairing_review(
    services: Services, engine: AppDb, user: ApiUser, pairing_id: RecordId, as_of: AsOfParam = None
) -> PairingReview:
    data = voice.pairing_view(services, engine, user, pairing_id, as_of)
    return PairingReview.model_validate(data["review"])
