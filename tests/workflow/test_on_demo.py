"""Acceptance on the demo organisation: reps planted with no coaching are overdue in the
coverage report; the agenda of a rep planted with no follow-up starts with a follow-up
question; the digests render."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from workflow_support import Demo

from attain.appdb.database import session_scope
from attain.diagnosis.run import diagnose
from attain.metrics.report import performance_report
from attain.store import connect
from attain.workflow.agenda import rep_agenda
from attain.workflow.coverage import store_coverage
from attain.workflow.digest import build_digest, render_html, render_markdown, weekly_wins


@pytest.fixture(scope="module")
def analysed(demo: Demo):  # type: ignore[no-untyped-def]
    backend = connect(str(demo.store), read_only=True)
    report = performance_report(backend, as_of=demo.truth.as_of)
    found = diagnose(backend, as_of=demo.truth.as_of, icp=demo.truth.icp_settings())
    yield backend, report, found
    backend.disconnect()


def test_reps_planted_with_no_coaching_are_overdue(analysed, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    backend, report, _ = analysed
    classes = {c.rep_id: c.performance_class for c in report.classification}
    planted = ["R0005", "R0009", "R0016", "R0024"]
    with session_scope(engine) as session:
        rows = {
            r.rep_id: r for r in store_coverage(session, backend, report.as_of, classes=classes)
        }
    for rep in planted:
        assert rows[rep].overdue, rep
        assert any("shadowed 0 times" in reason for reason in rows[rep].reasons), rep


def test_planted_reps_match_truth(demo: Demo) -> None:
    assert demo.truth.reps_with("coaching") == ["R0005", "R0009", "R0016", "R0024"]
    assert demo.truth.reps_with("follow_up") == ["R0013", "R0023", "R0030", "R0036"]


def test_agenda_of_a_rep_with_no_follow_up_starts_with_a_follow_up_question(
    demo: Demo,
    analysed,
    engine: Engine,  # type: ignore[no-untyped-def]
) -> None:
    backend, _, found = analysed
    for rep in demo.truth.reps_with("follow_up"):
        with session_scope(engine) as session:
            agenda = rep_agenda(session, backend, rep, demo.truth.as_of, found.findings)
        assert 3 <= len(agenda.items) <= 6
        first = agenda.items[0]
        assert first.cause == "follow_up", (rep, first)
        assert "follow-up" in first.question


def test_team_and_rep_digests_render_as_markdown_and_html(demo: Demo, analysed) -> None:  # type: ignore[no-untyped-def]
    backend, report, found = analysed
    wins = weekly_wins(backend, report.as_of.replace(day=report.as_of.day - 6), report.as_of)
    team = report.reps[0].team_id
    assert team is not None
    digest = build_digest("team", team, report, found.findings, wins)
    assert digest.leaderboard and digest.leaderboard[0].rank == 1
    text = render_markdown(digest)
    assert "## Leaderboard" in text and "## Wins this week" in text
    html = render_html(digest)
    assert "<style" not in html and 'style="' in html and "<script" not in html
    rep = build_digest("rep", report.reps[0].rep_id, report, found.findings, wins)
    assert all(row.team_id == team for row in rep.leaderboard)
    assert {w.rep_id for w in rep.wins} <= {report.reps[0].rep_id}
