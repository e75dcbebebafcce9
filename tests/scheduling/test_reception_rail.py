"""Reception throughput on hand-checkable cases."""

import datetime as dt

from enablement.network.sites import Site
from enablement.scheduling.reception import arrivals_worked, discharge
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
    # two berths, each a lane at 60 vph: s1 is worked at both (60, 60, 120 s) and s2 takes
    # berth 2 as s1's last vehicle leaves it free (120 s), then berth 1 (180 s)
    assert [d.ready_s for d in out] == [60.0, 60.0, 120.0, 120.0, 180.0]
    assert [d.berth for d in out] == [1, 2, 1, 2, 1]


def test_one_ship_at_a_two_berth_port_is_worked_at_both_berths():
    clock = Clock(START, BRUSSELS)
    sites = {"port": {"discharge_rate_vph": 30, "berths": 2, "hours": "00:00-24:00"}}
    # a ship of 6 vehicles in at 1 h: 2 min a vehicle a berth, 3 vehicles a berth, done in 6 min
    out = discharge([("s1", "port", 3600.0, [("A", "boxer", 4), ("B", "jltv", 2)])], recs(sites), clock)
    assert [d.ready_s for d in out] == [3720.0, 3720.0, 3840.0, 3840.0, 3960.0, 3960.0]
    assert [d.berth for d in out] == [1, 2, 1, 2, 1, 2]
    (worked,) = arrivals_worked(out)
    assert (worked.berths, worked.first_s, worked.last_s, worked.vehicles) == ((1, 2), 3720.0, 3960.0, 6)
    # one berth: the same ship takes twice as long
    sites["port"]["berths"] = 1
    assert discharge([("s1", "port", 3600.0, [("A", "boxer", 6)])], recs(sites), clock)[-1].ready_s == 4320.0
    # a second ship in while the first is worked waits for the berths it leaves
    sites["port"]["berths"] = 2
    two = [("s1", "port", 0.0, [("A", "boxer", 3)]), ("s2", "port", 60.0, [("B", "boxer", 2)])]
    by = {w.arrival: w for w in arrivals_worked(discharge(two, recs(sites), clock))}
    assert (by["s1"].berths, by["s1"].last_s) == ((1, 2), 240.0)
    assert (by["s2"].berths, by["s2"].first_s, by["s2"].last_s) == ((1, 2), 240.0, 360.0)


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
