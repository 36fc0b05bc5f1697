"""What analyses read: deals and targets in one corporate currency, backdated deals marked.

The store keeps every amount in the currency the CRM recorded it in (`opportunities.currency`,
`quotas.currency`; empty means the corporate currency). Analyses never add two currencies:
`backend.table("opportunities")` and `backend.table("quotas")` (see attain.store.connect) return
these views, in which

- a won or lost deal's amount is converted at the rate in force on its close day, an open deal's
  at the rate of the conversion day (the as-of day of the analysis, else today), and a money
  target at the rate of its period's first day: Salesforce's rule for dated exchange rates;
- a deal whose creation comes after its close (entered in the CRM after it was won or lost) is
  `backdated`: it keeps its booking in the period it closed and counts as created when it
  closed, and measures that need a real creation time (cycle length) leave it out
  (`has_real_creation`).

A store in one currency with no backdated deal reads exactly as stored, so the views cost
nothing where there is nothing to convert.

Rates come from the store's `fx_rates` table (imported from a Salesforce export's
CurrencyType/DatedConversionRate, or an `fx_rates.csv`) and from the `[currency] rates` file of
the settings, which wins for the currencies it lists. A currency without rates is never added to
another: reading the view raises CurrencyError naming the currencies and how to give rates.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir

from attain.config import CurrencySettings as CurrencySettings
from attain.errors import AttainError, ConfigError

MONEY_METRICS = ("bookings", "pipeline_created")
"""Quota metrics counted in money (their targets are converted)."""

RATE_COLUMNS = ("currency", "start_date", "rate")
"""Columns of a rates file (`[currency] rates`), as in the store's fx_rates table."""

HOW_TO_GIVE_RATES = (
    "import the export's CurrencyType.csv and DatedConversionRate.csv (Salesforce), an "
    "fx_rates.csv (currency,start_date,rate) with the generic preset, or name a rates file as "
    "`rates` in the [currency] table of attain.toml"
)


class CurrencyError(AttainError):
    """Amounts in several currencies cannot be added up: rates or the corporate currency lack."""


Lookup = Callable[[str], ir.Table]
"""Looks a stored table up by name, as stored (no conversion)."""


def opportunities_view(
    stored: Lookup, settings: CurrencySettings, open_deals_day: date | None = None
) -> ir.Table:
    """Deals with `amount` in the corporate currency (`original_amount` as recorded, where any
    was converted) and backdated deals counted as created when they closed.

    Open deals convert at the rate of `open_deals_day` (the analysis' as-of day; default today).
    A store in one currency with no backdated deal reads as stored: every query stays as plain
    as the table (this view is read dozens of times by one report).
    """
    deals = stored("opportunities")
    backdated = deals.closed_at.notnull() & deals.created_at.notnull()
    backdated = backdated & (deals.closed_at < deals.created_at)
    if int(deals.filter(backdated).count().execute()):
        deals = deals.mutate(
            created_at=ibis.cases((backdated, deals.closed_at), else_=deals.created_at),
            backdated=backdated,
        )
    day = ibis.cases(
        (deals.closed_at.notnull(), deals.closed_at.date()),
        else_=ibis.literal(open_deals_day or datetime.now(UTC).date()),
    )
    return _converted(stored, settings, deals, "amount", day)


def has_real_creation(deals: ir.Table) -> ir.BooleanValue:
    """Deals whose creation time is real: not backdated (measures of the sales cycle use it)."""
    return ~deals.backdated if "backdated" in deals.columns else ibis.literal(True)


def quotas_view(
    stored: Lookup, settings: CurrencySettings, open_deals_day: date | None = None
) -> ir.Table:
    """Targets with money targets in the corporate currency at their period's first day."""
    quotas = stored("quotas")
    money = quotas.filter(quotas.metric.isin(MONEY_METRICS))
    if not _currencies(money):
        return quotas
    currency = ibis.cases(
        (quotas.metric.isin(MONEY_METRICS), quotas.currency), else_=ibis.null("string")
    )
    return _converted(
        stored, settings, quotas.mutate(currency=currency), "target", quotas.period_start
    )


def _converted(
    stored: Lookup,
    settings: CurrencySettings,
    table: ir.Table,
    column: str,
    day: ir.DateValue,
) -> ir.Table:
    """`table` with `column` divided by the rate of its row's currency on `day`, and the value
    as recorded kept as `original_<column>`; `table` itself when nothing needs converting."""
    currencies = _currencies(table)
    if not currencies:
        return table
    corporate = _corporate(stored, settings, currencies)
    foreign = sorted(currencies - {corporate})
    if not foreign:
        return table
    rates = _rates(stored, settings)
    missing = sorted(set(foreign) - _rated(rates))
    if missing:
        raise CurrencyError(
            f"amounts in {', '.join(missing)} cannot be added to {corporate}: no exchange rates "
            f"for {', '.join(missing)}; {HOW_TO_GIVE_RATES}"
        )
    names = [*table.columns, f"original_{column}"]
    dated = table.mutate(_fx_day=day, **{f"original_{column}": table[column]})
    joined = dated.left_join(
        rates,
        [
            dated.currency == rates.fx_currency,
            dated._fx_day >= rates.fx_from,
            rates.fx_until.isnull() | (dated._fx_day < rates.fx_until),
        ],
    )
    # A rate is units of the currency per unit of the corporate one (as Salesforce's
    # ConversionRate): dividing by it gives corporate units.
    convert = joined.currency.notnull() & (joined.currency != corporate)
    value = ibis.cases((convert, joined[column] / joined.fx_rate), else_=joined[column])
    return joined.mutate(**{column: value}).select(*names)


def _currencies(table: ir.Table) -> set[str]:
    """The currency codes `table` uses (empty means corporate and is left out)."""
    used = table.select("currency").filter(table.currency.notnull()).distinct()
    return {str(code) for code in used.to_pandas()["currency"]}


def _corporate(stored: Lookup, settings: CurrencySettings, currencies: set[str]) -> str:
    """The corporate currency: the setting, else the rates' own, else the deals' only one."""
    if settings.corporate:
        return settings.corporate
    rates = stored("fx_rates")
    marked = rates.filter(rates.is_corporate.fill_null(False)).select("currency").distinct()
    marked = marked.to_pandas()["currency"]
    if len(marked) == 1:
        return str(marked.iloc[0])
    if len(currencies) == 1:
        return next(iter(currencies))
    raise CurrencyError(
        f"amounts are in {', '.join(sorted(currencies))} and no corporate currency is set: "
        "name it as `corporate` in the [currency] table of attain.toml (e.g. corporate = "
        f'"{"USD" if "USD" in currencies else min(currencies)}"), or import rates that mark '
        "one as corporate"
    )


def _rates(stored: Lookup, settings: CurrencySettings) -> ir.Table:
    """Rates as intervals [fx_from, fx_until) per currency; the first reaches back forever."""
    rates = stored("fx_rates").select(*RATE_COLUMNS)
    if settings.rates is not None:
        given = read_rates_file(settings.rates)
        listed = sorted({str(row["currency"]) for row in given})
        rates = rates.filter(~rates.currency.isin(listed)) if listed else rates
        if given:
            rates = rates.union(ibis.memtable(given, schema=rates.schema()))
    window = ibis.window(group_by=rates.currency, order_by=rates.start_date)
    dated = rates.mutate(
        fx_until=rates.start_date.lead().over(window),
        first=ibis.row_number().over(window) == 0,
    )
    return dated.select(
        fx_currency=dated.currency,
        fx_from=ibis.cases((dated.first, ibis.date(1, 1, 1)), else_=dated.start_date),
        fx_until=dated.fx_until,
        fx_rate=dated.rate,
    )


def _rated(rates: ir.Table) -> set[str]:
    return {str(code) for code in rates.select("fx_currency").distinct().to_pandas()["fx_currency"]}


def read_rates_file(path: Path) -> list[dict[str, Any]]:
    """The rows of a rates file; ConfigError naming file, row and column for a bad value."""
    try:
        # utf-8-sig: a CSV saved by Excel starts with a byte-order mark, read as part of the
        # first column's name otherwise.
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [name for name in RATE_COLUMNS if name not in (reader.fieldnames or [])]
            if missing:
                raise ConfigError(f"{path}: missing column(s) {', '.join(missing)}")
            return [_rate_row(path, number, row) for number, row in enumerate(reader, start=2)]
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the rates file: {error.strerror}") from error


def _rate_row(path: Path, number: int, row: dict[str, str]) -> dict[str, Any]:
    code = (row["currency"] or "").strip().upper()
    if not (len(code) == 3 and code.isalpha()):
        raise ConfigError(f"{path}, row {number}, column currency: {code!r} is not a code like USD")
    try:
        start = date.fromisoformat((row["start_date"] or "").strip())
    except ValueError:
        raise ConfigError(
            f"{path}, row {number}, column start_date: {row['start_date']!r} is not a date "
            "like 2024-01-31"
        ) from None
    try:
        rate = float(row["rate"])
    except (TypeError, ValueError):
        rate = float("nan")
    if not rate > 0 or rate == float("inf"):
        raise ConfigError(
            f"{path}, row {number}, column rate: {row['rate']!r} is not a positive number"
        )
    return {"currency": code, "start_date": start, "rate": rate}
