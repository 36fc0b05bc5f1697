"""ICP rules: per-dimension checks, the source rule, weights and the unchanged in_profile."""

from __future__ import annotations

import ibis
import pytest
from pydantic import ValidationError

from attain.leads.icp import IcpSettings, in_profile, rule_checks

LEADS = ibis.memtable(
    {
        "lead_id": ["a", "b", "c"],
        "industry": ["Software", "Retail", None],
        "employees": [500, 50, None],
        "country": ["US", "US", "MX"],
        "title": ["VP Sales", "Intern", None],
        "source": ["referral", "paid_search", None],
    }
)


def test_each_rule_is_met_failed_or_unknown_where_the_column_is_empty() -> None:
    icp = IcpSettings(
        industries=("Software",),
        min_employees=100,
        countries=("US",),
        titles=("vp",),
        sources=("referral",),
    )
    checks = LEADS.select(**rule_checks(LEADS, icp)).execute()

    assert checks.to_dict("list") == {
        "industry": [True, False, None],
        "employees": [True, False, None],
        "country": [True, True, False],
        "title": [True, False, None],
        "source": [True, False, None],
    }


def test_in_profile_ignores_empty_columns_and_now_checks_the_source() -> None:
    icp = IcpSettings(industries=("Software",), sources=("referral",))

    fits = LEADS.select(fit=in_profile(LEADS, icp)).execute()["fit"].tolist()

    assert fits == [True, False, True]


def test_sources_and_weights_make_a_profile_defined_and_weigh_dimensions() -> None:
    icp = IcpSettings(sources=("partner",), weights={"source": 2.0})

    assert icp.defined
    assert icp.rules() == ("source",)
    assert (icp.weight("source"), icp.weight("industry")) == (2.0, 1.0)
    assert not IcpSettings().defined


def test_weights_name_only_known_dimensions() -> None:
    with pytest.raises(ValidationError, match="unknown ICP dimension"):
        IcpSettings(weights={"revenue": 1.0})
