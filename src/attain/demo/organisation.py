"""The people, teams, accounts and products of a demo organisation, and its ideal customer.

Selling reps come first (R0001..), grouped by team; managers, SDRs and marketers follow.
Each selling rep has a territory of accounts, half of them inside the ideal customer profile.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from attain.demo.config import DemoSpec
from attain.demo.timeline import Ints, Timeline, weekday
from attain.demo.writer import Array, amounts, dates, ids, labels, pick
from attain.schema.tables import PRODUCT_PRIORITIES, REP_ROLES

Floats = npt.NDArray[np.float64]

REGIONS: tuple[tuple[str, int, tuple[str, ...], tuple[str, ...]], ...] = (
    ("North America East", -5, ("US", "CA"), ("MX",)),
    ("Central Europe", 1, ("DE", "NL", "AT", "CH"), ("PL", "CZ")),
    ("North America West", -8, ("US", "CA"), ("MX",)),
    ("UK and Ireland", 0, ("GB", "IE"), ()),
    ("Southern Europe", 1, ("FR", "ES"), ("IT", "PT", "GR")),
    ("Asia Pacific", 10, ("AU", "NZ", "SG"), ("IN", "ID")),
)
"""Sales regions: name, UTC offset of their business hours, ICP countries, other countries."""

ICP_INDUSTRIES = ("Software", "Financial Services", "Healthcare", "Professional Services")
OTHER_INDUSTRIES = (
    "Retail",
    "Manufacturing",
    "Education",
    "Public Sector",
    "Hospitality",
    "Non-profit",
    "Construction",
    "Media",
)
INDUSTRIES = ICP_INDUSTRIES + OTHER_INDUSTRIES
ICP_EMPLOYEES = (200, 5000)
ICP_COUNTRIES = tuple(sorted({c for region in REGIONS for c in region[2]}))
COUNTRIES = ICP_COUNTRIES + tuple(sorted({c for region in REGIONS for c in region[3]}))


def icp_definition() -> dict[str, object]:
    """The ideal customer profile: an account fits when all three conditions hold."""
    return {
        "industries": list(ICP_INDUSTRIES),
        "employees": {"min": ICP_EMPLOYEES[0], "max": ICP_EMPLOYEES[1]},
        "countries": list(ICP_COUNTRIES),
    }


PRODUCTS: tuple[tuple[str, str, float, str], ...] = (
    ("Attain Cloud Platform", "Platform", 42_000.0, "priority"),
    ("Revenue Intelligence", "Analytics", 36_000.0, "priority"),
    ("Forecast AI", "Analytics", 30_000.0, "priority"),
    ("Team Edition", "Platform", 18_000.0, "standard"),
    ("CRM Connector Pack", "Integrations", 14_000.0, "standard"),
    ("Data Services", "Services", 22_000.0, "standard"),
    ("Starter Edition", "Platform", 9_000.0, "loss_leader"),
    ("Onboarding Package", "Services", 6_000.0, "loss_leader"),
)
"""Products: name, family, list price (a year's subscription) and priority tier."""

PRODUCT_TIER = np.array([PRODUCT_PRIORITIES.index(p[3]) for p in PRODUCTS])
PRODUCT_PRICE = np.array([p[2] for p in PRODUCTS])

ACCOUNTS_PER_REP = 60
"""Territory size; the first half of each territory fits the ICP."""

RAMP_DAYS = 182
"""New hires reach full productivity after two quarters."""

TOP, ORDINARY, UNDER = 0, 1, 2
TOP_SHARE, UNDER_SHARE = 0.17, 0.12
"""Shares of selling reps who are genuinely more, or less, skilled than the ordinary rep."""
TIER_NAMES = ("top", "ordinary", "under")

_FIRST = [
    "Maria",
    "James",
    "Aisha",
    "Lukas",
    "Sofia",
    "Daniel",
    "Mei",
    "Omar",
    "Emma",
    "Noah",
    "Priya",
    "Lars",
    "Chloe",
    "Mateo",
    "Yuki",
    "Hannah",
    "Ethan",
    "Fatima",
    "Jonas",
    "Olivia",
    "Liam",
    "Zara",
    "Felix",
    "Ines",
    "Samuel",
    "Leila",
    "Marco",
    "Anna",
    "Kenji",
    "Grace",
    "Tomas",
    "Nadia",
    "Oscar",
    "Elena",
    "Ravi",
    "Clara",
    "Hugo",
    "Amara",
    "Erik",
    "Julia",
    "Diego",
    "Sara",
    "Leon",
    "Maya",
    "Pavel",
    "Laura",
    "Theo",
    "Nora",
    "Arjun",
    "Ella",
    "Victor",
    "Lina",
    "Adam",
    "Rosa",
    "Kofi",
    "Alice",
    "Ivan",
    "Freya",
    "Malik",
    "Eva",
]
_LAST = [
    "Garcia",
    "Smith",
    "Khan",
    "Muller",
    "Rossi",
    "Nguyen",
    "Chen",
    "Okafor",
    "Johansson",
    "Silva",
    "Patel",
    "Dubois",
    "Kowalski",
    "Tanaka",
    "Brown",
    "Fischer",
    "Haddad",
    "Novak",
    "Santos",
    "Larsen",
    "Moreau",
    "Ivanova",
    "Schmidt",
    "Costa",
    "Murphy",
    "Ali",
    "Jensen",
    "Romero",
    "Weber",
    "Sato",
    "Hughes",
    "Bianchi",
    "Kim",
    "Andersen",
    "Lopez",
    "Meyer",
    "Walsh",
    "Ortiz",
    "Berg",
    "Park",
    "Shah",
    "Keller",
    "Reyes",
    "Lindqvist",
    "Evans",
    "Fontaine",
    "Mendes",
    "Wagner",
    "Clarke",
    "Nakamura",
    "Horvat",
    "Byrne",
    "Suzuki",
    "Popescu",
    "Ferreira",
    "Wood",
    "Bauer",
    "Petrov",
    "Adeyemi",
    "Hansen",
    "Martin",
    "Vidal",
    "Koch",
    "Kelly",
    "Yilmaz",
]
_COMPANY_A = [
    "North",
    "Blue",
    "Bright",
    "Clear",
    "Silver",
    "Iron",
    "Summit",
    "River",
    "Stone",
    "Cedar",
    "Harbor",
    "Quantum",
    "Nova",
    "Apex",
    "Crystal",
    "Pioneer",
    "Atlas",
    "Vertex",
    "Orbit",
    "Beacon",
    "Evergreen",
    "Granite",
    "Lumen",
    "Meridian",
    "Pinnacle",
    "Sterling",
    "Horizon",
    "Falcon",
    "Maple",
    "Cobalt",
    "Aurora",
    "Zenith",
    "Keystone",
    "Willow",
    "Vanguard",
    "Oak",
    "Redwood",
    "Polar",
    "Sun",
    "Tide",
]
_COMPANY_B = [
    "wind",
    "field",
    "point",
    "gate",
    "bridge",
    "line",
    "works",
    "path",
    "crest",
    "dale",
    "ridge",
    "view",
    "vale",
    "ford",
    "haven",
    "port",
    "wood",
    "light",
    "stream",
    "bay",
]
_COMPANY_C = [
    "Systems",
    "Group",
    "Labs",
    "Partners",
    "Holdings",
    "Solutions",
    "Networks",
    "Health",
    "Capital",
    "Logistics",
    "Foods",
    "Industries",
    "Media",
    "Analytics",
    "Consulting",
    "Retail",
    "Energy",
    "Bank",
    "Clinics",
    "Software",
]


@dataclass(frozen=True)
class Organisation:
    """Everyone in the organisation (arrays by person index) and the territories they sell to."""

    spec: DemoSpec
    timeline: Timeline
    person_ids: Array
    names: Array
    emails: Array
    role: Ints
    team: Ints
    hire_day: Ints
    end_day: Ints
    """Last working day, or a day far in the future for people who stay."""
    utc_offset: Ints
    tier: Ints
    """Selling reps only: TOP, ORDINARY or UNDER performer."""
    skill: Floats
    """Selling reps only: multiplies win chances (1 is an ordinary rep)."""
    activity: Floats
    """Selling reps only: relative volume of calls, e-mails and meetings."""
    sdr_of: Ints
    """Selling reps only: the SDR who prospects for them."""
    team_names: tuple[str, ...]
    team_regions: tuple[int, ...]
    team_managers: Ints
    account_industry: Ints
    account_employees: Ints
    account_revenue: Floats
    account_country: Ints
    account_names: Array
    account_icp: npt.NDArray[np.bool_]

    @property
    def selling(self) -> int:
        """Number of selling reps (person indices 0..selling-1)."""
        return self.spec.reps

    def has_left(self) -> npt.NDArray[np.bool_]:
        """Whether each person left before as_of."""
        return self.end_day < self.timeline.cutoff_day

    def working(self, people: Ints, days: Ints) -> npt.NDArray[np.bool_]:
        """Matrix (people x days): employed on that day."""
        return (days[None, :] >= self.hire_day[people, None]) & (
            days[None, :] <= self.end_day[people, None]
        )

    def ramp(self, people: Ints, days: Ints) -> Floats:
        """Productivity of new hires on each day, from a quarter to full over RAMP_DAYS.

        `people` and `days` broadcast: pass `people[:, None]` and `days[None, :]` for a matrix.
        """
        tenure = days - self.hire_day[people]
        return np.clip(0.25 + 0.75 * tenure / RAMP_DAYS, 0.25, 1.0)

    def chunks(self, reps_per_chunk: int = 48) -> list[Ints]:
        """Selling reps grouped by whole teams, about `reps_per_chunk` at a time."""
        groups: list[Ints] = []
        current: list[int] = []
        for team in range(len(self.team_names)):
            members = np.flatnonzero(
                (self.team == team) & (np.arange(self.role.size) < self.selling)
            )
            current.extend(members.tolist())
            if len(current) >= reps_per_chunk:
                groups.append(np.array(current, dtype=np.int64))
                current = []
        if current:
            groups.append(np.array(current, dtype=np.int64))
        return groups


def build_organisation(
    spec: DemoSpec, timeline: Timeline, rng: np.random.Generator
) -> Organisation:
    """Teams of 6-10 selling reps with a manager, plus SDRs and marketers, and their accounts.

    The steps draw from `rng` in a fixed order, so the same spec gives the same people."""
    sizes = _team_sizes(spec.reps, rng)
    n_teams = sizes.size
    n_sdr = max(1, round(spec.reps / 12))
    n_marketing = max(1, round(spec.reps / 30))
    role, team = _roles_and_teams(spec.reps, sizes, n_sdr, n_marketing)
    people = role.size
    team_regions = tuple(t % len(REGIONS) for t in range(n_teams))
    region_of_team = np.array([*team_regions, 0, 0], dtype=np.int64)
    hire_day, end_day, tier = _careers(spec, timeline, role, rng)
    skill = np.select(
        [tier == TOP, tier == UNDER],
        [rng.uniform(1.25, 1.4, people), rng.uniform(0.72, 0.85, people)],
        np.clip(rng.normal(1.0, 0.05, people), 0.9, 1.1),
    )
    activity = np.exp(rng.normal(0.0, 0.1, people)) * np.where(tier == TOP, 1.08, 1.0)
    sdr_of = spec.reps + n_teams + 1 + np.arange(people) % n_sdr
    first, last = _names(people, rng)
    names = [f"{f} {s}" for f, s in zip(first, last, strict=True)]
    emails = [
        f"{f}.{s}@attain-demo.example".lower().replace(" ", "")
        for f, s in zip(first, last, strict=True)
    ]
    accounts = _accounts(spec.reps, region_of_team[team[: spec.reps]], rng)
    return Organisation(
        spec=spec,
        timeline=timeline,
        person_ids=ids("R", np.arange(1, people + 1), max(4, len(str(people)))),
        names=labels(names, np.arange(people)),
        emails=labels(emails, np.arange(people)),
        role=role,
        team=team,
        hire_day=hire_day,
        end_day=end_day,
        utc_offset=np.array([r[1] for r in REGIONS], dtype=np.int64)[region_of_team[team]],
        tier=tier,
        skill=skill,
        activity=activity,
        sdr_of=sdr_of.astype(np.int64),
        team_names=tuple(
            [f"{REGIONS[r][0]} {chr(65 + t // len(REGIONS))}" for t, r in enumerate(team_regions)]
            + ["Sales Development", "Marketing"]
        ),
        team_regions=tuple(int(r) for r in region_of_team),
        team_managers=np.concatenate(
            [spec.reps + np.arange(n_teams + 1), [spec.reps + n_teams + 1 + n_sdr]]
        ).astype(np.int64),
        **accounts,
    )


def _roles_and_teams(reps: int, sizes: Ints, n_sdr: int, n_marketing: int) -> tuple[Ints, Ints]:
    """Role and team of every person: selling reps in their teams, then one manager per team
    and one for the SDRs, the SDRs (team n_teams) and the marketers (team n_teams + 1)."""
    n_teams = sizes.size
    sdr_team, marketing_team = n_teams, n_teams + 1
    roles = (
        [REP_ROLES.index("rep")] * reps
        + [REP_ROLES.index("manager")] * (n_teams + 1)
        + [REP_ROLES.index("sdr")] * n_sdr
        + [REP_ROLES.index("marketing")] * n_marketing
    )
    team = np.concatenate(
        [
            np.repeat(np.arange(n_teams), sizes),
            np.arange(n_teams),
            [sdr_team],
            np.full(n_sdr, sdr_team),
            np.full(n_marketing, marketing_team),
        ]
    ).astype(np.int64)
    return np.array(roles, dtype=np.int64), team


def _team_sizes(reps: int, rng: np.random.Generator) -> Ints:
    """Team sizes between 6 and 10 that add up to `reps` (one smaller team when reps < 6)."""
    if reps < 6:
        return np.array([reps], dtype=np.int64)
    teams = max(1, round(reps / 8))
    while teams * 10 < reps:
        teams += 1
    while teams * 6 > reps:
        teams -= 1
    sizes = rng.integers(6, 11, teams)
    while sizes.sum() != reps:
        step = 1 if sizes.sum() < reps else -1
        movable = np.flatnonzero((sizes + step >= 6) & (sizes + step <= 10))
        sizes[rng.choice(movable)] += step
    return sizes.astype(np.int64)


def _careers(
    spec: DemoSpec, timeline: Timeline, role: Ints, rng: np.random.Generator
) -> tuple[Ints, Ints, Ints]:
    """Hire dates spread over years, ~12% new hires inside the window, ~5% leavers; tiers."""
    people = role.size
    start, cutoff = timeline.window_start, timeline.cutoff_day
    years = np.where(role == REP_ROLES.index("manager"), 9, np.where(role == 0, 6, 3))
    hire = start - rng.integers(120, 365 * years + 121)
    selling = np.arange(people) < spec.reps
    new = selling & (rng.random(people) < 0.12) & (cutoff - start > 75)
    hire = np.where(new, rng.integers(start, max(start + 1, cutoff - 45), people), hire)
    hire = hire - weekday(hire)  # people start on a Monday
    leave = selling & ~new & (rng.random(people) < 0.05) & (cutoff - start > 120)
    end = np.where(leave, rng.integers(start + 45, max(start + 46, cutoff - 45), people), 10**6)
    tier = np.full(people, ORDINARY)
    order = rng.permutation(spec.reps)
    top, under = round(TOP_SHARE * spec.reps), round(UNDER_SHARE * spec.reps)
    tier[order[:top]] = TOP
    tier[order[top : top + under]] = UNDER
    return hire.astype(np.int64), end.astype(np.int64), tier.astype(np.int64)


def _names(people: int, rng: np.random.Generator) -> tuple[list[str], list[str]]:
    """Distinct first and last names (a middle initial once the combinations run out)."""
    combos = len(_FIRST) * len(_LAST)
    order = rng.permutation(max(combos, people))
    first, last = [], []
    for k in order[:people].tolist():
        first.append(_FIRST[k % len(_FIRST)])
        surname = _LAST[(k // len(_FIRST)) % len(_LAST)]
        if k >= combos:
            surname = f"{chr(65 + (k // combos) % 26)} {surname}"
        last.append(surname)
    return first, last


def _accounts(reps: int, rep_region: Ints, rng: np.random.Generator) -> dict[str, Array]:
    """ACCOUNTS_PER_REP accounts per rep: the first half fits the ICP, the rest misses it."""
    n = reps * ACCOUNTS_PER_REP
    slot = np.arange(n) % ACCOUNTS_PER_REP
    region = rep_region[np.arange(n) // ACCOUNTS_PER_REP]
    icp = slot < ACCOUNTS_PER_REP // 2
    low, high = np.log(ICP_EMPLOYEES[0]), np.log(ICP_EMPLOYEES[1])
    industry = rng.integers(0, len(ICP_INDUSTRIES), n)
    employees = np.exp(rng.uniform(low, high, n))
    country_pick = rng.random(n)
    country = _country(_region_countries(2), region, country_pick)
    miss = rng.choice(3, size=n, p=[0.45, 0.35, 0.2])
    miss = np.where((miss == 2) & (_region_countries(3)[region, 0] < 0), 0, miss)
    off_industry = len(ICP_INDUSTRIES) + rng.integers(0, len(OTHER_INDUSTRIES), n)
    industry = np.where(~icp & (miss == 0), off_industry, industry)
    small = np.exp(rng.uniform(np.log(8), np.log(ICP_EMPLOYEES[0] - 1), n))
    large = np.exp(rng.uniform(np.log(ICP_EMPLOYEES[1] + 1), np.log(120_000), n))
    employees = np.where(~icp & (miss == 1), np.where(rng.random(n) < 0.6, small, large), employees)
    other_country = _country(_region_countries(3), region, country_pick)
    country = np.where(~icp & (miss == 2), other_country, country)
    employees = np.floor(employees).astype(np.int64)
    revenue = np.round(employees * rng.lognormal(np.log(180_000), 0.35, n), -3)
    parts = np.unravel_index(
        rng.permutation(n) % (len(_COMPANY_A) * len(_COMPANY_B) * len(_COMPANY_C)),
        (len(_COMPANY_C), len(_COMPANY_B), len(_COMPANY_A)),
    )
    names = pc.binary_join_element_wise(
        labels(_COMPANY_A, parts[2].astype(np.int64)),
        labels(_COMPANY_B, parts[1].astype(np.int64)),
        pa.scalar(" "),
        labels(_COMPANY_C, parts[0].astype(np.int64)),
        "",
    )
    return {
        "account_industry": industry.astype(np.int64),
        "account_employees": employees,
        "account_revenue": revenue.astype(np.float64),
        "account_country": country.astype(np.int64),
        "account_names": names,
        "account_icp": icp,
    }


def _region_countries(which: int) -> Ints:
    """Country indices per region, padded with -1: ICP countries (which=2) or others (3)."""
    lists = [region[2] if which == 2 else region[3] for region in REGIONS]
    table = np.full((len(REGIONS), max(len(countries) for countries in lists)), -1, dtype=np.int64)
    for r, countries in enumerate(lists):
        table[r, : len(countries)] = [COUNTRIES.index(country) for country in countries]
    return table


def _country(table: Ints, region: Ints, draw: Floats) -> Ints:
    """A country of each account's region, chosen by `draw` in [0, 1); -1 where it has none."""
    counts = (table >= 0).sum(axis=1)[region]
    column = np.minimum((draw * counts).astype(np.int64), np.maximum(counts - 1, 0))
    chosen: Ints = table[region, column]
    return chosen


def teams_columns(org: Organisation) -> dict[str, Array]:
    """teams.csv: one row per team."""
    n = len(org.team_names)
    return {
        "team_id": ids("T", np.arange(1, n + 1), 3),
        "name": labels(org.team_names, np.arange(n)),
        "manager_rep_id": pick(org.person_ids, org.team_managers),
        "region": labels(
            [REGIONS[r][0] for r in org.team_regions[:-2]] + ["Global", "Global"], np.arange(n)
        ),
    }


def reps_columns(org: Organisation) -> dict[str, Array]:
    """reps.csv: everyone, with hire and (for leavers) end dates."""
    return {
        "rep_id": org.person_ids,
        "name": org.names,
        "email": org.emails,
        "team_id": ids("T", org.team + 1, 3),
        "role": labels(REP_ROLES, org.role),
        "hire_date": dates(org.hire_day),
        "end_date": dates(org.end_day, org.has_left()),
    }


def accounts_columns(org: Organisation) -> dict[str, Array]:
    """accounts.csv: every territory account."""
    n = org.account_icp.size
    return {
        "account_id": account_ids(np.arange(n)),
        "name": org.account_names,
        "industry": labels(INDUSTRIES, org.account_industry),
        "employees": org.account_employees,
        "annual_revenue": amounts(org.account_revenue),
        "country": labels(COUNTRIES, org.account_country),
    }


def account_ids(index: Ints) -> Array:
    """Account identifiers for account indices."""
    return ids("ACC", index + 1, 7)


def products_columns() -> dict[str, Array]:
    """products.csv: the product catalogue with priority tiers."""
    n = len(PRODUCTS)
    return {
        "product_id": product_ids(np.arange(n)),
        "name": labels([p[0] for p in PRODUCTS], np.arange(n)),
        "family": labels([p[1] for p in PRODUCTS], np.arange(n)),
        "list_price": amounts(PRODUCT_PRICE),
        "priority": labels(PRODUCT_PRIORITIES, PRODUCT_TIER),
    }


def product_ids(index: Ints) -> Array:
    """Product identifiers for product indices."""
    return ids("P", index + 1, 2)
