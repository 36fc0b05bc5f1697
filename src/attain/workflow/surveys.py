"""The team's voice: pulse surveys a manager sends to a team, and reps' feedback on coaching.

A pulse survey asks one question of a template (what the team needs from its manager,
workload, clarity of goals, usefulness of coaching, tools) on a 1–5 scale, with a few words
why. Answers are anonymous: a `SurveyAnswer` holds the score and the words with a random key,
no respondent and no time, and is never written to the audit log; a separate
`SurveyRespondent` row says only that a user has answered, so each rep answers once. Results
(the mean score, how the scores spread and the team's themes) are shown only once a survey
has `survey_min_answers` answers, and a change from the team's previous survey of the same
template only when both have; below it the manager sees how many have answered and nothing
else. Themes are words that at least `survey_min_mentions` answers use, so one answer's words
are never shown.

Upward feedback works the same way: a rep says whether a coaching session was useful and one
word why; the answer keeps the coach and the session's week (not the session, which would
name the rep), and a separate row marks the session as answered. The coach sees, per week,
the share of useful answers and the words several answers share, for weeks with at least
`survey_min_answers` answers.
"""

from __future__ import annotations

import re
import secrets
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from attain.access import NotFound, Visibility
from attain.appdb.models import (
    CoachingFeedback,
    CoachingSession,
    FeedbackGiven,
    PulseSurvey,
    SurveyAnswer,
    SurveyRespondent,
    SurveyTemplate,
    User,
)
from attain.errors import InputError, one_of
from attain.mail import MailSettings, compose, send
from attain.workflow.settings import WorkflowSettings

WORDS_LIMIT = 200
"""Longest 'few words' of a survey answer."""
WORD_LIMIT = 40
"""Longest single word of coaching feedback."""


@dataclass(frozen=True)
class Template:
    """A pulse survey's wording: its question and what 1 and 5 mean."""

    title: str
    question: str
    low: str
    high: str
    words_prompt: str


TEMPLATES: dict[SurveyTemplate, Template] = {
    SurveyTemplate.NEEDS: Template(
        "What you need from me",
        "How well do you get what you need from me to sell?",
        "not at all",
        "fully",
        "What do you need from me? (a few words)",
    ),
    SurveyTemplate.WORKLOAD: Template(
        "Workload",
        "How manageable is your workload these weeks?",
        "overwhelming",
        "very manageable",
        "What weighs most? (a few words)",
    ),
    SurveyTemplate.GOAL_CLARITY: Template(
        "Clarity of goals",
        "How clear are your goals and how they are measured?",
        "unclear",
        "very clear",
        "What is least clear? (a few words)",
    ),
    SurveyTemplate.COACHING: Template(
        "Usefulness of coaching",
        "How useful is the coaching you get?",
        "not useful",
        "very useful",
        "What would make it more useful? (a few words)",
    ),
    SurveyTemplate.TOOLS: Template(
        "Tools",
        "How well do your tools (CRM, data, content) help you sell?",
        "they get in the way",
        "they help a lot",
        "Which tool, and what about it? (a few words)",
    ),
}
"""The wording of each survey template."""

STOPWORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "from",
        "have",
        "i",
        "in",
        "is",
        "it",
        "me",
        "more",
        "my",
        "of",
        "on",
        "or",
        "our",
        "so",
        "the",
        "to",
        "too",
        "we",
        "with",
        "you",
        "your",
        "less",
        "not",
        "no",
        "very",
    }
)
"""Words that say nothing on their own, left out of themes."""


def parse_template(value: str | SurveyTemplate) -> SurveyTemplate:
    """The template named `value`; InputError listing the templates otherwise."""
    return one_of(SurveyTemplate, value, "a survey template")


def send_survey(
    session: Session,
    team_id: str,
    template: str | SurveyTemplate,
    *,
    by: User,
    known_teams: Iterable[str],
    scope: Visibility | None = None,
    at: datetime | None = None,
) -> PulseSurvey:
    """Record a survey sent to a team (NotFound for a team that does not exist or that the
    scope does not see)."""
    if scope is not None:
        scope.team(team_id, set(known_teams))
    elif team_id not in set(known_teams):
        raise NotFound(f"no team {team_id}")
    survey = PulseSurvey(
        team_id=team_id,
        template=parse_template(template),
        sent_at=at or datetime.now(UTC),
        created_by=by.id,
    )
    session.add(survey)
    session.flush()
    return survey


def get_survey(session: Session, survey_id: int) -> PulseSurvey:
    """The survey with this id; NotFound otherwise."""
    survey = session.get(PulseSurvey, survey_id)
    if survey is None:
        raise NotFound(f"no survey {survey_id}")
    return survey


def respondent_team(user: User, teams_of: Mapping[str, str | None]) -> str | None:
    """The team whose surveys `user` answers: their CRM rep's team (None without one)."""
    return teams_of.get(user.rep_id) if user.rep_id else None


def has_answered(session: Session, survey_id: int, user_id: int) -> bool:
    """Whether the user has answered the survey."""
    return session.get(SurveyRespondent, (survey_id, user_id)) is not None


def open_surveys(
    session: Session, user: User, teams_of: Mapping[str, str | None]
) -> list[PulseSurvey]:
    """Surveys sent to the user's team that they have not answered, newest first."""
    team = respondent_team(user, teams_of)
    if team is None:
        return []
    answered = select(SurveyRespondent.survey_id).where(SurveyRespondent.user_id == user.id)
    query = select(PulseSurvey).where(PulseSurvey.team_id == team, PulseSurvey.id.not_in(answered))
    return list(session.scalars(query.order_by(PulseSurvey.sent_at.desc(), PulseSurvey.id.desc())))


def answer_survey(
    session: Session,
    survey_id: int,
    user: User,
    score: int,
    words: str,
    teams_of: Mapping[str, str | None],
) -> None:
    """Store one anonymous answer and, apart from it, that the user has answered.

    NotFound unless the survey went to the user's team; InputError when they answered it."""
    survey = get_survey(session, survey_id)
    if respondent_team(user, teams_of) != survey.team_id:
        raise NotFound(f"no survey {survey_id}")
    if has_answered(session, survey_id, user.id):
        raise InputError(f"you have answered survey {survey_id} already; each rep answers once")
    if not 1 <= score <= 5:
        raise InputError(f"a survey score is 1 to 5, not {score}")
    words = words.strip()
    if len(words) > WORDS_LIMIT:
        raise InputError(f"a survey's few words may be at most {WORDS_LIMIT} characters")
    session.add(
        SurveyAnswer(id=secrets.token_hex(16), survey_id=survey.id, score=score, words=words)
    )
    session.add(SurveyRespondent(survey_id=survey.id, user_id=user.id))
    session.flush()


def themes(texts: Iterable[str], min_mentions: int) -> list[tuple[str, int]]:
    """Words used by at least `min_mentions` of the texts (each text counts a word once), as
    (word, answers), most used first (pure)."""
    counts: Counter[str] = Counter()
    for text in texts:
        words = {w for w in re.findall(r"[a-zà-ÿ][a-zà-ÿ'-]+", text.lower()) if w not in STOPWORDS}
        counts.update(words)
    common = [(word, n) for word, n in counts.items() if n >= min_mentions]
    return sorted(common, key=lambda pair: (-pair[1], pair[0]))


@dataclass(frozen=True)
class SurveyResult:
    """A survey's aggregate, or only its count of answers while below the minimum."""

    survey_id: int
    team_id: str
    template: SurveyTemplate
    title: str
    question: str
    sent_at: datetime
    answers: int
    shown: bool
    """Whether the survey has the minimum of answers; without it every number is None."""
    min_answers: int
    mean_score: float | None = None
    scores: dict[int, int] | None = None
    """How many answers gave each score 1–5."""
    themes: list[tuple[str, int]] = field(default_factory=list)
    change: float | None = None
    """The mean's change from the team's previous shown survey of the same template (None
    when this one or that one is hidden, or there is none)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "survey_id": self.survey_id,
            "team_id": self.team_id,
            "template": self.template.value,
            "title": self.title,
            "question": self.question,
            "sent_at": self.sent_at.isoformat(),
            "answers": self.answers,
            "shown": self.shown,
            "min_answers": self.min_answers,
            "mean_score": self.mean_score,
            "scores": {str(k): v for k, v in self.scores.items()} if self.scores else None,
            "themes": [{"word": word, "answers": n} for word, n in self.themes],
            "change": self.change,
        }


def aggregate(
    survey: PulseSurvey,
    answers: Sequence[tuple[int, str]],
    settings: WorkflowSettings,
    previous: SurveyResult | None = None,
) -> SurveyResult:
    """The survey's result from its (score, words) answers (pure): numbers only at or above
    the minimum of answers; the change only when the previous result is shown too."""
    template = TEMPLATES[survey.template]
    base = SurveyResult(
        survey_id=survey.id,
        team_id=survey.team_id,
        template=survey.template,
        title=template.title,
        question=template.question,
        sent_at=survey.sent_at,
        answers=len(answers),
        shown=len(answers) >= settings.survey_min_answers,
        min_answers=settings.survey_min_answers,
    )
    if not base.shown:
        return base
    mean = sum(score for score, _ in answers) / len(answers)
    counts = Counter(score for score, _ in answers)
    change = None
    if previous is not None and previous.shown and previous.mean_score is not None:
        change = mean - previous.mean_score
    return replace(
        base,
        mean_score=mean,
        scores={score: counts.get(score, 0) for score in range(1, 6)},
        themes=themes([words for _, words in answers], settings.survey_min_mentions),
        change=change,
    )


def team_results(
    session: Session,
    team_id: str,
    settings: WorkflowSettings | None = None,
    scope: Visibility | None = None,
) -> list[SurveyResult]:
    """The team's surveys over time, oldest first, each with its change from the previous
    survey of the same template (NotFound for a team outside the scope)."""
    settings = settings or WorkflowSettings()
    if scope is not None and not scope.sees_team(team_id):
        raise NotFound(f"no team {team_id}")
    surveys = session.scalars(
        select(PulseSurvey)
        .where(PulseSurvey.team_id == team_id)
        .order_by(PulseSurvey.sent_at, PulseSurvey.id)
    ).all()
    answers = _answers_of(session, [survey.id for survey in surveys])
    latest: dict[SurveyTemplate, SurveyResult] = {}
    results = []
    for survey in surveys:
        result = aggregate(
            survey, answers.get(survey.id, []), settings, latest.get(survey.template)
        )
        if result.shown:  # a hidden survey neither shows a change nor is compared with
            latest[survey.template] = result
        results.append(result)
    return results


def _answers_of(session: Session, survey_ids: Sequence[int]) -> dict[int, list[tuple[int, str]]]:
    found: dict[int, list[tuple[int, str]]] = {}
    if not survey_ids:
        return found
    rows = session.execute(
        select(SurveyAnswer.survey_id, SurveyAnswer.score, SurveyAnswer.words)
        .where(SurveyAnswer.survey_id.in_(survey_ids))
        .order_by(SurveyAnswer.id)  # random keys: the order says nothing about who
    )
    for survey_id, score, words in rows:
        found.setdefault(survey_id, []).append((score, words))
    return found


def survey_result(
    session: Session,
    survey_id: int,
    settings: WorkflowSettings | None = None,
    scope: Visibility | None = None,
) -> SurveyResult:
    """One survey's result with its change (NotFound outside the scope)."""
    survey = get_survey(session, survey_id)
    for result in team_results(session, survey.team_id, settings, scope):
        if result.survey_id == survey_id:
            return result
    raise NotFound(f"no survey {survey_id}")  # pragma: no cover - the survey is the team's


def team_voice(
    session: Session,
    team_id: str,
    as_of: date,
    settings: WorkflowSettings | None = None,
    days: int = 90,
) -> list[str]:
    """What the team said in its shown surveys of the last `days` days, newest first, as
    lines for the manager's one-on-one agenda: the template's mean and change, and themes."""
    settings = settings or WorkflowSettings()
    since = datetime.combine(as_of - timedelta(days=days), datetime.min.time(), UTC)
    lines = []
    for result in reversed(team_results(session, team_id, settings)):
        if not result.shown or result.sent_at < since or result.mean_score is None:
            continue
        change = f", {result.change:+.1f} since the last one" if result.change is not None else ""
        words = ", ".join(f"{word} ({n})" for word, n in result.themes[:5])
        themes_text = f"; themes: {words}" if words else ""
        lines.append(
            f"{result.title} ({result.sent_at.date()}): {result.mean_score:.1f}/5 from "
            f"{result.answers} answers{change}{themes_text}"
        )
    return lines


# Upward feedback on coaching sessions.


def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def give_feedback(
    session: Session, coaching_session_id: int, user: User, useful: bool, word: str = ""
) -> None:
    """A rep's anonymous feedback on one of their own coaching sessions, once per session
    (NotFound for a session not theirs; InputError when already given)."""
    coached = session.get(CoachingSession, coaching_session_id)
    if coached is None or user.rep_id is None or coached.rep_id != user.rep_id:
        raise NotFound(f"no coaching session {coaching_session_id}")
    word = word.strip()
    if len(word) > WORD_LIMIT or len(word.split()) > 1:
        raise InputError("say why in one word")
    if session.get(FeedbackGiven, coaching_session_id) is not None:
        raise InputError(f"coaching session {coaching_session_id} has had its feedback already")
    session.add(
        CoachingFeedback(
            id=secrets.token_hex(16),
            coach_user_id=coached.coach_user_id,
            week_start=week_start(coached.held_at.date()),
            useful=useful,
            word=word.lower(),
        )
    )
    session.add(FeedbackGiven(coaching_session_id=coaching_session_id))
    session.flush()


def sessions_awaiting_feedback(session: Session, user: User) -> list[CoachingSession]:
    """The user's own coaching sessions without feedback yet, newest first."""
    if user.rep_id is None:
        return []
    given = select(FeedbackGiven.coaching_session_id)
    query = select(CoachingSession).where(
        CoachingSession.rep_id == user.rep_id, CoachingSession.id.not_in(given)
    )
    return list(session.scalars(query.order_by(CoachingSession.held_at.desc())))


@dataclass(frozen=True)
class FeedbackWeek:
    """One week of a coach's feedback: the share found useful and shared words, or hidden."""

    week_start: date
    answers: int
    shown: bool
    useful_share: float | None = None
    words: list[tuple[str, int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "week_start": self.week_start.isoformat(),
            "answers": self.answers,
            "shown": self.shown,
            "useful_share": self.useful_share,
            "words": [{"word": word, "answers": n} for word, n in self.words],
        }


def feedback_trend(
    session: Session, coach_user_id: int, settings: WorkflowSettings | None = None
) -> list[FeedbackWeek]:
    """The coach's feedback per week, oldest first; weeks below the minimum show only how many
    answered."""
    settings = settings or WorkflowSettings()
    rows = session.execute(
        select(CoachingFeedback.week_start, CoachingFeedback.useful, CoachingFeedback.word).where(
            CoachingFeedback.coach_user_id == coach_user_id
        )
    ).all()
    weeks: dict[date, list[tuple[bool, str]]] = {}
    for week, useful, word in rows:
        weeks.setdefault(week, []).append((useful, word))
    trend = []
    for week in sorted(weeks):
        answers = weeks[week]
        if len(answers) < settings.survey_min_answers:
            trend.append(FeedbackWeek(week, len(answers), False))
            continue
        share = sum(flag for flag, _ in answers) / len(answers)
        words = themes([word for _, word in answers], settings.survey_min_mentions)
        trend.append(FeedbackWeek(week, len(answers), True, share, words))
    return trend


# Inviting the team by e-mail.


def survey_recipients(
    session: Session, survey: PulseSurvey, teams_of: Mapping[str, str | None]
) -> list[User]:
    """The active users whose CRM rep is in the survey's team and who have not answered."""
    users = session.scalars(
        select(User).where(User.rep_id.is_not(None), User.is_active.is_(True)).order_by(User.id)
    )
    return [
        user
        for user in users
        if respondent_team(user, teams_of) == survey.team_id
        and not has_answered(session, survey.id, user.id)
    ]


def invitation(mail: MailSettings, survey: PulseSurvey, to: str) -> EmailMessage:
    """The e-mail asking one rep to answer the survey, with the link to its page."""
    template = TEMPLATES[survey.template]
    link = f"{mail.base_url.rstrip('/')}/surveys/{survey.id}"
    text = (
        f"Your manager asks the team one question: {template.question}\n\n"
        f"Answer in a minute (1 to 5, and a few words): {link}\n\n"
        "Your answer is anonymous: it is stored without your name, and results are shown "
        "only once enough of the team has answered."
    )
    return compose(mail, to, f"Pulse survey: {template.title}", text)


def invite_team(
    session: Session, mail: MailSettings, survey: PulseSurvey, teams_of: Mapping[str, str | None]
) -> int:
    """E-mail the survey's link to every rep of the team who has not answered; how many
    were sent (none when e-mail is not configured)."""
    if not mail.enabled:
        return 0
    recipients = survey_recipients(session, survey, teams_of)
    for user in recipients:
        send(mail, invitation(mail, survey, user.email))
    return len(recipients)
