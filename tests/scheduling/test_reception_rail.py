"""Reception throughput on hand-checkable cases."""

import datetime as dt

from enablement.scheduling.reception import discharge
from enablement.scheduling.timeline import Clock

START = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def test_discharge_rate_and_berths():
    clock = Clock(START)
    sites = {"port": {"discharge_rate_vph": 60, "berths": 1, "hours": "00:00-24:00"}}
    arrivals = [("s1", "port", 0.0, [("A", "boxer", 3)]), ("s2", "port", 0.0, [("B", "boxer", 2)])]
    out = discharge(arrivals, sites, clock)
    # one berth: s1 takes 3 min, s2 starts after it
    assert [d.ready_s for d in out] == [60.0, 120.0, 180.0, 240.0, 300.0]
    sites["port"]["berths"] = 2
    out = discharge(arrivals, sites, clock)
    assert [d.ready_s for d in out] == [60.0, 120.0, 180.0, 60.0, 120.0]


def test_discharge_respects_working_hours():
    clock = Clock(START)  # 06:00
    sites = {"port": {"discharge_rate_vph": 1, "berths": 1, "hours": "08:00-10:00"}}
    out = discharge([("s1", "port", 0.0, [("A", "boxer", 3)])], sites, clock)
    # work starts at 08:00 (2 h after start); 1 vehicle per hour; the third waits for the next day
    assert out[0].ready_s == 3 * 3600 and out[1].ready_s == 4 * 3600
    assert out[2].ready_s == (24 + 3) * 3600
