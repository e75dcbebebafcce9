"""Time zones: names, the instant a wall-clock time stands for, and military date-time groups."""

from __future__ import annotations

import datetime as dt

import pytest

from enablement.zones import dtg, local_time, local_time_before, zone, zone_letter, zone_problem
from tests.helpers import BRUSSELS


def test_known_zones_pass_and_unknown_ones_say_why_with_the_fix():
    assert zone_problem("Europe/Brussels") is None and zone_problem("UTC") is None
    assert zone("Europe/Brussels") is BRUSSELS
    assert zone_problem("Europe/Brusels") == (
        "'Europe/Brusels' is not an IANA time zone (did you mean Europe/Brussels?); "
        "give an IANA time zone name such as Europe/Brussels (the default)"
    )
    for bad in ("../etc/passwd", "/etc/localtime", "", "Europe/", "a" * 300, "Europe Brussels"):
        problem = zone_problem(bad)
        assert problem is not None and "is not an IANA time zone name" in problem, bad
    assert zone_problem("Europe") is not None  # a folder of the tz database, not a zone
    assert zone_problem(1) == (
        "must be text; give an IANA time zone name such as Europe/Brussels (the default)"
    )
    with pytest.raises(ValueError, match="did you mean Europe/Brussels"):
        zone("Europe/Brusels")


def test_local_time_of_ordinary_skipped_and_repeated_wall_clock_times():
    ordinary = local_time(dt.datetime(2026, 3, 29, 21, 0), BRUSSELS)
    assert ordinary.isoformat() == "2026-03-29T21:00:00+02:00"
    skipped = dt.datetime(2026, 3, 29, 2, 30)
    assert local_time(skipped, BRUSSELS).isoformat() == "2026-03-29T03:00:00+02:00"
    assert local_time(skipped, BRUSSELS).astimezone(dt.UTC).isoformat() == "2026-03-29T01:00:00+00:00"
    assert local_time_before(skipped, BRUSSELS).isoformat() == "2026-03-29T01:30:00+01:00"
    repeated = dt.datetime(2026, 10, 25, 2, 30)
    assert local_time(repeated, BRUSSELS).isoformat() == "2026-10-25T02:30:00+02:00"
    assert local_time_before(repeated, BRUSSELS).isoformat() == "2026-10-25T02:30:00+01:00"
    fixed = dt.timezone(dt.timedelta(hours=1))
    assert local_time(skipped, fixed).isoformat() == "2026-03-29T02:30:00+01:00"


def test_every_second_of_the_skipped_hour_maps_to_the_change_and_order_is_kept():
    change = dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.UTC)
    walls = [dt.datetime(2026, 3, 29, 1, 59, 59) + dt.timedelta(seconds=s) for s in range(0, 3700, 97)]
    instants = [local_time(w, BRUSSELS) for w in walls]
    assert instants == sorted(instants)
    for w, t in zip(walls, instants, strict=True):
        if dt.time(2, 0) <= w.time() < dt.time(3, 0):
            assert t == change
        else:
            assert t.replace(tzinfo=None) == w


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (dt.datetime(2026, 3, 2, 18, 0, tzinfo=BRUSSELS), "021800AMAR26"),
        (dt.datetime(2026, 3, 29, 21, 5, 59, tzinfo=BRUSSELS), "292105BMAR26"),
        (dt.datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BRUSSELS), "250230AOCT26"),
        (dt.datetime(2026, 10, 25, 2, 30, fold=0, tzinfo=BRUSSELS), "250230BOCT26"),
        (dt.datetime(2026, 12, 31, 23, 59, tzinfo=dt.UTC), "312359ZDEC26"),
        (dt.datetime(2027, 1, 1, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))), "010100RJAN27"),
        (
            dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))),
            "010630ZJUN26",
        ),
    ],
)
def test_date_time_groups(when, expected):
    assert dtg(when) == expected


def test_zone_letters_skip_j_and_end_at_twelve_hours():
    hours = range(-12, 13)
    letters = [zone_letter(dt.timedelta(hours=h)) for h in hours]
    assert "".join(letters) == "YXWVUTSRQPONZABCDEFGHIKLM"
    assert zone_letter(dt.timedelta(hours=13)) is None
    assert zone_letter(dt.timedelta(hours=5, minutes=30)) is None
    assert zone_letter(None) is None
    with pytest.raises(ValueError, match="aware"):
        dtg(dt.datetime(2026, 3, 2, 18, 0))
