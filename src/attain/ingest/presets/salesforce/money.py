"""Quotas from ForecastingQuota and exchange rates from CurrencyType and DatedConversionRate."""

from __future__ import annotations

import duckdb

from attain.ingest.presets.exports import boolean, date, optional
from attain.ingest.presets.salesforce.fields import (
    field,
    mapped_fields,
    not_deleted,
    required_field,
    scalar,
)
from attain.ingest.readers import RawFile, quote_literal
from attain.ingest.sources import Source, mapped_source

EARLIEST_RATE = "1900-01-01"
"""Start date of an undated CurrencyType rate, and the floor for Salesforce's first dated rate
(which starts on 0001-01-01, a day pandas cannot hold)."""


def quotas_source(con: duckdb.DuckDBPyConnection, quotas: RawFile, notes: list[str]) -> Source:
    """Bookings quotas from ForecastingQuota: QuotaAmount per owner and forecast period.

    Quantity-only, product-family and territory quotas are not the rep's revenue quota, and
    only one forecast type is kept; the others are counted in a note and not loaded.
    """
    this = quotas.relation
    owner, start = (
        required_field(quotas, "QuotaOwnerId"),
        date(required_field(quotas, "StartDate"), quotas.date_format),
    )
    live = not_deleted(quotas)
    drops = {"quantity-only": f"{required_field(quotas, 'QuotaAmount')} IS NULL"}
    for name, kind in (("ProductFamily", "product-family"), ("Territory2Id", "territory")):
        if optional(quotas, name) is not None:
            drops[kind] = f"{field(quotas, name)} IS NOT NULL"
    kept = f"{live} AND NOT ({' OR '.join(drops.values())})"
    other_types = _other_forecast_types(con, quotas, kept, notes)
    if other_types is not None:
        drops["other forecast type"] = other_types
        kept += f" AND NOT ({other_types})"
    dropped, earlier = [], "false"
    for kind, condition in drops.items():
        # Each row counts once, under the first reason that drops it.
        n = scalar(
            con, f"SELECT count(*) FROM {this} WHERE {live} AND {condition} AND NOT ({earlier})"
        )
        if n:
            dropped.append(f"{n} {kind}")
        earlier += f" OR {condition}"
    if dropped:
        notes.append(f"salesforce: {quotas.path.name}: {', '.join(dropped)} quota(s) not loaded")
    months = _quota_months(con, quotas, owner, start, kept)
    notes.append(
        f"salesforce: {quotas.path.name}: quota periods read as calendar "
        f"{'months' if months == 1 else 'quarters'} from StartDate"
    )
    expressions = {
        "rep_id": owner,
        "period_start": start,
        "period_end": f"strftime(TRY_CAST({start} AS DATE) + INTERVAL {months} MONTH "
        "- INTERVAL 1 DAY, '%Y-%m-%d')",
        "metric": "'bookings'",
        "target": required_field(quotas, "QuotaAmount"),
        **mapped_fields(quotas, {"currency": "CurrencyIsoCode"}),
    }
    return mapped_source(quotas, "quotas", expressions, where=kept)


def _other_forecast_types(
    con: duckdb.DuckDBPyConnection, quotas: RawFile, kept: str, notes: list[str]
) -> str | None:
    """SQL condition for quotas of forecast types other than the one with the most quotas.

    An org with several forecast types (revenue, splits, ...) holds one quota per type for the
    same rep and period; loading them all would add them up. The export does not name the types
    (ForecastingType is not in it), so the most used one is kept, the smallest id on a tie.
    """
    if optional(quotas, "ForecastingTypeId") is None:
        return None
    kind = field(quotas, "ForecastingTypeId")
    types = con.execute(
        f"SELECT {kind} AS kind FROM {quotas.relation} WHERE {kept} "
        "GROUP BY 1 ORDER BY count(*) DESC, kind NULLS LAST"
    ).fetchall()
    if len(types) < 2:
        return None
    main = types[0][0]
    notes.append(
        f"salesforce: {quotas.path.name}: {len(types)} forecast types; the quotas of "
        f"{main or 'no type'} (the most) are loaded, filter the file to load another"
    )
    if main is None:
        return f"{kind} IS NOT NULL"
    return f"{kind} IS DISTINCT FROM {quote_literal(main)}"


def _quota_months(
    con: duckdb.DuckDBPyConnection, quotas: RawFile, owner: str, start: str, kept: str
) -> int:
    """1 when some owner's quotas start a month apart (monthly forecasts), else 3 (quarterly).

    The period itself (PeriodId) points at Period, which a Data Export does not contain.
    """
    gap = scalar(
        con,
        "SELECT min(date_diff('month', previous, started)) FROM ("
        "SELECT started, lag(started) OVER (PARTITION BY owner ORDER BY started) AS previous "
        f"FROM (SELECT DISTINCT {owner} AS owner, TRY_CAST({start} AS DATE) AS started "
        f"FROM {quotas.relation} WHERE {kept})) WHERE previous < started",
    )
    return 1 if gap == 1 else 3


def rate_sources(
    con: duckdb.DuckDBPyConnection,
    currencies: RawFile | None,
    dated: RawFile | None,
    notes: list[str],
) -> list[Source]:
    """fx_rates from DatedConversionRate (dated rates) and CurrencyType (one rate a currency).

    A currency with dated rates takes them; CurrencyType's single rate then is not loaded. An
    undated rate applies from EARLIEST_RATE. `is_corporate` comes from CurrencyType.IsCorporate.
    """
    result: list[Source] = []
    dated_codes = "SELECT ''"
    if dated is not None:
        iso = required_field(dated, "IsoCode")
        start = date(required_field(dated, "StartDate"), dated.date_format)
        result.append(
            mapped_source(
                dated,
                "fx_rates",
                {
                    "currency": iso,
                    "start_date": f"CASE WHEN TRY_CAST({start} AS DATE) < DATE '{EARLIEST_RATE}' "
                    f"THEN '{EARLIEST_RATE}' ELSE {start} END",
                    "rate": required_field(dated, "ConversionRate"),
                    "is_corporate": _corporate(
                        currencies, required_field(dated, "IsoCode", f"{dated.relation}.")
                    ),
                },
                where=not_deleted(dated),
            )
        )
        dated_codes = (
            f"SELECT upper({iso}) FROM {dated.relation} WHERE {not_deleted(dated)} "
            f"AND {iso} IS NOT NULL"
        )
    if currencies is not None:
        iso = required_field(currencies, "IsoCode")
        live = not_deleted(currencies)
        undated = f"{live} AND upper({iso}) NOT IN ({dated_codes})"
        superseded = scalar(
            con, f"SELECT count(*) FROM {currencies.relation} WHERE {live} AND NOT ({undated})"
        )
        if superseded:
            notes.append(
                f"salesforce: {currencies.path.name}: {superseded} currency(ies) take their dated "
                "rates from DatedConversionRate.csv instead"
            )
        result.append(
            mapped_source(
                currencies,
                "fx_rates",
                {
                    "currency": iso,
                    "start_date": f"'{EARLIEST_RATE}'",
                    "rate": required_field(currencies, "ConversionRate"),
                    **(
                        {"is_corporate": boolean(field(currencies, "IsCorporate"))}
                        if optional(currencies, "IsCorporate") is not None
                        else {}
                    ),
                },
                where=undated,
            )
        )
    return result


def _corporate(currencies: RawFile | None, iso: str) -> str:
    """SQL: CurrencyType.IsCorporate of the currency `iso`; NULL without CurrencyType.csv."""
    if currencies is None or optional(currencies, "IsCorporate") is None:
        return "NULL"
    return (
        f"(SELECT max({boolean(field(currencies, 'IsCorporate', 'c.'))}) "
        f"FROM {currencies.relation} c "
        f"WHERE upper({required_field(currencies, 'IsoCode', 'c.')}) = upper({iso}))"
    )
