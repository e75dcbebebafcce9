"""Rail: train formation rules and the CP-SAT schedule, one test per constraint (each fails without it)."""

import dataclasses
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from enablement.errors import InfeasibleError
from enablement.network.sites import Site
from enablement.rolling_stock import rail_data
from enablement.scheduling.formation import FormedTrain, Load, Wagon, form_trains, load_wagons
from enablement.scheduling.rail import QuaySpec, _jobs, build_model, schedule_rail
from enablement.timeline import Intervals
from tests.helpers import two_line_router

# figures fixed here so that the expected times are hand-checkable
DATA = dataclasses.replace(
    rail_data(), shunting_setup_min=0.0, unloading_time_min=60.0, paths_per_hour=2.0, railhead_tracks=1
)
TRAVEL = {("q", "d"): (3600.0, 60_000.0), ("p", "d"): (3600.0, 60_000.0)}


def train(tid, wagons=10, ready_s=0.0, quay="q", dest="d"):
    ws = tuple(Wagon("heavy_flat_6axle", (i,), 60.0, 11.0, False) for i in range(wagons))
    return FormedTrain(
        tid, "U", quay, dest, ws, ("leopard2a6",) * wagons, ready_s, wagons * 20.0 + 20, 90.0 * wagons, False
    )


def quays(tracks=1, rate=10.0, closed=None):
    return {"q": QuaySpec("q", tracks, rate, closed), "p": QuaySpec("p", tracks, rate, None)}


def solve(trains, qs, wagons=1000, locos=100, **switches):
    """Minimum-closure solution of the model (times in minutes)."""
    jobs = _jobs(trains, qs, TRAVEL, DATA)
    model, v = build_model(jobs, qs, wagons, locos, DATA, **switches)
    model.minimize(v.closure)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 10
    assert solver.solve(model) == cp_model.OPTIMAL
    val = solver.value
    return [
        {"start": val(v.start[k]), "depart": val(v.depart[k]), "done": val(v.done[k]), "back": val(v.back[k])}
        for k in range(len(trains))
    ]


def test_ramp_track_loads_one_train_at_a_time():
    two = [train("A"), train("B")]  # 10 wagons at 10 per hour: 60 min each
    one_track = solve(two, quays(tracks=1))
    assert sorted(r["start"] for r in one_track) == [0, 60]
    both = solve(two, quays(tracks=2), paths=False, railheads=False)
    assert [r["start"] for r in both] == [0, 0]


def test_loading_stays_out_of_closed_hours():
    closed = Intervals([(0.0, 7200.0), (3.5 * 3600, 5 * 3600)])  # closed 0-2 h and 3.5-5 h
    r = solve([train("A")], quays(closed=closed))[0]
    # 60 min of loading fit neither before 2 h nor between 2 h and 3.5 h ... they do fit at 2 h
    assert r["start"] == 120
    r = solve([train("A", wagons=20)], quays(closed=closed))[0]  # 120 min: only after 5 h
    assert r["start"] == 300
    assert solve([train("A", wagons=20)], quays(closed=closed), hours=False)[0]["start"] == 0


def test_trains_to_one_railhead_keep_the_path_headway():
    two = [train("A", quay="q"), train("B", quay="p")]  # two quays, both ready at once
    r = solve(two, quays(), railheads=False)
    assert abs(r[0]["depart"] - r[1]["depart"]) >= 30  # 2 paths per hour
    free = solve(two, quays(), paths=False, railheads=False)
    assert free[0]["depart"] == free[1]["depart"]


def test_railhead_tracks_limit_unloading():
    two = [train("A", quay="q"), train("B", quay="p")]
    r = solve(two, quays())
    # one unloading track: the second train's 60 min start after the first's end
    assert abs(r[0]["done"] - r[1]["done"]) >= 60
    free = solve(two, quays(), railheads=False)
    assert abs(free[0]["done"] - free[1]["done"]) == 30  # only the path headway apart


def test_wagon_pool_makes_a_train_wait_for_the_empty_return():
    two = [train("A"), train("B")]
    r = sorted(solve(two, quays(tracks=2), wagons=10), key=lambda x: x["start"])
    assert r[1]["start"] >= r[0]["back"]  # the ten wagons come back first
    free = sorted(solve(two, quays(tracks=2), wagons=10, pools=False), key=lambda x: x["start"])
    assert free[1]["start"] < free[0]["back"]


def test_locomotive_pool_makes_a_train_wait():
    two = [train("A"), train("B")]
    r = sorted(solve(two, quays(tracks=2), locos=1), key=lambda x: x["depart"])
    assert r[1]["depart"] >= r[0]["back"]


def test_ready_time_from_staging_is_respected():
    r = solve([train("A", ready_s=5400.0)], quays())[0]
    assert r["start"] == 90


def test_schedule_rail_reports_bound_gap_binding_and_is_deterministic():
    trains = [train(f"T{i}", ready_s=600.0 * i) for i in range(6)]
    qs = quays(tracks=2)
    a = schedule_rail(trains, qs, TRAVEL, 30, 3, data=DATA, time_limit_s=5, seed=1)
    b = schedule_rail(trains, qs, TRAVEL, 30, 3, data=DATA, time_limit_s=5, seed=1)
    assert [(t.id, t.load_start_s, t.track) for t in a.trains] == [
        (t.id, t.load_start_s, t.track) for t in b.trains
    ]
    assert a.status == "optimal" and a.gap == 0.0 and a.bound_s == a.closure_s
    assert a.closure_s == max(t.unloaded_s for t in a.trains)
    assert a.binding and a.wagon_days > 0
    assert set(a.utilisation) >= {"wagons heavy_flat_6axle (30)", "locomotives multi_system (3)"}
    for t in a.trains:
        assert t.load_start_s >= t.ready_s and t.depart_s >= t.load_end_s
        assert t.arrive_s - t.depart_s == pytest.approx(3600.0)


def test_infeasible_rail_inputs_are_diagnosed():
    with pytest.raises(InfeasibleError, match="pool holds 5"):
        schedule_rail([train("A", wagons=10)], quays(), TRAVEL, 5, 1, data=DATA)
    with pytest.raises(InfeasibleError, match="locomotives"):
        schedule_rail([train("A")], quays(), TRAVEL, 50, 0, data=DATA)
    closed = Intervals([(0.0, math.inf)])
    with pytest.raises(InfeasibleError, match="closed until further notice"):
        schedule_rail([train("A")], quays(closed=closed), TRAVEL, 50, 1, data=DATA)


def test_a_train_passes_its_border_crossing_only_while_it_is_open():
    # loads 0-60 min, runs 60 min to the crossing 30 min out: it would cross at 90 min
    shut = Intervals([(0.0, 3 * 3600.0), (4 * 3600.0, 30 * 3600.0)])  # open 3 h-4 h only
    crossing = {"A": ("x", 1800.0, shut)}
    jobs = _jobs([train("A")], quays(), TRAVEL, DATA, crossings=crossing)
    assert jobs[0].border_at == 30 and jobs[0].border_shut == ((0, 180), (240, 1800))
    free = _jobs([train("A")], quays(), TRAVEL, DATA)
    for js, crossed in ((jobs, 180), (free, 90)):
        model, v = build_model(js, quays(), 1000, 100, DATA)
        model.minimize(v.closure)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        assert solver.solve(model) == cp_model.OPTIMAL
        assert solver.value(v.depart[0]) + 30 == crossed
    # the crossing's one-minute passage must fit inside the hour it is open
    late = _jobs([train("A")], quays(), TRAVEL, DATA, crossings={"A": ("x", 1800.0, shut)})
    model, v = build_model(late, quays(), 1000, 100, DATA, crossings=False)
    model.minimize(v.closure)
    solver = cp_model.CpSolver()
    assert solver.solve(model) == cp_model.OPTIMAL and solver.value(v.depart[0]) == 60
    out = schedule_rail([train("A")], quays(), TRAVEL, 50, 1, data=DATA, crossings=crossing, time_limit_s=5)
    t = out.trains[0]
    assert 3 * 3600 <= t.depart_s + 1800 < 4 * 3600
    assert out.binding == "the border crossings' hours and closures"


def test_a_border_crossing_closed_for_good_is_a_diagnosis_naming_train_and_crossing():
    shut = {"A": ("border-y", 1800.0, Intervals([(3600.0, math.inf)]))}
    with pytest.raises(InfeasibleError, match=r"crossing 'border-y' is closed until further notice.*train A"):
        schedule_rail([train("A")], quays(), TRAVEL, 50, 1, data=DATA, crossings=shut)
    # closed only after the train has passed: it goes first
    later = {"A": ("border-y", 1800.0, Intervals([(3 * 3600.0, math.inf)]))}
    out = schedule_rail([train("A")], quays(), TRAVEL, 50, 1, data=DATA, crossings=later, time_limit_s=5)
    assert out.trains[0].depart_s + 1800 < 3 * 3600


# ------------------------------------------------------------------ formation

WT = rail_data().wagons["heavy_flat_6axle"]


def test_small_vehicles_share_a_deck_and_tanks_ride_alone():
    loads = [Load("boxer", 36.5, 7.9, 3.0, 0.0), Load("boxer", 36.5, 7.9, 3.0, 0.0)]
    ws = load_wagons(loads, WT, DATA)
    assert len(ws) == 1 and ws[0].deck_used_m == pytest.approx(7.9 * 2 + DATA.loading_gap_m)
    tanks = [Load("leopard2a6", 62.3, 10.97, 3.75, 0.0)] * 3
    ws = load_wagons(tanks, WT, DATA)
    assert len(ws) == 3 and all(w.out_of_gauge for w in ws)  # 3.75 m wide: flagged


def test_formation_diagnoses_what_cannot_go_by_rail():
    with pytest.raises(InfeasibleError, match="too heavy for every"):
        form_trains("U", "q", "d", [Load("giant", 120.0, 9.0, 3.0, 0.0)], data=DATA)
    with pytest.raises(InfeasibleError, match="longer than the 18 m deck"):
        form_trains("U", "q", "d", [Load("long", 30.0, 25.0, 3.0, 0.0)], data=DATA)
    with pytest.raises(InfeasibleError, match="too short for one"):
        form_trains("U", "q", "d", [Load("boxer", 36.5, 7.9, 3.0, 0.0)], usable_length_m=10.0, data=DATA)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(5.0, 90.0), st.floats(3.0, 17.0), st.floats(2.0, 4.0), st.floats(0, 1e5)),
        min_size=1,
        max_size=120,
    ),
    st.floats(60.0, 2000.0),
)
def test_formation_never_exceeds_length_mass_axle_load_or_quay(items, quay_m):
    loads = [Load(f"v{i}", m, ln, w, r) for i, (m, ln, w, r) in enumerate(items)]
    trains = form_trains("U", "q", "d", loads, usable_length_m=quay_m, data=DATA)
    loco = DATA.locomotives["multi_system"]
    assert sum(len(t.vehicles) for t in trains) == len(loads)
    for t in trains:
        assert t.length_m <= DATA.max_length_m
        assert t.n_wagons * WT.length_m <= quay_m
        assert t.gross_t <= min(DATA.max_gross_t, loco.max_train_t) or t.n_wagons == 1
        for w in t.wagons:
            assert w.load_t <= WT.payload_t
            assert (WT.tare_t + w.load_t) / WT.axles <= DATA.max_axle_load_t + 1e-9
            assert w.deck_used_m <= WT.deck_length_m + 1e-9


# ------------------------------------------------------------------ routes on the lines


def _two_lines():
    """Quay 0 to railhead 3: a short line via 1 (18 t per axle, not electrified) and a long one via 2."""
    return two_line_router(
        {"maxaxleload_t": 18.0, "electrified": 0.0}, {"maxaxleload_t": float("nan"), "electrified": 1.0}
    )


def test_heavy_trains_avoid_lines_below_their_axle_load_and_light_ones_need_diesel_there():
    from enablement.scheduling.rail import annotate_trains, needs_diesel, train_route

    router = _two_lines()
    heavy = form_trains("U", "q", "d", [Load("leopard2a6", 62.3, 10.97, 3.0, 0.0)] * 5, data=DATA)[0]
    light = form_trains("L", "q", "d", [Load("boxer", 20.0, 7.9, 3.0, 0.0)] * 5, data=DATA)[0]
    r_heavy = train_route(heavy, router, 0, 3, DATA)  # (30 + 62.3) / 6 = 15.4 t per axle: fits 18 t
    assert r_heavy.nodes == (0, 1, 3)
    tanks = form_trains("T", "q", "d", [Load("m1a2", 80.0, 9.8, 3.0, 0.0)] * 5, data=DATA)[0]
    r_tanks = train_route(tanks, router, 0, 3, DATA)  # (30 + 80) / 6 = 18.3 t: takes the long line
    assert r_tanks.nodes == (0, 2, 3)
    scheduled = schedule_rail(
        [light, tanks],
        quays(tracks=2),
        {light.id: (3600.0, 1.0), tanks.id: (3600.0, 1.0)},
        100,
        {"multi_system": 5, "diesel": 1},
        needs_diesel={light.id},
        data=DATA,
    )
    routes = {light.id: train_route(light, router, 0, 3, DATA), tanks.id: r_tanks}
    done = {t.id: t for t in annotate_trains(scheduled.trains, routes, router, {3: "border-x"})}
    assert needs_diesel(routes, router.network) == {light.id}  # its short line has no wires
    assert done[tanks.id].border == "border-x" and done[tanks.id].border_s > done[tanks.id].depart_s


def test_no_line_within_the_limits_is_a_diagnosis_naming_the_train():
    from enablement.scheduling.rail import train_route

    router = _two_lines()
    edges = router.network.edges
    edges.loc[edges["maxaxleload_t"].isna(), "maxaxleload_t"] = 16.0
    router = type(router)(router.network, "rail")
    tanks = form_trains("U", "q", "d", [Load("m1a2", 80.0, 9.8, 3.0, 0.0)] * 3, data=DATA)[0]
    with pytest.raises(InfeasibleError, match=r"train U/1 \(18.3 t per axle.*no rail route"):
        train_route(tanks, router, 0, 3, DATA)


def test_wagon_types_and_locomotive_traction_are_separate_pools():
    from enablement.scheduling.formation import assign_wagon_types

    loads = [Load("leopard2a6", 62.3, 10.97, 3.0, 0.0)] * 4 + [Load("boxer", 36.5, 7.9, 3.0, 0.0)] * 6
    typed = assign_wagon_types(loads, {"heavy_flat_6axle": 10, "heavy_flat_4axle": 10}, DATA)
    assert [ld.vehicle for ld in typed["heavy_flat_6axle"]] == ["leopard2a6"] * 4
    assert [ld.vehicle for ld in typed["heavy_flat_4axle"]] == ["boxer"] * 6
    with pytest.raises(InfeasibleError, match="too heavy for every"):
        assign_wagon_types(loads, {"heavy_flat_4axle": 10}, DATA)
    light = form_trains("L", "q", "d", typed["heavy_flat_4axle"], wagon_type="heavy_flat_4axle", data=DATA)
    heavy = form_trains("H", "q", "d", typed["heavy_flat_6axle"], data=DATA)
    assert {w.type for t in light for w in t.wagons} == {"heavy_flat_4axle"}
    trains = [*light, *heavy, *form_trains("H2", "q", "d", typed["heavy_flat_6axle"], data=DATA)]
    # four 6-axle wagons: the two tank trains share them in turn; the 4-axle train does not wait
    res = schedule_rail(
        trains, quays(tracks=3), TRAVEL, {"heavy_flat_6axle": 4, "heavy_flat_4axle": 6}, 5, data=DATA
    )
    by = {t.id: t for t in res.trains}
    first, second = sorted((by["H/1"], by["H2/1"]), key=lambda t: t.load_start_s)
    assert second.load_start_s >= first.back_s
    tanks_only = schedule_rail(trains[1:], quays(tracks=3), TRAVEL, {"heavy_flat_6axle": 4}, 5, data=DATA)
    assert res.closure_s == tanks_only.closure_s  # the light train never waits for heavy wagons
    # a train on a line without wires takes the one diesel; with none there is a diagnosis
    res = schedule_rail(
        heavy, quays(), TRAVEL, 100, {"multi_system": 5, "diesel": 1}, needs_diesel={"H/1"}, data=DATA
    )
    assert res.trains[0].locomotive == "diesel"
    with pytest.raises(InfeasibleError, match="needs a diesel locomotive"):
        schedule_rail(heavy, quays(), TRAVEL, 100, 5, needs_diesel={"H/1"}, data=DATA)
    # electric locomotives exhausted: a train under the wires may take a diesel instead
    two = [train("A"), train("B")]
    res = schedule_rail(two, quays(tracks=2), TRAVEL, 100, {"multi_system": 1, "diesel": 1}, data=DATA)
    assert sorted(t.locomotive for t in res.trains) == ["diesel", "multi_system"]


def test_trains_from_two_quays_enter_their_shared_line_a_path_apart():
    import geopandas as gpd
    import numpy as np
    import shapely

    from enablement.network.model import CRS, Network
    from enablement.routing import Router
    from enablement.scheduling.rail import line_sections

    # quay q (node 0) is 20 km from junction 2, quay p (node 1) 40 km; both then run 40 km to railhead 3
    xy = np.array([[0.0, 0.0], [-20_000.0, 0.0], [20_000.0, 0.0], [60_000.0, 0.0]]) + 600_000
    nodes = gpd.GeoDataFrame(
        {"mode": "rail", "x": xy[:, 0], "y": xy[:, 1], "source_id": list("qpjd")},
        geometry=shapely.points(xy),
        crs=CRS,
    )
    nodes.index.name = "node"
    rows = [
        {"u": u, "v": v, "geometry": shapely.LineString([xy[u], xy[v]])}
        for a, b in ((0, 2), (1, 0), (2, 3))
        for u, v in ((a, b), (b, a))
    ]
    edges = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)
    edges["mode"] = "rail"
    edges["length_m"] = edges.geometry.length
    edges["speed_kmh"] = 80.0
    edges["time_s"] = edges["length_m"] / (80 / 3.6)
    router = Router(Network(nodes, edges), "rail")
    a, b = train("A", quay="q"), train("B", quay="p")
    routes = {"A": router.route(0, 3), "B": router.route(1, 3)}
    sections = line_sections(routes, router)
    shared = [offs for offs in sections.values() if set(offs) == {"A", "B"}]
    assert len(shared) == 1
    # 20 km at 80 km/h = 15 min more for B to reach the shared line from the first edge it shares with A
    off = shared[0]
    assert off["B"] - off["A"] == pytest.approx(900.0, abs=1)
    travel = {"A": (routes["A"].time_s, 1.0), "B": (routes["B"].time_s, 1.0)}
    two_tracks = dataclasses.replace(DATA, railhead_tracks=2)  # so that only the paths keep them apart
    res = schedule_rail([a, b], quays(), travel, 100, 5, sections=sections, data=two_tracks)
    t = {x.id: x for x in res.trains}
    entry_a = t["A"].depart_s + off["A"]
    entry_b = t["B"].depart_s + off["B"]
    assert abs(entry_a - entry_b) >= 30 * 60 - 60  # two paths per hour (whole minutes in the model)
    free = schedule_rail([a, b], quays(), travel, 100, 5, data=two_tracks)  # per-railhead line only
    f = {x.id: x for x in free.trains}
    assert abs(f["A"].depart_s - f["B"].depart_s) >= 30 * 60  # then the departures are spaced instead


def test_ramp_type_sets_the_loading_rate_unless_the_quay_states_one():
    assert QuaySpec.from_site(Site.from_attrs("q", {"ramp_type": "end"}), None, DATA).rate_wagons_per_h == 6
    assert (
        QuaySpec.from_site(
            Site.from_attrs("q", {"ramp_type": "side", "ramp_tracks": 2}), None, DATA
        ).rate_wagons_per_h
        == 10
    )
    stated = {"ramp_type": "end", "loading_rate_wagons_per_h": 9}
    assert QuaySpec.from_site(Site.from_attrs("q", stated), None, DATA).rate_wagons_per_h == 9
    assert (
        QuaySpec.from_site(Site.from_attrs("q", {}), None, DATA).rate_wagons_per_h
        == DATA.loading_rate_wagons_per_h
    )


def test_with_the_closure_held_the_unit_due_first_gets_the_first_train():
    # two units' trains on one ramp track: either order closes at 240 min (loading 60 min each, 60 min
    # to run, 60 min to unload on one railhead track); unit V is due at 200 min, unit U at 300 min
    def unit_train(tid, unit):
        return dataclasses.replace(train(tid), unit=unit)

    trains = [unit_train("U/1", "U"), unit_train("V/1", "V")]
    rdd = {"U": 300 * 60.0, "V": 200 * 60.0}
    out = schedule_rail(trains, quays(), TRAVEL, 50, 2, data=DATA, time_limit_s=5, rdd_s=rdd)
    done = {t.id: t.unloaded_s for t in out.trains}
    assert out.closure_s == 240 * 60
    assert done["V/1"] <= rdd["V"] and done["U/1"] <= rdd["U"]
    # due the other way round, the order follows
    out = schedule_rail(trains, quays(), TRAVEL, 50, 2, data=DATA, time_limit_s=5, rdd_s={"U": 200 * 60.0})
    assert {t.id: t.unloaded_s for t in out.trains}["U/1"] <= 200 * 60
