"""Accessible and readable on any screen (#24): every page each role may open, checked by
axe-core in the light and the dark theme (no serious or critical violation), and shown at a
phone's 375 × 812 and a desktop's 1440 × 900 without scrolling sideways (screenshots of each in
test-artifacts/browser/a11y/); and the sign-in, a rep page and the coaching log used with the
keyboard alone.

One browser profile per role opens all its pages in one tab, so the suite signs in four times,
not once per page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import AS_OF, SCREENSHOTS, capture, sign_in
from playwright.sync_api import Browser, Page, expect

from tests.support.web import PASSWORD, Demo

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "axe" / "axe.min.js"

PAGES = (
    "/monday",
    "/team",
    "/team?team={team}",
    "/reps/{rep}",
    "/forecast",
    "/changes",
    "/pipeline/waterfall",
    "/pipeline/calls",
    "/diagnosis",
    "/coaching",
    "/digest",
    "/alignment",
    "/programs",
    "/skills",
    "/skills/{rep}",
    "/ramp",
    "/products",
    "/compensation",
    "/leads",
    "/account",
    "/users",
    "/delivery",
    "/pairings",
    "/surveys",
)
"""Every page; a role skips those it may not open (403) as the access matrix says."""

SLOW_MS = 180_000
"""A page's first request computes its results while other suites share the machine."""

SIZES = {"phone": (375, 812), "desktop": (1440, 900)}

SERIOUS = ("serious", "critical")

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " :: " + n.failureSummary),
  }));
}"""


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(AXE_RUN)
    return [v for v in found if v["impact"] in SERIOUS]


NO_TRANSITIONS = (
    "*, *::before, *::after { transition: none !important; animation: none !important; }"
)
"""Pico fades colours for 0.2 s when the theme changes; axe must read the colours, not a fade."""


CHARTS_DRAWN = """() => [...document.querySelectorAll(".chart")].every(chart =>
  chart.querySelector("canvas, svg") &&
  [...chart.querySelectorAll("summary")].every(s => s.hasAttribute("aria-label")))"""
"""Every chart drawn by vega-embed and its menu labelled by app.js (axe checks the result)."""


def set_theme(page: Page, theme: str) -> None:
    page.evaluate("theme => { document.documentElement.dataset.theme = theme; }", theme)


def sideways(page: Page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    width: int = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return width


@pytest.fixture
def tab(browser: Browser, base_url: str) -> Iterator[Page]:
    """A fresh profile's tab, failing on any script error. It lets the test add axe's script
    to pages whose Content-Security-Policy allows only the app's own (bypass_csp)."""
    context = browser.new_context(
        base_url=base_url, viewport={"width": 1440, "height": 900}, bypass_csp=True
    )
    context.set_default_timeout(SLOW_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"script errors on the page: {errors}"


def _check_page(page: Page, role: str, name: str, problems: list[str]) -> None:
    """axe in both themes, then each size's sideways overflow and screenshot."""
    page.add_style_tag(content=NO_TRANSITIONS)
    page.wait_for_function(CHARTS_DRAWN)
    for theme in ("light", "dark"):
        set_theme(page, theme)
        for v in axe_violations(page):
            problems.append(f"{name} [{theme}] {v['impact']} {v['id']}: {v['help']} {v['targets']}")
    set_theme(page, "light")
    folder = SCREENSHOTS / "a11y"
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        over = sideways(page)
        if over > 0:
            problems.append(f"{name} at {width} px scrolls {over} px sideways")
        capture(page, folder / f"{role}-{name}-{size}.png")
    page.set_viewport_size({"width": 1440, "height": 900})


@pytest.mark.parametrize("role", ["admin", "manager", "rep", "marketing"])
def test_every_page_passes_axe_in_both_themes_and_fits_a_phone(
    tab: Page, demo: Demo, role: str
) -> None:
    sign_in(tab, role, "/products")
    problems: list[str] = []
    opened = 0
    for template in PAGES:
        path = template.format(team=demo.team, rep=demo.own_rep)
        sep = "&" if "?" in path else "?"
        answer = tab.goto(f"{path}{sep}as_of={AS_OF}")
        assert answer is not None
        if answer.status in (403, 404):
            continue
        assert answer.status == 200, path
        opened += 1
        tab.wait_for_load_state("load")
        name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")
        _check_page(tab, role, name, problems)
    assert opened >= (2 if role == "marketing" else 15)
    assert not problems, "\n".join(problems)


def test_the_sign_in_page_passes_axe(tab: Page) -> None:
    tab.goto("/login")
    problems: list[str] = []
    _check_page(tab, "anonymous", "login", problems)
    assert not problems, "\n".join(problems)


def _tab_to(page: Page, selector: str, limit: int = 300) -> None:
    """Press Tab until the element matching `selector` has the focus."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_keyboard_alone_signs_in_opens_a_rep_and_logs_a_coaching_session(
    tab: Page, demo: Demo
) -> None:
    tab.goto("/login")
    _tab_to(tab, "input[name=email]")
    tab.keyboard.type("manager@example.com")
    tab.keyboard.press("Tab")
    tab.keyboard.type(PASSWORD)
    tab.keyboard.press("Enter")
    expect(tab).to_have_url(re.compile(r"/team"), timeout=SLOW_MS)

    # A rep of the manager's team other than the rep user's own, whose sessions the coaching
    # flow test counts in the same app database.
    _tab_to(tab, f'tr[id^="rep-"]:not(#rep-{demo.own_rep}) > td:first-child > a')
    tab.keyboard.press("Enter")
    expect(tab).to_have_url(re.compile(r"/reps/[^/?]+"), timeout=SLOW_MS)
    assert f"/reps/{demo.own_rep}" not in tab.url

    form = '[data-testid="log-session"]'
    _tab_to(tab, f"{form} select[name=kind]")  # the kind and the date keep their defaults
    _tab_to(tab, f"{form} input[name=minutes]")
    tab.keyboard.press("Control+A")
    tab.keyboard.type("40")
    _tab_to(tab, f"{form} input[name=topics]")
    tab.keyboard.type("pipeline; keyboard only")
    _tab_to(tab, f"{form} textarea[name=notes]")
    tab.keyboard.type("Logged without a mouse.")
    _tab_to(tab, '[data-testid="log-session-submit"]')
    tab.keyboard.press("Enter")
    sessions = tab.get_by_test_id("coaching-sessions")
    expect(sessions).to_contain_text("keyboard only", timeout=SLOW_MS)
    expect(sessions).to_contain_text("Logged without a mouse.")


def test_the_theme_follows_the_system_until_the_toggle_picks_one(tab: Page) -> None:
    tab.emulate_media(color_scheme="dark")
    sign_in(tab, "rep", "/products")
    tab.add_style_tag(content=NO_TRANSITIONS)
    background = "() => getComputedStyle(document.documentElement).backgroundColor"
    dark = tab.evaluate(background)
    tab.emulate_media(color_scheme="light")
    light = tab.evaluate(background)
    assert dark != light  # no choice made: the page follows prefers-color-scheme

    tab.get_by_test_id("nav-group-settings").locator("summary").click()
    toggle = tab.get_by_test_id("theme-toggle")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(tab.locator("html")).to_have_attribute("data-theme", "dark")
    tab.reload()
    tab.add_style_tag(content=NO_TRANSITIONS)
    expect(tab.locator("html")).to_have_attribute("data-theme", "dark")  # kept in the browser
    expect(tab.get_by_test_id("theme-toggle")).to_have_attribute("aria-pressed", "true")
    assert tab.evaluate(background) == dark


@pytest.mark.parametrize("path", ["/login", "/password/forgot"])
def test_the_pages_before_signing_in_pass_axe_and_fit_a_phone(tab: Page, path: str) -> None:
    answer = tab.goto(path)
    assert answer is not None and answer.status == 200
    problems: list[str] = []
    _check_page(tab, "anyone", path.strip("/").replace("/", "-"), problems)
    assert not problems, "\n".join(problems)
