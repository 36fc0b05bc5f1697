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


def _key(name: str, description: str) -> Column:
    return Column(name=name, type=S, description=description, required=True, nullable=False)


TEAMS = Table(
    name="teams",
    description="Sales teams, each with a manager and a region.",
    key=("team_id",),
    columns=(
        _key("team_id", "Team identifier."),
        Column(name="name", type=S, description="Team name.", required=True, nullable=False),
        Column(
            name="manager_rep_id",
            type=S,
            description="The rep who manages the team.",
            references="reps.rep_id",
        ),
        Column(name="region", type=S, description="Region or regional office."),
        Column(
            name="time_zone",
            type=S,
            description="The team's IANA time zone (Europe/London), for its reps without one.",
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
        Column(name="name", type=S, description="Full name.", required=True, nullable=False),
        Column(name="email", type=S, description="Work e-mail address."),
        Column(
            name="team_id",
            type=S,
            description="Team the rep belongs to.",
            references="teams.team_id",
        ),
        Column(
            name="role",
            type=S,
            description="Job role.",
            required=True,
            nullable=False,
            allowed=REP_ROLES,
        ),
        Column(name="hire_date", type=D, description="First day in the role."),
        Column(name="end_date", type=D, description="Last day, for reps who left."),
        Column(
            name="time_zone",
            type=S,
            description="The rep's IANA time zone (Asia/Singapore), for response times in "
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
        Column(name="name", type=S, description="Company name.", required=True, nullable=False),
        Column(name="industry", type=S, description="Industry or sector."),
        Column(name="employees", type=INT, description="Head count.", min_value=0),
        Column(
            name="annual_revenue",
            type=F,
            description="Annual revenue, in the organisation's currency.",
            min_value=0,
        ),
        Column(name="country", type=S, description="Country of the head office."),
    ),
)

PRODUCTS = Table(
    name="products",
    description="What is sold, with the company's priority tier for each product.",
    key=("product_id",),
    columns=(
        _key("product_id", "Product identifier."),
        Column(name="name", type=S, description="Product name.", required=True, nullable=False),
        Column(name="family", type=S, description="Product family or series."),
        Column(name="list_price", type=F, description="List price.", min_value=0),
        Column(
            name="priority",
            type=S,
            description="Company priority tier; empty means standard.",
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
        Column(
            name="created_at",
            type=T,
            description="When the lead entered the CRM.",
            required=True,
            nullable=False,
        ),
        Column(name="source", type=S, description="Lead source or channel (e.g. paid_search)."),
        Column(name="campaign", type=S, description="Marketing campaign."),
        Column(name="company", type=S, description="Company the lead works for."),
        Column(name="industry", type=S, description="Industry of the lead's company."),
        Column(name="employees", type=INT, description="Head count of the company.", min_value=0),
        Column(name="country", type=S, description="Country."),
        Column(name="title", type=S, description="Job title."),
        Column(
            name="owner_rep_id", type=S, description="Owning rep or SDR.", references="reps.rep_id"
        ),
        Column(name="status", type=S, description="Current lead status.", allowed=LEAD_STATUSES),
        Column(name="mql_at", type=T, description="When marketing qualified the lead."),
        Column(name="sql_at", type=T, description="When sales qualified the lead."),
        Column(name="accepted_at", type=T, description="When sales accepted the handoff."),
        Column(name="rejected_at", type=T, description="When sales rejected the lead."),
        Column(name="rejection_reason", type=S, description="Why sales rejected it."),
        Column(name="converted_at", type=T, description="When it became an opportunity."),
        Column(
            name="opportunity_id",
            type=S,
            description="Opportunity it converted into (informative; not checked, "
            "because opportunities also point back at leads).",
        ),
        Column(name="first_marketing_touch_at", type=T, description="First marketing touch."),
        Column(name="first_sales_touch_at", type=T, description="First touch by a salesperson."),
    ),
)

OPPORTUNITIES = Table(
    name="opportunities",
    description="Deals, open and closed, with their current stage.",
    time_column="created_at",
    key=("opportunity_id",),
    columns=(
        _key("opportunity_id", "Opportunity identifier."),
        Column(name="account_id", type=S, description="Account.", references="accounts.account_id"),
        Column(
            name="owner_rep_id",
            type=S,
            description="Owning rep.",
            required=True,
            nullable=False,
            references="reps.rep_id",
        ),
        Column(
            name="product_id", type=S, description="Main product.", references="products.product_id"
        ),
        Column(name="lead_id", type=S, description="Originating lead.", references="leads.lead_id"),
        Column(name="source", type=S, description="Source or channel."),
        Column(
            name="created_at",
            type=T,
            description="When the deal was opened (empty where the CRM does not say, "
            "e.g. Maven's prospecting deals).",
        ),
        Column(name="expected_close_date", type=D, description="Expected close date."),
        Column(name="closed_at", type=T, description="When it was won or lost; empty while open."),
        Column(
            name="stage",
            type=S,
            description="Current stage name, as the CRM calls it.",
            required=True,
            nullable=False,
        ),
        Column(name="is_won", type=B, description="True if won, false if lost, empty while open."),
        Column(
            name="amount",
            type=F,
            description="Deal value, in the deal's `currency`.",
            min_value=0,
        ),
        Column(name="loss_reason", type=S, description="Why it was lost."),
        _currency(
            "ISO code of the amount's currency (e.g. MXN); empty means the corporate currency."
        ),
        Column(
            name="probability",
            type=F,
            description="The CRM's win probability, 0 to 1 (Salesforce's 0-100 divided by 100).",
            min_value=0,
        ),
        Column(
            name="forecast_category",
            type=S,
            description="The CRM's forecast call on the deal.",
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
        Column(
            name="opportunity_id",
            type=S,
            description="Opportunity.",
            required=True,
            nullable=False,
            references="opportunities.opportunity_id",
        ),
        Column(name="stage", type=S, description="Stage entered.", required=True, nullable=False),
        Column(
            name="entered_at",
            type=T,
            description="When it entered the stage.",
            required=True,
            nullable=False,
        ),
        Column(name="amount", type=F, description="Deal value at that moment.", min_value=0),
    ),
)

ACTIVITIES = Table(
    name="activities",
    description="Calls, e-mails, meetings, demos, follow-ups and tasks.",
    time_column="occurred_at",
    key=("activity_id",),
    columns=(
        _key("activity_id", "Activity identifier."),
        Column(
            name="rep_id",
            type=S,
            description="Rep who did (or owes) it.",
            required=True,
            nullable=False,
            references="reps.rep_id",
        ),
        Column(
            name="type",
            type=S,
            description="Kind of activity.",
            required=True,
            nullable=False,
            allowed=ACTIVITY_TYPES,
        ),
        Column(
            name="occurred_at",
            type=T,
            description="When it happened, or was logged for tasks and follow-ups.",
            required=True,
            nullable=False,
        ),
        Column(name="due_at", type=T, description="Due time of a follow-up or task."),
        Column(name="completed_at", type=T, description="When a follow-up or task was done."),
        Column(
            name="opportunity_id",
            type=S,
            description="Related opportunity.",
            references="opportunities.opportunity_id",
        ),
        Column(name="lead_id", type=S, description="Related lead.", references="leads.lead_id"),
        Column(name="outcome", type=S, description="Outcome (e.g. connected, no_answer)."),
    ),
)

QUOTAS = Table(
    name="quotas",
    description="Targets per rep, period and metric; every revision is a row with its set_at.",
    time_column="period_start",
    key=("rep_id", "period_start", "metric", "set_at"),
    columns=(
        Column(
            name="rep_id",
            type=S,
            description="Rep.",
            required=True,
            nullable=False,
            references="reps.rep_id",
        ),
        Column(
            name="period_start",
            type=D,
            description="First day of the period.",
            required=True,
            nullable=False,
        ),
        Column(
            name="period_end",
            type=D,
            description="Last day of the period (inclusive).",
            required=True,
            nullable=False,
        ),
        Column(
            name="metric",
            type=S,
            description="What is counted.",
            required=True,
            nullable=False,
            allowed=QUOTA_METRICS,
        ),
        Column(
            name="target",
            type=F,
            description="Target value.",
            required=True,
            nullable=False,
            min_value=0,
        ),
        Column(
            name="set_at",
            type=T,
            description="When this target was set; empty means before the period began.",
        ),
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
        Column(
            name="rep_id",
            type=S,
            description="Rep coached.",
            required=True,
            nullable=False,
            references="reps.rep_id",
        ),
        Column(name="coach_rep_id", type=S, description="Coach.", references="reps.rep_id"),
        Column(
            name="kind",
            type=S,
            description="Kind of session.",
            required=True,
            nullable=False,
            allowed=COACHING_KINDS,
        ),
        Column(
            name="occurred_at",
            type=T,
            description="When it took place.",
            required=True,
            nullable=False,
        ),
        Column(name="duration_min", type=INT, description="Length in minutes.", min_value=0),
        Column(name="topics", type=S, description="Topics, separated by ';'."),
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
        Column(
            name="start_date",
            type=D,
            description="First day the rate applies (until the next rate of the currency).",
            required=True,
            nullable=False,
        ),
        Column(
            name="rate",
            type=F,
            description="Units of `currency` per unit of the corporate currency.",
            required=True,
            nullable=False,
            min_value=0,
        ),
        Column(
            name="is_corporate",
            type=B,
            description="True for the corporate currency (its rate is 1).",
        ),
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
