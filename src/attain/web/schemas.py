"""Response models of the JSON API: what each endpoint answers, field by field, so that
/api/v1/openapi.json documents every field.

The views build plain JSON-ready dicts (`view_models`, `coaching_view_models`, `management`);
these models declare them. FastAPI validates each answer against its model and leaves out keys
a model does not declare, so tests/web/test_api_reference.py compares every endpoint's answer
with the one recorded before the models existed. Measures are `Number`: an integer or a float
as computed (never coerced), null where the core could not compute one (NaN).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Self, TypeVar

from pydantic import BaseModel

from attain.access import Principal

Number = int | float
"""A measure as computed: JSON integer or number (pydantic keeps the type it is given)."""

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: its items, the page asked for and how many there are in all."""

    items: list[T]
    page: int
    per_page: int
    total: int
    pages: int


class CoachingSession(BaseModel):
    """A coaching session held: a one-on-one, a shadowed call or a program check-in."""

    origin: str
    id: str
    rep_id: str
    kind: str
    held_at: str
    duration_minutes: int
    topics: list[str]
    notes: str
    coach: str


class ActionItem(BaseModel):
    """An action item as logged or completed, with the days it is overdue (counted to today)."""

    id: int
    title: str
    owner: str
    rep_id: str
    due_date: str | None
    status: str
    source: str
    overdue: bool
    days_overdue: int


class LoggedSession(BaseModel):
    """A coaching session just logged, with the action items agreed in it."""

    session: CoachingSession
    action_items: list[ActionItem]


class Program(BaseModel):
    """An intensive program: a rep, its weeks, goal and the metrics it should move."""

    id: int
    rep_id: str
    name: str
    start: str
    end: str
    weeks: int
    goal: str
    metrics: list[str]
    check_ins: int


class CheckIn(BaseModel):
    """A program's weekly check-in just logged."""

    program_id: int
    week: int
    session: CoachingSession


class SkillScore(BaseModel):
    """A rep's score in one skill (1-5), as just set."""

    id: int
    rep_id: str
    skill: str
    score: int
    note: str
    scored_by: str
    scored_at: str


class Product(BaseModel):
    """A product with its priority tier in force (set in Attain, else the store's) and
    differentiators."""

    product_id: str
    name: str
    family: str | None
    list_price: Number | None
    store_tier: str | None
    tier: str
    source: str
    differentiators: str


class UserFields(BaseModel):
    """What every answer about a user says of them: id, e-mail, name, role, rep and teams."""

    id: int
    email: str
    name: str
    role: str
    rep_id: str | None
    team_ids: list[str]

    @classmethod
    def of(cls, user: Principal, **more: Any) -> Self:
        """The answer about `user`, with the fields of its own (`more`)."""
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            role=user.role.value,
            rep_id=user.rep_id,
            team_ids=list(user.team_ids),
            **more,
        )


class Me(UserFields):
    """The caller: their user, role, rep and teams, and the resources their role may see."""

    resources: list[str]


class Period(BaseModel):
    """A period of days, with its label (2026-Q4)."""

    start: str
    end: str
    label: str


class _Pace(BaseModel):
    """Attainment and pace this period, as a team's and a rep's line both show them."""

    target: Number | None
    actual: Number | None
    expected: Number | None
    pace_ratio: Number | None
    status: str | None
    required_daily_rate: Number | None
    week_target: Number | None
    week_actual: Number | None
    coverage: Number | None


class PacingLine(_Pace):
    """A company's or team's attainment and pace this period."""

    id: str
    name: str
    team_id: str | None
    coverage_note: str | None


class RepLine(_Pace):
    """A rep's line: attainment, pace, class, trend and warnings this period."""

    rep_id: str
    name: str
    team_id: str | None
    performance_class: str
    trend: str
    win_rate: Number | None
    early_warnings: str
    ratcheted: bool
    goal_issues: str


class ForecastRow(BaseModel):
    """P10/P50/P90 of the quarter's bookings for one scope (company, team or rep)."""

    scope: str
    id: str
    name: str
    team_id: str | None
    booked: Number | None
    open_deals: int
    open_value: Number | None
    expected_open: Number | None
    expected_new: Number | None
    mean: Number | None
    p10: Number | None
    p50: Number | None
    p90: Number | None
    target: Number | None
    chance_of_target: Number | None
    weighted_pipeline: Number | None
    run_rate: Number | None


class Finding(BaseModel):
    """Why a rep (or team) misses target: the cause, its evidence, bookings at stake and actions."""

    scope: str
    id: str
    cause: str
    severity: str
    bookings_at_stake: Number | None
    stake_method: str
    evidence: dict[str, Any]
    explanation: str
    actions: list[str]
    questions: list[str]


class TeamOverview(BaseModel):
    """Attainment and pacing per rep, team and company, the forecast and the top findings."""

    as_of: str
    period: Period
    notes: list[str]
    team: str | None
    company: list[PacingLine]
    teams: list[PacingLine]
    reps: list[RepLine]
    classification: dict[str, int]
    forecast: list[ForecastRow]
    top_findings: list[Finding]


class WeeklyTarget(BaseModel):
    """A week's share of the period's target."""

    week_start: str
    target: Number | None


class ClassificationPeriod(BaseModel):
    """One past period's attainment behind a rep's performance class."""

    period: Period
    target: Number | None
    actual: Number | None
    attainment: Number | None


class ClassMetrics(BaseModel):
    """Win rate, deal size, cycle, activities and pipeline: a rep's, top performers' or the
    difference."""

    win_rate: Number | None
    avg_won_deal: Number | None
    median_cycle_days: Number | None
    activities_per_week: Number | None
    pipeline_per_period: Number | None


class Classification(BaseModel):
    """A rep's performance class (top performer, performer, under performer) and trend, with
    the evidence."""

    rep_id: str
    team_id: str | None
    metric: str
    performance_class: str
    periods: list[ClassificationPeriod]
    full_periods: int
    above_share: Number | None
    hit_share: Number | None
    trend: str
    slope: Number | None
    metrics: ClassMetrics
    top_medians: ClassMetrics
    differences: ClassMetrics


class ScopedRow(BaseModel):
    """Whose row it is (a rep, a team or the company) and the period it covers: the fields
    that pacing and coverage rows begin with (attain.metrics.attainment.ScopedRow)."""

    scope: str
    id: str
    name: str
    team_id: str | None
    period_start: str
    period_end: str


class PipelineCoverage(ScopedRow):
    """Open pipeline against the target still to book, and whether that is healthy."""

    as_of: str
    target: Number | None
    bookings_to_date: Number | None
    remaining_target: Number | None
    open_pipeline: Number | None
    open_deals: int
    coverage: Number | None
    healthy: bool
    healthy_coverage: Number | None
    reason: str | None


class SmartGoal(BaseModel):
    """A goal as the SMART check reads it."""

    owners: list[str]
    metrics: list[str]
    target: Number | None
    period_start: str
    period_end: str
    label: str


class SmartLetter(BaseModel):
    """One letter of SMART: passed or not, and why."""

    letter: str
    passed: bool | None
    reason: str


class SmartCheck(BaseModel):
    """A goal checked against SMART."""

    goal: SmartGoal
    letters: list[SmartLetter]
    smart: bool


class FunnelStage(BaseModel):
    """One funnel stage: the rep's, peers' and top performers' conversion, and the shortfall."""

    stage: str
    rep_n: int
    rep_adv: int
    rep_rate: Number | None
    peer_n: int
    peer_adv: int
    peer_rate: Number | None
    top_n: int
    top_adv: int
    top_rate: Number | None
    shortfall: Number | None


class RepFunnel(BaseModel):
    """The rep's funnel with its chart (vega-lite), as the rep detail shows it."""

    window: Period | None
    stages: list[FunnelStage]
    widest_gap: str | None
    reason: str | None
    chart: dict[str, Any] | None


class ActionItemRow(BaseModel):
    """An action item: who owns it, when it is due, whether it is overdue."""

    id: int
    rep_id: str
    title: str
    owner: str
    due_date: str | None
    status: str
    source: str
    overdue: bool


class RepDetail(BaseModel):
    """One rep: pace, class, pipeline coverage, goals, findings, funnel, coaching and charts."""

    rep_id: str
    name: str
    team_id: str | None
    as_of: str
    period: Period
    notes: list[str]
    line: RepLine | None
    pacing: list[Pacing]
    weekly_targets: list[WeeklyTarget]
    classification: Classification | None
    coverage: PipelineCoverage | None
    smart_checks: list[SmartCheck]
    findings: list[Finding]
    coaching_agenda: list[str]
    funnel: RepFunnel
    goals: list[dict[str, Any]]
    coaching_sessions: list[CoachingSession]
    action_items: list[ActionItemRow]
    charts: list[dict[str, Any]]


class Forecast(BaseModel):
    """P10/P50/P90 of the quarter's bookings per scope, with the method and notes."""

    as_of: str
    period: Period
    notes: list[str]
    simulations: int
    method: str
    rows: list[ForecastRow]


class MovedDeal(BaseModel):
    """A deal behind a bar of the waterfall."""

    opportunity_id: str
    owner_rep_id: str
    amount: Number | None


class WaterfallBar(BaseModel):
    """One movement's bar in a week: its deals and amount."""

    movement: str
    deals: int
    amount: Number | None
    moved: list[MovedDeal]


class WaterfallWeek(BaseModel):
    """One week of the waterfall: the pipeline at start, each movement, the pipeline at end."""

    week: int
    start: str
    end: str
    start_deals: int
    start_amount: Number | None
    bars: list[WaterfallBar]
    end_deals: int
    end_amount: Number | None


class MovementColumn(BaseModel):
    """A movement shown as a column, with its sign (+ in, − out, ± resized)."""

    name: str
    sign: str


class Waterfall(BaseModel):
    """How the quarter's pipeline moved week by week, with the deals behind each bar."""

    period: Period
    team_id: str | None
    rep_id: str | None
    currency: str | None
    through: str
    weeks: list[WaterfallWeek]
    notes: list[str]
    as_of: str
    team: str | None
    rep: str | None
    movements: list[MovementColumn]


class CallErrors(BaseModel):
    """Each call's signed error against what closed won (0.25: 25% above); None without it."""

    commit_call: float | None
    best_case_call: float | None
    pipeline_call: float | None
    attain_p50: float | None


class CallWeek(BaseModel):
    """The CRM's calls at the end of one week of the period, and Attain's P50 then."""

    week: int
    as_of: str
    won: Number
    commit: Number
    best_case: Number
    pipeline: Number
    commit_call: Number
    best_case_call: Number
    pipeline_call: Number
    attain_p50: Number | None
    errors: CallErrors


class ForecastCalls(BaseModel):
    """Forecast-call accuracy: the CRM's weekly calls against what closed won in the period."""

    period: Period
    team_id: str | None
    rep_id: str | None
    currency: str | None
    actual: Number
    complete: bool
    weeks: list[CallWeek]
    p50_source: str | None
    as_of: str
    notes: list[str]
    team: str | None
    rep: str | None


class ChangeTotal(BaseModel):
    """How many deals changed in one way, and the amount they moved."""

    kind: str
    deals: int
    amount: Number | None


class Changes(BaseModel):
    """What changed between two data versions or dates: deal and rep changes, totals per kind."""

    since: str | None
    until: str | None
    currency: str | None
    deals: list[dict[str, Any]]
    reps: list[dict[str, Any]]
    totals: list[ChangeTotal]


class ChannelRow(BaseModel):
    """A lead source or campaign (or all leads): volumes, conversions and revenue per lead."""

    dimension: str
    channel: str | None
    leads: int
    mqls: int
    sqls: int
    opportunities: int
    won: int
    mql_to_sql: Number | None
    sql_to_opportunity: Number | None
    opportunity_to_won: Number | None
    lead_to_won: Number | None
    revenue: Number | None
    won_with_amount: int
    revenue_per_lead: Number | None
    median_days_to_won: Number | None
    rejected: int
    rejection_share: Number | None
    top_rejection_reasons: str


class Channels(BaseModel):
    """Lead sources and campaigns by revenue per lead."""

    as_of: str
    notes: list[str]
    total: ChannelRow
    sources: list[ChannelRow]
    campaigns: list[ChannelRow]


class LeadGrade(BaseModel):
    """A lead's grade, fit and engagement scores, and the ICP rules it fails."""

    lead_id: str
    grade: str | None
    fit_score: Number | None
    engagement_score: Number | None
    failed_rules: str | None


class Icp(BaseModel):
    """The ideal customer profile's rules and weights."""

    defined: bool
    rules: list[str]
    industries: list[str]
    min_employees: int
    max_employees: int
    countries: list[str]
    titles: list[str]
    sources: list[str]
    weights: dict[str, Any]


class AgendaItem(BaseModel):
    """A question for the rep's next one-on-one, and the evidence it comes from."""

    question: str
    kind: str
    tier: int
    weight: Number | None
    cause: str | None
    source: str
    evidence: dict[str, Any]


class Agenda(BaseModel):
    """Questions for the rep's next one-on-one, most weighty first."""

    rep_id: str
    as_of: str
    items: list[AgendaItem]


class ActivityRequirement(BaseModel):
    """An activity's weekly need to close the gap, against the rep's recent and best weeks."""

    activity: str
    per_week: Number | None
    best_week: Number | None
    recent_per_week: Number | None
    ratio: Number | None


class Lever(BaseModel):
    """A way to close the gap (more meetings, a better stage rate, ...) and what it would take."""

    name: str
    description: str
    current: Number | None
    target: Number | None
    factor: Number | None
    weekly_meetings_after: Number | None
    stage: str | None
    pipeline_per_week: Number | None


class OverriddenValue(BaseModel):
    """An override touching the rep's open deals, beside the value it replaces, with who set
    it and why."""

    kind: str
    target_id: str
    value: str
    computed: Number | None
    deals: int
    reason: str
    by: str


class WeeklyActivities(BaseModel):
    """Activities a week the plan asks for."""

    meetings: Number | None
    opportunities: Number | None
    contacts: Number | None


class DateRange(BaseModel):
    """A span of days."""

    start: str
    end: str


class RepPlan(BaseModel):
    """The rep's weekly activity plan to close this quarter's gap."""

    rep_id: str
    name: str
    team_id: str | None
    period: Period
    as_of: str
    target: Number | None
    booked: Number | None
    open_deals: int
    open_value: Number | None
    expected_open: Number | None
    pipeline_source: str
    gap: Number | None
    remaining_gap: Number | None
    weeks_left: Number | None
    rates_source: str
    thin: bool
    closed_deals: int
    win_rate: Number | None
    average_won: Number | None
    median_cycle_days: Number | None
    share_won_in_period: Number | None
    win_rate_in_period: Number | None
    deals_needed: Number | None
    opportunities_needed: Number | None
    pipeline_needed: Number | None
    requirements: list[ActivityRequirement]
    feasible: bool | None
    feasibility_ratio: Number | None
    best_lever: Lever | None
    levers: list[Lever]
    notes: list[str]
    overridden: list[OverriddenValue]
    weekly: WeeklyActivities
    window: DateRange
    method: str


class Funnel(BaseModel):
    """The rep's funnel against top performers and peers, and its widest gap."""

    rep_id: str
    as_of: str
    window: Period | None
    stages: list[FunnelStage]
    widest_gap: str | None
    reason: str | None


class CoverageRow(BaseModel):
    """A rep's coaching coverage: need, last one-on-one, minutes against a fair share, why."""

    rep_id: str
    name: str
    team_id: str | None
    need: str
    need_weight: Number | None
    shadows_12_months: int
    shadows_needed: int
    last_one_on_one: str | None
    days_since_one_on_one: int | None
    one_on_one_due_days: int
    minutes: int
    fair_minutes: Number | None
    minutes_ratio: Number | None
    under_coached: bool
    overdue: bool
    reasons: list[str]


class CoachingCoverage(BaseModel):
    """Coaching coverage per rep: who is overdue and why."""

    as_of: str
    team: str | None
    teams: list[str]
    rows: list[CoverageRow]
    overdue: int


class Pacing(ScopedRow):
    """A scope's pace this period: target, expected and actual to date, daily rate needed."""

    metric: str
    as_of: str
    target: Number | None
    expected_to_date: Number | None
    actual_to_date: Number | None
    gap: Number | None
    pace_ratio: Number | None
    remaining_target: Number | None
    business_days_left: int
    required_daily_rate: Number | None
    status: str | None
    week_start: str
    week_target: Number | None
    week_actual: Number | None


class Win(BaseModel):
    """A deal won in the digest week."""

    opportunity_id: str
    rep_id: str
    name: str
    amount: Number | None
    closed_on: str


class RepReason(BaseModel):
    """A rep, and why the digest names them (achiever or at risk)."""

    rep_id: str
    name: str
    reason: str


class LeaderboardLine(BaseModel):
    """A rep's place on the leaderboard."""

    rank: int
    rep_id: str
    name: str
    team_id: str | None
    booked: Number | None
    target: Number | None
    attainment: Number | None
    status: str


class Digest(BaseModel):
    """The weekly digest of the company, a team or a rep."""

    scope: str
    id: str
    name: str
    as_of: str
    since: str
    period: str
    pacing: Pacing | None
    reps: list[Pacing]
    wins: list[Win]
    achievers: list[RepReason]
    risks: list[RepReason]
    leaderboard: list[LeaderboardLine]
    notes: list[str]
    won_amount: Number | None


class AlignmentTopic(BaseModel):
    """A topic for the sales–marketing alignment meeting, with its owner and evidence."""

    title: str
    detail: str
    proposed_action: str
    owner: str
    source: str
    evidence: dict[str, Any]


class Alignment(BaseModel):
    """The sales–marketing alignment agenda and the meeting's action items."""

    as_of: str
    topics: list[AlignmentTopic]
    actions: list[ActionItemRow]
    overdue: int


class MetricComparison(BaseModel):
    """One metric before and during a program, the Mann-Whitney test and verdict."""

    metric: str
    before: list[Number | None]
    after: list[Number | None]
    before_mean: Number | None
    after_mean: Number | None
    u_statistic: Number | None
    p_value: Number | None
    verdict: str
    note: str


class ProgramReview(BaseModel):
    """A program's check-ins, each metric before and during it, the test and verdict."""

    program_id: int
    rep_id: str
    goal: str
    start: str
    end: str
    weeks_done: int
    before_start: str
    check_ins: list[CoachingSession]
    comparisons: list[MetricComparison]
    verdict: str
    test: str
    max_p_value: Number | None
    notes: list[str]
    as_of: str
    name: str
    weeks: int
    metrics: list[str]
    can_check_in: bool
    today: str


class ScoreInForce(BaseModel):
    """A rep's score in force in one skill, who set it and when."""

    score: int
    scored_by: str
    scored_at: str
    note: str


class SkillRow(BaseModel):
    """A rep's scores in force, by skill."""

    rep_id: str
    name: str
    scores: dict[str, ScoreInForce]


class SkillSuggestion(BaseModel):
    """A skill the rep's findings point at, and the bookings at stake."""

    skill: str
    causes: list[str]
    bookings_at_stake: Number | None


class Training(BaseModel):
    """Training recommended for a skill, and why."""

    skill: str
    score: int | None
    training: str
    reason: str


class RepSkills(BaseModel):
    """A rep's skill scores, the skills their findings point at and recommended training."""

    rep_id: str
    name: str
    as_of: str
    scores: dict[str, ScoreInForce]
    suggestions: list[SkillSuggestion]
    training: list[Training]
    skills: list[str]
    can_score: bool


class RampMonth(BaseModel):
    """One month of a new hire's ramp against their cohort's median."""

    month: int
    bookings: Number | None
    activities: Number | None
    cumulative_bookings: Number | None
    cohort_median_bookings: Number | None
    cohort_median_activities: Number | None
    cohort_median_cumulative_bookings: Number | None
    cohort_reps: int


class RampLine(BaseModel):
    """A new hire's ramp against their cohort median, and whether they are behind."""

    rep_id: str
    name: str
    hire_date: str
    cohort: str
    months_done: int
    cumulative_bookings: Number | None
    cohort_median_cumulative_bookings: Number | None
    activities: Number | None
    cohort_median_activities: Number | None
    behind: bool
    reason: str
    months: list[RampMonth]


class PaidDeal(BaseModel):
    """A won deal and what it pays (base, accelerator, SPIF)."""

    opportunity_id: str
    product_id: str
    tier: str
    amount: Number | None
    closed_on: str
    base: Number | None
    accelerator: Number | None
    spif: int


class Payout(BaseModel):
    """A rep's payout for the period, deal by deal."""

    rep_id: str
    bookings: Number | None
    quota: Number | None
    attainment: Number | None
    base: Number | None
    accelerator: Number | None
    spif: int
    total: Number | None
    deals: list[PaidDeal]
    name: str


class TierRate(BaseModel):
    """A priority tier's bookings, what was paid for them and the effective rate."""

    bookings: Number | None
    paid: Number | None
    base_rate: Number | None
    effective_rate: Number | None


class Payouts(BaseModel):
    """Each rep's payout for a period, and whether the plan rewards priority products."""

    plan: str
    period: DateRange
    reps: list[Payout]
    tier_rates: dict[str, TierRate]
    finding: dict[str, Any] | None
    notes: list[str]
    as_of: str
    period_label: str
    period_asked: str
    rep_id: str | None
    covers: str


class ResultsStep(BaseModel):
    """One result the app computes in the background after a new data version."""

    kind: str
    label: str
    state: str
    """coming, computing, ready or failed."""


class ResultsProgress(BaseModel):
    """Where the background computation of the current data version's results stands."""

    data_version: int
    computing: bool
    steps: list[ResultsStep]
    """Empty when none ran: the results of this version were kept from before."""


class HandedImport(BaseModel):
    """What an import handed to the app by `attain import` did (its ImportResult as JSON)."""

    result: dict[str, Any]


class HandedSync(BaseModel):
    """What a sync handed to the app by `attain sync` did (as the command prints it)."""

    result: dict[str, Any]


class Account(UserFields):
    """A user account as its manager sees it: role, rep, teams, and whether it may sign in."""

    active: bool
    """False for a disabled account, and for an invited one until its link is followed."""


class Invited(BaseModel):
    """An invitation sent by e-mail: the account it made (inactive until the link is followed)
    and when the link stops working. The link itself is only in the e-mail."""

    account: Account
    expires_at: datetime


class TokenInfo(BaseModel):
    """An API token as its owner (or an admin) sees it; its secret is never shown again."""

    id: int
    name: str
    user_email: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class SurveyTheme(BaseModel):
    """A word that several answers of a survey (or a week of coaching feedback) share."""

    word: str
    answers: int


class SurveyResult(BaseModel):
    """One pulse survey's aggregate: how many answered, and the mean, how many gave each
    score, the themes and the change from the team's previous shown survey of the same
    template only once `min_answers` have answered (null before)."""

    survey_id: int
    team_id: str
    template: str
    title: str
    question: str
    sent_at: str
    answers: int
    shown: bool
    min_answers: int
    mean_score: Number | None
    scores: dict[str, int] | None
    themes: list[SurveyTheme]
    change: Number | None


class TeamSurveys(BaseModel):
    """A team's pulse surveys over time, oldest first (never a single answer)."""

    team_id: str
    min_answers: int
    surveys: list[SurveyResult]


class PeerCandidate(BaseModel):
    """A peer strong at a gap: their conversion at the stage, score of the skill or activity
    a week, and the deals behind a stage conversion."""

    rep_id: str
    value: Number
    deals: int | None


class PairingSuggestion(BaseModel):
    """The peer suggested for one rep's gap, and the three best peers it was chosen from."""

    rep_id: str
    name: str
    gap_kind: str
    gap: str
    rep_value: Number | None
    peer: PeerCandidate
    peer_name: str
    same_team: bool
    best: list[PeerCandidate]


class PairingSuggestions(BaseModel):
    """Suggested peers for the reps the user sees, as of a day."""

    as_of: str
    items: list[PairingSuggestion]


class PairingReview(BaseModel):
    """Whether a pairing's gap closed: the learner's weekly values before and after the
    meeting, the intensive programs' test and its verdict."""

    pairing_id: int
    learner_rep_id: str
    peer_rep_id: str
    gap_kind: str
    gap: str
    met_on: str | None
    weeks_done: int
    comparisons: list[MetricComparison]
    verdict: str
    gap_closed: bool
    test: str
    notes: list[str]
