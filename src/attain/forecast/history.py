"""The deal history a forecast reads, and the same history as it stood at a past moment.

Every forecast works on `known_at(history, moment)`: deals created later are dropped, closes
after the moment are reopened (outcome and final amount unknown) and later stage entries are
removed, so a forecast for a past date cannot see what happened after it. Where the store keeps
the deals' and reps' history (attain.store.point_in_time), a deal open at the moment has the
owner it had then and each rep the team they were in then, and a stage change the export's
stage history lacks is known from the first data version that showed it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from attain.history.states import deal_rows, history_view, rep_rows
from attain.metrics.targets import team_or_none
from attain.store.currency import CurrencySettings
from attain.store.ddl import OPPORTUNITY_HISTORY_TABLE, REP_HISTORY_TABLE
from attain.store.point_in_time import history_rows, in_force

DEAL_COLUMNS = ["opportunity_id", "owner_rep_id", "product_id", "created_at", "closed_at"]
KEY = "deal_key"
"""The column of a deal's `deal_key` where a frame carries it."""
STAGE_COLUMNS = ["opportunity_id", "stage", "entered_at", "amount"]
SPAN_COLUMNS = ["valid_from", "valid_to"]
OWNER_SPAN_COLUMNS = [KEY, "owner_rep_id", *SPAN_COLUMNS]
TEAM_SPAN_COLUMNS = ["rep_id", "team_id", *SPAN_COLUMNS]
AMOUNT_SPAN_COLUMNS = ["opportunity_id", "amount", *SPAN_COLUMNS]
HISTORY_TABLES = (OPPORTUNITY_HISTORY_TABLE, REP_HISTORY_TABLE)


def _no_spans(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=object) for column in columns})


@dataclass(frozen=True)
class DealHistory:
    """Deals (one row each, with is_won and final amount) and their stage entries.

    Timestamps are naive UTC, as the store keeps them. Deals without created_at are left out:
    nobody can say when they entered the pipeline (Maven's prospecting deals).
    """

    deals: pd.DataFrame
    stages: pd.DataFrame
    rep_teams: dict[str, str | None]
    owner_spans: pd.DataFrame = field(default_factory=lambda: _no_spans(OWNER_SPAN_COLUMNS))
    """Each deal's owner per span of the history [valid_from, valid_to), the deal named by its
    key (1.9 M spans at 1,000 reps: no id strings), sorted by key and then start (open starts
    first); empty without a history."""
    team_spans: pd.DataFrame = field(default_factory=lambda: _no_spans(TEAM_SPAN_COLUMNS))
    """Each rep's team per span of the history; empty without one."""
    amount_spans: pd.DataFrame = field(default_factory=lambda: _no_spans(AMOUNT_SPAN_COLUMNS))
    """Each open deal's amount per span of the data versions that saw it: resizes within a
    stage, which the stage entries miss; empty without a history."""
    strong_keys: bool = False
    """Whether the deals are keyed by `deal_key(..., strong=True)`: where two of the store's ids
    share DuckDB's plain hash (load_history finds out)."""
    _keys: dict[str, np.ndarray] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """Keys computed so far, per frame; `replace` starts a new history without them."""
    derived: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)
    """What readers of this history computed from its frames once for every later call
    (attain.forecast.snapshots' owner records); `replace` starts a new history without it."""

    def keys_of(self, frame: str) -> np.ndarray:
        """`deal_key` of each row of "deals", "stages" or "owner_spans", in order (computed once
        per DealHistory)."""
        if frame == "owner_spans":
            return self.owner_spans[KEY].to_numpy(dtype=np.int64)
        if frame not in self._keys:
            ids = getattr(self, frame)["opportunity_id"]
            self._keys[frame] = deal_key(ids, strong=self.strong_keys)
        return self._keys[frame]

    @property
    def first_close(self) -> pd.Timestamp | None:
        """The earliest recorded close: before it the data holds no outcomes to learn from."""
        closed = self.deals["closed_at"].dropna()
        return None if closed.empty else pd.Timestamp(closed.min())

    @property
    def last_event(self) -> pd.Timestamp:
        """The latest creation, close or stage entry: the moment the data was taken."""
        moments = [self.deals["created_at"].max(), self.deals["closed_at"].max()]
        if not self.stages.empty:
            moments.append(self.stages["entered_at"].max())
        return pd.Timestamp(max(moment for moment in moments if pd.notna(moment)))


def deal_key(ids: pd.Series, *, strong: bool = False) -> np.ndarray:
    """A 64-bit hash of each opportunity id (DuckDB's `hash`, as Ibis' `.hash()` reads it from
    a DuckDB store, so keys read with the rows and keys computed here agree). Joins and
    membership tests on these integers instead of the id strings are many times faster on a
    large store (1.5 M stage entries).

    DuckDB's `hash` of text is no random function of it: it mixes 8-byte blocks by xor and a
    multiply, which carries a difference only towards the high bits, so two ids that differ
    only in the last byte of two blocks share a hash about once in 256 ('OPP00001000001209' and
    'OPP00008000001259'). load_history checks the keys of its deals are distinct and otherwise
    keys everything `strong`ly: by the hash of each id's MD5, whose blocks differ at random
    (two of n ids then share one with odds of about n² ÷ 2⁶⁵)."""
    values = pa.array(ids.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    hashed_id = "hash(md5(id))" if strong else "hash(id)"
    with duckdb.connect() as con:
        hashed = con.from_arrow(pa.table({"id": values})).project(
            f"CAST(CAST({hashed_id} AS BIT) AS BIGINT) AS k"
        )
        keys: np.ndarray = hashed.to_arrow_table().column("k").to_numpy()
    return keys


def load_history(backend: Any) -> DealHistory:
    """Read deals, stage entries and each rep's team from the store through Ibis, with what the
    store's history adds: deals deleted since (until their deletion), stage moves and amounts
    each data version saw, and owners' and teams' spans.

    Only the history rows these need are read (the open deals' latest versions, deleted deals'
    rows), and the owners' spans as keys: on a DuckDB store the keys come from the store.

    Where two of the ids (of the stored deals and of those deleted since) share a key, the
    history is read again keyed `strong`ly (deal_key), so that no join takes one deal for
    another.

    From a DuckDB store file read as it now is, the history is kept beside it
    (attain.store.kept_reads: 1.1 to 1.4 s to read at 1,000 reps, 0.3 to 0.4 s to read back)
    until the store, its currency settings or the open deals' day change."""
    kept = getattr(backend, "kept", None)
    own = getattr(backend, "analysis_table", None)
    if kept is not None and own is not None and getattr(backend, "table", None) is own:
        history: DealHistory = kept("deal-history", lambda: _loaded(backend, strong=False))
        return history
    return _loaded(backend, strong=False)


def _loaded(backend: Any, *, strong: bool) -> DealHistory:
    """load_history, the deals keyed by deal_key(..., strong=strong); not `strong`, read again
    `strong` where two ids share a key."""
    opportunities = backend.table("opportunities")
    # Every deal, those without created_at too (_history leaves them out): their stage entries
    # and history rows are keyed alike, so their keys must be distinct from the others'.
    deals = _keyed_frame(backend, opportunities.select(*DEAL_COLUMNS, "is_won", "amount"), strong)
    stages = _keyed_arrow(
        backend, backend.table("opportunity_stages").select(*STAGE_COLUMNS), strong
    )
    reps = backend.execute(backend.table("reps").select("rep_id", "team_id"))
    teams = {
        str(rep): team_or_none(team)
        for rep, team in zip(reps["rep_id"], reps["team_id"], strict=True)
    }
    stored = getattr(backend, "stored_table", None)
    if stored is None or all(history_rows(stored, name) is None for name in HISTORY_TABLES):
        if not strong and not _keys_distinct(deals):
            return _loaded(backend, strong=True)
        return _history(deals, stages, teams, strong)
    rows, gone = _past_rows(backend, deals, strong)
    deleted = _deleted_deals(rows, gone)
    if not deleted.empty:
        deleted = deleted.assign(**{KEY: deal_key(deleted["opportunity_id"], strong=strong)})
        deals = pd.concat([_deal_frame(deals), _deal_frame(deleted)])
    if not strong and not _keys_distinct(deals):
        return _loaded(backend, strong=True)
    stages = _with_seen_stages(rows, stages, deleted["opportunity_id"], strong)
    history = _history(deals, stages, teams, strong)
    live = rows.loc[~rows["deleted"]]
    versioned_open = live.loc[live["version_from"].notna() & live["closed_at"].isna()]
    created = opportunities.filter(opportunities.created_at.notnull())
    loaded = replace(
        history,
        owner_spans=_owner_spans(backend, created, strong),
        team_spans=_as_spans(_live_reps(backend), TEAM_SPAN_COLUMNS),
        amount_spans=_as_spans(versioned_open, AMOUNT_SPAN_COLUMNS),
    )
    loaded._keys.update(history._keys)
    return loaded


def _keys_distinct(deals: pd.DataFrame) -> bool:
    """Whether no two ids of `deals` (keyed) share a key: at once where the keys are distinct
    (5 CPU ms at 400,000 deals: a sort, a third of a hash table's time), which the keys of a
    store's ids are unless two share a hash."""
    keys = deals[KEY].to_numpy(dtype=np.int64)
    ordered = np.sort(keys)
    if not np.any(ordered[1:] == ordered[:-1]):
        return True
    ids = deals["opportunity_id"].astype(object).to_numpy()
    return bool(pd.Series(keys).nunique() == pd.MultiIndex.from_arrays([ids, keys]).nunique())


def _is_duckdb(backend: Any) -> bool:
    return getattr(backend, "name", None) == "duckdb"


def _keyed_arrow(backend: Any, expr: Any, strong: bool) -> pa.Table:
    """`expr`'s rows with each row's deal_key (`strong` or not) in KEY, as Arrow. From DuckDB
    through Arrow with the keys hashed by the store (Ibis' `execute` makes a Python list of
    every column that holds a null before pandas sees it, seconds a column at 400,000 deals);
    elsewhere through `execute`, hashed here."""
    if _is_duckdb(backend):
        # Ibis writes hexdigest("md5").hash() as DuckDB's hash(md5(id)), as deal_key does.
        ids = expr.opportunity_id.hexdigest("md5") if strong else expr.opportunity_id
        table: pa.Table = backend.to_pyarrow(expr.mutate(**{KEY: ids.hash()}))
        return table
    return pa.Table.from_pandas(_keyed_executed(backend, expr, strong), preserve_index=False)


def _keyed_executed(backend: Any, expr: Any, strong: bool) -> pd.DataFrame:
    """`expr`'s rows through `execute` (any backend), each with its deal_key in KEY."""
    frame: pd.DataFrame = backend.execute(expr)
    frame[KEY] = deal_key(frame["opportunity_id"], strong=strong)
    return frame


def _keyed_frame(backend: Any, expr: Any, strong: bool) -> pd.DataFrame:
    """`_keyed_arrow` as pandas."""
    if not _is_duckdb(backend):
        return _keyed_executed(backend, expr, strong)
    table = _keyed_arrow(backend, expr, strong)
    return pd.DataFrame(
        {
            name: _series(name, column)
            for name, column in zip(table.column_names, table.columns, strict=True)
        },
        copy=False,
    )


def _series(name: str, column: pa.ChunkedArray) -> pd.Series:
    """An Arrow column of the deals as `_deal_frame` holds it."""
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        # Strings straight to Python objects: pandas' own strings cost as much again to
        # convert. The ids are distinct; other text (owners, products) repeats, each value
        # made once.
        text = _strings(column) if name == "opportunity_id" else _objects(column)
        return pd.Series(text, dtype=object)
    if pa.types.is_boolean(column.type):
        # pandas' nullable booleans from the values and the nulls, not through Python's.
        flags = column.combine_chunks()
        values = flags.fill_null(False).to_numpy(zero_copy_only=False)
        return pd.Series(
            pd.arrays.BooleanArray(values, flags.is_null().to_numpy(zero_copy_only=False))
        )
    found: pd.Series = column.to_pandas()
    return found


def _past_rows(backend: Any, deals: pd.DataFrame, strong: bool) -> tuple[pd.DataFrame, list[str]]:
    """The deals' history rows the forecast reads beyond the owners' spans (History.deals'
    columns, in the store's order): the open deals' versioned rows (stages and amounts each
    data version saw) and every row of the deals a full export deleted; and the ids of those
    deals (deleted by the latest rows, and no longer in `deals`)."""
    view = history_view(
        backend,
        getattr(backend, "currency_settings", None) or CurrencySettings(),
        getattr(backend, "open_deals_day", None),
    )
    ended = view.filter(view.deleted & view.valid_to.isnull()).select("opportunity_id")
    ids = ended.to_pandas()["opportunity_id"].astype(object)
    keys = deal_key(ids, strong=strong)
    stored = pd.Series(deals[KEY].to_numpy(dtype=np.int64)).isin(keys).to_numpy()
    gone = sorted(set(ids) - set(deals["opportunity_id"].loc[stored]))
    live = ~view.deleted.fill_null(False)
    versioned_open = live & view.version_from.notnull() & view.closed_at.isnull()
    wanted = versioned_open | (view.deleted & view.valid_to.isnull())
    if gone:
        wanted = wanted | view.opportunity_id.isin(gone)
    return deal_rows(view.filter(wanted)), gone


def _live_reps(backend: Any) -> pd.DataFrame:
    reps = rep_rows(backend)
    return reps.loc[~reps["deleted"]]


def _owner_spans(backend: Any, deals: Any, strong: bool) -> pd.DataFrame:
    """Each deal's owner per span of the history (deletions left out), by key and start; only
    of the deals whose spans could change the owner known_at gives them: not of a deal of
    `deals` (an Ibis table) whose every span names its owner there. At 1,000 reps that is
    every deal: none of the 1.9 M spans comes out of the store, to be sorted."""
    rows = backend.stored_table(OPPORTUNITY_HISTORY_TABLE)
    live = rows.filter(~rows.deleted.fill_null(False))
    current = deals.select(deal_id=deals.opportunity_id, current=deals.owner_rep_id)
    # The deals of the spans that do not name their deal's owner in `deals` (or whose deal is
    # not there): one left join of the spans, where a join and two anti-joins read them twice
    # (0.15 CPU s more at 1,000 reps).
    pairs = live.left_join(current, live.opportunity_id == current.deal_id)
    named = pairs.owner_rep_id.notnull() & pairs.current.notnull()
    unmatched = pairs.deal_id.isnull() | ~(named & (pairs.owner_rep_id == pairs.current))
    moved = pairs.filter(unmatched).opportunity_id
    changing = live.filter(live.opportunity_id.isnull() | live.opportunity_id.isin(moved))
    # The store's read of the deals whose rows do not all name their stored owner (shared with
    # the deals' view, attain.store.point_in_time.unnamed_owners): with none, no row is moved
    # here either (the view's owners are then the stored ones), and the join is not run again.
    unnamed = getattr(backend, "unnamed_owners", None)
    listed = unnamed() if unnamed is not None else None
    if listed is not None and listed.empty:
        changing = live.limit(0)
    spans = changing.select("opportunity_id", "owner_rep_id", *SPAN_COLUMNS)
    table = _keyed_arrow(backend, spans, strong)
    keys = table.column(KEY).to_numpy()
    starts = _micros(table.column("valid_from"))
    # Open starts (NaT) first, as the oldest; ties keep the store's order.
    order = _sorted_by(keys, np.where(starts == NAT, np.iinfo(np.int64).min, starts))
    frame = pd.DataFrame(
        {
            KEY: keys[order],
            "owner_rep_id": pd.Series(_objects(table.column("owner_rep_id"))[order], dtype=object),
            "valid_from": starts[order].view("datetime64[us]"),
            "valid_to": _micros(table.column("valid_to"))[order].view("datetime64[us]"),
        },
        copy=False,  # arrays made here; copying them into blocks costs a tenth of a second
    )
    return frame


NAT = np.datetime64("NaT").astype(np.int64)
"""NaT as the int64 of a datetime64."""


def _sorted_by(first: np.ndarray, then: np.ndarray) -> np.ndarray:
    """The stable order of rows by `first` and then `then` (int64s), as np.lexsort gives it,
    by one sort where one will do (np.lexsort takes about three times one sort's time)."""
    if not len(first):
        return np.arange(0)
    # Both in one int64 where they fit: `first` in steps of its values' common divisor (a
    # second, a day), then `then`.
    low, high, then_low = int(first.min()), int(first.max()), int(then.min())
    width = int(then.max()) - then_low + 1
    # The first rows' divisor is a multiple of all rows': if even it leaves too many steps
    # (`first` a hash), the whole column's is not worth computing.
    step = int(np.gcd.reduce(first[:1000] - low))
    if not step or ((high - low) // step + 1) * width < 2**62:
        step = int(np.gcd.reduce(first - low)) or 1
    if ((high - low) // step + 1) * width < 2**62:
        combined = (first - low) // step * width + (then - then_low)
        # Distinct values have one order: the faster unstable sort gives it (half the time).
        by_both: np.ndarray = np.argsort(combined)
        ordered = combined[by_both]
        if np.any(ordered[1:] == ordered[:-1]):
            by_both = np.argsort(combined, kind="stable")
        return by_both
    # Already in order of `then` within each value of `first` (the history's rows come by deal
    # and start): sorting on `first` alone keeps that order.
    order = np.argsort(first, kind="stable")
    ordered, following = first[order], then[order]
    if not np.any((ordered[1:] == ordered[:-1]) & (following[1:] < following[:-1])):
        return order
    return np.lexsort((then, first))


def _micros(column: pa.ChunkedArray) -> np.ndarray:
    """A timestamp column as int64 microseconds (NaT's int64 for nulls)."""
    values = pd.to_datetime(column.to_numpy()).astype("datetime64[us]").to_numpy()
    micros: np.ndarray = values.view(np.int64)
    return micros


def _strings(column: pa.ChunkedArray) -> np.ndarray:
    """A string column of distinct values as Python objects (NaN for nulls, as pandas'
    strings give)."""
    values: np.ndarray = column.to_numpy(zero_copy_only=False)
    values[column.is_null().to_numpy(zero_copy_only=False)] = np.nan
    return values


def _objects(column: pa.ChunkedArray, rows: np.ndarray | None = None) -> np.ndarray:
    """A string column as Python objects (NaN for nulls, as pandas' strings give), each
    distinct string made once; with `rows`, only those rows, in that order."""
    encoded = column.combine_chunks().dictionary_encode()
    words = np.array([*encoded.dictionary.to_pylist(), np.nan], dtype=object)
    codes = encoded.indices.fill_null(len(encoded.dictionary)).to_numpy()
    found: np.ndarray = words[codes if rows is None else codes[rows]]
    return found


def _deleted_deals(rows: pd.DataFrame, deleted: list[str]) -> pd.DataFrame:
    """The `deleted` deals (a full export left them out), each as its last state before the
    deletion, with `deleted_at` the moment of the export that left it out."""
    # As objects: pandas' `str` isin makes a pyarrow scalar of each value in Python, seconds
    # for the hundreds of thousands of deals of a large store.
    ids = rows["opportunity_id"].astype(object)
    gone = rows.loc[rows["deleted"] & rows["valid_to"].isna() & ids.isin(deleted)]
    if gone.empty:
        return pd.DataFrame(columns=[*DEAL_COLUMNS, "is_won", "amount", "deleted_at"])
    before = rows.loc[~rows["deleted"] & ids.isin(gone["opportunity_id"].astype(object))]
    last = before.sort_values("valid_from", na_position="first").drop_duplicates(
        "opportunity_id", keep="last"
    )
    deleted_at = gone.set_index("opportunity_id")["valid_from"]
    found: pd.DataFrame = last.assign(
        product_id=None, deleted_at=last["opportunity_id"].map(deleted_at)
    )[[*DEAL_COLUMNS, "is_won", "amount", "deleted_at"]]
    return found


def _with_seen_stages(
    rows: pd.DataFrame, stages: pa.Table, deleted: pd.Series, strong: bool
) -> pa.Table:
    """`stages` (keyed, as Arrow) plus each stage the deals' history saw a deal enter that
    `stages` lacks, entered when the first data version showing it was taken (with that
    version's amount), and the stage entries seeded from an export's stage history for the
    `deleted` deals (their entries left the store with them).

    A CRM without a stage history (or one that omits a deal's moves) then still tells a backtest
    which stage each deal was in at each past week, as far as the imports saw it.
    """
    live = rows.loc[~rows["deleted"] & rows["stage"].notna()]
    ids = live["opportunity_id"].astype(object)  # see _deleted_deals
    seeded = live.loc[live["version_from"].isna() & ids.isin(deleted.astype(object))]
    # A close is known from the deal itself; seeded rows come from the stage entries.
    seen = live.loc[live["version_from"].notna() & live["closed_at"].isna()]
    seen = seen.rename(columns={"valid_from": "entered_at"})[STAGE_COLUMNS]
    seen = seen.sort_values(["opportunity_id", "entered_at"], ignore_index=True)
    # A deal seen by one data version only says which stage it was in when that export was
    # taken, not that anything happened then: counting it would date every open deal's stage on
    # the day of a lone first import, and the history would seem to run to that day.
    versions = seen.groupby("opportunity_id")["stage"].transform("size")
    moved = (versions > 1) & (seen["stage"] != seen.groupby("opportunity_id")["stage"].shift())
    seen[KEY] = deal_key(seen["opportunity_id"], strong=strong)
    new = moved & ~_entered(stages, seen) if moved.any() else moved
    entries = seeded.rename(columns={"valid_from": "entered_at"})[STAGE_COLUMNS]
    added = [frame for frame in (entries, seen.loc[new]) if not frame.empty]
    if not added:
        return stages
    extra = pd.concat(added, ignore_index=True)
    extra[KEY] = deal_key(extra["opportunity_id"], strong=strong)
    return pa.concat_tables([stages, _stage_table(extra).cast(stages.schema)])


def _entered(stages: pa.Table, seen: pd.DataFrame) -> pd.Series:
    """Which rows of `seen` (keyed) name a stage `stages` holds an entry of for their deal."""
    keys = stages.column(KEY).to_numpy()
    mine = pd.Series(keys).isin(seen[KEY].to_numpy()).to_numpy()
    named = _objects(stages.column("stage"))[mine]
    known = set(zip(keys[mine].tolist(), named.tolist(), strict=True))
    pairs = zip(seen[KEY].tolist(), seen["stage"].tolist(), strict=True)
    return pd.Series([pair in known for pair in pairs], index=seen.index, dtype=bool)


def _as_spans(rows: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """`columns` of history rows, span bounds as naive microsecond timestamps."""
    frame = rows[columns].copy()
    for column in SPAN_COLUMNS:
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[us]")
    return frame.reset_index(drop=True)


def make_history(
    deals: pd.DataFrame, stages: pd.DataFrame, rep_teams: dict[str, str | None]
) -> DealHistory:
    """A DealHistory from plain frames (columns as in the store), types normalised; keyed
    `strong`ly where two ids share a plain key (a deal's id may repeat here)."""
    ids = pd.concat([deals["opportunity_id"], stages["opportunity_id"]], ignore_index=True)
    strong = not _keys_distinct(pd.DataFrame({"opportunity_id": ids, KEY: deal_key(ids)}))
    deals = deals.assign(**{KEY: deal_key(deals["opportunity_id"], strong=strong)})
    stages = stages.assign(**{KEY: deal_key(stages["opportunity_id"], strong=strong)})
    return _history(deals, _stage_table(stages), rep_teams, strong)


def _stage_table(stages: pd.DataFrame) -> pa.Table:
    """Keyed stage entries in pandas as the Arrow table the store gives."""
    frame = pd.DataFrame(
        {
            "opportunity_id": stages["opportunity_id"].astype(object),
            "stage": stages["stage"].astype(object),
            "entered_at": pd.to_datetime(stages["entered_at"]).astype("datetime64[us]"),
            "amount": pd.to_numeric(stages["amount"], errors="coerce").astype(float),
            KEY: stages[KEY].to_numpy(dtype=np.int64),
        }
    )
    return pa.Table.from_pandas(frame, preserve_index=False)


def _history(
    deals: pd.DataFrame, stages: pa.Table, rep_teams: dict[str, str | None], strong: bool
) -> DealHistory:
    """A DealHistory from deals and stage entries (Arrow) keyed by deal_key(..., strong=strong),
    types normalised: the stage entries of the deals kept, in order of entry and then deal id
    (ties as given)."""
    deals = _deal_frame(deals)
    deals = deals.loc[deals["created_at"].notna()].reset_index(drop=True)
    keys = deals.pop(KEY).to_numpy(dtype=np.int64)
    frame, stage_keys, deal_rows = _stage_frame(stages, deals["opportunity_id"].to_numpy(), keys)
    history = DealHistory(deals, frame, rep_teams, strong_keys=strong)
    history._keys.update(deals=keys, stages=stage_keys)
    if deal_rows is not None:  # stage_deals' answer, found here already (0.05 s later)
        history._keys["stage_deals"] = deal_rows
    return history


def _deal_frame(deals: pd.DataFrame) -> pd.DataFrame:
    """Deals with the types a DealHistory holds (one pass leaves them as they are)."""
    deals = deals.copy()
    if "deleted_at" not in deals:
        deals["deleted_at"] = pd.NaT
    for column in ("created_at", "closed_at", "deleted_at"):
        deals[column] = pd.to_datetime(deals[column]).astype("datetime64[us]")
    deals["is_won"] = deals["is_won"].astype("boolean")
    deals["amount"] = pd.to_numeric(deals["amount"], errors="coerce").astype(float)
    deals["product_id"] = deals["product_id"].astype(object).where(deals["product_id"].notna())
    # Rows read from the history come as pandas strings, the store's own as objects: one kind,
    # or merges on the ids refuse them.
    return deals.astype({"opportunity_id": object, "owner_rep_id": object})


def _stage_frame(
    stages: pa.Table, ids: np.ndarray, keys: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray | None]:
    """The stage entries of the deals of `ids` (their `keys`), sorted by entry time (NaT last)
    and then deal id, ties in the given order; each entry's deal key; and each entry's deal's
    place in `ids` (None where a key repeats, as stage_deals)."""
    stage_keys = stages.column(KEY).to_numpy()
    deals = pd.Index(keys)
    if deals.is_unique:
        # Each entry's deal: its id and the id's place in code point order come from the deals.
        row = deals.get_indexer(stage_keys)
        kept = np.flatnonzero(row >= 0)
        rank = np.empty(len(ids), dtype=np.int64)
        rank[pc.sort_indices(pa.array(ids, type=pa.string(), from_pandas=True)).to_numpy()] = (
            np.arange(len(ids))
        )
        ranked = rank[row[kept]]
    else:  # duplicate deal ids (a hand-built history): the entries' own ids
        kept = np.flatnonzero(pd.Series(stage_keys).isin(keys).to_numpy())
        column = stages.column("opportunity_id").take(kept)
        ranked = pc.rank(column, sort_keys="ascending", tiebreaker="dense").to_numpy()
    entered = _micros(stages.column("entered_at"))[kept]
    # Entry time first (NaT last, as pandas sorts), then the id's rank; ties as given.
    order = _sorted_by(np.where(entered == NAT, np.iinfo(np.int64).max, entered), ranked)
    rows = kept[order]
    # Text gathered once, in the final order (each gather of 1.5 M objects costs 0.03 s).
    named = ids[row[rows]] if deals.is_unique else _objects(column.take(order))
    frame = pd.DataFrame(
        {
            "opportunity_id": pd.Series(named, dtype=object),
            "stage": pd.Series(_objects(stages.column("stage"), rows), dtype=object),
            "entered_at": entered[order].view("datetime64[us]"),
            "amount": stages.column("amount").to_numpy()[rows],
        },
        copy=False,  # arrays made here; copying them into blocks costs a tenth of a second
    )
    return frame, stage_keys[rows], row[rows] if deals.is_unique else None


def known_at(history: DealHistory, moment: datetime | pd.Timestamp) -> DealHistory:
    """The history as it stood at `moment`: nothing created, closed, entered or deleted later
    is known, and deals deleted by then are gone."""
    cutoff = pd.Timestamp(moment)
    deals = history.deals
    gone = deals["deleted_at"] <= cutoff
    kept = ((deals["created_at"] <= cutoff) & ~gone).to_numpy()
    deals = deals.loc[kept].copy()
    deal_keys = history.keys_of("deals")[kept]
    deals["deleted_at"] = pd.NaT
    reopened = deals["closed_at"] > cutoff
    deals.loc[reopened, "closed_at"] = pd.NaT
    deals.loc[reopened, "is_won"] = pd.NA
    deals.loc[reopened, "amount"] = np.nan
    # The entries made by the cutoff, of the deals kept.
    entered = (history.stages["entered_at"] <= cutoff).to_numpy(copy=True)
    entered &= _of_kept_deals(history, kept)
    stages = history.stages.loc[entered]
    deals = deals.reset_index(drop=True)
    still_open = np.flatnonzero(deals["closed_at"].isna().to_numpy())
    found, owners = _owners_at(history.owner_spans, deal_keys[still_open], cutoff)
    if len(owners):
        deals.loc[still_open[found], "owner_rep_id"] = owners
    known = replace(history, deals=deals, stages=stages, rep_teams=teams_at(history, cutoff))
    # The keys of what was kept (known_at keeps every span, and the spans carry their own).
    known._keys.update(deals=deal_keys, stages=history.keys_of("stages")[entered])
    if "stage_deals" in history._keys:  # the kept entries' deals, renumbered as kept
        renumbered = np.cumsum(kept) - 1
        known._keys["stage_deals"] = renumbered[history._keys["stage_deals"][entered]]
    return known


def _of_kept_deals(history: DealHistory, kept: np.ndarray) -> np.ndarray:
    """Which stage entries belong to a deal that `kept` (a mask over the deals) keeps."""
    rows = stage_deals(history)
    if rows is None:  # a hand-built history with a deal twice: membership itself
        keys = history.keys_of("deals")
        return pd.Series(history.keys_of("stages")).isin(keys[kept]).to_numpy()
    # The last place is no deal's: entries of deals not in the history are never kept.
    of_kept: np.ndarray = np.append(kept, False)[rows]
    return of_kept


def stage_deals(history: DealHistory) -> np.ndarray | None:
    """Each stage entry's row in `history.deals` (-1: none), found on keys once per history;
    None where a deal key repeats (a hand-built history)."""
    if "stage_deals" not in history._keys:
        deals = pd.Index(history.keys_of("deals"))
        if not deals.is_unique:
            return None
        history._keys["stage_deals"] = deals.get_indexer(history.keys_of("stages"))
    return history._keys["stage_deals"]


def _runs_of(span_keys: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of `keys` starts and stops in the sorted `span_keys` (an empty run where it
    is not there). The keys are looked up in sorted order: twice as fast as in their own over
    a 1.9 M array, whose pages then come in order."""
    order = np.argsort(keys, kind="stable")
    first, stop = np.empty(len(keys), dtype=np.int64), np.empty(len(keys), dtype=np.int64)
    first[order] = np.searchsorted(span_keys, keys[order], side="left")
    stop[order] = np.searchsorted(span_keys, keys[order], side="right")
    return first, stop


def _owners_at(
    spans: pd.DataFrame, keys: np.ndarray, moment: pd.Timestamp
) -> tuple[np.ndarray, np.ndarray]:
    """The owner in force at `moment` of each deal of `keys` that has one by `spans` (which of
    `keys`, and their owners), by the rule of attain.store.point_in_time.in_force: the span held
    at the moment that started last, or before a deal's first span that first one.

    On the spans sorted by key and start: a deal's spans started by the moment are a prefix of
    its run, so its last started span is one count away; the rare deal whose answer is not that
    span or its first (overlapping or tied spans) goes through in_force itself.
    """
    if spans.empty or not len(keys):
        return np.zeros(len(keys), dtype=bool), np.empty(0, dtype=object)
    span_keys = spans[KEY].to_numpy()
    starts = spans["valid_from"].to_numpy()
    ends = spans["valid_to"].to_numpy()
    then = moment.to_datetime64().astype("datetime64[us]")
    first, stop = _runs_of(span_keys, keys)
    spanned = stop > first
    # Each deal's started spans, counted over its own run of spans only.
    runs = stop - first
    within = np.arange(runs.sum()) - np.repeat(np.cumsum(runs) - runs, runs)
    mine = starts[np.repeat(first, runs) + within]
    started = np.isnat(mine) | (mine <= then)
    owner_of = np.repeat(np.arange(len(keys)), runs)
    last = first + np.bincount(owner_of, weights=started, minlength=len(keys)).astype(int) - 1
    # Held: the last started span, dated and not yet ended.
    pick = np.clip(last, 0, len(spans) - 1)
    held = (last >= first) & ~np.isnat(starts[pick]) & (np.isnat(ends[pick]) | (ends[pick] > then))
    # Before the first span (nothing started): that span, unless another starts with it.
    after = np.clip(first + 1, 0, len(spans) - 1)
    alone = (first + 1 >= stop) | (starts[after] != starts[np.clip(first, 0, len(spans) - 1)])
    early = spanned & (last < first) & alone
    chosen = np.where(held, last, np.where(early, first, -1))
    rest = np.flatnonzero(spanned & ~held & ~early)
    owners = spans["owner_rep_id"].to_numpy(dtype=object)
    found = chosen >= 0
    answers = pd.Series(owners[chosen[found]], index=np.flatnonzero(found), dtype=object)
    if len(rest):
        asked = pd.DataFrame({KEY: keys[rest], "moment": moment})
        slow = in_force(spans.loc[np.isin(span_keys, keys[rest])], KEY, "owner_rep_id", asked)
        where = rest[slow.index.to_numpy(dtype=int)]
        found[where] = True
        answers = pd.concat([answers, pd.Series(slow.to_numpy(), index=where, dtype=object)])
    return found, answers.sort_index().to_numpy(dtype=object)


def teams_at(history: DealHistory, moment: pd.Timestamp) -> dict[str, str | None]:
    """Each rep's team at `moment`: from the reps' history where it says, else the stored one."""
    if history.team_spans.empty:
        return history.rep_teams
    reps = pd.DataFrame({"rep_id": list(history.rep_teams), "moment": moment})
    then = in_force(history.team_spans, "rep_id", "team_id", reps)
    teams = dict(history.rep_teams)
    ids = reps["rep_id"].to_numpy(dtype=object)[then.index.to_numpy(dtype=int)]
    for rep, team in zip(ids.tolist(), then.tolist(), strict=True):
        teams[str(rep)] = team_or_none(team)
    return teams


def won_between(deals: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Deals won in [start, end) that the CRM still holds (a deal deleted since is no booking,
    as it is none in attainment)."""
    won: pd.DataFrame = deals.loc[
        deals["is_won"].fillna(False).astype(bool)
        & (deals["closed_at"] >= start)
        & (deals["closed_at"] < end)
        & deals["deleted_at"].isna()
    ]
    return won


def booked(history: DealHistory, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Won amount per owner of deals closed in [start, end)."""
    won = won_between(history.deals, start, end)
    return won.groupby("owner_rep_id")["amount"].sum().astype(float)


def booked_per_team(history: DealHistory, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Won amount per team of deals closed in [start, end), each in its owner's team at close
    (the reps' history; else the owner's stored team). Deals of reps without a team are left out.
    """
    won = won_between(history.deals, start, end)
    closes = pd.DataFrame({"rep_id": won["owner_rep_id"], "moment": won["closed_at"]})
    teams = won["owner_rep_id"].map(history.rep_teams).astype(object)
    then = in_force(history.team_spans, "rep_id", "team_id", closes)
    teams.loc[then.index] = then.to_numpy()
    return won["amount"].groupby(teams.to_numpy()).sum().astype(float)
