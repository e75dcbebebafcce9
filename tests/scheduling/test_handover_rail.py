"""The rail branch of the hand-over: trains bound abroad end at a rail crossing, open at that hour.

On the border world with its railway (tests/border_world.py): a tracked unit lands at
port O, marches to the quay beside it and goes by rail to a railhead in the
Netherlands. Two rail crossings lead there; y1 is the shorter way.
"""

from __future__ import annotations

import pandas as pd
import pytest

from enablement.errors import InfeasibleError
from enablement.outputs.tables import march_table
from enablement.plan import build_network, make_plan
from enablement.scenario import load_scenario
from enablement.scheduling.checks import check_march_table
from enablement.scheduling.march import march_rules
from tests.border_world import RAIL_SITES, with_hours, write_rail_world

SHUT_Y1 = "[{id: y1-shut, kind: close_site, target: border-y1, start: '2026-03-02T00:00:00+01:00'}]"


def _plan(folder, **kw):
    path = write_rail_world(folder, **kw)
    sc = load_scenario(path)
    network = build_network(sc, path.parent)
    return make_plan(sc, network=network), sc, network


@pytest.fixture(scope="module")
def by_rail(tmp_path_factory):
    return _plan(tmp_path_factory.mktemp("border-rail"))


def test_a_railhead_abroad_hands_the_trains_over_at_the_rail_crossing_that_reaches_it_first(by_rail):
    plan, _, network = by_rail
    h = plan.handovers["TRK"]
    assert (h.crossing, h.destination, h.neighbour, h.mode) == ("border-y1", "railhead-d", "NL", "rail")
    assert "border-y2" in h.reason and h.reason.startswith("chosen")
    assert plan.trains and all(t.destination == "border-y1" and t.border == "border-y1" for t in plan.trains)
    # handed over: nothing unloads at the border point
    assert all(t.unloaded_s == pytest.approx(t.arrive_s) for t in plan.trains)
    countries = network.node_countries()
    y1 = int(network.sites.loc["border-y1", "node_rail"])
    rail = [r for r in plan.routes if r.kind == "rail"]
    assert {r.owner for r in rail} == {t.id for t in plan.trains}
    for r in rail:
        assert r.nodes[-1] == y1
        assert [n for n in r.nodes if countries[n] != "BE" and n != y1] == [], r.owner


def test_the_rail_plan_passes_its_own_checker(by_rail):
    plan, sc, network = by_rail
    table = march_table(plan)
    table["arrive"] = pd.to_datetime(table["arrive"])
    table["depart"] = pd.to_datetime(table["depart"])
    assert check_march_table(table, march_rules(sc, network), network) == []


def test_a_rail_crossing_shut_for_most_of_the_day_sends_the_trains_by_the_other(tmp_path):
    plan, _, _ = _plan(tmp_path, sites=with_hours(RAIL_SITES, "border-y1", "02:00-03:00"))
    h = plan.handovers["TRK"]
    assert h.crossing == "border-y2"
    assert "border-y1" in h.reason and "waits" in h.reason
    assert {t.border for t in plan.trains} == {"border-y2"}


def test_a_closed_rail_crossing_sends_the_trains_by_the_other(tmp_path):
    plan, _, _ = _plan(tmp_path, disruptions=SHUT_Y1)
    assert plan.handovers["TRK"].crossing == "border-y2"
    assert {t.destination for t in plan.trains} == {"border-y2"}


def test_a_train_to_a_named_rail_crossing_passes_it_only_in_its_hours(tmp_path):
    plan, _, _ = _plan(tmp_path, to="border-y1", sites=with_hours(RAIL_SITES, "border-y1", "14:00-15:00"))
    assert plan.handovers["TRK"].reason == "named by the scenario"
    for t in plan.trains:
        passes = plan.clock.at(t.border_s)
        # open day and night the train would pass by 08:00; it waits at its quay for the crossing
        assert passes.hour == 14, (t.id, passes)
        assert plan.clock.at(t.load_end_s).hour < 14
    assert plan.rail is not None and plan.rail.binding == "the border crossings' hours and closures"


def test_every_rail_crossing_closed_is_an_infeasible_plan_naming_the_unit(tmp_path):
    both = SHUT_Y1[:-1] + (
        ", {id: y2-shut, kind: close_site, target: border-y2, start: '2026-03-02T00:00:00+01:00'}]"
    )
    with pytest.raises(InfeasibleError) as err:
        _plan(tmp_path, disruptions=both)
    text = str(err.value)
    assert "'TRK'" in text and "border-y1" in text and "border-y2" in text and "rail" in text
