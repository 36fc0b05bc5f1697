"""The routes, one module per resource, each with its pages and its JSON API routes.

Every module has `pages` (HTML, left out of the OpenAPI document) and `api` (under /api/v1,
documented), and a module whose API changes records also `writes` (the same, with the CSRF
check of a cookie-authenticated call), one whose pages post forms `forms` (pages with the
session's CSRF check); `web.app.create_app` includes them for each module in `MODULES`.
Request data comes in through `web.deps`; JSON answers are declared in `web.schemas`.
"""

from __future__ import annotations

from types import ModuleType

from attain.web.routes import (
    account,
    accounts,
    alignment,
    changes,
    coaching,
    compensation,
    delivery,
    diagnosis,
    digest,
    forecast,
    leads,
    monday,
    pipeline,
    products,
    programs,
    ramp,
    reps,
    skills,
    sso,
    store,
    team,
    voice,
)

MODULES: tuple[ModuleType, ...] = (
    account,
    accounts,
    sso,
    team,
    reps,
    forecast,
    pipeline,
    changes,
    monday,
    diagnosis,
    leads,
    coaching,
    digest,
    delivery,
    alignment,
    programs,
    skills,
    ramp,
    products,
    compensation,
    store,
    voice,
)
