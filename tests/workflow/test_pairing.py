"""Peer pairing: on the demo organisation, each rep leaking deals at a stage is paired with a
peer among the three best at that stage; a pairing is recorded as its own kind of coaching and
its before/after verdict says whether the gap closed. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from workflow_support import Demo

from attain.appdb.database import session_scope
from attain.appdb.models import CoachingKind, CoachingSession, PairingStatus, Role, Skill, User
from attain.appdb.users import add_user
from attain.diagnosis.context import build_context
from attain.diagnosis.run import diagnose
from attain.diagnosis.stage_leakage import FunnelTable, funnel_table
from attain.errors import InputError
from attain.metrics.report import performance_report
from attain.metrics.targets import rep_roster
from attain.store import connect, raw_duckdb
from attain.workflow.pairing import (
    Candidate,
    choose,
    propose_pairing,
    record_meeting,
    review_pairing,
    skill_suggestions,
    stage_suggestions,
    stage_weekly_rates,
)
from attain.workflow.settings import WorkflowSettings


@pytest.fixture(scope="module")
def leakage(demo: Demo) -> Iterator[tuple[FunnelTable, list[Any], dict[str, str | None]]]:
    """The demo's funnel table, stage-leakage findings and each rep's team."""
    backend = connect(str(demo.store), read_only=True)
    report = performance_report(backend, as_of=demo.truth.as_of)
    found = diagnose(backend, as_of=demo.truth.as_of, icp=demo.truth.icp_settings())
    table = funnel_table(build_context(backend, as_of=demo.truth.as_of, report=report))
    roster = rep_roster(backend)
    teams = {
        str(r): None if t is None else str(t)
        for r, t in zip(roster["rep_id"], roster["team_id"], strict=True)
    }
    backend.disconnect()
    assert isinstance(table, FunnelTable)
    leaks = [f for f in found.findings if f.cause == "stage_leakage" and f.scope == "rep"]
    yield table, leaks, teams


def top_three(table: FunnelTable, stage: str, learner: str, min_deals: int) -> list[str]:
    """The three sellers other than the learner converting best at `stage`, read rep by rep
    from the table's public steps (at least `min_deals` deals through the stage)."""
    rates = []
    for rep in table.sellers:
        for step in table.steps(rep):
            if step.stage == stage and step.rep_n >= min_deals and rep != learner:
                assert step.rep_rate is not None
                rates.append((step.rep_rate, rep))
    return [rep for _, rep in sorted(rates, reverse=True)[:3]]


def test_each_leaking_rep_is_paired_with_a_peer_among_the_three_best_at_that_stage(
    demo: Demo, leakage: tuple[FunnelTable, list[Any], dict[str, str | None]]
) -> None:
    table, findings, teams = leakage
    planted = {
        p.rep_id: p.detail["stage"] for p in demo.truth.planted if p.cause == "stage_leakage"
    }
    found = {f.id: f.evidence["stage"] for f in findings}
    # The detector finds each planted rep at their planted stage (on this demo: R0020 and
    # R0022 at Discovery, R0026 at Proposal, R0038 at Negotiation), where suggestions start.
    assert found == planted and len(planted) == 4
    settings = WorkflowSettings()
    suggestions = stage_suggestions(table, findings, teams, settings)
    assert {s.gap.rep_id for s in suggestions} == set(found)
    for suggestion in suggestions:
        stage, learner = suggestion.gap.name, suggestion.gap.rep_id
        best = top_three(table, stage, learner, settings.pairing_min_deals)
        assert suggestion.peer.rep_id in best, (learner, stage, suggestion.peer, best)
        assert suggestion.peer.rep_id != learner
        # A peer strong exactly there: not a rep planted to leak at that very stage.
        assert planted.get(suggestion.peer.rep_id) != stage
        peer_rate = suggestion.peer.value
        assert suggestion.gap.value is not None and peer_rate > suggestion.gap.value


def test_a_teammate_is_preferred_only_from_among_the_three_best() -> None:
    ranked = [Candidate("a", 0.9), Candidate("b", 0.8), Candidate("c", 0.7), Candidate("d", 0.6)]
    teams = {"me": "t1", "a": "t2", "b": "t2", "c": "t1", "d": "t1"}
    assert choose("me", ranked, teams) == (Candidate("c", 0.7), True)
    assert choose("me", ranked, {**teams, "c": "t2"}) == (Candidate("a", 0.9), False)
    assert choose("a", [Candidate("a", 0.9)], teams) is None


def test_skill_gaps_get_a_peer_scored_four_or_five() -> None:
    scores = {
        ("r1", Skill.CLOSING): 2,
        ("r2", Skill.CLOSING): 5,
        ("r3", Skill.CLOSING): 4,
        ("r3", Skill.DISCOVERY): 3,
        ("r1", Skill.DISCOVERY): 3,
    }
    teams = {"r1": "t1", "r2": "t2", "r3": "t1"}
    found = {
        (s.gap.rep_id, s.gap.name): s for s in skill_suggestions(scores, teams, WorkflowSettings())
    }
    # r3 (4, same team) is among the best three, so preferred over r2 (5, another team).
    assert found[("r1", "closing")].peer.rep_id == "r3"
    assert found[("r1", "closing")].same_team
    # Nobody is scored 4 or 5 on discovery: no suggestion.
    assert ("r1", "discovery") not in found and ("r3", "discovery") not in found


FUNNEL = ("Qualify", "Proposal", "Negotiation")
MET = date(2026, 10, 5)  # a Monday
# Deals of the learner leaving Proposal per week: (moved on, lost). Before the pairing she
# moves on 1 in 4 or fewer; in the four weeks after, 3 or 4 in 4.
BEFORE = [(1, 3), (0, 4), (1, 3), (0, 4)]
AFTER = [(3, 1), (4, 0), (3, 1), (4, 0)]


@pytest.fixture
def store() -> Iterator[Any]:
    """Bea's deals entering Proposal and leaving it (to Negotiation, or lost) each week."""
    backend = connect(":memory:")
    con = raw_duckdb(backend)
    con.execute(
        "INSERT INTO reps (rep_id, name, role) VALUES ('bea', 'Bea', 'rep'), ('cy', 'Cy', 'rep')"
    )
    deals, stages = [], []
    weeks = [(MET - timedelta(weeks=4 - k), counts) for k, counts in enumerate(BEFORE)]
    weeks += [(MET + timedelta(days=1, weeks=k), counts) for k, counts in enumerate(AFTER)]
    for first, (moved, lost) in weeks:
        for n in range(moved + lost):
            deal = f"d{len(deals)}"
            entered = datetime.combine(first, datetime.min.time()) + timedelta(hours=9)
            left = entered + timedelta(days=2, hours=n)
            won_or_lost = None if n < moved else left
            stage = "Negotiation" if n < moved else "Closed Lost"
            deals.append((deal, "bea", stage, won_or_lost, None if n < moved else False, 1000.0))
            stages.append((deal, "Qualify", entered - timedelta(days=3)))
            stages.append((deal, "Proposal", entered))
            if n < moved:
                stages.append((deal, "Negotiation", left))
            else:
                stages.append((deal, "Closed Lost", left))
    con.executemany(
        "INSERT INTO opportunities (opportunity_id, owner_rep_id, stage, closed_at, is_won, "
        "amount, created_at) VALUES (?, ?, ?, ?, ?, ?, TIMESTAMP '2026-08-01')",
        deals,
    )
    con.executemany(
        "INSERT INTO opportunity_stages (opportunity_id, stage, entered_at) VALUES (?, ?, ?)",
        stages,
    )
    yield backend
    backend.disconnect()


def manager(engine: Engine) -> User:
    with session_scope(engine) as session:
        user = add_user(
            session, "mia@x.com", "Mia", Role.MANAGER, "long enough to pass", teams=["t1"]
        )
        session.flush()
        _ = user.team_ids
        session.expunge(user)
    return user


def test_weekly_conversion_at_a_stage_counts_deals_by_the_week_they_left_it(store: Any) -> None:
    first = MET - timedelta(weeks=4)
    rates = stage_weekly_rates(store, "bea", "Proposal", FUNNEL, first, 4)
    assert rates == [1 / 4, 0.0, 1 / 4, 0.0]
    after = stage_weekly_rates(store, "bea", "Proposal", FUNNEL, MET + timedelta(days=1), 4)
    assert after == [3 / 4, 1.0, 3 / 4, 1.0]
    with pytest.raises(InputError, match="not a funnel stage"):
        stage_weekly_rates(store, "bea", "Demo", FUNNEL, first, 4)


def test_a_pairing_whose_gap_closes_is_judged_improved(engine: Engine, store: Any) -> None:
    mia = manager(engine)
    held = datetime.combine(MET, datetime.min.time(), UTC) + timedelta(hours=15)
    with session_scope(engine, mia.id) as session:
        pairing = propose_pairing(
            session,
            learner="bea",
            peer="cy",
            gap_kind="stage",
            gap="Proposal",
            planned_at=held,
            by=mia,
        )
        pairing_id = pairing.id
        before = review_pairing(session, store, pairing_id, date(2026, 11, 30), funnel=FUNNEL)
        assert before.met_on is None and before.verdict == "no_change" and not before.gap_closed
        record_meeting(session, pairing_id, by=mia, held_at=held, duration_minutes=60)
        with pytest.raises(InputError, match="already"):
            record_meeting(session, pairing_id, by=mia, held_at=held, duration_minutes=60)
    with session_scope(engine) as session:
        coached = session.scalars(select(CoachingSession)).one()
        # Its own kind of coaching, for the learner, never shadowing.
        assert (coached.kind, coached.rep_id) == (CoachingKind.PAIRING, "bea")
        review = review_pairing(session, store, pairing_id, date(2026, 11, 30), funnel=FUNNEL)
    assert review.met_on == MET and review.weeks_done == 4
    (comparison,) = review.comparisons
    assert comparison.metric == "conversion at Proposal"
    assert comparison.before == (0.25, 0.0, 0.25, 0.0)
    assert comparison.after == (0.75, 1.0, 0.75, 1.0)
    # Every week after ranks above every week before: U = 16 of 16. The tied weeks (two each
    # of 0, 1/4, 3/4 and 1) make it the normal approximation with tie correction:
    # var = 16/12 × (9 − 4 × 6 / 56) = 11.43, z = (16 − 8 − 0.5) / 3.381 = 2.218, p = 0.0265.
    assert comparison.u_statistic == 16.0
    assert comparison.p_value == pytest.approx(0.0265, abs=1e-4)
    assert (review.verdict, review.gap_closed) == ("improved", True)
    assert review.to_dict()["met_on"] == "2026-10-05"


def test_a_pairing_needs_two_reps_and_a_known_gap(engine: Engine) -> None:
    mia = manager(engine)
    when = datetime(2026, 10, 5, 15, tzinfo=UTC)
    with session_scope(engine, mia.id) as session:
        with pytest.raises(InputError, match="two different reps"):
            propose_pairing(
                session,
                learner="bea",
                peer="bea",
                gap_kind="stage",
                gap="X",
                planned_at=when,
                by=mia,
            )
        with pytest.raises(InputError, match="a gap is one of"):
            propose_pairing(
                session, learner="bea", peer="cy", gap_kind="mood", gap="X", planned_at=when, by=mia
            )
        made = propose_pairing(
            session,
            learner="bea",
            peer="cy",
            gap_kind="skill",
            gap="closing",
            planned_at=when,
            by=mia,
        )
        assert made.status is PairingStatus.PROPOSED and made.weeks == 4
