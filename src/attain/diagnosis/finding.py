"""What a detector returns: findings with evidence, actions and questions, or why it skipped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, Protocol

from scipy.stats import binomtest

from attain.diagnosis.causes import CAUSES as CAUSES
from attain.diagnosis.causes import Cause as Cause
from attain.diagnosis.checked import RepChecks
from attain.diagnosis.settings import DetectorThresholds as DetectorThresholds
from attain.diagnosis.settings import SampleThresholds as SampleThresholds
from attain.diagnosis.settings import SignalsThresholds as SignalsThresholds
from attain.metrics.attainment import Scope
from attain.metrics.periods import Period

Severity = Literal["high", "medium", "low"]

HIGH_SHARE = 0.20
MEDIUM_SHARE = 0.05


@dataclass(frozen=True)
class Finding:
    """One cause found for a rep, team or the company, with the numbers that show it."""

    scope: Scope
    id: str
    cause: Cause
    severity: Severity
    bookings_at_stake: float
    """Bookings this cause is estimated to cost in the current period (see stake_method)."""
    stake_method: str
    """How bookings_at_stake was estimated, in one sentence."""
    evidence: dict[str, Any]
    """The numbers behind the finding, each beside its peer or top-performer benchmark."""
    explanation: str
    actions: tuple[str, ...]
    questions: tuple[str, ...]
    """2–4 coaching questions, e.g. 'What is your follow-up process after a first meeting?'."""


@dataclass(frozen=True)
class Skip:
    """A detector that could not run, and why (usually missing data)."""

    cause: Cause
    reason: str


@dataclass(frozen=True)
class Detection:
    """A detector's output: its findings, or the reason it skipped."""

    findings: list[Finding] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)


def severity(stake: float, target: float | None) -> Severity:
    """High when the stake is at least 20% of the period target, medium from 5%, else low."""
    if not target or target <= 0:
        return "medium" if stake > 0 else "low"
    share = stake / target
    if share >= HIGH_SHARE:
        return "high"
    return "medium" if share >= MEDIUM_SHARE else "low"


@dataclass(frozen=True)
class Diagnosis:
    """All findings for one as-of date, most bookings at stake first, and the skipped causes."""

    as_of: date
    window: Period
    findings: list[Finding]
    skipped: list[Skip]
    notes: list[str] = field(default_factory=list)
    sellers: tuple[str, ...] = ()
    """The selling reps diagnosed (employed through the whole window)."""
    checks: list[RepChecks] = field(default_factory=list)
    """For each rep at risk: the causes checked, found and not checked (with the data needed)."""


class SlowThresholds(Protocol):
    """The thresholds `slow_signal` reads (lead warming's and marketing alignment's)."""

    @property
    def alpha(self) -> float: ...
    @property
    def decisive_factor(self) -> float: ...
    @property
    def slow_ratio(self) -> float: ...
    @property
    def min_median_hours(self) -> float: ...


@dataclass(frozen=True)
class Signal:
    """One behaviour of a rep beside its benchmark: whether it points to the cause (`fired`),
    and whether it is strong enough to do so on its own (`decisive`)."""

    rep: float | None
    benchmark: float | None
    n: int
    p_value: float | None
    fired: bool
    decisive: bool = False

    def shares(self) -> dict[str, Any]:
        """The rep's share beside the benchmark's, for a finding's evidence."""
        return {"rep": self.rep, "top": self.benchmark, "n": self.n, "p_value": self.p_value}


def share_signal(
    counts: tuple[int, int],
    bench: float | None,
    minimum: int,
    gap: float,
    alpha: float,
    decisive: tuple[float, int] | None = None,
) -> Signal:
    """The rep's share k ÷ n well above the benchmark's, by a one-sided binomial test.

    Fired: at least `minimum` rows, a gap of at least `gap` and p below `alpha`. With
    `decisive` = (factor, signals), also decisive: fired, a gap of at least factor × `gap`, and
    p below `alpha` ÷ signals.
    """
    n, k = counts
    if not n or bench is None:
        return Signal(k / n if n else None, bench, n, None, False)
    p = float(binomtest(k, n, bench, alternative="greater").pvalue)
    fired = n >= minimum and k / n - bench >= gap and p < alpha
    strong = False
    if decisive is not None:
        factor, signals = decisive
        strong = fired and k / n - bench >= factor * gap and p < alpha / max(signals, 1)
    return Signal(k / n, bench, n, p, fired, strong)


def slow_signal(
    slower: int,
    n: int,
    median: float,
    bench_median: float,
    minimum: int,
    thresholds: SlowThresholds,
    signals: int,
) -> Signal:
    """A rep's median hours (to a first touch, to an acceptance) far above the benchmark's,
    with most of their `n` leads slower than the benchmark's median (`slower` of them, by a
    one-sided binomial test against a half).

    Fired: at least `minimum` leads, a median of at least `min_median_hours` and `slow_ratio`
    times the benchmark's, p below `alpha`. Decisive alone at `decisive_factor` times both the
    slow ratio and the minimum hours, at alpha ÷ `signals`.
    """
    t = thresholds
    p = float(binomtest(slower, n, 0.5, alternative="greater").pvalue)
    fired = (
        n >= minimum
        and median >= t.min_median_hours
        and median >= t.slow_ratio * bench_median
        and p < t.alpha
    )
    factor = t.decisive_factor
    decisive = (
        fired
        and median >= factor * t.min_median_hours
        and median >= factor * t.slow_ratio * bench_median
        and p < t.alpha / signals
    )
    return Signal(median, bench_median, n, p, fired, decisive)


def signal_names(names: Sequence[str], signals: Sequence[Signal]) -> dict[str, list[str]]:
    """For a finding's evidence: the signals that fired, and those decisive alone, by name."""
    pairs = list(zip(names, signals, strict=True))
    return {
        "signals": [name for name, s in pairs if s.fired],
        "decisive": [name for name, s in pairs if s.decisive],
    }


def ratio(part: float, whole: float) -> float:
    """part ÷ whole; 0 when whole is 0 (no deals closed, no follow-ups owed)."""
    return float(part) / float(whole) if whole else 0.0


def pooled_share(counts: dict[str, tuple[int, int]], reps: list[str]) -> float | None:
    """k ÷ n summed over `reps` from per-rep (n, k) counts; None with no rows."""
    n = sum(counts[rep][0] for rep in reps if rep in counts)
    k = sum(counts[rep][1] for rep in reps if rep in counts)
    return k / n if n else None


def agree(signals: list[Signal], needed: int) -> bool:
    """A rep shows the cause: `needed` signals fired together, or one is decisive alone."""
    return sum(s.fired for s in signals) >= needed or any(s.decisive for s in signals)


@dataclass(frozen=True)
class DetectorSpec:
    """What is fixed about one cause's findings: how the stake is valued, what to do about it
    and what to ask; `finding` and `skip` build the detector's output from it."""

    cause: Cause
    stake_method: str
    actions: tuple[str, ...]
    questions: tuple[str, ...]

    def finding(
        self,
        id: str,
        *,
        stake: float,
        target: float | None,
        evidence: dict[str, Any],
        explanation: str,
        scope: Scope = "rep",
        rank: Severity | None = None,
        stake_method: str | None = None,
        actions: tuple[str, ...] | None = None,
        questions: tuple[str, ...] | None = None,
    ) -> Finding:
        """A finding of this cause; severity from the stake against `target` unless `rank`
        gives it (management findings rank by their own scale). The other keywords replace the
        spec's text where it depends on the finding (e.g. a stage's name)."""
        return Finding(
            scope=scope,
            id=id,
            cause=self.cause,
            severity=rank or severity(stake, target),
            bookings_at_stake=stake,
            stake_method=stake_method or self.stake_method,
            evidence=evidence,
            explanation=explanation,
            actions=actions or self.actions,
            questions=questions or self.questions,
        )

    def skip(self, reason: str) -> Detection:
        """The detector's output when it cannot run, with the reason."""
        return Detection(skipped=[Skip(self.cause, reason)])
