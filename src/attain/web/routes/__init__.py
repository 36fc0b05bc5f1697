"""The routes, one module per resource, each with its pages and its JSON API routes.

Every module has `pages` (HTML, left out of the OpenAPI document) and `api` (under /api/v1,
documented); `web.app.create_app` includes both of each module in `MODULES`.
"""

from __future__ import annotations

from types import ModuleType

from attain.web.routes import (
    account,
    alignment,
    changes,
    coaching,
    compensation,
    diagnosis,
    digest,
    forecast,
    leads,
    pipeline,
    products,
    programs,
    ramp,
    reps,
    skills,
    team,
)

MODULES: tuple[ModuleType, ...] = (
    account,
    team,
    reps,
    forecast,
    pipeline,
    changes,
    diagnosis,
    leads,
    coaching,
    digest,
    alignment,
    programs,
    skills,
    ramp,
    products,
    compensation,
)
