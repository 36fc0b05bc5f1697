"""Messages sent through attain.mail arrive at a real SMTP server with both parts."""

from __future__ import annotations

import pytest

from attain.mail import InlineImage, MailError, MailSettings, compose, send
from tests.support.smtp import html_part, smtp_server, text_part

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def test_a_message_arrives_with_text_html_and_inline_image() -> None:
    with smtp_server() as server:
        message = compose(
            server.settings,
            "manager@example.com",
            "Monday digest",
            "Booked 120 of 300.",
            html='<p>Booked 120 of 300.</p><img src="cid:pace">',
            images=[InlineImage("pace", PNG)],
            headers={"List-Unsubscribe": "<http://127.0.0.1/unsubscribe/abc>"},
        )
        send(server.settings, message)
        (received,) = server.wait_for(1)
    assert received["To"] == "manager@example.com"
    assert received["Subject"] == "Monday digest"
    assert received["List-Unsubscribe"] == "<http://127.0.0.1/unsubscribe/abc>"
    assert text_part(received).strip() == "Booked 120 of 300."
    assert "cid:pace" in html_part(received)
    images = [part for part in received.walk() if part.get_content_type() == "image/png"]
    assert [part.get_content() for part in images] == [PNG]


def test_sending_without_a_server_says_what_to_set() -> None:
    settings = MailSettings()
    with pytest.raises(MailError, match=r"\[email\] host"):
        send(settings, compose(settings, "a@example.com", "s", "t"))


def test_an_unreachable_server_is_one_clear_error() -> None:
    settings = MailSettings(host="127.0.0.1", port=1, tls="none", timeout_seconds=2)
    with pytest.raises(MailError, match=r"could not send e-mail through 127\.0\.0\.1:1"):
        send(settings, compose(settings, "a@example.com", "s", "t"))
