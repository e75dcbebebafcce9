"""Reception throughput on hand-checkable cases."""

import datetime as dt

from enablement.network.sites import Site
from enablement.scheduling.reception import discharge
from enablement.timeline import Clock
from tests.helpers import BRUSSELS


def recs(sites):
    return {k: Site.from_attrs(k, v) for k, v in sites.items()}


START = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def test_discharge_rate_and_berths():
    clock = Clock(START, BRUSSELS)
    sites = {"port": {"discharge_rate_vph": 60, "berths": 1, "hours": "00:00-24:00"}}
    arrivals = [("s1", "port", 0.0, [("A", "boxer", 3)]), ("s2", "port", 0.0, [("B", "boxer", 2)])]
    out = discharge(arrivals, recs(sites), clock)
    # one berth: s1 takes 3 min, s2 starts after it
    assert [d.ready_s for d in out] == [60.0, 120.0, 180.0, 240.0, 300.0]
    sites["port"]["berths"] = 2
    out = discharge(arrivals, recs(sites), clock)
    assert [d.ready_s for d in out] == [60.0, 120.0, 180.0, 60.0, 120.0]


def test_a_closed_port_discharges_nothing_while_closed():
    from enablement.timeline import Intervals

    clock = Clock(START, BRUSSELS)
    sites = {"port": {"discharge_rate_vph": 1, "berths": 1, "hours": "00:00-24:00"}}
    arrivals = [("s1", "port", 0.0, [("A", "boxer", 3)])]
    closed = {"port": Intervals([(5400.0, 5400.0 + 3 * 3600.0)])}  # from 1.5 h after the ship is in, 3 h
    out = discharge(arrivals, recs(sites), clock, closed=closed)
    # one vehicle an hour: the first at 1 h; the second is half done when the port closes and ends 3 h late
    assert [d.ready_s for d in out] == [3600.0, (2 + 3) * 3600.0, (3 + 3) * 3600.0]
    assert [d.ready_s for d in discharge(arrivals, recs(sites), clock)] == [3600.0, 7200.0, 10800.0]
    import math

    import pytest

    from enablement.errors import InfeasibleError

    with pytest.raises(InfeasibleError, match="site 'port' cannot discharge arrival 's1'"):
        discharge(arrivals, recs(sites), clock, closed={"port": Intervals([(0.0, math.inf)])})


def test_discharge_respects_working_hours():
    clock = Clock(START, BRUSSELS)  # 06:00
    sites = {"port": {"discharge_rate_vph": 1, "berths": 1, "hours": "08:00-10:00"}}
    out = discharge([("s1", "port", 0.0, [("A", "boxer", 3)])], recs(sites), clock)
    # work starts at 08:00 (2 h after start); 1 vehicle per hour; the third waits for the next day
    assert out[0].ready_s == 3 * 3600 and out[1].ready_s == 4 * 3600
    assert out[2].ready_s == (24 + 3) * 3600
