"""Core results for the web app, computed once per data version and kept in memory.

Every result is keyed by the store's data version (the file's modification time and the latest
row of `attain_imports`), the resolved as-of day and the arguments, so an import makes the
next request compute afresh and nothing else ever invalidates by hand. Results are the whole
organisation's; `attain.access` decides which rows a user sees.

The store is opened read-only only while a result is computed and closed straight after.
While `attain serve` runs, the app is the store's one writer: imports handed to it
(`apply_import`) and its scheduled syncs write between reads (`writing`), and pages go on
answering from the results of the version before until the write is done. Results of a DuckDB
store are also kept in a results file beside it (web.results_cache), so a restart finds them,
and the pages' heavy results are computed in the background after each write (web.warmup).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
from cachetools import LRUCache

from attain.config import Settings
from attain.diagnosis.context import build_context
from attain.diagnosis.finding import Diagnosis, Skip
from attain.diagnosis.run import diagnose
from attain.diagnosis.stage_leakage import FunnelTable, funnel_table
from attain.errors import ConfigError
from attain.forecast.forecast import Forecast, Overrides, forecast_cone
from attain.forecast.kept import Question, kept_or_computed
from attain.ingest.connectors.schedule import connector_for
from attain.ingest.connectors.sync import SyncResult, run_sync
from attain.ingest.handoff import ImportRequest, SyncRequest
from attain.ingest.importer import ImportResult
from attain.leads.channels import ChannelReport, channel_report
from attain.leads.scores import engagement_scores, fit_scores
from attain.metrics.report import PerformanceReport, performance_report
from attain.metrics.targets import RosterEntry, rep_roster, roster_entries
from attain.plan.run import PlanReport, store_plan
from attain.store import connect
from attain.store.ddl import IMPORTS_TABLE
from attain.store.freshness import data_through, resolve_as_of
from attain.store.handle import Store
from attain.web.results_cache import MISSING, ResultsFile
from attain.web.warmup import ResultsComing, StepState, Warmup
from attain.workflow.coaching import CoachingRecord, store_records
from attain.workflow.coverage import CoachedRep, coached_reps
from attain.workflow.digest import Win, weekly_wins

T = TypeVar("T")

CACHE_SIZE = 4096
"""Results kept in memory (all kinds, as-of days and data versions together), least recently
used dropped first. Pages keep small per-rep values too (a rep page's charts), three or so per
rep: room for them at 1,000 reps without dropping the heavy results every page uses."""

GRADE_BOUNDS = (("A", 75.0), ("B", 50.0), ("C", 25.0))
"""Rule-based lead grade from the fit score (0–100): A from 75, B from 50, C from 25, else D."""

PAGE_PARTS = frozenset(("page_fragment", "rep_numbers", "rep_coaching"))
"""Kinds of cached values that only pages use (rendered parts, a rep page's rows), kept in a
cache of their own: a crawl over every rep page would otherwise push the heavy results out,
which warm pages, answered from these, no longer touch."""

KEPT_KINDS = frozenset(
    ("data_through", "roster", "report", "diagnosis", "funnel", "forecast", "cone", "plan")
)
"""Results also kept in the results file (the costly ones, and what every page needs)."""

PAGE_REQUEST: ContextVar[bool] = ContextVar("attain_page_request", default=False)
"""True while a page (not the API) is answered: a page whose result the background computation
has not reached yet says so instead of waiting (ResultsComing); the API waits."""


@dataclass(frozen=True)
class DataVersion:
    """What identifies the store's contents: the file's (and its WAL's) modification times and
    the id of the latest committed import."""

    mtime_ns: int
    wal_mtime_ns: int
    import_id: int


class ReadWriteLock:
    """Many readers or one writer: DuckDB lets a process open a file read-only or read-write,
    not both at once, so the app's own sync waits for the pages' reads and they for it."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._readers = 0
        self._writer = False

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: not self._writer)
            self._readers += 1
        try:
            yield
        finally:
            with self._changed:
                self._readers -= 1
                self._changed.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: not self._writer)
            self._writer = True  # new readers wait from here on
            self._changed.wait_for(lambda: self._readers == 0)
        try:
            yield
        finally:
            with self._changed:
                self._writer = False
                self._changed.notify_all()


@dataclass(frozen=True)
class AsOfDay:
    """The day results are computed as of, and the notes saying why it is that day."""

    day: date
    notes: tuple[str, ...]


class Services:
    """Cached core results over one read-only store."""

    def __init__(self, settings: Settings, store: str, results: ResultsFile | None = None) -> None:
        self.settings = settings
        self.store = store
        self.path = Path(store.removeprefix("duckdb://"))
        self.results = results
        """The results file beside the store (None: results kept in memory only)."""
        self._cache: LRUCache[Hashable, Any] = LRUCache(maxsize=CACHE_SIZE)
        self._pages: LRUCache[Hashable, Any] = LRUCache(maxsize=CACHE_SIZE)
        """The page parts' cache (PAGE_PARTS)."""
        self._lock = threading.RLock()
        self._store_lock = ReadWriteLock()
        self._computing: dict[Hashable, threading.Lock] = {}
        self._stamp: tuple[int, int] | None = None
        self._import_id = 0
        self._writes = 0
        self._warmup: Warmup | None = None
        self.background = False
        """Whether results are computed in the background after writes (`attain serve`)."""
        self.prepare_pages: Callable[[date], object] = lambda _day: None
        """What the background computation builds last for the pages (the app sets every rep
        page's charts, web.view_models.prepare_rep_pages)."""
        self.live_overrides: Callable[[], Overrides] = Overrides
        """The overrides the background computation plans with (the app sets the app
        database's live ones)."""
        self.computations = 0
        """How many results were computed rather than found in the cache (for tests)."""
        self.computed: Counter[str] = Counter()
        """The same by kind of result ("report", "forecast", ...)."""

    # -- data version -------------------------------------------------------------------
    def data_version(self) -> DataVersion:
        """The store's current version; reading `attain_imports` only when the file changed."""
        stamp = (_mtime(self.path), _mtime(self.path.with_name(self.path.name + ".wal")))
        with self._lock:
            if self._writes and self._stamp is not None:  # the version before, till it is done
                return DataVersion(self._stamp[0], self._stamp[1], self._import_id)
            if stamp != self._stamp:
                with self.backend() as backend:
                    latest = backend.execute(backend.table(IMPORTS_TABLE).import_id.max())
                self._import_id = 0 if pd.isna(latest) else int(latest)
                self._stamp = stamp
            return DataVersion(stamp[0], stamp[1], self._import_id)

    def clear(self) -> None:
        """Forget every cached result (the data version makes this unnecessary after imports)."""
        with self._lock:
            self._cache.clear()
            self._pages.clear()
            self._stamp = None

    @contextmanager
    def backend(self) -> Iterator[Store]:
        """The store, opened read-only for the duration of the block (never while the app's
        own scheduled sync writes it: `writing`)."""
        with self._store_lock.reading():
            backend: Store = connect(
                self.store,
                read_only=True,
                memory_limit=self.settings.memory_limit,
                currency=self.settings.currency,
            )
            try:
                yield backend
            finally:
                backend.disconnect()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the store for a write: waits for the reads under way, holds off new ones that
        need the store; results already computed keep being served at the version before.
        The pages' results of the new version are computed in the background afterwards."""
        with self._lock:
            self._writes += 1
        try:
            with self._store_lock.writing():
                yield
        finally:
            with self._lock:
                self._writes -= 1
                self._stamp = None  # read the new version's import id
        self.warm()

    def apply_import(self, request: ImportRequest) -> ImportResult:
        """Run an import handed over by `attain import` as one transaction between reads."""
        with self.writing():
            backend = connect(
                self.store, memory_limit=self.settings.memory_limit, currency=self.settings.currency
            )
            try:
                return request.run(backend)
            finally:
                backend.disconnect()

    def apply_sync(self, request: SyncRequest) -> SyncResult:
        """Run a CRM sync handed over by `attain sync` with the app's own sync settings and
        secrets, its import one transaction between reads (as a scheduled sync)."""
        settings = self.settings.sync
        connector = connector_for(request.crm, settings)
        with self.writing():
            backend = connect(
                self.store, memory_limit=self.settings.memory_limit, currency=self.settings.currency
            )
            try:
                return run_sync(
                    backend,
                    connector,
                    Path(settings.folder),
                    full=request.full,
                    overlap=timedelta(minutes=settings.overlap_minutes),
                    rejects_path=request.rejects,
                )
            finally:
                backend.disconnect()

    # -- results computed in the background -----------------------------------------------
    def warm(self) -> Warmup | None:
        """Compute the pages' heavy results of the current data version in the background
        (web.warmup), unless a computation of them runs; when the results file holds them
        (a restart), only the rep pages' parts, which are not kept there, are built."""
        if not self.background:
            return None
        try:
            version = self.data_version()
            day = self.as_of(None).day
        except Exception:  # no store yet, or unreadable: the pages say why
            return None
        with self._lock:
            if self._warmup is not None and self._warmup.version == version:
                return self._warmup
            kinds = ("rep_pages",) if self._kept_already(version, day) else None
            self._warmup = Warmup(version, day, self._warm_step, kinds).start()
            return self._warmup

    def close(self, timeout: float = 300) -> None:
        """Stop the background computation after its step under way (the app stops)."""
        if self._warmup is not None:
            self._warmup.stop(timeout)

    def progress(self) -> list[StepState]:
        """Where the background computation of the current data version stands (empty when
        none ran: the results were kept)."""
        warmup = self._warmup
        if warmup is None or warmup.version != self.data_version():
            return []
        return warmup.steps()

    def _warm_step(self, kind: str, day: date) -> object:
        steps: dict[str, Callable[[], object]] = {
            "report": lambda: self.report(day),
            "diagnosis": lambda: self.diagnosis(day),
            "funnel": lambda: self.funnel(day),
            "forecast": lambda: self.forecast(day),
            "plan": lambda: self.plan(day, self.live_overrides()),
            "rep_pages": lambda: self.prepare_pages(day),
        }
        return steps[kind]()

    def _kept_already(self, version: DataVersion, day: date) -> bool:
        """Whether the results file holds the heavy results of `version` at `day`."""
        if self.results is None:
            return False
        kept = _kept_version(version)
        return all(
            self.results.has(kept, (kind, day))
            for kind in ("report", "diagnosis", "funnel", "forecast")
        )

    def derived(self, key: tuple[Hashable, ...], build: Callable[[], T]) -> T:
        """A value built from other cached results (e.g. rows ready for JSON), cached alike."""
        return self._memo(key, build)

    def _cached(self, key: tuple[Hashable, ...], compute: Callable[[Store], T]) -> T:
        """The result of `compute` over the store for `key` at the current data version."""

        def on_store() -> T:
            with self.backend() as backend:
                return compute(backend)

        return self._memo(key, on_store)

    def _memo(self, key: tuple[Hashable, ...], make: Callable[[], T]) -> T:
        """The value for `key` at the current data version, made on a miss.

        Each missing value is made once, under its own lock, so a slow one (the cone) never
        holds up requests that find theirs in the cache.
        """
        version = self.data_version()
        full = (version, *key)
        cache = self._pages if key[0] in PAGE_PARTS else self._cache
        with self._lock:
            if full in cache:
                found: T = cache[full]
                return found
            computing = self._computing.setdefault(full, threading.Lock())
            warmup = self._warmup
        if PAGE_REQUEST.get() and self._coming(warmup, version, key):
            assert warmup is not None
            raise ResultsComing(warmup.steps())
        with computing:
            with self._lock:
                if full in cache:
                    done: T = cache[full]
                    return done
            result = self._kept_or_made(version, key, make)
            with self._lock:
                cache[full] = result
                self._computing.pop(full, None)
        return result

    @staticmethod
    def _coming(warmup: Warmup | None, version: DataVersion, key: tuple[Hashable, ...]) -> bool:
        """Whether the background computation of `version` has yet to make `key`."""
        if warmup is None or warmup.version != version:
            return False
        return warmup.coming(str(key[0]), key[1] if len(key) > 1 else None)

    def _kept_or_made(
        self, version: DataVersion, key: tuple[Hashable, ...], make: Callable[[], T]
    ) -> T:
        """The value from the results file, else made (and kept there when of a kept kind)."""
        kept = self.results is not None and key[0] in KEPT_KINDS
        if kept and self.results is not None:
            found = self.results.get(_kept_version(version), key)
            if found is not MISSING:
                value: T = found
                return value
        result = make()
        with self._lock:
            self.computations += 1
            self.computed[str(key[0])] += 1
        if kept and self.results is not None:
            self.results.put(_kept_version(version), key, result)
        return result

    # -- results --------------------------------------------------------------------------
    def as_of(self, asked: date | None) -> AsOfDay:
        """The as-of day: as asked; else the data's last day (as every command's default)."""
        notes: list[str] = []
        day = resolve_as_of(asked, date.today(), self.data_through(), notes)
        return AsOfDay(day, tuple(notes))

    def data_through(self) -> date | None:
        """The data's last day (attain.store.freshness), which every page states."""
        through: date | None = self._cached(("data_through",), data_through)
        return through

    def roster(self) -> dict[str, RosterEntry]:
        """Every rep in the store by id."""

        def compute(backend: Store) -> dict[str, RosterEntry]:
            return {entry.rep_id: entry for entry in roster_entries(backend)}

        return self._cached(("roster",), compute)

    def report(self, day: date) -> PerformanceReport:
        """The performance report of the whole organisation as of `day`."""
        settings = self.settings.performance
        return self._cached(
            ("report", day), lambda backend: performance_report(backend, settings, as_of=day)
        )

    def diagnosis(self, day: date) -> Diagnosis:
        """Every finding of the organisation as of `day`, most bookings at stake first."""
        s = self.settings
        report = self.report(day)
        return self._cached(
            ("diagnosis", day),
            lambda backend: diagnose(
                backend,
                as_of=day,
                performance=s.performance,
                icp=s.icp,
                thresholds=s.diagnosis,
                report=report,
            ),
        )

    def funnel(self, day: date) -> FunnelTable | Skip:
        """Every seller's stage-by-stage conversion beside peers and top performers as of
        `day` (the stage-leakage detector's table), or why there is none."""
        s = self.settings
        report = self.report(day)

        def compute(backend: Store) -> FunnelTable | Skip:
            ctx = build_context(
                backend,
                as_of=day,
                performance=s.performance,
                icp=s.icp,
                window_days=s.diagnosis.window_days,
                report=report,
            )
            return funnel_table(ctx, s.diagnosis.stage_leakage)

        return self._cached(("funnel", day), compute)

    def forecast(self, day: date) -> Forecast:
        """The quarter's forecast as of `day`, without overrides or a flat target: the same
        question as `attain forecast` with no --as-of, --target or live overrides, so either
        reads the forecast the other kept beside the store (attain.forecast.kept)."""
        question = Question(
            as_of=None,  # open deals in other currencies convert at today's rate, as the CLI's
            day=day,
            zone=self.settings.performance.timezone,
            settings=self.settings.model_dump(),
            overrides=Overrides(),
            target=None,
            cone=False,
        )
        options = self.settings.forecast
        return self._cached(
            ("forecast", day),
            lambda backend: kept_or_computed(backend, question, options)[0][-1],
        )

    def cone(self, day: date) -> list[Forecast]:
        """The forecast at the end of each week of the quarter up to `day` (the cone)."""
        zone, options = self.settings.performance.timezone, self.settings.forecast
        return self._cached(
            ("cone", day),
            lambda backend: forecast_cone(backend, day, zone=zone, settings=options),
        )

    def channels(self, day: date) -> ChannelReport:
        """Sources and campaigns ranked by revenue per lead, counted up to `day`."""
        return self._cached(("channels", day), lambda backend: channel_report(backend, day))

    def lead_grades(self, day: date) -> list[dict[str, Any]]:
        """Every lead's fit score (to the ICP), engagement score and rule-based grade A–D.

        Raises ConfigError when no ICP is configured."""
        icp = self.settings.icp

        def compute(backend: Store) -> list[dict[str, Any]]:
            fit = fit_scores(backend, icp)
            engagement = engagement_scores(backend, day)[["lead_id", "engagement_score"]]
            frame = fit[["lead_id", "fit_score", "failed_rules"]].merge(
                engagement, on="lead_id", how="left"
            )
            rows = []
            for lead_id, fit_score, failed, engaged in frame.itertuples(index=False):
                rows.append(
                    {
                        "lead_id": str(lead_id),
                        "grade": lead_grade(None if pd.isna(fit_score) else float(fit_score)),
                        "fit_score": None if pd.isna(fit_score) else float(fit_score),
                        "engagement_score": None if pd.isna(engaged) else float(engaged),
                        "failed_rules": None if pd.isna(failed) else str(failed),
                    }
                )
            return rows

        if not icp.defined:
            raise ConfigError(
                "no ideal customer profile: set [icp] in attain.toml (`attain icp suggest` "
                "proposes one) to grade leads"
            )
        return self._cached(("lead_grades", day), compute)

    def imported_coaching(self, rep_id: str | None = None) -> list[CoachingRecord]:
        """Every coaching session imported into the store (all reps, all days), or one rep's.

        A rep page asks for its own rep's: reading the whole CRM's sessions to keep one rep's
        took the first rep page 1.5-2.3 s at 1,000 reps (66 k sessions)."""
        if rep_id is None:
            return self._cached(("imported_coaching",), lambda backend: store_records(backend))
        return self._cached(
            ("rep_coaching", rep_id), lambda backend: store_records(backend, [rep_id])
        )

    def coached_reps(self, day: date) -> list[CoachedRep]:
        """The selling reps employed on `day`, with their performance class as of `day`."""
        report = self.report(day)
        classes = {c.rep_id: c.performance_class for c in report.classification}
        return self._cached(
            ("coached_reps", day), lambda backend: coached_reps(rep_roster(backend), day, classes)
        )

    def wins(self, since: date, day: date) -> list[Win]:
        """Deals won from `since` to `day` inclusive, largest first."""
        return self._cached(("wins", since, day), lambda backend: weekly_wins(backend, since, day))

    def plan(self, day: date, overrides: Overrides) -> PlanReport:
        """Every rep's activity plan as of `day` with the live `overrides` (the overrides are
        part of the key, so changing one makes the next request plan afresh)."""
        s = self.settings
        key = tuple(
            tuple(sorted((str(k), str(v)) for k, v in mapping.items()))
            for mapping in (
                overrides.stage_probability,
                overrides.forecast_category,
                overrides.lead_grade,
            )
        )
        # Without overrides the page's forecast is the plan's: no second forecast is run.
        made = None if any(key) else self.forecast(day)
        return self._cached(
            ("plan", day, key),
            lambda backend: store_plan(
                backend,
                day,
                zone=s.performance.timezone,
                settings=s.plan,
                forecast_settings=s.forecast,
                overrides=overrides,
                with_forecast=made,
            ),
        )

    def with_store(self, key: tuple[Hashable, ...], compute: Callable[[Store], T]) -> T:
        """A result computed from the store and other inputs named in `key`, cached alike."""
        return self._cached(key, compute)


def lead_grade(fit_score: float | None) -> str | None:
    """A–D from the fit score (see GRADE_BOUNDS); None when no rule could be judged."""
    if fit_score is None:
        return None
    for grade, bound in GRADE_BOUNDS:
        if fit_score >= bound:
            return grade
    return "D"


def _kept_version(version: DataVersion) -> str:
    """How the results file names a data version."""
    return f"{version.import_id}:{version.mtime_ns}:{version.wal_mtime_ns}"


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0
