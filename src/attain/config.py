"""Settings from environment variables (ATTAIN_*) and an optional TOML file."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from attain.appdb.settings import WebSettings
from attain.diagnosis.settings import DiagnosisSettings
from attain.errors import ConfigError
from attain.forecast.settings import ForecastSettings
from attain.ingest.connectors.settings import SyncSettings
from attain.leads.settings import IcpSettings
from attain.mail import MailSettings
from attain.metrics.periods import configure_calendar
from attain.metrics.settings import CalendarSettings, PerformanceSettings
from attain.plan.settings import PlanSettings
from attain.workflow.delivery.settings import DeliverySettings
from attain.workflow.settings import WorkflowSettings

CONFIG_FILE = "attain.toml"
"""Read from the working directory, or from the path in ATTAIN_CONFIG."""


class CurrencySettings(BaseModel):
    """The corporate currency and where exchange rates come from ([currency] table).

    Kept here rather than beside the conversion (attain.store.currency, which re-exports it):
    any module of attain.store loads the store's Ibis and DuckDB, which the settings need not."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    corporate: str | None = Field(
        default=None,
        description="ISO code of the currency every total is given in (e.g. USD). Default: the "
        "fx_rates row marked is_corporate, else the one currency the deals use.",
    )
    rates: Path | None = Field(
        default=None,
        description="CSV of dated rates with the header currency,start_date,rate: units of the "
        "currency per unit of the corporate currency from start_date on; it wins over the "
        "store's fx_rates for the currencies it lists.",
    )

    @field_validator("corporate")
    @classmethod
    def _iso_code(cls, code: str | None) -> str | None:
        if code is not None and not (len(code) == 3 and code.isalpha()):
            raise ValueError(f"{code!r} is not a currency code like USD")
        return None if code is None else code.upper()


class Settings(BaseSettings):
    """Where Attain keeps and finds its data; environment variables override the TOML file."""

    model_config = SettingsConfigDict(
        env_prefix="ATTAIN_", env_nested_delimiter="__", extra="forbid"
    )

    db: str = Field(
        default="attain.duckdb",
        description="Analytic store: a DuckDB file path or duckdb:// URL, postgresql://… or "
        "spark://local[*] (ATTAIN_DB).",
    )
    memory_limit: str | None = Field(
        default=None,
        description="Most memory the DuckDB store may use, e.g. '4GB'; beyond it DuckDB spills "
        "to disk (ATTAIN_MEMORY_LIMIT). Default: DuckDB's own, 80% of RAM.",
    )
    currency: CurrencySettings = Field(
        default_factory=CurrencySettings,
        description="The corporate currency and a file of dated exchange rates ([currency] "
        "table); see docs/presets.md.",
    )
    calendar: CalendarSettings = Field(
        default_factory=CalendarSettings,
        description="The fiscal calendar: year start month, quarter pattern (months or "
        "4-4-5), week start ([calendar] table); see docs/calendars.md.",
    )
    performance: PerformanceSettings = Field(
        default_factory=PerformanceSettings,
        description="Thresholds of the performance report ([performance] table).",
    )
    diagnosis: DiagnosisSettings = Field(
        default_factory=DiagnosisSettings,
        description="Thresholds of the diagnosis ([diagnosis] table, one sub-table per cause).",
    )
    icp: IcpSettings = Field(
        default_factory=IcpSettings,
        description="The ideal customer profile ([icp] table); empty means not defined.",
    )
    forecast: ForecastSettings = Field(
        default_factory=ForecastSettings,
        description="Forecast and backtest settings ([forecast] table).",
    )
    plan: PlanSettings = Field(
        default_factory=PlanSettings,
        description="Activity plan settings ([plan] table).",
    )
    workflow: WorkflowSettings = Field(
        default_factory=WorkflowSettings,
        description="Coaching cadence, coverage, agenda and digest settings ([workflow] table).",
    )
    sync: SyncSettings = Field(
        default_factory=SyncSettings,
        description="Live CRM sync: [sync.salesforce] and [sync.hubspot] connections (secrets "
        "only from the environment); see docs/connectors.md.",
    )
    web: WebSettings = Field(
        default_factory=WebSettings,
        description="Password policy, sign-in throttling and trusted proxies ([web] table); "
        "see docs/web.md, Security.",
    )
    delivery: DeliverySettings = Field(
        default_factory=DeliverySettings,
        description="Scheduled digests and alerts: how often the server looks, the sender "
        "lease, the deal size and lead response target that alert, webhook retries "
        "([delivery] table); see docs/workflow.md, The week.",
    )
    email: MailSettings = Field(
        default_factory=MailSettings,
        description="SMTP server for invitations, password resets, digests and alerts "
        "([email] table; the password only from the environment); see docs/web.md.",
    )
    app_db: str = Field(
        default="sqlite:///attain-app.db",
        description="App database for users, goals, coaching, overrides and the audit log: a "
        "SQLAlchemy URL, e.g. postgresql+psycopg://user@host/attain (ATTAIN_APP_DB).",
    )
    data: Path = Field(
        default=Path("../shared/data"),
        description="Folder of the public datasets used by acceptance tests (ATTAIN_DATA).",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get("ATTAIN_CONFIG", CONFIG_FILE))
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_file),
        )


def load_settings() -> Settings:
    """Current settings, or a ConfigError naming the bad setting.

    Their `[calendar]` becomes the fiscal calendar of this process: every period computation
    (attain.metrics.periods) then counts its quarters.
    """
    named = os.environ.get("ATTAIN_CONFIG")
    if named and not Path(named).is_file():
        raise ConfigError(f"ATTAIN_CONFIG names {named}, which is not a file")
    try:
        settings = Settings()
        configure_calendar(settings.calendar.fiscal())
        return settings
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"setting {where!r}: {first['msg']}") from error
    except ValueError as error:  # a malformed TOML file
        raise ConfigError(f"{os.environ.get('ATTAIN_CONFIG', CONFIG_FILE)}: {error}") from error
