"""Results ready when the user arrives: after an import, and when `attain serve` starts on data
it has no results for, the pages' heavy results are computed once in a background thread.

The steps run one after the other at the data's last day (the pages' default as-of day): the
performance report, the diagnosis, the funnel, the forecast and the activity plans (which reuse
the forecast), then every rep page's charts. Each lands in the services' cache (and the heavy
ones in its results file) as it is ready. While
they run, every page shows which are ready and which are coming, and a page whose own result
is still coming says so (and reloads) instead of waiting blank.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date
from typing import Literal

State = Literal["coming", "computing", "ready", "failed"]

STEPS: tuple[tuple[str, str], ...] = (
    ("report", "performance report"),
    ("diagnosis", "diagnosis"),
    ("funnel", "funnel"),
    ("forecast", "forecast"),
    ("plan", "activity plans"),
    ("rep_pages", "rep pages"),
)
"""(result kind, what the pages call it), in the order they are computed."""


@dataclass(frozen=True)
class StepState:
    """Where one result of the background computation stands."""

    kind: str
    label: str
    state: State


class ResultsComing(Exception):
    """A page's result is being computed in the background: the page says what is ready."""

    def __init__(self, steps: list[StepState]) -> None:
        super().__init__("results are being computed")
        self.steps = steps


class Warmup:
    """One background computation of `STEPS` for a data version (see the module)."""

    def __init__(
        self,
        version: Hashable,
        day: date,
        compute: Callable[[str, date], object],
        kinds: tuple[str, ...] | None = None,
    ) -> None:
        self.version = version
        self.day = day
        self._compute = compute
        self._steps = tuple(
            (kind, label) for kind, label in STEPS if kinds is None or kind in kinds
        )
        """The steps this run computes (`kinds`; default all)."""
        self._states: dict[str, State] = {kind: "coming" for kind, _ in self._steps}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="attain-results", daemon=True)

    def start(self) -> Warmup:
        self._thread.start()
        return self

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def stop(self, timeout: float | None = None) -> None:
        """Stop after the step under way (the app is shutting down) and wait for it."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def steps(self) -> list[StepState]:
        """Each step's state, in order."""
        with self._lock:
            return [StepState(kind, label, self._states[kind]) for kind, label in self._steps]

    def coming(self, kind: str, day: object) -> bool:
        """Whether the result `kind` at `day` is still to be computed by this run."""
        if day != self.day or kind not in self._states:
            return False
        with self._lock:
            return self._states[kind] in ("coming", "computing")

    def _run(self) -> None:
        for kind, _ in self._steps:
            if self._stop.is_set():
                return
            with self._lock:
                self._states[kind] = "computing"
            try:
                self._compute(kind, self.day)
                state: State = "ready"
            except Exception:  # the page asking for it computes it itself and says why
                state = "failed"
            with self._lock:
                self._states[kind] = state
