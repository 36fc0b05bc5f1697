"""The store's canonical leads as model input: labelled training rows and open leads to score."""

from __future__ import annotations

import ibis
import pandas as pd

from attain.store.handle import Store

LABEL = "converted"
"""Training label: the lead has a `converted_at` timestamp."""

TIME_COLUMN = "created_at"

MATURITY_DAYS = 30
"""Leads created within this many days of the newest lead are left out of training: they
have not had their chance to convert yet, so their "not converted" is not an outcome."""


def training_frame(backend: Store, *, maturity_days: int = MATURITY_DAYS) -> pd.DataFrame:
    """Leads created at least `maturity_days` before the newest one, with the label column."""
    leads = backend.table("leads")
    newest = leads.created_at.max().as_scalar()
    mature = leads.filter(leads.created_at <= newest - ibis.interval(days=maturity_days))
    frame: pd.DataFrame = mature.mutate(**{LABEL: mature.converted_at.notnull()}).execute()
    return frame


def scoring_frame(backend: Store) -> pd.DataFrame:
    """Leads that have not converted yet: the ones a score helps to prioritise."""
    leads = backend.table("leads")
    frame: pd.DataFrame = leads.filter(leads.converted_at.isnull()).execute()
    return frame
