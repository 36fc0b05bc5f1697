"""Sending one message: e-mail (HTML with the charts as images and a plain-text part) or a chat
webhook (Slack incoming webhook JSON, Microsoft Teams Workflows Adaptive Card) over httpx.

Webhooks answering 429 (rate limited) or a 5xx are tried again after the Retry-After they
give (else 1, 2, 4… seconds), up to `webhook_attempts` tries.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from typing import Any

import httpx

from attain.appdb.delivery import Channel
from attain.errors import AttainError
from attain.mail import InlineImage, MailError, MailSettings, compose, send
from attain.workflow.delivery.settings import DeliverySettings


class DeliveryError(AttainError):
    """A message could not be handed to its channel; it is tried again on a later run."""


@dataclass(frozen=True)
class Message:
    """One digest or alert, ready for any channel."""

    subject: str
    summary: tuple[str, ...]
    """A few lines for chat: the figures and what to do."""
    text: str
    """The plain-text (Markdown) body of the e-mail."""
    link: str
    """The page it summarises."""
    html: str | None = None
    images: tuple[InlineImage, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Destination:
    """Where a message goes: an e-mail address, or a webhook URL."""

    channel: Channel
    email: str = ""
    webhook_url: str = ""
    unsubscribe_url: str = ""


def deliver(
    message: Message,
    to: Destination,
    mail: MailSettings,
    settings: DeliverySettings,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Hand `message` to its channel, or raise DeliveryError saying why it could not."""
    if to.channel is Channel.EMAIL:
        _email(message, to, mail)
        return
    payload = slack_payload(message) if to.channel is Channel.SLACK else teams_payload(message)
    post_webhook(to.webhook_url, payload, settings, sleep)


def _email(message: Message, to: Destination, mail: MailSettings) -> None:
    headers = {}
    html = None if message.html is None else _with_footer(message.html, message.link, to)
    if to.unsubscribe_url:
        headers = {
            "List-Unsubscribe": f"<{to.unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    text = f"{message.text}\n\nOpen in Attain: {message.link}\n"
    if to.unsubscribe_url:
        text += f"Stop these e-mails: {to.unsubscribe_url}\n"
    try:
        send(mail, compose(mail, to.email, message.subject, text, html, message.images, headers))
    except MailError as error:
        raise DeliveryError(str(error)) from error


def _with_footer(html: str, link: str, to: Destination) -> str:
    """The HTML with a footer linking the page it summarises and, when given, unsubscribe."""
    footer = (
        '<p style="margin:16px 0 0 0;font-family:Arial,Helvetica,sans-serif;font-size:13px;">'
        f'<a href="{escape(link)}">Open in Attain</a>'
    )
    if to.unsubscribe_url:
        footer += (
            f' · <a href="{escape(to.unsubscribe_url)}" style="color:#6b7280;">'
            "Stop these e-mails</a>"
        )
    footer += "</p>"
    if "</body>" in html:
        return html.replace("</body>", footer + "</body>", 1)
    return html + footer


def slack_payload(message: Message) -> dict[str, Any]:
    """A Slack incoming-webhook body: `text` (notifications, old clients) and Block Kit blocks."""
    summary = "\n".join(message.summary)
    return {
        "text": f"{message.subject}\n{summary}\n{message.link}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": message.subject[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": summary[:3000] or " "}},
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open in Attain"},
                        "url": message.link,
                    }
                ],
            },
        ],
    }


def teams_payload(message: Message) -> dict[str, Any]:
    """A Teams Workflows webhook body: a message with one Adaptive Card (schema 1.4)."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": message.subject, "weight": "Bolder", "size": "Medium"},
        *({"type": "TextBlock", "text": line, "wrap": True} for line in message.summary),
    ]
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": "Open in Attain", "url": message.link}],
    }
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


RETRIED = frozenset({429, 500, 502, 503, 504})


def post_webhook(
    url: str,
    payload: dict[str, Any],
    settings: DeliverySettings,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """POST `payload` as JSON, trying again on 429 and 5xx as the receiver asks."""
    last = ""
    with httpx.Client(timeout=30.0) as client:
        for attempt in range(settings.webhook_attempts):
            try:
                answer = client.post(url, json=payload)
            except httpx.HTTPError as error:
                last = f"could not reach the webhook: {error}"
                wait = float(2**attempt)
            else:
                if answer.is_success:
                    return
                last = f"the webhook answered {answer.status_code}: {answer.text[:200]}"
                if answer.status_code not in RETRIED:
                    break
                wait = _retry_after(answer.headers.get("Retry-After"), attempt)
            if attempt + 1 == settings.webhook_attempts:
                break
            if wait > settings.max_retry_wait_seconds:
                last += f" (asked to wait {wait:.0f} s; tried again on the next run)"
                break
            sleep(wait)
    raise DeliveryError(last)


def _retry_after(header: str | None, attempt: int) -> float:
    """Seconds to wait: the Retry-After header's (seconds form), else exponential backoff."""
    if header is not None:
        try:
            return max(0.0, float(header))
        except ValueError:
            pass  # an HTTP date: back off as if none were given
    return float(2**attempt)
