"""The plan pipeline on a small world: its steps, and everything the plan carries for the outputs."""

from __future__ import annotations

import pytest
import shapely

from enablement.errors import ScenarioError
from enablement.plan import make_plan
from enablement.scenario import load_scenario
from enablement.scheduling.march import MarchProblem, MarchRules, march_rules
from enablement.timeline import Clock
from tests.small_world import DLAT, DLON, LAT0, LON0, write_world


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return write_world(tmp_path_factory.mktemp("world"))


@pytest.fixture(scope="module")
def plan(world):
    return make_plan(world)


@pytest.fixture(scope="module")
def world_network(world):
    from enablement.plan import build_network

    return build_network(load_scenario(world), world.parent)


def test_the_pipeline_runs_its_steps_in_order(plan):
    assert list(plan.timings) == [
        "load scenario",
        "build network",
        "reception",
        "hand-over",
        "march units",
        "road schedule",
        "rail schedule",
        "corridors",
        "findings",
    ]
    assert {u.unit: u.mode for u in plan.units} == {"WHL": "road", "LGT": "road", "TRK": "rail"}
    # 14 trucks in two balanced march units of 7, the light vehicles in one, the tanks drive to the quay
    assert sorted(len(m.vehicles) for m in plan.march_units) == [6, 6, 7, 7]
    assert len(plan.trains) == 1 and plan.trains[0].quay == "quay-q"


def test_every_planned_leg_and_train_is_carried_with_its_geometry(plan):
    road = {(r.owner, r.leg): r for r in plan.routes if r.kind == "road"}
    assert set(road) == set(plan.march.routes)
    edges = plan.network.edges.geometry.to_numpy()
    for key, route in plan.march.routes.items():
        drawn = road[key]
        assert drawn.edges == route.edges and drawn.nodes == route.nodes
        assert drawn.length_m == pytest.approx(route.length_m)
        assert drawn.geometry.equals(shapely.line_merge(shapely.multilinestrings(edges[list(route.edges)])))
    rail = [r for r in plan.routes if r.kind == "rail"]
    assert [r.owner for r in rail] == [t.id for t in plan.trains]
    for r, t in zip(rail, plan.trains, strict=True):
        assert r.nodes[0] == int(plan.network.sites.loc[t.quay, "node_rail"])
        assert r.nodes[-1] == int(plan.network.sites.loc[t.destination, "node_rail"])
        assert r.length_m / 1000 == pytest.approx(t.route_km, abs=0.1)


def test_corridors_start_from_the_planned_route_for_the_units_own_vehicles(plan):
    legs = {(r.owner, r.edges) for r in plan.routes if r.kind == "road"}
    assert {c.unit for c in plan.corridors} == {m.unit for m in plan.march_units}
    for c in plan.corridors:
        msr = c.routes[0]
        assert msr.kind == "MSR" and (c.march_unit, msr.edges) in legs
        assert c.profile == next(m.profile.name for m in plan.march_units if m.id == c.march_unit)
        for alt in c.routes[1:]:
            assert alt.kind == "ASR" and alt.edges != msr.edges and 0 <= alt.overlap < 1
        for element in c.critical:
            assert element.edge in msr.edges and element.extra_s > 0


def test_a_heavy_unit_by_road_gets_corridors_its_load_class_allows(world, tmp_path):
    # tanks (tracked MLC 70) by road: the MLC 40/50 bridge is closed to them, so neither their
    # planned route nor their alternate or a detour may use it (a map with no profile would)
    sc = load_scenario(world)
    movements = [
        m.model_copy(update={"mode": "road", "quay": None}) if m.unit == "TRK" else m for m in sc.movements
    ]
    movements = [m.model_copy(update={"to": "border-x"}) if m.unit == "TRK" else m for m in movements]
    from enablement.plan import build_network

    net = build_network(sc, world.parent)
    plan = make_plan(sc.model_copy(update={"movements": movements}), network=net)
    bridge = set(net.edges.index[net.edges["mlc_tracked_oneway"].to_numpy() == 50.0])
    assert bridge
    trk = next(c for c in plan.corridors if c.unit == "TRK")
    for route in trk.routes:
        assert not bridge & set(route.edges), route.kind
    assert all(not bridge & set(r.edges) for r in plan.routes if r.unit == "TRK")
    whl = next(c for c in plan.corridors if c.unit == "LGT")
    assert bridge & set(whl.routes[0].edges)  # light vehicles take the bridge


def test_closures_in_force_are_carried_and_kept_out_of_alternates(world, tmp_path):
    lon, lat = LON0 + 0.5 * DLON, LAT0 + DLAT  # the trunk road between the port and the next node
    sc_path = write_world(
        tmp_path / "closed",
        disruptions=(
            f"[{{id: cut, kind: close_road, at: [{lon}, {lat}], start: '2026-03-02T06:00:00+01:00'}}]"
        ),
    )
    plan = make_plan(sc_path)
    (cut,) = plan.closures
    assert cut.id == "cut" and cut.kind == "close_road" and cut.end_s == float("inf") and cut.edges
    assert cut.where is not None
    for r in plan.routes:
        assert not set(cut.edges) & set(r.edges)
    for c in plan.corridors:
        assert set(c.closed_edges) >= set(cut.edges)
        for route in c.routes:
            assert not set(cut.edges) & set(route.edges)
    assert plan.rules is not None and all(e in plan.rules.edge_closed for e in cut.edges)


def test_the_bottleneck_names_the_step_that_closes_last(plan):
    last = max(plan.units, key=lambda u: u.closure_s)
    assert plan.bottleneck.startswith("rail: " if last.mode == "rail" else "road: ")
    road = plan.summary()["solver"]["road"]  # the optimiser ran: its plan, or the baseline it could not beat
    assert road["method"].startswith(("cp-sat", "greedy (cp-sat"))
    assert road["bound_hours"] <= road["closure_hours"]


def test_the_plans_rules_are_the_checkers_rules(plan):
    assert plan.rules == march_rules(plan.scenario, plan.network)
    assert plan.rules.staging_capacity == {"staging-m": 40}
    assert plan.rules.deliveries["WHL"][1] == "border-x"


def test_a_march_problem_reports_every_problem_at_once(plan):
    mu = plan.march_units[0]
    bad = [
        mu,
        mu,
        mu.__class__(**{**mu.__dict__, "id": "X/01", "sites": ("port-w", "nowhere"), "dwell_s": (1.0,)}),
    ]
    rules = MarchRules.from_policy(plan.scenario.policy, Clock(plan.scenario.start, plan.scenario.zone))
    with pytest.raises(ScenarioError) as err:
        MarchProblem(plan.network, bad, {"port-w": 0, "border-x": 1, "staging-m": 2}, rules)
    text = str(err.value)
    assert "3 problems" in text
    assert "used twice" in text and "no road node for site(s) nowhere" in text and "1 dwell times" in text


def test_auto_mode_sends_tanks_by_rail_and_trucks_by_road(world, world_network):
    sc = load_scenario(world)
    movements = [m.model_copy(update={"mode": "auto", "quay": "quay-q"}) for m in sc.movements]
    movements = [m.model_copy(update={"to": "border-r"}) if m.unit == "TRK" else m for m in movements]
    plan = make_plan(sc.model_copy(update={"movements": movements}), network=world_network)
    modes = {u.unit: u.mode for u in plan.units}
    # tanks do not drive long distances and there is no HET: rail; the trucks' border crossing is on
    # the road network only: road
    assert modes["TRK"] == "rail" and plan.modes["TRK"].startswith("auto: ")
    assert modes["WHL"] == "road" and plan.modes["WHL"].startswith("auto: ")
    assert len(plan.trains) == 1 and plan.trains[0].unit == "TRK"


def test_tanks_by_road_ride_het_shuttles_in_deconflicted_columns(world, world_network):
    sc = load_scenario(world)
    movements = [
        m.model_copy(update={"mode": "road", "quay": None, "to": "border-x"}) if m.unit == "TRK" else m
        for m in sc.movements
    ]
    resources = sc.resources.model_copy(update={"hets": 3, "het_park": "port-w"})
    plan = make_plan(
        sc.model_copy(update={"movements": movements, "resources": resources}), network=world_network
    )
    assert plan.hets is not None and len(plan.hets.trips) == 6  # every tank rides a HET once
    assert {t.vehicle for t in plan.hets.trips} == {"leopard2a6"}
    assert plan.het_places[0] == "port-w"
    het_units = [m for m in plan.march_units if m.purpose == "het"]
    assert het_units and all(m.id.startswith("HET/") for m in het_units)
    assert all(set(m.vehicles) == {"m1070_m1000_het"} for m in het_units)
    trk = next(u for u in plan.units if u.unit == "TRK")
    # no tank marches on its own tracks: the unit's march units are its HET columns
    assert trk.mode == "road" and {m.purpose for m in plan.march_units if m.unit == "TRK"} == {"het"}
    # a HET column closes when its last load is unloaded at the border
    closes = [plan.march.closure_s[m.id] for m in het_units]
    assert trk.closure_s >= max(closes)
    assert plan.summary()["solver"]["het"]["vehicles_carried"] == 6
