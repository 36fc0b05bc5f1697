"""Each planted cause shows in the data as it would in a CRM, and only on the planted reps.

Every test compares the planted reps with the healthy ones (unplanted, tenured, still here)
on one measurement a detector could make, with a threshold between the two groups.
"""

from __future__ import annotations

from datetime import date

from demo_support import Demo


def _split(demo: Demo, cause: str, values: dict[str, float]) -> tuple[list[float], list[float]]:
    planted = [values[rep] for rep in demo.planted(cause)]
    healthy = [values[rep] for rep in demo.healthy() if rep in values]
    assert len(planted) >= 2 and len(healthy) >= 15
    return planted, healthy


def test_lead_warming_reps_touch_leads_days_late_and_get_cold_unscored_leads(demo: Demo) -> None:
    delay = demo.per_rep(
        """SELECT owner_rep_id, median(epoch(first_sales_touch_at - mql_at) / 3600)
           FROM leads WHERE mql_at >= ? GROUP BY 1""",
        demo.since,
    )
    planted, healthy = _split(demo, "lead_warming", delay)
    assert min(planted) > 48 and max(healthy) < 8
    untouched = demo.per_rep(
        """SELECT owner_rep_id, avg((first_marketing_touch_at IS NULL)::INT)
           FROM leads WHERE source <> 'outbound' AND created_at >= ? GROUP BY 1""",
        demo.since,
    )
    planted, healthy = _split(demo, "lead_warming", untouched)
    assert min(planted) > 0.3 and max(healthy) < 0.1
    late_entry = demo.per_rep(
        """WITH first AS (SELECT opportunity_id, arg_min(stage, entered_at) AS stage
                          FROM opportunity_stages GROUP BY 1)
           SELECT owner_rep_id, avg((f.stage IN ('Discovery', 'Proposal', 'Negotiation'))::INT)
           FROM opportunities o JOIN first f USING (opportunity_id)
           WHERE o.created_at >= ? AND o.lead_id IS NOT NULL GROUP BY 1""",
        demo.since,
    )
    planted, healthy = _split(demo, "lead_warming", late_entry)
    assert min(planted) > 0.4 and max(healthy) < 0.05


def test_marketing_alignment_reps_reject_or_ignore_mqls_and_accept_slowly(demo: Demo) -> None:
    rejected = demo.per_rep(
        """SELECT owner_rep_id, avg((rejected_at IS NOT NULL)::INT)
           FROM leads WHERE sql_at >= ? AND mql_at IS NOT NULL GROUP BY 1""",
        demo.since,
    )
    planted, healthy = _split(demo, "marketing_alignment", rejected)
    assert min(planted) > 0.3 and max(healthy) < 0.25
    reasons = demo.scalar(
        "SELECT count(*) FROM leads WHERE rejected_at IS NOT NULL AND rejection_reason IS NULL"
    )
    assert reasons == 0
    latency = demo.per_rep(
        """SELECT owner_rep_id, median(epoch(accepted_at - mql_at) / 3600)
           FROM leads WHERE mql_at >= ? GROUP BY 1""",
        demo.since,
    )
    planted, healthy = _split(demo, "marketing_alignment", latency)
    assert min(planted) > 96 and max(healthy) < 60


def test_lead_criteria_reps_work_mostly_off_profile_accounts_that_win_less(demo: Demo) -> None:
    icp = demo.truth.icp
    fits = (
        f"a.industry IN {tuple(icp['industries'])} AND a.country IN {tuple(icp['countries'])} "
        f"AND a.employees BETWEEN {icp['employees']['min']} AND {icp['employees']['max']}"
    )
    off = demo.per_rep(
        f"""SELECT o.owner_rep_id, avg((NOT ({fits}))::INT)
            FROM opportunities o JOIN accounts a USING (account_id)
            WHERE o.created_at >= ? GROUP BY 1""",
        demo.since,
    )
    planted, healthy = _split(demo, "lead_criteria", off)
    assert min(planted) > 0.35 and max(healthy) < 0.25
    win = dict(
        demo.con.execute(
            f"""SELECT {fits}, avg(is_won::INT)
                FROM opportunities o JOIN accounts a USING (account_id)
                WHERE closed_at IS NOT NULL GROUP BY 1"""
        ).fetchall()
    )
    assert win[True] > 1.6 * win[False]


def test_follow_up_reps_leave_follow_ups_overdue_and_deals_dark(demo: Demo) -> None:
    overdue = demo.per_rep(
        """SELECT r.rep_id, count(a.activity_id) FROM reps r LEFT JOIN activities a
           ON a.rep_id = r.rep_id AND a.type = 'follow_up' AND a.completed_at IS NULL
              AND a.due_at < CAST(? AS DATE) - INTERVAL 7 DAY
              AND a.due_at >= CAST(? AS DATE) - INTERVAL 90 DAY
           WHERE r.role = 'rep' GROUP BY 1""",
        demo.as_of,
        demo.as_of,
    )
    planted, healthy = _split(demo, "follow_up", overdue)
    assert min(planted) >= 10 and max(healthy) <= 5
    touches = demo.per_rep(
        """SELECT o.owner_rep_id, count(a.activity_id) / count(DISTINCT o.opportunity_id)
           FROM opportunities o LEFT JOIN activities a USING (opportunity_id)
           WHERE o.created_at >= ? AND o.closed_at IS NOT NULL GROUP BY 1""",
        demo.since,
    )
    planted, healthy = _split(demo, "follow_up", touches)
    assert max(planted) < 0.7 * sorted(healthy)[len(healthy) // 2]
    ended_on_meeting = demo.per_rep(
        """WITH last AS (SELECT opportunity_id, arg_max(type, occurred_at) AS type
                         FROM activities WHERE opportunity_id IS NOT NULL GROUP BY 1)
           SELECT o.owner_rep_id, avg((l.type = 'meeting')::INT)
           FROM opportunities o JOIN last l USING (opportunity_id)
           WHERE o.is_won = false AND o.created_at >= ? GROUP BY 1""",
        demo.since,
    )
    planted, healthy = _split(demo, "follow_up", ended_on_meeting)
    assert min(planted) > 0.5 and max(healthy) < 0.2
    dark = demo.scalar(
        """WITH last AS (SELECT opportunity_id, max(occurred_at) AS t FROM activities GROUP BY 1)
           SELECT count(*) FROM opportunities o JOIN last USING (opportunity_id)
           WHERE o.closed_at IS NULL AND t < CAST(? AS DATE) - INTERVAL 30 DAY
             AND o.owner_rep_id IN (SELECT unnest(?))""",
        demo.as_of,
        sorted(demo.healthy()),
    )
    assert dark == 0


def test_coaching_neglected_reps_have_no_recent_one_on_one_nor_shadowing(demo: Demo) -> None:
    as_of = date.fromisoformat(demo.as_of)
    last = demo.per_rep(
        """SELECT r.rep_id, date_diff('day', max(c.occurred_at) FILTER (c.kind = 'one_on_one'),
                                      CAST(? AS DATE))
           FROM reps r LEFT JOIN coaching_sessions c USING (rep_id)
           WHERE r.role = 'rep' GROUP BY 1""",
        as_of,
    )
    planted, healthy = _split(demo, "coaching", last)
    assert min(planted) >= 16 * 7 and max(healthy) <= 30
    shadows = demo.per_rep(
        """SELECT r.rep_id, count(c.session_id) FROM reps r LEFT JOIN coaching_sessions c
           ON c.rep_id = r.rep_id AND c.kind = 'shadow'
              AND c.occurred_at >= CAST(? AS DATE) - INTERVAL 365 DAY
           WHERE r.role = 'rep' GROUP BY 1""",
        as_of,
    )
    planted, healthy = _split(demo, "coaching", shadows)
    assert max(planted) == 0 and min(healthy) >= 1
    managed = demo.scalar(
        "SELECT count(*) FROM reps r JOIN teams t USING (team_id) "
        "WHERE r.rep_id IN (SELECT unnest(?)) "
        "AND t.manager_rep_id IS NOT NULL",
        sorted(demo.planted("coaching")),
    )
    assert managed == len(demo.planted("coaching"))


def test_stage_leakage_reps_lose_most_deals_at_their_stage(demo: Demo) -> None:
    for plant in demo.truth.planted:
        if plant.cause != "stage_leakage":
            continue
        stage, following = plant.detail["stage"], plant.detail["next_stage"]
        rates = demo.per_rep(
            """WITH s AS (SELECT o.owner_rep_id AS rep_id, st.opportunity_id, st.stage,
                                 st.entered_at,
                                 lead(st.stage) OVER (PARTITION BY st.opportunity_id
                                                      ORDER BY st.entered_at) AS next
                          FROM opportunity_stages st JOIN opportunities o USING (opportunity_id))
               SELECT rep_id, avg((next = ?)::INT) FROM s
               WHERE stage = ? AND next IS NOT NULL AND entered_at >= ?
               GROUP BY 1 HAVING count(*) >= 12""",
            following,
            stage,
            demo.since,
        )
        healthy = [rates[rep] for rep in demo.healthy() if rep in rates]
        assert rates[plant.rep_id] < 0.42
        assert min(healthy) > 0.3 and sorted(healthy)[len(healthy) // 10] > 0.45


def test_activity_drop_reps_fall_to_the_planted_factor_for_the_last_two_weeks(demo: Demo) -> None:
    detail = next(p.detail for p in demo.truth.planted if p.cause == "activity_drop")
    since = date.fromisoformat(detail["since"])
    as_of = date.fromisoformat(demo.as_of)
    assert (as_of - since).days >= 14 + as_of.weekday()
    ratio = demo.per_rep(
        """SELECT r.rep_id,
                  (count(*) FILTER (occurred_at >= CAST(? AS DATE))
                   / date_diff('day', CAST(? AS DATE), CAST(? AS DATE)))
                / (count(*) FILTER (occurred_at < CAST(? AS DATE)) / 56.0)
           FROM reps r JOIN activities a USING (rep_id)
           WHERE a.type IN ('call', 'email', 'meeting')
             AND occurred_at >= CAST(? AS DATE) - INTERVAL 56 DAY
           GROUP BY 1""",
        since,
        since,
        as_of,
        since,
        since,
    )
    planted, healthy = _split(demo, "activity_drop", ratio)
    assert max(planted) <= detail["factor"] + 0.1
    assert min(healthy) > 0.8
    new_deals = demo.per_rep(
        """SELECT owner_rep_id, count(*) FILTER (created_at >= CAST(? AS DATE)) / 18.0
                              / (count(*) FILTER (created_at < CAST(? AS DATE)) / 56.0)
           FROM opportunities WHERE created_at >= CAST(? AS DATE) - INTERVAL 56 DAY GROUP BY 1""",
        since,
        since,
        since,
    )
    planted, healthy = _split(demo, "activity_drop", new_deals)
    assert max(planted) < 0.75 and sorted(healthy)[len(healthy) // 2] > 0.8


def test_product_mix_reps_book_mostly_loss_leaders(demo: Demo) -> None:
    share = demo.per_rep(
        """SELECT owner_rep_id,
                  coalesce(sum(amount) FILTER (p.priority = 'loss_leader'), 0) / sum(amount)
           FROM opportunities o JOIN products p USING (product_id)
           WHERE is_won AND o.created_at >= ? GROUP BY 1""",
        demo.since,
    )
    planted, healthy = _split(demo, "product_mix", share)
    assert min(planted) > 0.5 and max(healthy) < 0.35
    priority = demo.per_rep(
        """SELECT owner_rep_id, avg((p.priority = 'priority')::INT)
           FROM opportunities o JOIN products p USING (product_id)
           WHERE o.created_at >= ? GROUP BY 1""",
        demo.since,
    )
    planted, healthy = _split(demo, "product_mix", priority)
    assert max(planted) < 0.15 and min(healthy) > 0.2


def test_target_setting_reps_have_their_quota_ratcheted_and_others_never(demo: Demo) -> None:
    revisions = demo.per_rep(
        """SELECT rep_id, count(*) - count(DISTINCT period_start) FROM quotas
           WHERE metric = 'bookings' GROUP BY 1"""
    )
    planted, healthy = _split(demo, "target_setting", revisions)
    assert min(planted) >= 2 and max(healthy) == 0
    jumps = demo.per_rep(
        """WITH final AS (SELECT rep_id, period_start, arg_min(target, set_at) AS first_target,
                                 arg_max(target, set_at) AS last_target
                          FROM quotas WHERE metric = 'bookings' GROUP BY 1, 2)
           SELECT rep_id, max(first_target / lag_target) FROM (
               SELECT *, lag(last_target) OVER (PARTITION BY rep_id ORDER BY period_start)
                   AS lag_target
               FROM final) WHERE period_start >= ? GROUP BY 1""",
        demo.since,
    )
    planted, healthy = _split(demo, "target_setting", jumps)
    assert min(planted) >= 1.25 and max(healthy) < 1.25
    for plant in demo.truth.planted:
        if plant.cause == "target_setting":
            raised = [r for r in plant.detail["revisions"] if r["target"] > r["previous_target"]]
            assert len(raised) >= 2


def test_every_cause_hurts_attainment_in_the_recent_quarters(demo: Demo) -> None:
    attainment = demo.per_rep(
        """WITH t AS (SELECT rep_id, period_start, arg_max(target, set_at) AS target FROM quotas
                      WHERE metric = 'bookings' AND period_start >= ? AND period_end < ?
                      GROUP BY 1, 2),
                b AS (SELECT owner_rep_id AS rep_id,
                             date_trunc('quarter', closed_at) AS period_start,
                             sum(amount) AS booked FROM opportunities WHERE is_won GROUP BY 1, 2)
           SELECT rep_id, avg(coalesce(booked, 0) / target)
           FROM t LEFT JOIN b USING (rep_id, period_start)
           GROUP BY 1""",
        demo.since,
        demo.as_of,
    )
    planted = [attainment[p.rep_id] for p in demo.truth.planted if p.cause != "activity_drop"]
    healthy = [attainment[rep] for rep in demo.healthy()]
    assert sorted(planted)[len(planted) // 2] < 0.8 * sorted(healthy)[len(healthy) // 2]


def test_ordinary_reps_hit_quota_in_most_quarters_and_top_performers_nearly_always(
    demo: Demo,
) -> None:
    hits = demo.con.execute(
        """WITH t AS (SELECT rep_id, period_start, arg_max(target, set_at) AS target FROM quotas
                      WHERE metric = 'bookings' AND period_end < ? GROUP BY 1, 2),
                b AS (SELECT owner_rep_id AS rep_id,
                             date_trunc('quarter', closed_at) AS period_start,
                             sum(amount) AS booked FROM opportunities WHERE is_won GROUP BY 1, 2)
           SELECT t.rep_id, coalesce(booked, 0) >= target
           FROM t LEFT JOIN b USING (rep_id, period_start)
           JOIN reps r ON r.rep_id = t.rep_id
           WHERE r.end_date IS NULL AND r.hire_date <= t.period_start - INTERVAL 182 DAY""",
        [demo.as_of],
    ).fetchall()
    planted = {p.rep_id for p in demo.truth.planted}
    unplanted = [hit for rep, hit in hits if rep not in planted]
    top = [hit for rep, hit in hits if rep in set(demo.truth.top_performers) and rep not in planted]
    assert 0.5 <= sum(unplanted) / len(unplanted) <= 0.8
    assert sum(top) / len(top) >= 0.8
    share = len(demo.truth.top_performers) / 60
    assert 0.08 <= share <= 0.3
