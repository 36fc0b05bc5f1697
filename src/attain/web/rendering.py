"""How pages answer: a template with the user and what their role may see, only its content
block for an HTMX request, charts as vega-embed placeholders, and posted forms read as the
API's input models."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from fastapi import Request, Response
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from pydantic import BaseModel, ValidationError

from attain.access import ROLE_RESOURCES, Principal, Resource
from attain.errors import AttainError, InputError
from attain.metrics.attainment import scope_names
from attain.metrics.targets import rep_roster
from attain.store.freshness import freshness_line


def render(
    request: Request, template: str, user: Principal | None, status: int = 200, **context: Any
) -> Response:
    """A page, or only its content block for an HTMX request aimed at #content."""
    partial = request.headers.get("hx-request") == "true" and (
        request.headers.get("hx-target") == "content"
    )
    resources = ROLE_RESOURCES[user.role] if user else frozenset()
    response: Response = request.app.state.templates.TemplateResponse(
        request,
        template,
        {
            "user": user,
            "csrf": getattr(request.state, "csrf", ""),
            "partial": partial,
            "can": {resource.value: resource in resources for resource in Resource},
            "sync_line": _sync_line(request) if user else None,
            "results_line": _results_line(request) if user else None,
            "freshness": _freshness(request) if user else None,
            "names": _names(request) if user else {},
            **context,
        },
        status_code=status,
    )
    return response


CSRF_SLOT = f"csrf-{secrets.token_hex(16)}"
"""Where a kept fragment's forms carry the CSRF token: each request puts its session's in."""


def fragment(
    request: Request,
    key: tuple[Hashable, ...] | None,
    template: str,
    context: Callable[[], dict[str, Any]],
) -> Markup:
    """Part of a page rendered once per data version and `key` with what `context()` returns,
    kept with the core results (`Services.derived`) and placed in the page as is, with this
    session's CSRF token in its forms (`csrf`).

    The caller's `key` names everything else the part depends on: the as-of day, the rep or
    team, the viewer's access scope (`Principal.scope`) when what is shown depends on it, and
    the app database's version (`records_version`) when it shows records users change. None
    renders it without keeping it. Under load, rendering was most of a warm page's time in the
    server."""
    services = request.app.state.services

    def build() -> Markup:
        page = request.app.state.templates.get_template(template)
        return Markup(page.render(names=_names(request), csrf=CSRF_SLOT, **context()))

    # A view few ask for is rendered, not kept (it would push results out).
    found: Markup = (
        build() if key is None else services.derived(("page_fragment", template, *key), build)
    )
    if CSRF_SLOT not in found:
        return found
    return Markup(found.replace(CSRF_SLOT, getattr(request.state, "csrf", "")))


def _sync_line(request: Request) -> str | None:
    """When the app's scheduled syncs last ran and next will (None without a schedule)."""
    schedule = getattr(request.app.state, "sync_schedule", None)
    return None if schedule is None else str(schedule.line() or "") or None


def _results_line(request: Request) -> str | None:
    """While the new data's results are computed in the background: which are ready and which
    are coming (web.warmup); None otherwise."""
    services = getattr(request.app.state, "services", None)
    steps = [] if services is None else services.progress()
    if not any(step.state in ("coming", "computing") for step in steps):
        return None
    ready = [step.label for step in steps if step.state == "ready"]
    coming = [step.label for step in steps if step.state in ("coming", "computing")]
    return f"ready: {', '.join(ready) or 'none yet'}; coming: {', '.join(coming)}"


def _freshness(request: Request) -> str | None:
    """'data through D' for the page's header (None when the store cannot be read: the page
    then says why itself)."""
    services = getattr(request.app.state, "services", None)
    try:
        return None if services is None else freshness_line(services.data_through())
    except AttainError:
        return None


def _names(request: Request) -> dict[str, dict[str, str]]:
    """Reps' and teams' names by id ('rep', 'team'), cached per data version, so a page names
    people where its view-model carries only ids (empty when the store cannot be read)."""
    services = getattr(request.app.state, "services", None)
    if services is None:
        return {}
    try:
        names: dict[str, dict[str, str]] = services.with_store(
            ("scope_names",), lambda backend: scope_names(backend, rep_roster(backend))
        )
    except AttainError:
        return {}
    return names


def _named(context: Context, scope: str, key: Any) -> str:
    """The name of rep or team `key` on this page, else the id itself ('—' for none)."""
    if key is None or key == "":
        return "—"
    names: dict[str, dict[str, str]] = context.get("names") or {}
    return names.get(scope, {}).get(str(key), str(key))


@pass_context
def rep_name(context: Context, rep_id: Any) -> str:
    """Template filter: `{{ row.rep_id|rep_name }}` is the rep's name."""
    return _named(context, "rep", rep_id)


@pass_context
def team_name(context: Context, team_id: Any) -> str:
    """Template filter: `{{ row.team_id|team_name }}` is the team's name."""
    return _named(context, "team", team_id)


@pass_context
def named(context: Context, text: Any) -> str:
    """Template filter for prose the core wrote with ids in it ('lead warming at rep R0009'):
    each rep or team id, as a whole word, becomes the name."""
    names: dict[str, dict[str, str]] = context.get("names") or {}
    if text is None:
        return ""
    known, pattern = _names_pattern(names)
    if pattern is None:
        return str(text)
    return pattern.sub(lambda match: known[match.group(1)], str(text))


_PATTERNS: dict[int, tuple[dict[str, dict[str, str]], dict[str, str], re.Pattern[str] | None]] = {}
"""The names' pattern per names mapping (one per data version, `_names`), kept with the
mapping itself so its id cannot be reused while the entry lives: a rep page calls `named` a
few dozen times, and building the pattern of every id each time was most of its cost."""


def _names_pattern(
    names: dict[str, dict[str, str]],
) -> tuple[dict[str, str], re.Pattern[str] | None]:
    """Every rep and team id with its name, and a pattern matching any id as a whole word
    (None when there are none)."""
    found = _PATTERNS.get(id(names))
    if found is not None and found[0] is names:
        return found[1], found[2]
    known = {**names.get("team", {}), **names.get("rep", {})}
    ids = sorted(known, key=len, reverse=True)
    pattern = (
        re.compile(r"(?<![\w-])(" + "|".join(re.escape(i) for i in ids) + r")\b") if ids else None
    )
    if len(_PATTERNS) > 8:  # a new data version's names: the old ones are not asked for again
        _PATTERNS.clear()
    _PATTERNS[id(names)] = (names, known, pattern)
    return known, pattern


_SCRIPT_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def script_json(value: Any) -> str:
    """`value` as JSON to place inside a `<script>` block: `<`, `>`, `&`, U+2028 and U+2029
    written as `\\u` escapes, so no string (a CRM team named `</script>` or `<!--<script>`)
    can end the block early or turn its end into text; JSON.parse reads back the same value."""
    return json.dumps(value).translate(_SCRIPT_ESCAPES)


def vega(spec: dict[str, Any] | None, element_id: str) -> Markup:
    """A chart placeholder that static/app.js embeds with vega-embed."""
    if spec is None:
        return Markup("")
    payload = script_json(spec)
    return Markup(
        f'<div class="chart" id="{element_id}" data-testid="{element_id}"></div>'
        f'<script type="application/json" data-vega-for="{element_id}">{payload}</script>'
    )


def is_htmx(request: Request) -> bool:
    """Whether the page's script (HTMX) sent the request, rather than a plain form post."""
    return request.headers.get("hx-request") == "true"


M = TypeVar("M", bound=BaseModel)


def form_model(model: type[M], **fields: Any) -> M:
    """A posted form's fields as `model` (InputError saying which field does not fit)."""
    try:
        return model.model_validate(fields)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise InputError(f"check the form: {problems}") from None


def text(form: Any, name: str) -> str:
    """A posted form's field `name`, stripped ('' when absent)."""
    return str(form.get(name, "")).strip()
