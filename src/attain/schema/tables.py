"""The canonical CRM tables: the contract between CRM exports and every analysis in Attain."""

from __future__ import annotations

from attain.schema.model import Column, ColumnType, RowRule, Table

S = ColumnType.STRING
INT = ColumnType.INTEGER
F = ColumnType.FLOAT
B = ColumnType.BOOLEAN
D = ColumnType.DATE
T = ColumnType.TIMESTAMP

REP_ROLES = ("rep", "manager", "sdr", "marketing", "other")
"""`other`: CRM users who neither sell nor support selling (automation, integration, licence-only
users); they are kept so that what they own still loads, and never count as sellers."""
PRODUCT_PRIORITIES = ("priority", "standard", "loss_leader")
LEAD_STATUSES = (
    "new",
    "working",
    "nurturing",
    "qualified",
    "converted",
    "rejected",
    "disqualified",
)
ACTIVITY_TYPES = ("call", "email", "meeting", "demo", "follow_up", "task")
QUOTA_METRICS = (
    "bookings",
    "new_logos",
    "meetings",
    "opportunities_created",
    "calls",
    "activities",
    "pipeline_created",
)
COACHING_KINDS = ("one_on_one", "shadow", "training", "program")
FORECAST_CATEGORIES = ("pipeline", "best_case", "commit", "closed", "omitted")
"""The CRM's forecast call on a deal (Salesforce's ForecastCategoryName, slugged)."""

CURRENCY_RULE_SQL = "NOT regexp_full_match({column}, '[A-Za-z]{{3}}')"
"""A currency is an ISO 4217 code: three letters (upper-cased by the reader)."""


def _currency(description: str, *, required: bool = False) -> Column:
    return Column(
        name="currency",
        type=S,
        description=description,
        required=required,
        nullable=not required,
        upper_case=True,
    )


def _currency_rule() -> RowRule:
    return RowRule(
        column="currency",
        sql=CURRENCY_RULE_SQL.format(column="currency"),
        reason="not a currency code like USD",
    )


def _column(
    name: str,
    type: ColumnType,
    description: str,
    *,
    required: bool = False,
    allowed: tuple[str, ...] | None = None,
    min_value: float | None = None,
    references: str | None = None,
) -> Column:
    """A column; a required one must be in every file of its table and filled in every row."""
    return Column(
        name=name,
        type=type,
        description=description,
        required=required,
        nullable=not required,
        allowed=allowed,
        min_value=min_value,
        references=references,
    )


def _key(name: str, description: str) -> Column:
    return _column(name, S, description, required=True)


TEAMS = Table(
    name="teams",
    description="Sales teams, each with a manager and a region.",
    key=("team_id",),
    columns=(
        _key("team_id", "Team identifier."),
        _column("name", S, "Team name.", required=True),
        _column("manager_rep_id", S, "The rep who manages the team.", references="reps.rep_id"),
        _column("region", S, "Region or regional office."),
        _column(
            "time_zone", S, "The team's IANA time zone (Europe/London), for its reps without one."
        ),
    ),
)

REPS = Table(
    name="reps",
    description="People who sell or support selling: reps, managers, SDRs and marketers.",
    time_column="hire_date",
    key=("rep_id",),
    columns=(
        _key("rep_id", "Rep identifier."),
        _column("name", S, "Full name.", required=True),
        _column("email", S, "Work e-mail address."),
        _column("team_id", S, "Team the rep belongs to.", references="teams.team_id"),
        _column("role", S, "Job role.", required=True, allowed=REP_ROLES),
        _column("hire_date", D, "First day in the role."),
        _column("end_date", D, "Last day, for reps who left."),
        _column(
            "time_zone",
            S,
            "The rep's IANA time zone (Asia/Singapore), for response times in "
            "their own business hours; empty: the organisation's.",
        ),
    ),
    rules=(
        RowRule(column="end_date", sql="end_date < hire_date", reason="end_date before hire_date"),
    ),
)

ACCOUNTS = Table(
    name="accounts",
    description="Customer and prospect companies.",
    key=("account_id",),
    columns=(
        _key("account_id", "Account identifier."),
        _column("name", S, "Company name.", required=True),
        _column("industry", S, "Industry or sector."),
        _column("employees", INT, "Head count.", min_value=0),
        _column(
            "annual_revenue", F, "Annual revenue, in the organisation's currency.", min_value=0
        ),
        _column("country", S, "Country of the head office."),
    ),
)

PRODUCTS = Table(
    name="products",
    description="What is sold, with the company's priority tier for each product.",
    key=("product_id",),
    columns=(
        _key("product_id", "Product identifier."),
        _column("name", S, "Product name.", required=True),
        _column("family", S, "Product family or series."),
        _column("list_price", F, "List price.", min_value=0),
        _column(
            "priority",
            S,
            "Company priority tier; empty means standard.",
            allowed=PRODUCT_PRIORITIES,
        ),
    ),
)

LEADS = Table(
    name="leads",
    description="Leads with their marketing and sales lifecycle timestamps.",
    time_column="created_at",
    key=("lead_id",),
    columns=(
        _key("lead_id", "Lead identifier."),
        _column("created_at", T, "When the lead entered the CRM.", required=True),
        _column("source", S, "Lead source or channel (e.g. paid_search)."),
        _column("campaign", S, "Marketing campaign."),
        _column("company", S, "Company the lead works for."),
        _column("industry", S, "Industry of the lead's company."),
        _column("employees", INT, "Head count of the company.", min_value=0),
        _column("country", S, "Country."),
        _column("title", S, "Job title."),
        _column("owner_rep_id", S, "Owning rep or SDR.", references="reps.rep_id"),
        _column("status", S, "Current lead status.", allowed=LEAD_STATUSES),
        _column("mql_at", T, "When marketing qualified the lead."),
        _column("sql_at", T, "When sales qualified the lead."),
        _column("accepted_at", T, "When sales accepted the handoff."),
        _column("rejected_at", T, "When sales rejected the lead."),
        _column("rejection_reason", S, "Why sales rejected it."),
        _column("converted_at", T, "When it became an opportunity."),
        _column(
            "opportunity_id",
            S,
            "Opportunity it converted into (informative; not checked, "
            "because opportunities also point back at leads).",
        ),
        _column("first_marketing_touch_at", T, "First marketing touch."),
        _column("first_sales_touch_at", T, "First touch by a salesperson."),
    ),
)

OPPORTUNITIES = Table(
    name="opportunities",
    description="Deals, open and closed, with their current stage.",
    time_column="created_at",
    key=("opportunity_id",),
    columns=(
        _key("opportunity_id", "Opportunity identifier."),
        _column("account_id", S, "Account.", references="accounts.account_id"),
        _column("owner_rep_id", S, "Owning rep.", required=True, references="reps.rep_id"),
        _column("product_id", S, "Main product.", references="products.product_id"),
        _column("lead_id", S, "Originating lead.", references="leads.lead_id"),
        _column("source", S, "Source or channel."),
        _column(
            "created_at",
            T,
            "When the deal was opened (empty where the CRM does not say, "
            "e.g. Maven's prospecting deals).",
        ),
        _column("expected_close_date", D, "Expected close date."),
        _column("closed_at", T, "When it was won or lost; empty while open."),
        _column("stage", S, "Current stage name, as the CRM calls it.", required=True),
        _column("is_won", B, "True if won, false if lost, empty while open."),
        _column("amount", F, "Deal value, in the deal's `currency`.", min_value=0),
        _column("loss_reason", S, "Why it was lost."),
        _currency(
            "ISO code of the amount's currency (e.g. MXN); empty means the corporate currency."
        ),
        _column(
            "probability",
            F,
            "The CRM's win probability, 0 to 1 (Salesforce's 0-100 divided by 100).",
            min_value=0,
        ),
        _column(
            "forecast_category",
            S,
            "The CRM's forecast call on the deal.",
            allowed=FORECAST_CATEGORIES,
        ),
    ),
    rules=(
        RowRule(column="probability", sql="probability > 1", reason="probability above 1 (100%)"),
        _currency_rule(),
        RowRule(
            column="is_won",
            sql="is_won IS NOT NULL AND closed_at IS NULL",
            reason="is_won set on a deal with no closed_at",
        ),
    ),
)

OPPORTUNITY_STAGES = Table(
    name="opportunity_stages",
    description="Stage history: one row each time an opportunity entered a stage.",
    time_column="entered_at",
    key=("opportunity_id", "stage", "entered_at"),
    columns=(
        _column(
            "opportunity_id",
            S,
            "Opportunity.",
            required=True,
            references="opportunities.opportunity_id",
        ),
        _column("stage", S, "Stage entered.", required=True),
        _column("entered_at", T, "When it entered the stage.", required=True),
        _column("amount", F, "Deal value at that moment.", min_value=0),
    ),
)

ACTIVITIES = Table(
    name="activities",
    description="Calls, e-mails, meetings, demos, follow-ups and tasks.",
    time_column="occurred_at",
    key=("activity_id",),
    columns=(
        _key("activity_id", "Activity identifier."),
        _column("rep_id", S, "Rep who did (or owes) it.", required=True, references="reps.rep_id"),
        _column("type", S, "Kind of activity.", required=True, allowed=ACTIVITY_TYPES),
        _column(
            "occurred_at",
            T,
            "When it happened, or was logged for tasks and follow-ups.",
            required=True,
        ),
        _column("due_at", T, "Due time of a follow-up or task."),
        _column("completed_at", T, "When a follow-up or task was done."),
        _column(
            "opportunity_id", S, "Related opportunity.", references="opportunities.opportunity_id"
        ),
        _column("lead_id", S, "Related lead.", references="leads.lead_id"),
        _column("outcome", S, "Outcome (e.g. connected, no_answer)."),
    ),
)

QUOTAS = Table(
    name="quotas",
    description="Targets per rep, period and metric; every revision is a row with its set_at.",
    time_column="period_start",
    key=("rep_id", "period_start", "metric", "set_at"),
    columns=(
        _column("rep_id", S, "Rep.", required=True, references="reps.rep_id"),
        _column("period_start", D, "First day of the period.", required=True),
        _column("period_end", D, "Last day of the period (inclusive).", required=True),
        _column("metric", S, "What is counted.", required=True, allowed=QUOTA_METRICS),
        _column("target", F, "Target value.", required=True, min_value=0),
        _column("set_at", T, "When this target was set; empty means before the period began."),
        _currency("ISO code of a money target's currency; empty means the corporate currency."),
    ),
    rules=(
        RowRule(
            column="period_end",
            sql="period_end < period_start",
            reason="period_end before period_start",
        ),
        _currency_rule(),
    ),
)

COACHING_SESSIONS = Table(
    name="coaching_sessions",
    description="Coaching: one-on-ones, shadowing, training and program sessions.",
    time_column="occurred_at",
    key=("session_id",),
    columns=(
        _key("session_id", "Session identifier."),
        _column("rep_id", S, "Rep coached.", required=True, references="reps.rep_id"),
        _column("coach_rep_id", S, "Coach.", references="reps.rep_id"),
        _column("kind", S, "Kind of session.", required=True, allowed=COACHING_KINDS),
        _column("occurred_at", T, "When it took place.", required=True),
        _column("duration_min", INT, "Length in minutes.", min_value=0),
        _column("topics", S, "Topics, separated by ';'."),
    ),
)

FX_RATES = Table(
    name="fx_rates",
    description="Dated exchange rates: how many units of `currency` one unit of the corporate "
    "currency buys from `start_date` on (Salesforce's ConversionRate).",
    time_column="start_date",
    key=("currency", "start_date"),
    columns=(
        _currency("ISO code of the currency.", required=True),
        _column(
            "start_date",
            D,
            "First day the rate applies (until the next rate of the currency).",
            required=True,
        ),
        _column(
            "rate",
            F,
            "Units of `currency` per unit of the corporate currency.",
            required=True,
            min_value=0,
        ),
        _column("is_corporate", B, "True for the corporate currency (its rate is 1)."),
    ),
    rules=(
        _currency_rule(),
        RowRule(column="rate", sql="rate = 0", reason="a rate of 0 converts nothing"),
    ),
)

TABLES: dict[str, Table] = {
    table.name: table
    for table in (
        TEAMS,
        REPS,
        ACCOUNTS,
        PRODUCTS,
        LEADS,
        OPPORTUNITIES,
        OPPORTUNITY_STAGES,
        ACTIVITIES,
        QUOTAS,
        COACHING_SESSIONS,
        FX_RATES,
    )
}
"""Every canonical table by name, in load order (parents before children)."""
