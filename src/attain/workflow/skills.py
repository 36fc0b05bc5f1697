"""The skills matrix: managers score each rep's selling skills 1–5, findings suggest which
skills to work on, and the weakest skills get a recommended training.

Scores are kept with who gave them and when; the newest per rep and skill is in force.
Suggestions map each of the rep's findings to the skills behind its cause (`CAUSE_SKILLS`),
largest bookings at stake first. Training is recommended for up to `training_max_skills`
skills scored at or below `training_max_score`, weakest first, then for suggested skills
nobody has scored yet.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from attain.access import Visibility, check_rep, sees
from attain.appdb import limits
from attain.appdb.kinds import SKILLS as SKILLS
from attain.appdb.limits import checked_text
from attain.appdb.models import Skill, SkillScore, User
from attain.diagnosis.finding import Cause, Finding
from attain.errors import InputError, one_of
from attain.workflow.settings import WorkflowSettings

CAUSE_SKILLS: dict[Cause, tuple[Skill, ...]] = {
    "lead_warming": (Skill.PROSPECTING,),
    "marketing_alignment": (Skill.PROSPECTING, Skill.DISCOVERY),
    "lead_criteria": (Skill.PROSPECTING, Skill.DISCOVERY),
    "follow_up": (Skill.CRM_USE, Skill.CLOSING),
    "coaching": (),
    "stage_leakage": (Skill.DISCOVERY, Skill.OBJECTION_HANDLING, Skill.CLOSING),
    "activity_drop": (Skill.PROSPECTING, Skill.CRM_USE),
    "product_mix": (Skill.PRODUCT_KNOWLEDGE, Skill.NEGOTIATION),
    "target_setting": (),
}
"""The skills a finding of each cause points at (coaching and target setting are the
manager's to fix, not a skill gap of the rep's)."""

TRAINING: dict[Skill, str] = {
    Skill.PRODUCT_KNOWLEDGE: "Product certification: priority products and their differentiators",
    Skill.PROSPECTING: "Prospecting sprint: same-day lead follow-up and multi-touch sequences",
    Skill.DISCOVERY: "Discovery workshop: qualifying questions and mapping the buying process",
    Skill.OBJECTION_HANDLING: "Objection handling: role-plays of the ten most common objections",
    Skill.NEGOTIATION: "Negotiation: trading concessions and defending price",
    Skill.CLOSING: "Closing: mutual action plans and asking for the decision",
    Skill.CRM_USE: "CRM hygiene: logging activities, next steps and follow-up tasks",
}
"""The recommended training per skill."""


def parse_skill(value: str | Skill) -> Skill:
    """The skill named `value`; InputError listing the skills otherwise."""
    return one_of(Skill, value, "a skill")


def set_score(
    session: Session,
    rep_id: str,
    skill: str | Skill,
    score: int,
    *,
    by: User,
    note: str = "",
    at: datetime | None = None,
    scope: Visibility | None = None,
) -> SkillScore:
    """Record a manager's score (1–5) of a rep's skill, audited; older scores stay."""
    rep_id = check_rep(scope, rep_id.strip())
    if not rep_id:
        raise InputError("name the rep scored (--rep)")
    parsed = parse_skill(skill)
    if not 1 <= score <= 5:
        raise InputError(f"a skill score is 1 (weak) to 5 (strong), not {score}")
    checked_text(note, "a skill score's note", limits.NOTE)
    at = at or datetime.now(UTC)
    row = SkillScore(
        rep_id=rep_id,
        skill=parsed,
        score=score,
        note=note.strip(),
        scored_at=at if at.tzinfo else at.replace(tzinfo=UTC),
        created_by=by.id,
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class ScoreEntry:
    """The score in force of one rep's skill, with who gave it and when."""

    score: int
    scored_by: str | None
    """The scorer's e-mail."""
    scored_at: datetime
    note: str


@dataclass(frozen=True)
class SkillRow:
    """One rep's row of the matrix: the score in force per skill (absent when never scored)."""

    rep_id: str
    scores: dict[Skill, ScoreEntry]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "rep_id": self.rep_id,
            "scores": {
                skill.value: {
                    "score": entry.score,
                    "scored_by": entry.scored_by,
                    "scored_at": entry.scored_at.isoformat(),
                    "note": entry.note,
                }
                for skill, entry in self.scores.items()
            },
        }


def skills_matrix(
    session: Session, rep_ids: Collection[str] | None = None, scope: Visibility | None = None
) -> list[SkillRow]:
    """The scores in force per rep (those the scope sees), by rep id."""
    query = select(SkillScore, User.email).outerjoin(User, User.id == SkillScore.created_by)
    if rep_ids is not None:
        query = query.where(SkillScore.rep_id.in_(sorted(rep_ids)))
    query = query.order_by(SkillScore.scored_at, SkillScore.id)
    current: dict[str, dict[Skill, ScoreEntry]] = {}
    for row, email in session.execute(query):
        if not sees(scope, row.rep_id):
            continue
        current.setdefault(row.rep_id, {})[row.skill] = ScoreEntry(
            row.score, email, row.scored_at, row.note
        )
    return [
        SkillRow(rep, {skill: scores[skill] for skill in SKILLS if skill in scores})
        for rep, scores in sorted(current.items())
    ]


@dataclass(frozen=True)
class SkillSuggestion:
    """A skill the rep's findings point at, with the causes and bookings at stake behind it."""

    skill: Skill
    causes: tuple[Cause, ...]
    bookings_at_stake: float


def suggest_skills(findings: Sequence[Finding], rep_id: str) -> list[SkillSuggestion]:
    """Skills to work on from the rep's own findings (pure), largest stake first."""
    causes: dict[Skill, list[Cause]] = {}
    stake: dict[Skill, float] = {}
    for finding in findings:
        if finding.scope != "rep" or finding.id != rep_id:
            continue
        for skill in CAUSE_SKILLS.get(finding.cause, ()):
            causes.setdefault(skill, []).append(finding.cause)
            stake[skill] = stake.get(skill, 0.0) + finding.bookings_at_stake
    suggestions = [
        SkillSuggestion(skill, tuple(dict.fromkeys(causes[skill])), stake[skill])
        for skill in causes
    ]
    return sorted(suggestions, key=lambda s: (-s.bookings_at_stake, SKILLS.index(s.skill)))


@dataclass(frozen=True)
class TrainingRecommendation:
    """A training for one skill and why."""

    skill: Skill
    score: int | None
    training: str
    reason: str


def recommend_training(
    scores: Mapping[Skill, int],
    suggestions: Sequence[SkillSuggestion] = (),
    settings: WorkflowSettings | None = None,
) -> list[TrainingRecommendation]:
    """Training for the weakest scored skills (at or below `training_max_score`; a suggested
    skill first among equal scores), then for suggested skills never scored (pure)."""
    settings = settings or WorkflowSettings()
    suggested = [s.skill for s in suggestions]
    rank = {skill: index for index, skill in enumerate(suggested)}
    weak = sorted(
        (skill for skill, score in scores.items() if score <= settings.training_max_score),
        key=lambda skill: (scores[skill], rank.get(skill, len(rank)), SKILLS.index(skill)),
    )
    picked: list[TrainingRecommendation] = []
    for skill in weak:
        reason = f"scored {scores[skill]} of 5"
        if skill in rank:
            causes = next(s.causes for s in suggestions if s.skill is skill)
            reason += f"; findings: {', '.join(causes)}"
        picked.append(TrainingRecommendation(skill, scores[skill], TRAINING[skill], reason))
    for suggestion in suggestions:
        if suggestion.skill not in scores:
            picked.append(
                TrainingRecommendation(
                    suggestion.skill,
                    None,
                    TRAINING[suggestion.skill],
                    f"not scored yet; findings: {', '.join(suggestion.causes)}",
                )
            )
    return picked[: settings.training_max_skills]
