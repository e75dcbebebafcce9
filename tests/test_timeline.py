"""The scenario clock in its zone: local times and daily windows across both daylight-saving changes of 2026.

In Brussels summer time starts on Sunday 29 March 2026 at 02:00 CET (01:00 UTC, the
clocks go to 03:00 CEST) and ends on Sunday 25 October 2026 at 03:00 CEST (01:00 UTC,
back to 02:00 CET).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle

import pytest

from enablement.timeline import Clock
from tests.helpers import BRUSSELS

CET = dt.timezone(dt.timedelta(hours=1))
CEST = dt.timezone(dt.timedelta(hours=2))
SPRING = dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.UTC)
AUTUMN = dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.UTC)


def _local(clock: Clock, spans):
    """Each span's ends as local ISO text."""
    return [(clock.iso(a), clock.iso(b)) for a, b in spans]


def test_at_gives_the_offset_of_the_day_on_both_sides_of_each_change():
    spring = Clock(dt.datetime(2026, 3, 28, 6, 0, tzinfo=CET), BRUSSELS)
    assert spring.iso(0) == "2026-03-28T06:00:00+01:00"
    assert spring.iso(spring.seconds(SPRING) - 1) == "2026-03-29T01:59:59+01:00"
    assert spring.iso(spring.seconds(SPRING)) == "2026-03-29T03:00:00+02:00"
    assert spring.iso(24 * 3600) == "2026-03-29T07:00:00+02:00"  # 24 h later, an hour more on the clock
    autumn = Clock(dt.datetime(2026, 10, 24, 6, 0, tzinfo=CEST), BRUSSELS)
    assert autumn.iso(autumn.seconds(AUTUMN) - 1) == "2026-10-25T02:59:59+02:00"
    assert autumn.iso(autumn.seconds(AUTUMN)) == "2026-10-25T02:00:00+01:00"
    assert autumn.iso(24 * 3600) == "2026-10-25T05:00:00+01:00"


def test_seconds_count_real_time_across_a_change_whatever_the_offsets_written():
    clock = Clock(dt.datetime(2026, 3, 28, 6, 0, tzinfo=CET), BRUSSELS)
    before = dt.datetime(2026, 3, 29, 1, 59, tzinfo=BRUSSELS)
    after = dt.datetime(2026, 3, 29, 3, 0, tzinfo=BRUSSELS)
    assert clock.seconds(after) - clock.seconds(before) == 60.0  # same ZoneInfo: not wall-clock arithmetic
    assert clock.seconds(dt.datetime(2026, 3, 29, 10, 0, tzinfo=CET)) == clock.seconds(
        dt.datetime(2026, 3, 29, 11, 0, tzinfo=BRUSSELS)
    )
    assert clock.start.isoformat() == "2026-03-28T06:00:00+01:00" and clock.start.tzinfo is BRUSSELS


def test_a_night_window_is_21_to_05_local_on_both_sides_of_the_spring_change():
    clock = Clock(dt.datetime(2026, 3, 27, 6, 0, tzinfo=CET), BRUSSELS)
    spans = clock.daily("21:00", "05:00", days=4).spans
    assert _local(clock, spans) == [
        ("2026-03-26T21:00:00+01:00", "2026-03-27T05:00:00+01:00"),
        ("2026-03-27T21:00:00+01:00", "2026-03-28T05:00:00+01:00"),
        ("2026-03-28T21:00:00+01:00", "2026-03-29T05:00:00+02:00"),  # the short night: 7 h
        ("2026-03-29T21:00:00+02:00", "2026-03-30T05:00:00+02:00"),
        ("2026-03-30T21:00:00+02:00", "2026-03-31T05:00:00+02:00"),
    ]
    assert [round((b - a) / 3600) for a, b in spans] == [8, 8, 7, 8, 8]


def test_a_night_window_is_21_to_05_local_on_both_sides_of_the_autumn_change():
    clock = Clock(dt.datetime(2026, 10, 23, 6, 0, tzinfo=CEST), BRUSSELS)
    spans = clock.daily("21:00", "05:00", days=4).spans
    assert _local(clock, spans)[2:4] == [
        ("2026-10-24T21:00:00+02:00", "2026-10-25T05:00:00+01:00"),  # the long night: 9 h
        ("2026-10-25T21:00:00+01:00", "2026-10-26T05:00:00+01:00"),
    ]
    assert [round((b - a) / 3600) for a, b in spans] == [8, 8, 9, 8, 8]


def test_a_time_the_clocks_skip_opens_the_window_at_the_change():
    clock = Clock(dt.datetime(2026, 3, 28, 6, 0, tzinfo=CET), BRUSSELS)
    spans = clock.daily("02:30", "05:00", days=3).spans
    assert _local(clock, spans)[1:3] == [
        ("2026-03-28T02:30:00+01:00", "2026-03-28T05:00:00+01:00"),
        ("2026-03-29T03:00:00+02:00", "2026-03-29T05:00:00+02:00"),  # 02:30 does not exist that night
    ]
    assert spans[2][0] == clock.seconds(SPRING)
    closing = clock.daily("21:00", "02:30", days=3).spans
    assert clock.iso(closing[1][1]) == "2026-03-29T03:00:00+02:00"  # and closes at the change
    # a window wholly inside the skipped hour does not open that day
    inside = _local(clock, clock.daily("02:00", "02:45", days=3).spans)
    assert [a[:10] for a, _ in inside] == ["2026-03-27", "2026-03-28", "2026-03-30"]


def test_a_time_the_clocks_repeat_is_taken_at_its_first_occurrence():
    clock = Clock(dt.datetime(2026, 10, 24, 6, 0, tzinfo=CEST), BRUSSELS)
    spans = clock.daily("02:30", "05:00", days=2).spans
    assert _local(clock, spans)[2] == ("2026-10-25T02:30:00+02:00", "2026-10-25T05:00:00+01:00")
    assert round((spans[2][1] - spans[2][0]) / 3600, 1) == 3.5


def test_whole_day_hours_stay_one_open_span_across_a_change():
    clock = Clock(dt.datetime(2026, 3, 28, 6, 0, tzinfo=CET), BRUSSELS)
    spans = clock.daily("00:00", "24:00", days=5).spans
    assert len(spans) == 1
    assert clock.iso(spans[0][0]) == "2026-03-27T00:00:00+01:00"


def test_a_fixed_offset_clock_keeps_its_offset():
    clock = Clock(dt.datetime(2026, 3, 28, 6, 0, tzinfo=CET), CET)
    assert clock.iso(2 * 86400) == "2026-03-30T06:00:00+01:00"
    assert clock.iso(clock.daily("21:00", "05:00", days=3).spans[2][0]) == "2026-03-29T21:00:00+01:00"
    assert clock.zone_name == "UTC+01:00"


def test_a_clock_needs_an_aware_start_and_survives_pickling():
    with pytest.raises(ValueError, match="needs a UTC offset"):
        Clock(dt.datetime(2026, 3, 28, 6, 0), BRUSSELS)
    clock = Clock(dt.datetime(2026, 3, 28, 6, 0, tzinfo=CET), BRUSSELS)
    again = pickle.loads(pickle.dumps(clock))
    assert again == clock and again.iso(86400) == "2026-03-29T07:00:00+02:00"
    assert dataclasses.replace(clock).iso(86400) == "2026-03-29T07:00:00+02:00"
    assert clock.zone_name == "Europe/Brussels"
