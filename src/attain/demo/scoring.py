"""Score a diagnosis against a demo's truth: recall and precision of rep-level causes."""

from __future__ import annotations

from dataclasses import dataclass

from attain.demo.truth import Truth
from attain.diagnosis.finding import CAUSES, Diagnosis


@dataclass(frozen=True)
class CauseScore:
    """Confusion counts of one cause over the reps that were diagnosed."""

    cause: str
    true_positives: int
    false_positives: int
    false_negatives: int
    true_negatives: int

    @property
    def recall(self) -> float | None:
        """Planted reps found ÷ planted reps; None when nothing was planted."""
        planted = self.true_positives + self.false_negatives
        return self.true_positives / planted if planted else None

    @property
    def precision(self) -> float | None:
        """Flagged reps that were planted ÷ flagged reps; None when nothing was flagged."""
        flagged = self.true_positives + self.false_positives
        return self.true_positives / flagged if flagged else None


def score(truth: Truth, diagnosis: Diagnosis, reps: set[str]) -> list[CauseScore]:
    """Per cause, rep-level findings against the planted causes, over `reps` (the sellers)."""
    scores = []
    for cause in CAUSES:
        planted = set(truth.reps_with(cause)) & reps
        found = {f.id for f in diagnosis.findings if f.scope == "rep" and f.cause == cause}
        found &= reps
        scores.append(
            CauseScore(
                cause=cause,
                true_positives=len(planted & found),
                false_positives=len(found - planted),
                false_negatives=len(planted - found),
                true_negatives=len(reps - planted - found),
            )
        )
    return scores
