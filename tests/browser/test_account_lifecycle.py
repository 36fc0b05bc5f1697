"""The acceptance test of #22's account lifecycle, in Chromium: an admin invites someone from
the accounts page; the invitation arrives at the test's SMTP server; the invitee follows its
link, sets a password and is signed in; signs out and in again; changes the password on their
account page; signs out, and the new password is the one that works.

It runs its own app (with [email] pointing at the SMTP server) on a loopback port, over the
demo store and a fresh app database, so it changes no other browser test's users.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect

from attain.web.app import create_app
from tests.support.smtp import SmtpServer, smtp_server, text_part
from tests.support.web import PASSWORD, Demo, add_role_users

FIRST = "violet kettle marching anchor"
SECOND = "quiet harbour lantern seventeen"
START_TIMEOUT_S = 30


@dataclass
class Served:
    url: str
    smtp: SmtpServer


@pytest.fixture
def served(demo: Demo, tmp_path: Path) -> Iterator[Served]:
    app_db = f"sqlite:///{tmp_path / 'app.db'}"
    add_role_users(app_db, demo)
    with smtp_server() as smtp:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        mail = smtp.settings.model_copy(update={"base_url": f"http://127.0.0.1:{port}"})
        settings = demo.settings.model_copy(update={"email": mail})
        app = create_app(settings, store=str(demo.store), app_db=app_db)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        try:
            yield Served(f"http://127.0.0.1:{port}", smtp)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            listener.close()


def _sign_in(page: Page, email: str, password: str) -> None:
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_test_id("login-submit").click()


def _sign_out(page: Page) -> None:
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/login$"))


def test_an_invited_user_sets_signs_in_changes_the_password_and_signs_out(
    browser: Browser, served: Served
) -> None:
    admin = browser.new_context(base_url=served.url).new_page()
    admin.goto("/users")
    _sign_in(admin, "admin@example.com", PASSWORD)
    expect(admin).to_have_url(re.compile(r"/users$"))
    invite = admin.get_by_test_id("invite")
    invite.get_by_label("E-mail").fill("nia@example.com")
    invite.get_by_label("Name").fill("Nia New")
    invite.get_by_label("Role").select_option("marketing")
    admin.get_by_test_id("invite-submit").click()
    expect(admin.get_by_test_id("accounts")).to_contain_text("nia@example.com")

    (message,) = served.smtp.wait_for(1)
    assert message["To"] == "nia@example.com"
    found = re.search(r"(http://\S+/invite/\S+)", text_part(message))
    assert found is not None

    page = browser.new_context().new_page()
    page.goto(found.group(1))
    expect(page.get_by_role("heading", name="Welcome, Nia New")).to_be_visible()
    page.get_by_test_id("invite-password").fill(FIRST)
    page.get_by_test_id("invite-submit").click()
    expect(page).to_have_url(re.compile(r"/leads"))  # marketing's start page, signed in
    _sign_out(page)

    _sign_in(page, "nia@example.com", FIRST)
    expect(page).to_have_url(re.compile(r"/leads"))
    page.goto(f"{served.url}/account")
    form = page.get_by_test_id("change-password")
    form.get_by_label("Current password").fill(FIRST)
    form.get_by_label(re.compile("New password")).fill(SECOND)
    page.get_by_test_id("change-password-submit").click()
    expect(page.get_by_test_id("account-notice")).to_contain_text("password was changed")
    _sign_out(page)

    _sign_in(page, "nia@example.com", FIRST)
    expect(page.get_by_test_id("login-error")).to_be_visible()
    _sign_in(page, "nia@example.com", SECOND)
    expect(page).to_have_url(re.compile(r"/leads"))
