"""Issue 25's pulse survey in the browser: a manager sends a survey to their team, reps answer
it one by one; with four answers the manager sees only that four have answered, with five the
mean and the themes, and never a single answer's words."""

from __future__ import annotations

import re

import pytest
from browser_support import screenshot, sign_in
from playwright.sync_api import Page, expect

from attain.appdb.database import session_scope
from attain.appdb.users import add_user
from attain.metrics.targets import rep_roster
from attain.store import connect
from tests.support.appdb import app_engine
from tests.support.web import PASSWORD, Demo

pytestmark = pytest.mark.browser

ANSWERS = [
    (2, "more deal reviews"),
    (3, "deal coaching"),
    (2, "pricing help"),
    (4, "deal desk"),
    (3, "quieter weeks"),
]
"""Score and words of each rep in turn; only 'deal' is in more than one answer."""
SINGLE_WORDS = ("reviews", "coaching", "pricing", "desk", "quieter")


@pytest.fixture(scope="module")
def team_reps(demo: Demo, app_db: str) -> list[str]:
    """Accounts voice1..voice5 for five reps of the manager's team (other than the rep user)."""
    backend = connect(str(demo.store), read_only=True)
    try:
        roster = rep_roster(backend)
    finally:
        backend.disconnect()
    sellers = roster[(roster["team_id"] == demo.team) & (roster["role"] == "rep")]
    reps = sorted(str(r) for r in sellers["rep_id"] if str(r) != demo.own_rep)[:5]
    assert len(reps) == 5
    with app_engine(app_db) as engine, session_scope(engine) as session:
        for k, rep in enumerate(reps, start=1):
            add_user(session, f"voice{k}@example.com", f"Voice {k}", "rep", PASSWORD, rep_id=rep)
    return reps


def answer(page: Page, who: str, survey: str, score: int, words: str) -> None:
    """Sign in as `who`, open the survey's link, answer and sign out."""
    sign_in(page, who, survey)
    page.get_by_test_id(f"score-{score}").check()
    page.get_by_test_id("answer-words").fill(words)
    page.get_by_test_id("answer-submit").click()
    expect(page.get_by_test_id("answered")).to_be_visible()
    page.get_by_test_id("logout").click()


def test_a_manager_sees_the_aggregate_from_five_answers_and_never_a_single_answer(
    page: Page, demo: Demo, team_reps: list[str]
) -> None:
    sign_in(page, "manager", "/surveys")
    page.get_by_test_id("survey-team").select_option(demo.team)
    page.get_by_test_id("survey-template").select_option("needs")
    page.get_by_test_id("send-survey-submit").click()
    expect(page).to_have_url(re.compile(r"/surveys/\d+$"))
    survey = "/surveys/" + page.url.rsplit("/", 1)[1]
    expect(page.get_by_test_id("survey-answers")).to_have_attribute("data-value", "0")
    page.get_by_test_id("logout").click()

    for k, (score, words) in enumerate(ANSWERS[:4], start=1):
        answer(page, f"voice{k}", survey, score, words)
    sign_in(page, "manager", survey)
    expect(page.get_by_test_id("survey-answers")).to_have_attribute("data-value", "4")
    expect(page.get_by_test_id("survey-hidden")).to_be_visible()
    expect(page.get_by_test_id("survey-mean")).to_have_count(0)
    for word in (*SINGLE_WORDS, "deal"):
        expect(page.locator("main")).not_to_contain_text(word)
    screenshot(page, "manager", "survey-hidden")
    page.get_by_test_id("logout").click()

    answer(page, "voice5", survey, *ANSWERS[4])
    sign_in(page, "manager", survey)
    expect(page.get_by_test_id("survey-answers")).to_have_attribute("data-value", "5")
    # (2 + 3 + 2 + 4 + 3) / 5 = 2.8; 'deal' is in three answers, every other word in one.
    expect(page.get_by_test_id("survey-mean")).to_have_attribute("data-value", "2.8")
    expect(page.get_by_test_id("survey-themes")).to_contain_text("deal (3)")
    for word in SINGLE_WORDS:
        expect(page.locator("main")).not_to_contain_text(word)
    screenshot(page, "manager", "survey-shown")
