"""A planted cause acts for at least two of the organisation's sales cycles before the data
ends: two quarters back for the standard 53-day cycle, a year back for the enterprise one."""

from __future__ import annotations

from datetime import date

from attain.demo.causes import ONSET_CYCLES, cause_onset
from attain.demo.timeline import Timeline, as_date
from attain.demo.variants import VARIANTS

AS_OF = date(2026, 11, 13)
"""In Q4 2026: two quarters before the current one start on 2026-04-01."""


def test_short_cycles_keep_the_onset_two_quarters_before_the_current_one() -> None:
    timeline = Timeline.ending(AS_OF, 5)
    for name in ("standard", "smb", "seven_stages", "four_stages"):
        assert as_date(cause_onset(timeline, VARIANTS[name].funnel)) == date(2026, 4, 1), name


def test_enterprise_causes_start_two_cycles_before_the_data_ends() -> None:
    """The enterprise cycle is 182 days: the cause starts 364 days before as_of."""
    funnel = VARIANTS["enterprise"].funnel
    onset = cause_onset(Timeline.ending(AS_OF, 5), funnel)

    assert funnel.cycle_days == 182
    assert ONSET_CYCLES == 2
    assert as_date(onset) == date(2025, 11, 14)


def test_onset_is_never_before_generation_starts() -> None:
    timeline = Timeline.ending(AS_OF, 1)
    onset = cause_onset(timeline, VARIANTS["enterprise"].funnel)

    assert onset == timeline.generation_start
