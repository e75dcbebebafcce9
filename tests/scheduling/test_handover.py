"""Territory and hand-over on a small world across the Belgian–Dutch border (tests/border_world.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from enablement.errors import InfeasibleError
from enablement.network.territory import Territory
from enablement.outputs.tables import march_table
from enablement.plan import build_network, make_plan
from enablement.routing import Router
from enablement.scenario import load_scenario
from enablement.scheduling.checks import check_march_table
from enablement.scheduling.march import march_rules
from tests.border_world import SITES, write_world

CLOSED_X1 = "[{id: x1-shut, kind: close_site, target: border-x1, start: '2026-03-02T00:00:00+01:00'}]"


def _plan(folder, **kw):
    path = write_world(folder, **kw)
    sc = load_scenario(path)
    network = build_network(sc, path.parent)
    return make_plan(sc, network=network), sc, network


def _abroad(plan, table: pd.DataFrame) -> pd.DataFrame:
    """Rows outside Belgium that are not at a border crossing."""
    countries = plan.network.node_countries()
    crossings = {s["properties"]["id"] for s in SITES if s["properties"]["kind"] == "border_crossing"}
    at = countries[table["node"].to_numpy()]
    return table[(at != "BE") & ~table["control_point"].isin(crossings)]


def _checks(plan, sc, network):
    """Violations the checker finds in the plan's own table, against the scenario's rules."""
    table = march_table(plan)
    table["arrive"] = pd.to_datetime(table["arrive"])
    table["depart"] = pd.to_datetime(table["depart"])
    return check_march_table(table, march_rules(sc, network), network)


@pytest.fixture(scope="module")
def handed(tmp_path_factory):
    return _plan(tmp_path_factory.mktemp("border"))


def test_a_destination_abroad_ends_at_the_crossing_that_reaches_it_first(handed):
    plan, _, _ = handed
    table = march_table(plan)
    last = table.groupby("march_unit").tail(1)
    h = plan.handovers["WHL"]
    # the staging area lies in the Netherlands: the column is handed over at a crossing
    assert (last["kind"] == "handover").all()
    assert (last["control_point"] == h.crossing).all()
    assert h.destination == "staging-d" and h.neighbour == "NL" and h.mode == "road"
    # X1 is the nearer crossing inside Belgium and on to D: it wins, and the reason names both
    assert h.crossing == "border-x1"
    assert "border-x1" in h.reason and "border-x2" in h.reason
    assert _abroad(plan, table).empty
    summary = plan.summary()["territory"]
    assert summary["country"] == "BE" and summary["handovers"][0]["crossing"] == "border-x1"


def test_the_plan_passes_its_own_checker_against_the_scenario_bound_abroad(handed):
    plan, sc, network = handed
    assert _checks(plan, sc, network) == []


def test_a_crossing_closed_by_a_disruption_moves_the_column_to_the_other_one(tmp_path):
    plan, sc, network = _plan(tmp_path, disruptions=CLOSED_X1)
    h = plan.handovers["WHL"]
    assert h.crossing == "border-x2"
    assert "border-x1: closed until further notice" in h.reason
    table = march_table(plan)
    assert (table.groupby("march_unit").tail(1)["control_point"] == "border-x2").all()
    assert _abroad(plan, table).empty
    assert _checks(plan, sc, network) == []


def test_a_named_crossing_outside_its_hours_is_reached_when_it_opens(tmp_path):
    sites = [
        {**s, "properties": {**s["properties"], "hours": "14:00-16:00"}}
        if s["properties"]["id"] == "border-x1"
        else s
        for s in SITES
    ]
    plan, sc, network = _plan(tmp_path, to="border-x1", sites=sites)
    table = march_table(plan)
    ends = pd.to_datetime(table.groupby("march_unit").tail(1)["arrive"])
    starts = pd.to_datetime(table.groupby("march_unit").head(1)["depart"])
    # open day and night the columns would be at X1 within the morning; they arrive when it is open
    assert all(14 <= t.hour < 16 for t in ends), ends.tolist()
    assert all(t.hour < 14 for t in starts)
    assert plan.handovers["WHL"].reason == "named by the scenario"
    assert _checks(plan, sc, network) == []


def test_every_crossing_closed_is_an_infeasible_plan_naming_the_unit_and_crossings(tmp_path):
    both = CLOSED_X1[:-1] + (
        ", {id: x2-shut, kind: close_site, target: border-x2, start: '2026-03-02T00:00:00+01:00'}]"
    )
    with pytest.raises(InfeasibleError) as err:
        _plan(tmp_path, disruptions=both)
    text = str(err.value)
    assert "'WHL'" in text and "border-x1" in text and "border-x2" in text
    assert "closed until further notice" in text


def test_without_foreign_roads_no_row_lies_abroad_though_the_dutch_motorway_is_faster(tmp_path):
    plan, sc, network = _plan(tmp_path, to="staging-e")
    table = march_table(plan)
    assert _abroad(plan, table).empty
    assert "WHL" not in plan.handovers
    # the motorway through the Netherlands is the faster road: only the territory keeps columns off it
    countries = network.node_countries()
    o, e = (int(network.sites.loc[s, "node_road"]) for s in ("port-o", "staging-e"))
    free = Router(network).route(o, e)
    assert "NL" in {countries[n] for n in free.nodes}
    kept = Router(network, "road", Territory("BE")).route(o, e)
    assert {countries[n] for n in kept.nodes} == {"BE"}
    assert kept.time_s > free.time_s
    assert _checks(plan, sc, network) == []


def test_foreign_roads_nl_lets_the_columns_take_the_dutch_motorway_again(tmp_path):
    # the Dutch motorway has no service area in this world: the columns may halt on its verge here
    policy = "{foreign_roads: [NL], halts: {roadside: [motorway, trunk_primary, other, unclassified]}}"
    plan, sc, network = _plan(tmp_path, to="staging-e", policy=policy)
    table = march_table(plan)
    assert set(network.node_countries()[table["node"].to_numpy()]) >= {"NL"}
    assert _checks(plan, sc, network) == []


def test_foreign_roads_nl_lets_a_destination_in_nl_be_reached_without_hand_over(tmp_path):
    plan, _, _ = _plan(tmp_path, policy="{foreign_roads: [NL]}")
    last = march_table(plan).groupby("march_unit").tail(1)
    assert (last["control_point"] == "staging-d").all() and (last["kind"] == "release").all()
    assert plan.handovers == {}


def test_the_checker_reports_a_row_abroad_that_is_no_crossing(handed, tmp_path):
    plan, sc, network = handed
    table = march_table(plan)
    table["arrive"] = pd.to_datetime(table["arrive"])
    table["depart"] = pd.to_datetime(table["depart"])
    n3 = int(network.sites.loc["staging-d", "node_road"])
    table.loc[table.index[1], ["node", "control_point"]] = [n3, "staging-d"]
    found = [v for v in check_march_table(table, march_rules(sc, network), network) if v.kind == "territory"]
    assert len(found) == 1
    assert "staging-d" in found[0].message and "NL" in found[0].message and "outside BE" in found[0].message


def test_the_solvers_refuse_a_router_that_does_not_keep_the_rules_territory(handed):
    from enablement.scheduling.greedy import schedule_march
    from enablement.scheduling.march import MarchProblem

    plan, _, network = handed
    assert plan.rules is not None and plan.rules.territory == Territory("BE")
    nodes = {sid: int(n) for sid, n in network.sites["node_road"].items() if n >= 0}
    problem = MarchProblem(network, plan.march_units, nodes, plan.rules)
    with pytest.raises(ValueError, match="keeps to None but the march rules to Territory"):
        schedule_march(problem, Router(network))
    assert schedule_march(problem, Router(network, "road", plan.rules.territory)).rows


def test_a_site_in_belgium_snapped_to_a_node_abroad_is_reached_and_reported(tmp_path):
    stray = {
        "type": "Feature",
        # in Belgium at the crossing post x2 (60 m away: one place with it), whose node is on the border
        "geometry": {"type": "Point", "coordinates": [5.4008, 51.2608]},
        "properties": {"id": "staging-s", "name": "Stray", "kind": "staging_area", "mode": "road"}
        | {"source": "test", "illustrative": True},
    }
    plan, sc, network = _plan(tmp_path, to="staging-s", sites=[*SITES, stray])
    node = int(network.sites.loc["staging-s", "node_road"])
    assert network.node_countries()[node] == "NL"
    last = march_table(plan).groupby("march_unit").tail(1)
    assert (last["control_point"] == "staging-s").all() and (last["kind"] == "release").all()
    assert any("site 'staging-s' lies in BE but its road node" in w for w in plan.warnings)
    assert _checks(plan, sc, network) == []
