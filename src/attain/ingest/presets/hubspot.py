"""HubSpot CRM exports: contacts, companies and deals CSVs with display-name headers.

Owners appear by name or by e-mail address; each distinct owner becomes a rep. Deals link to
companies and contacts by id where the export has association ids, else by domain and e-mail.
See docs/presets.md for every mapping decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb

from attain.errors import InputError
from attain.ingest.presets.exports import (
    column,
    date,
    derived,
    match_files,
    not_before,
    optional,
    slug,
    stage,
    text,
    timestamp,
    value,
)
from attain.ingest.readers import ROW, RawFile, ReadOptions, quote_ident
from attain.ingest.sources import Plan, Source, mapped_source

KINDS = ("contacts", "companies", "deals")
ENGAGEMENTS = {
    "engagements_calls": "call",
    "engagements_emails": "email",
    "engagements_meetings": "meeting",
    "engagements_tasks": "task",
}
"""The files of engagements a sync writes (one per object: calls, e-mails, meetings, tasks)
and the activity type of each."""
HISTORY = "deal_stage_history"
"""The file of the deals' stage history a sync writes (Record ID, Deal Stage, Entered At)."""
RECORD_ID = {"contacts": "Contact ID", "companies": "Company ID", "deals": "Deal ID"}
"""Older exports name the id column after the object instead of 'Record ID'."""

API_NAMES = {
    "contacts": {
        "Record ID": "hs_object_id",
        "Create Date": "createdate",
        "Contact owner": "hubspot_owner_id",
        "Email": "email",
        "Lead Status": "hs_lead_status",
        "Lifecycle Stage": "lifecyclestage",
        "Number of Employees": "numemployees",
        "Country/Region": "country",
        "Job Title": "jobtitle",
        "Company Name": "company",
        "Original Source": "hs_analytics_source",
        "First Touch Converting Campaign": "hs_analytics_first_touch_converting_campaign",
        "Became a Marketing Qualified Lead Date": "hs_lifecyclestage_marketingqualifiedlead_date",
        "Became a Sales Qualified Lead Date": "hs_lifecyclestage_salesqualifiedlead_date",
        "Became an Opportunity Date": "hs_lifecyclestage_opportunity_date",
    },
    "companies": {
        "Record ID": "hs_object_id",
        "Company name": "name",
        "Company owner": "hubspot_owner_id",
        "Company Domain Name": "domain",
        "Number of Employees": "numberofemployees",
        "Annual Revenue": "annualrevenue",
        "Country/Region": "country",
        "Create Date": "createdate",
    },
    "deals": {
        "Record ID": "hs_object_id",
        "Deal Name": "dealname",
        "Deal Stage": "dealstage",
        "Deal owner": "hubspot_owner_id",
        "Create Date": "createdate",
        "Close Date": "closedate",
        "Closed Lost Reason": "closed_lost_reason",
        "Deal Currency Code": "deal_currency_code",
        "Deal Stage Probability": "hs_deal_stage_probability",
        "Forecast category": "hs_manual_forecast_category",
        "Original Source": "hs_analytics_source",
    },
    "engagements": {
        "Record ID": "hs_object_id",
        "Activity date": "hs_timestamp",
        "Activity assigned to": "hubspot_owner_id",
        "Create Date": "hs_createdate",
        "Meeting start time": "hs_meeting_start_time",
        "Task status": "hs_task_status",
        "Task type": "hs_task_type",
        "Completed at": "hs_task_completion_date",
    },
}
"""Each export label's property internal name, per object. The API (`attain sync hubspot`)
names properties by internal name, with values written as the export writes them (owners by
name, stages and pipelines by label); a file may use either name. Labels that differ from the
internal name only in case (Amount, Industry, Website, Pipeline) need no entry."""

LEAD_STATUSES = {
    "new": "new",
    "open": "new",
    "in_progress": "working",
    "attempted_to_contact": "working",
    "connected": "working",
    "bad_timing": "nurturing",
    "open_deal": "converted",
    "unqualified": "disqualified",
}
"""HubSpot's default lead statuses (internal names; labels slug to them); others are kept."""

LIFECYCLE_STATUSES = {
    "subscriber": "new",
    "lead": "new",
    "marketingqualifiedlead": "qualified",
    "salesqualifiedlead": "qualified",
    "opportunity": "converted",
    "customer": "converted",
    "evangelist": "converted",
}
"""Lead status implied by the lifecycle stage, used where Lead Status is empty."""

WON, LOST = "closedwon", "closedlost"
"""Default pipeline's closed stages, as internal names or labels without spaces."""

FORECAST_CATEGORIES = {
    "omit": "omitted",
    "not_forecasted": "omitted",
    "closed_won": "closed",
}
"""HubSpot forecast categories (internal names or labels, slugged) whose name differs from ours;
`pipeline`, `best_case`, `commit` and `closed` are ours already, anything else is rejected."""

SOURCE_COLUMNS = ("Original Source", "Lead Source")
"""Where a contact's or deal's channel is, in order of preference (Lead Source is the
free-form property many portals fill by hand)."""

PROBABILITY_COLUMNS = ("Deal probability", "Deal Stage Probability")
"""The deal's win probability: set by hand, else the one its stage implies."""

EMAIL = r"[^@\s]+@[^@\s]+"
"""An owner written as an e-mail address (newer exports, or portals without owner names)."""

KEY, VALUE = "_hs_key", "_hs_value"
"""Columns of the lookup tables; unlike any export header, so correlated subqueries that read
an export column never bind it to a lookup column instead."""


@dataclass
class _Build:
    """The staged exports, and the SQL written over each so far (to list what was not read)."""

    con: duckdb.DuckDBPyConnection
    contacts: RawFile | None
    companies: RawFile | None
    deals: RawFile | None
    date_format: str | None = None
    """The user's layout for non-ISO dates (`attain import --date-format`)."""
    engagements: dict[str, RawFile] = field(default_factory=dict)
    """Calls, e-mails, meetings and tasks by object (written by `attain sync hubspot`)."""
    sql: dict[Path, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def derive(self, raw: RawFile, select: str) -> RawFile:
        """A table made by `select` over `raw` (see exports.derived), its columns marked read."""
        self.sql.setdefault(raw.path, []).append(select)
        return derived(self.con, raw, select)

    def source(self, raw: RawFile, table: str, expressions: dict[str, str]) -> Source:
        """`raw` mapped onto `table` (see sources.mapped_source), its columns marked read."""
        self.sql.setdefault(raw.path, []).extend(expressions.values())
        return mapped_source(raw, table, expressions)

    def count(self, sql: str) -> int:
        row = self.con.execute(sql).fetchone()
        return int(row[0]) if row and row[0] is not None else 0


def sources(con: duckdb.DuckDBPyConnection, paths: list[Path], options: ReadOptions) -> Plan:
    """Reps (from owners), accounts, leads and opportunities from whichever exports are given."""
    kinds = (*KINDS, HISTORY, *ENGAGEMENTS)
    found, unmatched = match_files(paths, kinds, lambda kind, stem: kind in stem)
    if not found:
        raise InputError(
            f"{', '.join(map(str, paths))}: no HubSpot export found; expected file names "
            "containing contacts, companies or deals"
        )
    build = _Build(
        con,
        contacts=_stage(con, found, "contacts", ("Create Date",), options),
        companies=_stage(con, found, "companies", (), options),
        deals=_stage(con, found, "deals", ("Deal Stage", "Deal owner"), options),
        date_format=options.date_format,
        engagements={
            kind: _with_labels(con, stage(con, found[kind], (), options), "engagements")
            for kind in ENGAGEMENTS
            if kind in found
        },
    )
    plan = Plan(sources=_reps(build))
    links = _links(build)
    if build.companies is not None:
        plan.sources.append(_accounts(build, build.companies))
    if build.contacts is not None:
        plan.sources.append(_leads(build, build.contacts, links))
    if build.deals is not None:
        plan.sources.append(_opportunities(build, build.deals, links))
    missing = [kind for kind in KINDS if kind not in found]
    if missing:
        plan.notes.append(f"hubspot: no {', '.join(missing)} export given, skipped")
    if unmatched:
        plan.notes.append(f"hubspot: ignored {', '.join(unmatched)}")
    plan.notes.extend(build.notes)
    plan.notes.extend(_unread(build))
    if HISTORY in found:
        history = stage(con, found[HISTORY], ("Record ID", "Deal Stage", "Entered At"), options)
        plan.sources.append(_stage_entries(history, options.date_format))
    for kind, raw in build.engagements.items():
        plan.sources.append(_activities(build, raw, ENGAGEMENTS[kind]))
    absent = ", ".join(_absent(found))
    plan.notes.append(f"hubspot: no {absent + ' or ' if absent else ''}quotas in these exports")
    return plan


def _absent(found: dict[str, Path]) -> list[str]:
    """What only `attain sync hubspot` writes (HubSpot's exports have neither) and is not given."""
    given = {
        "stage history": HISTORY in found,
        "activities": not found.keys().isdisjoint(ENGAGEMENTS),
    }
    return [name for name, present in given.items() if not present]


def _activities(build: _Build, raw: RawFile, kind: str) -> Source:
    """Calls, e-mails and meetings as such; tasks as Salesforce's: done ones by their type
    (call, e-mail, else task), open call and e-mail tasks as follow-ups, others as tasks."""
    at, created = (
        timestamp(value(raw, name), build.date_format) for name in ("Activity date", "Create Date")
    )
    expressions = {
        "activity_id": text(column(raw, "Record ID")),
        "rep_id": _owner_id(column(raw, "Activity assigned to")),
        "type": f"'{kind}'",
        "occurred_at": at,
        "opportunity_id": _first_id(value(raw, "Associated Deal IDs")),
        "lead_id": _first_id(value(raw, "Associated Contact IDs")),
    }
    if kind == "meeting":
        start = timestamp(value(raw, "Meeting start time"), build.date_format)
        expressions["occurred_at"] = f"coalesce({start}, {at})"
    if kind == "task":
        done = f"upper({value(raw, 'Task status')}) = 'COMPLETED'"
        channel = f"CASE upper({value(raw, 'Task type')}) WHEN 'CALL' THEN 'call' "
        channel += "WHEN 'EMAIL' THEN 'email' END"
        activity = (
            f"CASE WHEN {done} THEN coalesce({channel}, 'task') "
            f"WHEN {channel} IS NOT NULL THEN 'follow_up' ELSE 'task' END"
        )
        completed = timestamp(value(raw, "Completed at"), build.date_format)
        to_do = f"({activity}) IN ('task', 'follow_up')"
        expressions |= {
            "type": activity,
            "occurred_at": f"CASE WHEN {to_do} THEN {created} "
            f"ELSE coalesce({completed}, {at}, {created}) END",
            "due_at": f"CASE WHEN {to_do} THEN {at} END",
            "completed_at": f"CASE WHEN {to_do} AND {done} THEN {completed} END",
        }
    return build.source(raw, "activities", expressions)


def _stage_entries(history: RawFile, date_format: str | None) -> Source:
    """Stage entries from the deals' `dealstage` property history, one row per value set
    (`attain sync hubspot` writes it; HubSpot's exports have no such file)."""
    columns = {
        "opportunity_id": text(column(history, "Record ID")),
        "stage": text(column(history, "Deal Stage")),
        "entered_at": timestamp(column(history, "Entered At"), date_format),
    }
    return mapped_source(history, "opportunity_stages", columns)


def _stage(
    con: duckdb.DuckDBPyConnection,
    found: dict[str, Path],
    kind: str,
    required: tuple[str, ...],
    options: ReadOptions,
) -> RawFile | None:
    if kind not in found:
        return None
    raw = _with_labels(con, stage(con, found[kind], (), options), kind)
    missing = [name for name in required if optional(raw, name) is None]
    if missing:
        raise InputError(f"{raw.path}: missing column(s) {', '.join(missing)}")
    column(raw, "Record ID", RECORD_ID[kind])
    return raw


def _with_labels(con: duckdb.DuckDBPyConnection, raw: RawFile, kind: str) -> RawFile:
    """`raw` with each property named by its internal name (API_NAMES) renamed to its label."""
    renames = {
        found[1:-1].replace('""', '"'): label
        for label, name in API_NAMES[kind].items()
        if (found := optional(raw, name)) is not None and optional(raw, label) is None
    }
    for name, label in renames.items():
        con.execute(
            f"ALTER TABLE {raw.relation} RENAME COLUMN {quote_ident(name)} TO {quote_ident(label)}"
        )
    return replace(raw, columns=tuple(renames.get(name, name) for name in raw.columns))


def _record_id(raw: RawFile, kind: str) -> str:
    return text(column(raw, "Record ID", RECORD_ID[kind]))


def _unread(build: _Build) -> list[str]:
    """A note per export naming the columns no mapping or link reads."""
    notes = []
    for raw in (build.contacts, build.companies, build.deals):
        if raw is None:
            continue
        read = "\n".join(build.sql.get(raw.path, ()))
        unread = [name for name in raw.columns if quote_ident(name) not in read]
        if unread:
            notes.append(f"{raw.path.name}: not read: {', '.join(unread)}")
    return notes


# Owners and reps


def _is_address(owner: str) -> str:
    return f"regexp_full_match({owner}, '{EMAIL}')"


def _owner_id(expression: str) -> str:
    """SQL: an owner's rep id: an e-mail address lower-cased, a name slugged."""
    owner = text(expression)
    return f"CASE WHEN {_is_address(owner)} THEN lower({owner}) ELSE {slug(owner)} END"


def _owner_name(expression: str) -> str:
    """SQL: an owner's name: as written, or from an address's local part (`jo.doe@` -> Jo Doe)."""
    owner = text(expression)
    words = f"string_split_regex(split_part({owner}, '@', 1), '[._+-]+')"
    words = f"list_filter({words}, lambda w: w <> '')"
    name = f"array_to_string(list_transform({words}, lambda w: upper(w[1]) || lower(w[2:])), ' ')"
    return f"CASE WHEN {_is_address(owner)} THEN {name} ELSE {owner} END"


def _owner_email(expression: str) -> str:
    """SQL: an owner's e-mail address, lower-cased; NULL for an owner named by name."""
    owner = text(expression)
    return f"CASE WHEN {_is_address(owner)} THEN lower({owner}) END"


def _reps(build: _Build) -> list[Source]:
    """A rep per distinct owner id: contact owners, then company and deal owners not among them.

    Each is reported against the first row naming it; `email` is filled (and so rewritten on a
    re-import) only from files where some owner is an address.
    """
    owned = [
        (raw, found)
        for raw, name in (
            (build.contacts, "Contact owner"),
            (build.companies, "Company owner"),
            (build.deals, "Deal owner"),
            *((raw, "Activity assigned to") for raw in build.engagements.values()),
        )
        if raw is not None and (found := optional(raw, name)) is not None
    ]
    result: list[Source] = []
    seen = "SELECT ''"
    for raw, owner in owned:
        owners = build.derive(
            raw,
            f"SELECT min({ROW}) AS {ROW}, rep_id, first(name ORDER BY {ROW}) AS name, "
            f"first(email ORDER BY {ROW}) AS email FROM (SELECT {ROW}, "
            f"{_owner_id(owner)} AS rep_id, {_owner_name(owner)} AS name, "
            f"{_owner_email(owner)} AS email FROM {raw.relation}) "
            f"WHERE rep_id NOT IN ({seen}) GROUP BY rep_id",
        )
        seen += f" UNION ALL SELECT rep_id FROM {owners.relation}"
        expressions = {"rep_id": "rep_id", "name": "name", "role": "'rep'"}
        if build.count(f"SELECT count(email) FROM {owners.relation}"):
            expressions["email"] = "email"
        result.append(mapped_source(owners, "reps", expressions))
    return result


# Links between the exports


def _domain(expression: str) -> str:
    """SQL: the host of a domain or web address, lower-case, without scheme, `www.`, path or
    port (`https://www.Acme.com/` -> acme.com); the first of a `;`-separated list."""
    host = f"lower(TRIM(split_part({expression}, ';', 1)))"
    host = f"regexp_replace({host}, '^([a-z][a-z0-9+.-]*://)?(www\\.)?', '')"
    return f"NULLIF(split_part(split_part({host}, '/', 1), ':', 1), '')"


def _email(expression: str) -> str:
    """SQL: an e-mail address lower-cased; the first of a `;`-separated list."""
    return f"NULLIF(lower(TRIM(split_part({expression}, ';', 1))), '')"


def _first_id(expression: str) -> str:
    """SQL: the first id of a `;`-separated association list."""
    return text(f"split_part({expression}, ';', 1)")


def _lookup(build: _Build, raw: RawFile, key: str, value: str, order: str = ROW) -> RawFile:
    """A table of each non-empty `key` of `raw` once, with the `value` of its first row by
    `order` (file order unless given): the side of a link that is looked up."""
    return build.derive(
        raw,
        f"SELECT min({ROW}) AS {ROW}, {KEY}, first({VALUE} ORDER BY _hs_order NULLS LAST, {ROW}) "
        f"AS {VALUE}, count(*) AS _hs_rows FROM (SELECT {ROW}, {key} AS {KEY}, {value} AS {VALUE}, "
        f"{order} AS _hs_order FROM {raw.relation}) WHERE {KEY} IS NOT NULL GROUP BY {KEY}",
    )


def _looked_up(lookup: RawFile, key: str) -> str:
    """SQL: the value `lookup` holds for `key` (NULL when it holds none)."""
    return f"(SELECT {VALUE} FROM {lookup.relation} WHERE {KEY} = {key})"


def _shared_keys(build: _Build, lookup: RawFile, what: str, then: str) -> None:
    """Note keys that several rows share (HubSpot deduplicates by them, so rarely)."""
    shared = build.count(f"SELECT count(*) FROM {lookup.relation} WHERE _hs_rows > 1")
    if shared:
        build.notes.append(f"{lookup.path.name}: {shared} {what}; {then}")


@dataclass(frozen=True)
class _Links:
    """Lookups between the exports (None where an export or column is missing).

    Each lookup is read with one flat correlated subquery; nesting them (a deal's contact's
    source through its lead) made DuckDB compare every deal with every contact, so a contact's
    values are looked up by the deal's contact id or e-mail directly.
    """

    account_by_domain: RawFile | None = None
    """companies: domain -> account id."""
    company_by_domain: RawFile | None = None
    """companies: domain -> company name."""
    lead_by_email: RawFile | None = None
    """contacts: e-mail -> lead id."""
    source_by_lead: RawFile | None = None
    """contacts: lead id -> channel."""
    source_by_email: RawFile | None = None
    """contacts: e-mail -> channel."""
    contact_ids: str | None = None
    """SQL over deals: the first associated contact id."""
    contact_email: str | None = None
    """SQL over deals: the associated contact's e-mail."""
    first_deal: RawFile | None = None
    """deals: lead id -> the lead's earliest deal."""

    @property
    def deal_lead(self) -> str | None:
        """SQL over deals: the deal's lead (its contact); None if the deals cannot name one."""
        return self._of_contact(self.contact_ids, self.lead_by_email)

    @property
    def contact_source(self) -> str | None:
        """SQL over deals: the channel of the deal's contact."""
        by_id = None
        if self.contact_ids is not None and self.source_by_lead is not None:
            by_id = _looked_up(self.source_by_lead, self.contact_ids)
        return self._of_contact(by_id, self.source_by_email)

    def _of_contact(self, by_id: str | None, by_email: RawFile | None) -> str | None:
        """SQL over deals: `by_id` where the deal names its contact by id, else the value
        `by_email` holds for the contact's e-mail."""
        email = None
        if self.contact_email is not None and by_email is not None:
            email = _looked_up(by_email, self.contact_email)
        if self.contact_ids is None or email is None:
            return by_id if self.contact_ids is not None else email
        return f"CASE WHEN {self.contact_ids} IS NOT NULL THEN {by_id or 'NULL'} ELSE {email} END"


def _links(build: _Build) -> _Links:
    """Every lookup the given exports allow."""
    links = _Links()
    if build.companies is not None:
        links = _company_lookups(build, build.companies, links)
    if build.contacts is not None:
        links = _contact_lookups(build, build.contacts, links)
    if build.deals is None:
        return links
    ids = optional(build.deals, "Associated Contact IDs", "Associated Contact ID")
    email = optional(build.deals, "Associated Contact Email")
    links = replace(
        links,
        contact_ids=None if ids is None else _first_id(ids),
        contact_email=None if email is None else _email(email),
    )
    if links.deal_lead is None:
        return links
    # A contact with several deals converted into its earliest (by creation, then row).
    created = timestamp(value(build.deals, "Create Date"), build.date_format)
    first_deal = _lookup(
        build,
        build.deals,
        links.deal_lead,
        _record_id(build.deals, "deals"),
        order=f"TRY_CAST({created} AS TIMESTAMPTZ)",
    )
    return replace(links, first_deal=first_deal)


def _company_lookups(build: _Build, companies: RawFile, links: _Links) -> _Links:
    """Domain -> account id and domain -> company name, by Company Domain Name else Website."""
    domain = optional(companies, "Company Domain Name")
    website = optional(companies, "Website")
    keys = [_domain(found) for found in (domain, website) if found is not None]
    if not keys:
        return links
    key = f"coalesce({', '.join(keys)})"
    accounts = _lookup(build, companies, key, _record_id(companies, "companies"))
    _shared_keys(
        build,
        accounts,
        "domains are shared by several companies",
        "deals and contacts with such a domain take the first company listed",
    )
    names = _lookup(build, companies, key, _company_name(companies))
    return replace(links, account_by_domain=accounts, company_by_domain=names)


def _contact_lookups(build: _Build, contacts: RawFile, links: _Links) -> _Links:
    """E-mail -> lead id, and lead id and e-mail -> channel."""
    lead = _record_id(contacts, "contacts")
    email = optional(contacts, "Email")
    source = _source(contacts)
    if source is not None:
        links = replace(links, source_by_lead=_lookup(build, contacts, lead, source))
    if email is None:
        return links
    by_email = _lookup(build, contacts, _email(email), lead)
    _shared_keys(
        build,
        by_email,
        "e-mail addresses are shared by several contacts",
        "deals with such an address take the first contact listed",
    )
    links = replace(links, lead_by_email=by_email)
    if source is not None:
        links = replace(links, source_by_email=_lookup(build, contacts, _email(email), source))
    return links


def _company_name(companies: RawFile) -> str:
    return text(column(companies, "Company name", "Name"))


def _source(raw: RawFile) -> str | None:
    """SQL: the first of SOURCE_COLUMNS that is filled, slugged with `_`; None if none exist."""
    found = [
        slug(quoted, "_") for name in SOURCE_COLUMNS if (quoted := optional(raw, name)) is not None
    ]
    return f"coalesce({', '.join(found)})" if found else None


def _unlinked(build: _Build, raw: RawFile, named: str, linked: str, what: str) -> None:
    """Note rows that name a related record (`named` not NULL) that no export holds."""
    missing = build.count(
        f"SELECT count(*) FROM {raw.relation} WHERE {named} IS NOT NULL AND {linked} IS NULL"
    )
    if missing:
        build.notes.append(f"{raw.path.name}: {missing} of {raw.rows} {what}")


# The canonical tables


def _accounts(build: _Build, companies: RawFile) -> Source:
    expressions = {
        "account_id": _record_id(companies, "companies"),
        "name": _company_name(companies),
        **_fields(
            companies,
            {
                "industry": ("Industry",),
                "employees": ("Number of Employees",),
                "annual_revenue": ("Annual Revenue",),
                "country": ("Country/Region", "Country"),
            },
        ),
    }
    return build.source(companies, "accounts", expressions)


def _fields(raw: RawFile, mapping: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Canonical column -> trimmed text of the first of its names the file has; absent if none."""
    return {
        canonical: text(found)
        for canonical, names in mapping.items()
        if (found := optional(raw, *names)) is not None
    }


def _leads(build: _Build, contacts: RawFile, links: _Links) -> Source:
    """Every contact is a lead; status from Lead Status, else from the lifecycle stage."""
    status = value(contacts, "Lead Status")
    lifecycle = slug(value(contacts, "Lifecycle Stage"), "")
    lead = _record_id(contacts, "contacts")
    expressions = {
        "lead_id": lead,
        "created_at": timestamp(column(contacts, "Create Date"), build.date_format),
        "status": f"CASE {slug(status, '_')} "
        + " ".join(f"WHEN '{given}' THEN '{ours}'" for given, ours in LEAD_STATUSES.items())
        + f" ELSE coalesce({status}, CASE {lifecycle} "
        + " ".join(f"WHEN '{given}' THEN '{ours}'" for given, ours in LIFECYCLE_STATUSES.items())
        + " END) END",
        **_fields(
            contacts,
            {
                "industry": ("Industry",),
                "employees": ("Number of Employees",),
                "country": ("Country/Region", "Country"),
                "title": ("Job Title",),
                "campaign": ("First Touch Converting Campaign",),
            },
        ),
    }
    company = optional(contacts, "Company Name")
    domain = optional(contacts, "Associated Company Domain")
    names = [text(company)] if company is not None else []
    if domain is not None and links.company_by_domain is not None:
        names.append(_looked_up(links.company_by_domain, _domain(domain)))
    if names:
        expressions["company"] = f"coalesce({', '.join(names)})"
    source = _source(contacts)
    if source is not None:
        expressions["source"] = source
    owner = optional(contacts, "Contact owner")
    if owner is not None:
        expressions["owner_rep_id"] = _owner_id(owner)
    for canonical, name in (
        ("mql_at", "Became a Marketing Qualified Lead Date"),
        ("sql_at", "Became a Sales Qualified Lead Date"),
        ("converted_at", "Became an Opportunity Date"),
    ):
        if optional(contacts, name) is not None:
            expressions[canonical] = timestamp(value(contacts, name), build.date_format)
    if links.first_deal is not None:
        expressions["opportunity_id"] = _looked_up(links.first_deal, lead)
    return build.source(contacts, "leads", expressions)


def _opportunities(build: _Build, deals: RawFile, links: _Links) -> Source:
    """Deals; closed (with closed_at and is_won) only in the closedwon and closedlost stages."""
    stage_name = text(column(deals, "Deal Stage"))
    closed = f"{slug(stage_name, '')} IN ('{WON}', '{LOST}')"
    created = timestamp(value(deals, "Create Date"), build.date_format)
    close_date = timestamp(value(deals, "Close Date"), build.date_format)
    expressions = {
        "opportunity_id": _record_id(deals, "deals"),
        "owner_rep_id": _owner_id(column(deals, "Deal owner")),
        "stage": stage_name,
        "closed_at": f"CASE WHEN {closed} THEN {not_before(close_date, created)} END",
        "is_won": f"CASE WHEN {closed} THEN CAST({slug(stage_name, '')} = '{WON}' AS VARCHAR) END",
        **_fields(
            deals,
            {
                "amount": ("Amount",),
                "loss_reason": ("Closed Lost Reason",),
                "currency": ("Deal Currency Code", "Currency"),
            },
        ),
    }
    if optional(deals, "Create Date") is not None:
        expressions["created_at"] = created
    if optional(deals, "Close Date") is not None:
        expressions["expected_close_date"] = date(close_date)
    account = _deal_account(build, deals, links)
    if account is not None:
        expressions["account_id"] = account
    if links.deal_lead is not None:
        expressions["lead_id"] = links.deal_lead
        email = optional(deals, "Associated Contact Email")
        if email is not None:
            _unlinked(
                build,
                deals,
                _email(email),
                links.deal_lead,
                "deals name a contact e-mail not in the contacts export; they load without a lead",
            )
    source = _deal_source(deals, links)
    if source is not None:
        expressions["source"] = source
    probability = _probability(build, deals)
    if probability is not None:
        expressions["probability"] = probability
    forecast = optional(deals, "Forecast category")
    if forecast is not None:
        expressions["forecast_category"] = (
            f"CASE {slug(forecast, '_')} "
            + " ".join(
                f"WHEN '{given}' THEN '{ours}'" for given, ours in FORECAST_CATEGORIES.items()
            )
            + f" ELSE {slug(forecast, '_')} END"
        )
    _pipelines(build, deals)
    return build.source(deals, "opportunities", expressions)


def _deal_account(build: _Build, deals: RawFile, links: _Links) -> str | None:
    """SQL: the primary (else first) associated company id, else the company with the domain."""
    ids = optional(
        deals, "Associated Company IDs (Primary)", "Associated Company IDs", "Associated Company ID"
    )
    domain = optional(deals, "Associated Company Domain")
    choices = [_first_id(ids)] if ids is not None else []
    if domain is not None and links.account_by_domain is not None:
        by_domain = _looked_up(links.account_by_domain, _domain(domain))
        choices.append(by_domain)
        named = (
            _domain(domain)
            if ids is None
            else f"CASE WHEN {_first_id(ids)} IS NULL THEN {_domain(domain)} END"
        )
        _unlinked(
            build,
            deals,
            named,
            by_domain,
            "deals name a company domain not in the companies export; they load without an account",
        )
    return f"coalesce({', '.join(choices)})" if choices else None


def _deal_source(deals: RawFile, links: _Links) -> str | None:
    """SQL: the deal's own channel, else its contact's."""
    choices = [own] if (own := _source(deals)) is not None else []
    if links.contact_source is not None:
        choices.append(links.contact_source)
    return f"coalesce({', '.join(choices)})" if choices else None


def _probability(build: _Build, deals: RawFile) -> str | None:
    """SQL: the deal probability as 0 to 1.

    HubSpot stores it as 0 to 1 but some exports (and hand edits) write percent: a value with
    `%` is a percent, and so is every value of a column where any value without `%` exceeds 1
    (per column, since a lone `1` could be either).
    """
    named = [name for name in PROBABILITY_COLUMNS if optional(deals, name) is not None]
    if not named:
        return None
    given = value(deals, named[0])
    number = f"TRY_CAST(TRIM(replace({given}, '%', '')) AS DOUBLE)"
    marked = f"ends_with({given}, '%')"
    in_percent = build.count(
        f"SELECT count(*) FROM {deals.relation} WHERE NOT {marked} AND {number} > 1"
    )
    if in_percent:
        build.notes.append(f"{deals.path.name}: {named[0]} read as percent (values above 1)")
    percent = "true" if in_percent else marked
    return (
        f"CASE WHEN {number} IS NULL THEN {given} "
        f"WHEN {percent} THEN CAST({number} / 100 AS VARCHAR) ELSE CAST({number} AS VARCHAR) END"
    )


def _pipelines(build: _Build, deals: RawFile) -> None:
    """Note when deals of several pipelines mix (their stage names mix in `stage`)."""
    pipeline = optional(deals, "Pipeline")
    if pipeline is None:
        return
    names = [
        name
        for (name,) in build.con.execute(
            f"SELECT DISTINCT {text(pipeline)} AS p FROM {deals.relation} "
            "WHERE p IS NOT NULL ORDER BY p"
        ).fetchall()
    ]
    if len(names) > 1:
        build.notes.append(
            f"{deals.path.name}: {len(names)} pipelines ({', '.join(names)}) share stage names; "
            "only Closed Won and Closed Lost close a deal"
        )
