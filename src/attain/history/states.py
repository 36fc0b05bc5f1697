"""Deals and reps as the store's history says they stood at a moment (a data version or a date).

The change record, the pipeline waterfall and the forecast-call accuracy all compare such
states. Every deal's amount is in the corporate currency (attain.store.currency): a closed
deal's at the rate of its close day, an open deal's at the rate of one conversion day for the
whole comparison, so a deal's amount moves only when the CRM's amount moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import ibis
import pandas as pd

from attain.errors import InputError
from attain.metrics.targets import team_or_none
from attain.store.currency import CurrencySettings, opportunities_view
from attain.store.ddl import IMPORTS_TABLE, OPPORTUNITY_HISTORY_TABLE, REP_HISTORY_TABLE
from attain.store.handle import Store
from attain.store.point_in_time import DEAL_FIELDS as TRACKED_FIELDS
from attain.store.point_in_time import held_at

Moment = int | date | datetime
"""A data version (an import id), a day (its start, UTC) or an instant (naive UTC)."""
NO_HISTORY = (
    "the store keeps no deal history for these dates yet: every import adds it from now on "
    "(docs/history.md), so import exports as they are taken, oldest first"
)
"""The note of a waterfall or of calls read where the history holds no rows."""
LONGEST_VERSION = 18
"""Digits of the largest data version a moment may name (import ids are 64-bit integers)."""

DEAL_FIELDS = ("opportunity_id", "deleted", *TRACKED_FIELDS)
"""The columns of a deal's state."""


@dataclass(frozen=True)
class History:
    """Every history row of deals and reps, amounts converted, ready to be read at moments.

    `deals` holds DEAL_FIELDS plus `version_from` (empty on rows seeded from an export's stage
    history) and `valid_from`/`valid_to` (NaT: open-ended) as pandas timestamps; `reps` holds
    rep_id, team_id, role, deleted, valid_from, valid_to; `teams` is each rep's team in the
    `reps` table, for reps without history rows.
    """

    deals: pd.DataFrame
    reps: pd.DataFrame
    teams: dict[str, str | None]
    currency: str | None
    """The currency of every amount (None: the store names none; amounts are as recorded)."""


def load_history(
    backend: Store,
    *,
    currency: CurrencySettings | None = None,
    conversion_day: date | None = None,
    first: pd.Timestamp | None = None,
    last: pd.Timestamp | None = None,
) -> History:
    """The deals' and reps' history rows of the store, amounts in the corporate currency.

    Open deals convert at `conversion_day` (default today); closed deals at their close day.
    With `first`/`last`, only the deals' rows that can be in force from `first` to `last` are
    read (a year of weekly versions is read for one quarter's weeks otherwise).
    """
    settings = currency or CurrencySettings()
    rows = history_view(backend, settings, conversion_day, first=first, last=last)
    deals = deal_rows(rows)
    reps = rep_rows(backend)
    roster = backend.stored_table("reps").select("rep_id", "team_id").to_pandas()
    teams = {
        str(rep): team_or_none(team)
        for rep, team in zip(roster["rep_id"], roster["team_id"], strict=True)
    }
    return History(deals, reps, teams, _currency_name(backend, settings, deals))


def history_view(
    backend: Store,
    settings: CurrencySettings,
    conversion_day: date | None,
    *,
    first: pd.Timestamp | None = None,
    last: pd.Timestamp | None = None,
) -> Any:
    """The deals' history rows as an Ibis table of DEAL_FIELDS, version_from, valid_from and
    valid_to, amounts converted (see load_history): filter it to read only some rows."""
    rows = backend.stored_table(OPPORTUNITY_HISTORY_TABLE)
    if first is not None:
        rows = rows.filter(rows.valid_to.isnull() | (rows.valid_to > first.to_pydatetime()))
    if last is not None:
        rows = rows.filter(rows.valid_from.isnull() | (rows.valid_from <= last.to_pydatetime()))
    if "created_at" not in rows.columns:  # a store no import has touched since it was added
        rows = rows.mutate(created_at=ibis.null("timestamp"))

    def lookup(name: str) -> Any:
        return rows if name == "opportunities" else backend.stored_table(name)

    converted = opportunities_view(lookup, settings, conversion_day)
    return converted.select(*DEAL_FIELDS, "version_from", "valid_from", "valid_to")


def deal_rows(view: Any) -> pd.DataFrame:
    """The rows of `history_view` (or of a filter of it) as History.deals holds them."""
    deals: pd.DataFrame = view.to_pandas()
    deals["deleted"] = deals["deleted"].fillna(False).astype(bool)
    deals["amount"] = deals["amount"].astype(float)
    for column in ("valid_from", "valid_to", "closed_at", "created_at"):
        deals[column] = pd.to_datetime(deals[column])
    deals["expected_close_date"] = pd.to_datetime(deals["expected_close_date"]).dt.date
    return deals


def rep_rows(backend: Store) -> pd.DataFrame:
    """The reps' history rows as History.reps holds them."""
    table = backend.stored_table(REP_HISTORY_TABLE)
    columns = ("rep_id", "team_id", "role", "deleted", "valid_from", "valid_to")
    reps: pd.DataFrame = table.select(*columns).to_pandas()
    reps["deleted"] = reps["deleted"].fillna(False).astype(bool)
    for column in ("valid_from", "valid_to"):
        reps[column] = pd.to_datetime(reps[column])
    return reps


def _currency_name(backend: Store, settings: CurrencySettings, deals: pd.DataFrame) -> str | None:
    """The corporate currency's code where it can be named: the setting, the rates' own, else
    the one currency the deals use (the view raised CurrencyError for anything else)."""
    if settings.corporate:
        return settings.corporate
    rates = backend.stored_table("fx_rates")
    marked = rates.filter(rates.is_corporate.fill_null(False)).select("currency").distinct()
    codes = [str(code) for code in marked.to_pandas()["currency"]]
    if len(codes) == 1:
        return codes[0]
    used = {str(code) for code in deals["currency"].dropna()}
    return next(iter(used)) if len(used) == 1 else None


def instant(backend: Store, moment: Moment, *, end_of_day: bool = False) -> pd.Timestamp:
    """The UTC instant of `moment`: when a data version's export was taken (its import time
    when the export's time is unknown), the start of a day (its end with `end_of_day`), or
    the instant itself. InputError for a version that is not in the import log."""
    if isinstance(moment, datetime):
        aware = moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
        return pd.Timestamp(aware)
    if isinstance(moment, date):
        day = moment + timedelta(days=1) if end_of_day else moment
        return pd.Timestamp(datetime.combine(day, time.min))
    log = backend.stored_table(IMPORTS_TABLE)
    found = log.filter(log.import_id == moment).select(
        taken=ibis.coalesce(log.taken_at, log.imported_at)
    )
    taken = found.to_pandas()["taken"]
    if taken.empty or pd.isna(taken.iloc[0]):
        raise InputError(f"no data version {moment}: `attain status` lists the imports")
    return pd.Timestamp(taken.iloc[0])


def parse_moment(text: str, option: str) -> Moment:
    """A data version (an import id such as 12), a day (2026-11-02) or an instant
    (2026-11-02T09:00, UTC unless it carries an offset)."""
    text = text.strip()
    if text.isdigit():
        if len(text) > LONGEST_VERSION:
            raise InputError(f"{option}: no data version {text}")
        return int(text)
    found: date
    try:
        found = date.fromisoformat(text)
    except ValueError:
        try:
            found = datetime.fromisoformat(text)
        except ValueError:
            raise InputError(
                f"{option} takes a data version (an import id, e.g. 12) or a date like "
                f"2026-11-02, not {text!r}"
            ) from None
    if not 1900 <= found.year <= 2199:
        raise InputError(f"{option}: {text} is not between 1900 and 2199")
    return found


def valid_at(rows: pd.DataFrame, at: pd.Timestamp | None) -> pd.DataFrame:
    """The rows in force at `at` (valid_from ≤ at < valid_to; open ends unbounded); at None,
    the current rows (no valid_to)."""
    if at is None:
        return rows[rows["valid_to"].isna()]
    return rows[held_at(rows, at)]


def deals_at(history: History, at: pd.Timestamp | None) -> pd.DataFrame:
    """Each deal's state at `at` (None: now), one row per deal, indexed by opportunity id;
    deals deleted by then are kept, with `deleted` true."""
    rows = valid_at(history.deals, at)
    # Overlapping rows (a seeded stage history reaching past the first version) resolve to
    # the one that started last.
    rows = rows.sort_values("valid_from", na_position="first")
    return rows.drop_duplicates("opportunity_id", keep="last").set_index("opportunity_id")


def teams_at(history: History, at: pd.Timestamp | None) -> dict[str, str | None]:
    """Each rep's team at `at`: from the reps' history, else the reps table's."""
    rows = valid_at(history.reps, at).sort_values("valid_from", na_position="first")
    rows = rows.drop_duplicates("rep_id", keep="last")
    found = dict(history.teams)
    for rep, team in zip(rows["rep_id"], rows["team_id"], strict=True):
        found[str(rep)] = team_or_none(team)
    return found


def is_open(states: pd.DataFrame) -> pd.Series:
    """Deals that exist and are neither won nor lost."""
    return ~states["deleted"] & states["is_won"].isna() & states["closed_at"].isna()


def is_won(states: pd.DataFrame) -> pd.Series:
    """Deals that exist and are won."""
    return ~states["deleted"] & states["is_won"].fillna(False).astype(bool)


def is_lost(states: pd.DataFrame) -> pd.Series:
    """Deals that exist and are closed without a win."""
    closed = states["closed_at"].notna() | states["is_won"].notna()
    return ~states["deleted"] & closed & ~states["is_won"].fillna(False).astype(bool)
