"""The store as it stood at a past data version or date, and bookings credited at close time.

The importer keeps each deal's tracked fields and each rep's team and role per data version
(`attain_opportunity_history`, `attain_rep_history`: attain.store.ddl). Two readings use them:

- `at(backend, version=..., when=...)` reads the whole world as of a past data version (an
  import id) or moment: `table("opportunities")` holds the deals that existed then, with their
  tracked fields as they were (a deal deleted since is back, one created since is absent),
  `table("reps")` each rep's team and role then; every other table reads as stored.
- every reading of the deals (the analysis view of attain.store.connect, and `at`) credits a
  closed deal to its owner at close time: the owner of the history row valid at `closed_at`.

A store without history rows reads exactly as stored, so neither costs anything there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from attain.store.currency import Lookup
from attain.store.ddl import LOG_TABLES, OPPORTUNITY_HISTORY_TABLE, REP_HISTORY_TABLE, VERSIONED

DEAL_FIELDS = tuple(
    name
    for name in LOG_TABLES[OPPORTUNITY_HISTORY_TABLE]
    if name not in VERSIONED and name != "opportunity_id"
)
"""A deal's fields the history tracks (its table's columns, attain.store.ddl); its other
columns read as stored."""

REP_FIELDS = tuple(
    name for name in LOG_TABLES[REP_HISTORY_TABLE] if name not in VERSIONED and name != "rep_id"
)
"""A rep's fields the history tracks."""

PAST_TABLES = ("opportunities", "reps")
"""The tables read from the history as of a past version; the others read as they are."""

ViewOf = Callable[[str, Lookup, date | None], Any]
"""Builds the analysis view `name` over a lookup of stored tables (None: not a view)."""


def history_rows(stored: Lookup, name: str) -> ir.Table | None:
    """The history table `name`, or None where it is missing (an older store) or empty."""
    try:
        table = stored(name)
    except Exception:  # each backend raises its own error for a missing table
        return None
    return table if int(table.count().execute()) else None


def valid_at(
    history: ir.Table, *, version: int | None = None, when: datetime | None = None
) -> ir.BooleanValue:
    """History rows in force at data version `version` and at moment `when` (both: both).

    Ranges are half-open, [from, to): `version_to` is the version that replaced the row, and an
    empty end reaches forward. With neither given, the current rows (`valid_to` empty). Rows
    seeded from an export's stage history have no version: they hold before the first one, so
    they count by date only; an empty `valid_from` reaches back forever.
    """
    held: ir.BooleanValue = ibis.literal(True)
    if version is None and when is None:
        return history.valid_to.isnull()
    if version is not None:
        held &= history.version_from.notnull() & (history.version_from <= version)
        held &= history.version_to.isnull() | (history.version_to > version)
    if when is not None:
        moment = _naive(when)
        held &= history.valid_from.isnull() | (history.valid_from <= moment)
        held &= history.valid_to.isnull() | (history.valid_to > moment)
    return held


def _latest(rows: ir.Table, key: str) -> ir.Table:
    """One row per `key`: the latest starting, should ranges in the history overlap."""
    order = [ibis.desc(rows.version_from), ibis.desc(rows.valid_from)]
    ranked = rows.mutate(_rank=ibis.row_number().over(group_by=rows[key], order_by=order))
    return ranked.filter(ranked._rank == 0).drop("_rank")


def deals_as_of(
    stored: Lookup, *, version: int | None = None, when: datetime | None = None
) -> ir.Table:
    """The stored deals as of `version`/`when`: tracked fields from the history row in force.

    A deal the history knows but holds no row for then (created later) or holds as deleted is
    left out; a deal deleted since, so no longer stored, comes back from its history row with
    its untracked columns (account, product, created_at, ...) empty. Deals the history does not
    know read as stored.
    """
    deals = stored("opportunities")
    history = history_rows(stored, OPPORTUNITY_HISTORY_TABLE)
    if history is None:
        return deals
    held = _latest(history.filter(valid_at(history, version=version, when=when)), "opportunity_id")
    held = held.filter(~held.deleted.fill_null(False))
    renamed = held.select(_h_id=held.opportunity_id, **{f"_h_{f}": held[f] for f in DEAL_FIELDS})
    joined = deals.left_join(renamed, deals.opportunity_id == renamed._h_id)
    known = joined.opportunity_id.isin(history.select("opportunity_id").distinct().opportunity_id)
    overlaid = joined.filter(joined._h_id.notnull() | ~known).mutate(
        **{
            field: ibis.cases((joined._h_id.notnull(), joined[f"_h_{field}"]), else_=joined[field])
            for field in DEAL_FIELDS
        }
    )
    gone = held.filter(~held.opportunity_id.isin(deals.opportunity_id))
    revived = gone.select(
        **{
            name: gone[name].cast(kind)
            if name in DEAL_FIELDS or name == "opportunity_id"
            else ibis.null(kind)
            for name, kind in deals.schema().items()
        }
    )
    return overlaid.select(*deals.columns).union(revived)


def reps_as_of(
    stored: Lookup, *, version: int | None = None, when: datetime | None = None
) -> ir.Table:
    """Every stored rep with team and role from the history row in force, where there is one."""
    reps = stored("reps")
    history = history_rows(stored, REP_HISTORY_TABLE)
    if history is None:
        return reps
    held = _latest(history.filter(valid_at(history, version=version, when=when)), "rep_id")
    renamed = held.select(_h_id=held.rep_id, **{f"_h_{f}": held[f] for f in REP_FIELDS})
    joined = reps.left_join(renamed, reps.rep_id == renamed._h_id)
    return joined.mutate(
        **{
            field: ibis.cases((joined._h_id.notnull(), joined[f"_h_{field}"]), else_=joined[field])
            for field in REP_FIELDS
        }
    ).select(*reps.columns)


def unnamed_owners(stored: Lookup) -> pd.Series | None:
    """The ids of the deals with a live history row that does not name the deal's stored owner
    (or names none), or whose deal is not stored with a creation time; a null among them where
    a row names no deal. None where the store keeps no deals' history.

    Only these deals' rows can credit a deal to another owner (`credited_at_close`) or give an
    open deal another owner at a past moment (the forecast's owner spans): one read of the
    history's rows (1.9 M at 1,000 reps, where no deal is among them) answers both, and
    attain.store.connect keeps it per data version (`backend.unnamed_owners()`).
    """
    history = history_rows(stored, OPPORTUNITY_HISTORY_TABLE)
    if history is None:
        return None
    live = history.filter(~history.deleted.fill_null(False))
    deals = stored("opportunities")
    current = deals.filter(deals.created_at.notnull()).select(
        _d_id="opportunity_id", _d_owner="owner_rep_id"
    )
    pairs = live.left_join(current, live.opportunity_id == current._d_id)
    named = pairs._d_id.notnull() & pairs.owner_rep_id.notnull() & pairs._d_owner.notnull()
    named = named & (pairs.owner_rep_id == pairs._d_owner)
    found = pairs.filter(~named).select("opportunity_id").distinct().to_pandas()
    ids: pd.Series = found["opportunity_id"].astype(object)
    return ids


def credited_at_close(
    stored: Lookup, deals: ir.Table, unnamed: pd.Series | None = None
) -> ir.Table:
    """`deals` with each closed deal's owner the one of its history row valid at `closed_at`.

    Bookings, win rates and cycles then stay with whoever owned the deal when it closed, though
    it was reassigned since. A deal closed before its first history row takes that row's owner
    (the nearest evidence); one without rows keeps its owner; `deals` itself without history.
    `unnamed`: `unnamed_owners(stored)` when `deals` are the stored deals and it was read.
    """
    history = history_rows(stored, OPPORTUNITY_HISTORY_TABLE)
    if history is None:
        return deals
    rows = history.filter(~history.deleted.fill_null(False) & history.owner_rep_id.notnull())
    current = deals.select(_d_id="opportunity_id", _d_owner="owner_rep_id")
    # Only a deal whose history names an owner other than its own can be credited to another:
    # the rest (nearly all) need not be matched by close time (most of this function's time).
    if unnamed is None:
        named = rows.join(current, rows.opportunity_id == current._d_id)
        others = named.filter(named.owner_rep_id != named._d_owner).select("opportunity_id")
        rows = rows.filter(rows.opportunity_id.isin(others.opportunity_id))
    elif unnamed.dropna().empty:  # every row names its deal's owner: none is credited
        return deals
    else:  # these deals hold every one such a join finds (and deals that stay as they are)
        listed = pd.DataFrame({"_u_id": unnamed.dropna().astype(str)})
        some = ibis.memtable(listed, schema={"_u_id": "string"})
        rows = rows.filter(rows.opportunity_id.isin(some._u_id))
    rows = rows.mutate(_first=rows.valid_from.min().over(group_by=rows.opportunity_id))
    closed = deals.filter(deals.closed_at.notnull()).select(
        _c_id="opportunity_id", _c_at="closed_at"
    )
    started = rows.valid_from.isnull() | (rows.valid_from <= closed._c_at)
    # A close before the deal's first row takes that row: its nearest evidence.
    earlier = (closed._c_at < rows._first) & (rows.valid_from == rows._first)
    matched = closed.join(
        rows,
        [
            closed._c_id == rows.opportunity_id,
            (started & (rows.valid_to.isnull() | (rows.valid_to > closed._c_at))) | earlier,
        ],
    )
    latest = _latest(matched, "_c_id")
    moved = latest.join(current, latest._c_id == current._d_id).filter(
        lambda t: t.owner_rep_id != t._d_owner
    )
    # The few deals reassigned after they closed, read once: joining the whole history into
    # every one of a report's dozens of reads would double its time.
    found = moved.select(_o_id="_c_id", _o_owner="owner_rep_id").to_pandas()
    if found.empty:
        return deals
    owners = ibis.memtable(found, schema={"_o_id": "string", "_o_owner": "string"})
    joined = deals.left_join(owners, deals.opportunity_id == owners._o_id)
    owner = ibis.cases((joined._o_id.notnull(), joined._o_owner), else_=joined.owner_rep_id)
    return joined.mutate(owner_rep_id=owner).select(*deals.columns)


def crediting(stored: Lookup, unnamed: Callable[[], pd.Series | None] | None = None) -> Lookup:
    """`stored` whose deals are credited at close time (`credited_at_close`); `unnamed` gives
    `unnamed_owners(stored)` when asked (kept by the caller)."""

    def lookup(name: str) -> ir.Table:
        table = stored(name)
        if name != "opportunities":
            return table
        return credited_at_close(stored, table, None if unnamed is None else unnamed())

    return lookup


def as_of(stored: Lookup, *, version: int | None = None, when: datetime | None = None) -> Lookup:
    """`stored` as of `version`/`when`: deals and reps as they were, the rest as stored."""

    def lookup(name: str) -> ir.Table:
        if name == "opportunities":
            return deals_as_of(stored, version=version, when=when)
        if name == "reps":
            return reps_as_of(stored, version=version, when=when)
        return stored(name)

    return lookup


class PointInTime:
    """A backend read as of a past data version or moment (made by `at`); see the module.

    Everything but `table` passes through to the backend, `stored_table` included (imports,
    copies and counts read what is stored). Open deals convert at the rate of the moment's day.
    """

    def __init__(self, backend: Any, *, version: int | None, when: datetime | None) -> None:
        self._backend = backend
        self._stored: Lookup = getattr(backend, "stored_table", backend.table)
        self._lookup = as_of(self._stored, version=version, when=when)
        self._views: dict[tuple[str, date | None], Any] = {}
        self.version = version
        self.when = when
        self.open_deals_day: date | None = getattr(backend, "open_deals_day", None) or (
            when.date() if when is not None else None
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)

    def unnamed_owners(self) -> pd.Series | None:
        """None: the backend's are of the stored deals, not of these (read them here)."""
        return None

    def table(self, name: str, /, *, database: Any = None) -> Any:
        """Table `name` as it stood: deals and reps from the history, the rest as stored."""
        if database is not None or name not in PAST_TABLES:
            return self._backend.table(name, database=database)
        key = (name, self.open_deals_day)
        if key not in self._views:
            view_of: ViewOf | None = getattr(self._backend, "view_of", None)
            view = view_of(name, self._lookup, self.open_deals_day) if view_of else None
            self._views[key] = crediting(self._lookup)(name) if view is None else view
        return self._views[key]


def at(backend: Any, version: int | None = None, when: datetime | None = None) -> Any:
    """`backend` read as of data version `version` (an import id) and/or moment `when` (UTC).

    Every core function that takes a backend takes the result: attainment, forecasts and
    diagnoses as of a past version. With neither given, the current history rows (deals
    deleted by the last full export left out).
    """
    return PointInTime(backend, version=version, when=when)


def rep_teams_at(backend: Any, moments: Sequence[datetime]) -> pd.DataFrame | None:
    """Each rep's team at each of `moments` by the history (`in_force`): rep_id, moment,
    team_id. Reps without history rows are left out; None where the store keeps no reps'
    history (every rep's team is then the stored one).
    """
    frame = rep_team_spans(backend)
    if frame is None or not moments:
        return None
    asked = pd.DataFrame(
        [(rep, moment) for moment in sorted(set(moments)) for rep in frame["rep_id"].unique()],
        columns=["rep_id", "moment"],
    )
    asked["moment"] = pd.to_datetime([_naive(moment) for moment in asked["moment"]])
    then = in_force(frame, "rep_id", "team_id", asked)
    teams: pd.DataFrame = asked.loc[then.index].assign(team_id=then.to_numpy())
    return teams


def held_at(rows: pd.DataFrame, at: pd.Timestamp | pd.Series) -> pd.Series:
    """Which history rows (read into pandas) are in force at `at`, a moment or one per row:
    the pandas form of `valid_at`'s date rule, [valid_from, valid_to) with open ends unbounded.
    Every reading of history rows in pandas (the backtest's, the change record's) uses it."""
    started = rows["valid_from"].isna() | (rows["valid_from"] <= at)
    running = rows["valid_to"].isna() | (rows["valid_to"] > at)
    held: pd.Series = started & running
    return held


def rep_team_spans(backend: Any) -> pd.DataFrame | None:
    """Each rep's team per span of the reps' history (rep_id, team_id, valid_from, valid_to;
    deletions left out); None where the store keeps no reps' history."""
    stored: Lookup = getattr(backend, "stored_table", backend.table)
    history = history_rows(stored, REP_HISTORY_TABLE)
    if history is None:
        return None
    spans: pd.DataFrame = backend.execute(
        history.filter(~history.deleted.fill_null(False)).select(
            "rep_id", "team_id", "valid_from", "valid_to"
        )
    )
    return spans


def in_force(
    spans: pd.DataFrame, key: str, field_name: str, at: pd.DataFrame, *, early: bool = True
) -> pd.Series:
    """`field_name` of the span of `spans` in force for each row of `at` (columns `key` and
    `moment`), indexed like `at`; rows of keys without spans are left out.

    Spans are history rows ([valid_from, valid_to), open ends unbounded; overlaps resolve to the
    latest start). With `early`, a moment before a key's first span takes that first span: the
    first export that showed a rep or deal is the nearest evidence of what held before it.
    """
    if spans.empty or at.empty:
        return pd.Series(dtype=object)
    pairs = at[[key, "moment"]].reset_index(names="_at").merge(spans, on=key)
    held = held_at(pairs, pairs["moment"])
    first = pairs.groupby(key)["valid_from"].transform("min")
    before = early & (pairs["moment"] < first) & (pairs["valid_from"] == first)
    chosen = pairs.loc[held | before].sort_values("valid_from", na_position="first")
    latest = chosen.drop_duplicates("_at", keep="last").set_index("_at")
    found: pd.Series = latest[field_name]
    return found


def _naive(moment: datetime) -> datetime:
    """`moment` as naive UTC, as the store keeps timestamps."""
    if moment.tzinfo is None:
        return moment
    return pd.Timestamp(moment).tz_convert("UTC").tz_localize(None).to_pydatetime()
