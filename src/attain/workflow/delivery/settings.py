"""Settings of scheduled delivery: `[delivery]` in attain.toml or ATTAIN_DELIVERY__<NAME>."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DeliverySettings(BaseModel):
    """How often the server looks for due digests, who may send, and when an alert fires."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    poll_seconds: int = Field(
        60,
        ge=0,
        description="How often `attain serve` looks for due digests and new data; 0 turns the "
        "server's sending off (then run `attain digest send` from cron).",
    )
    lease_seconds: int = Field(
        300,
        ge=30,
        description="How long one process holds the right to send; another takes over only "
        "after it lapses (a crashed sender delays delivery by at most this).",
    )
    big_deal_amount: float = Field(
        50000.0,
        ge=0,
        description="A deal of at least this amount (corporate currency) alerts when it slips "
        "to a later period or is lost.",
    )
    response_target_hours: float = Field(
        24.0,
        gt=0,
        description="A marketing-qualified lead with no sales touch this many hours after it "
        "qualified raises an alert (wall-clock hours, counted to the end of the data's last day).",
    )
    webhook_attempts: int = Field(
        4, ge=1, description="Tries of a chat webhook answering 429 or 5xx before giving up."
    )
    max_retry_wait_seconds: float = Field(
        60.0,
        ge=0,
        description="Longest wait between webhook tries; a longer Retry-After gives up "
        "until the next run.",
    )
