"""HETs carry tracked vehicles to a rail quay beyond the tracked road distance; trains load them there."""

from __future__ import annotations

from pathlib import Path

import pytest

from enablement.defaults import figure
from enablement.network.model import Network
from enablement.outputs.tables import march_table
from enablement.plan import Plan, build_network, make_plan
from enablement.routing import Router
from enablement.scenario import load_scenario
from enablement.scenario.schema import Policy
from enablement.scheduling.checks import check_march_table, read_march_table
from enablement.scheduling.heavy import rides_het, road_length_m
from enablement.scheduling.inputs import PlanningInputs
from enablement.scheduling.march import march_rules
from enablement.scheduling.shuttles import het_convoys
from enablement.vehicles import Profile, load_catalogue
from tests.small_world import write_world

HET = "m1070_m1000_het"
TANK = "leopard2a6"

# TRK (6 tanks and 2 JLTVs) loads at quay-q: straight from the port it is ~2.2 km, through the
# staging area ~10.7 km; the tracked road distance is 5 km
RAIL_VIA_STAGING = (
    "- {unit: TRK, mode: rail, quay: quay-q, to: border-r, rdd: '2026-03-04T06:00:00+01:00', "
    "via: {site: staging-m, dwell_h: 1}}"
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = write_world(tmp_path_factory.mktemp("het-quay"))
    text = path.read_text()
    text = text.replace(
        "- {unit: TRK, mode: rail, quay: quay-q, to: border-r, rdd: '2026-03-04T06:00:00+01:00'}",
        RAIL_VIA_STAGING,
    )
    text = text.replace("  headway_min: 2\n", "  headway_min: 2\n  tracked_road_max_km: 5\n")
    text = text.replace(
        "  - {unit: TRK, vehicle: leopard2a6, count: 6}\n",
        "  - {unit: TRK, vehicle: leopard2a6, count: 6}\n  - {unit: TRK, vehicle: jltv, count: 2}\n",
    )
    assert RAIL_VIA_STAGING in text and "tracked_road_max_km: 5" in text and "vehicle: jltv, count: 2" in text
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def network(world: Path) -> Network:
    return build_network(load_scenario(world), world.parent)


def _plan(world: Path, network: Network, *, hets: int, limit_km: float = 5.0) -> Plan:
    sc = load_scenario(world)
    res = sc.resources.model_copy(update={"hets": hets, "het_park": "port-w" if hets else None})
    pol = sc.policy.model_copy(update={"tracked_road_max_km": limit_km})
    sc = sc.model_copy(update={"resources": res, "policy": pol})
    return make_plan(sc, network=network)


def _checked(plan: Plan, tmp_path: Path) -> list:
    path = tmp_path / "march_table.csv"
    march_table(plan).to_csv(path, index=False)
    return check_march_table(read_march_table(path), march_rules(plan.scenario, plan.network), plan.network)


def test_the_drive_to_the_quay_is_measured_through_the_staging_area(world, network):
    inputs = PlanningInputs.of(load_scenario(world), network)
    cat = load_catalogue()
    router = Router(network, "road")
    tank = Profile.of("TRK", [cat[TANK]], 40.0)
    direct = road_length_m(["port-w", "quay-q"], tank, inputs.sites, router)
    staged = road_length_m(["port-w", "staging-m", "quay-q"], tank, inputs.sites, router)
    assert direct is not None and staged is not None
    assert 1_500 < direct < 3_000 and 9_000 < staged < 12_000
    assert road_length_m(["port-w", "border-r"], tank, inputs.sites, router) is None  # a rail-only site
    stops, unit = ["port-w", "staging-m", "quay-q"], [cat[TANK], cat["jltv"]]
    pol = Policy(tracked_road_max_km=5)
    assert rides_het("TRK", "rail", stops, unit, pol, 3, inputs.sites, router)
    assert not rides_het("TRK", "rail", stops[::2], unit, pol, 3, inputs.sites, router)  # within 5 km
    assert not rides_het("TRK", "rail", stops, unit, pol, 0, inputs.sites, router)  # no HET
    assert not rides_het("TRK", "rail", stops, unit, pol, 3, inputs.sites, None)  # nothing measures
    assert not rides_het("TRK", "rail", stops, [cat["jltv"]], pol, 3, inputs.sites, router)  # all drive
    assert rides_het("TRK", "road", stops[::2], unit, pol, 3, inputs.sites, None)  # by road: always


def test_hets_carry_tracked_vehicles_to_a_quay_beyond_the_limit_and_trains_load_them_off_the_hets(
    world, network, tmp_path
):
    plan = _plan(world, network, hets=3)
    assert plan.tracked_excess == [] and plan.kpis()["tracked_over_road_limit"] == 0
    assert not any("tracked vehicles" in w for w in plan.warnings)
    # every tank rides a HET from the port to the quay, once
    assert plan.hets is not None and len(plan.hets.trips) == 6
    assert {t.vehicle for t in plan.hets.trips} == {TANK} and {t.group for t in plan.hets.trips} == {"TRK"}
    places = plan.het_places
    assert {(places[t.pickup], places[t.delivery]) for t in plan.hets.trips} == {("port-w", "quay-q")}
    # the JLTVs march to the quay through the staging area; the HET columns go straight to the quay
    own = [m for m in plan.march_units if m.unit == "TRK" and m.purpose != "het"]
    assert [(m.purpose, m.vehicles, m.sites) for m in own] == [
        ("to_quay", ("jltv", "jltv"), ("port-w", "staging-m", "quay-q"))
    ]
    columns = [m for m in plan.march_units if m.purpose == "het"]
    assert columns and all(m.unit == "TRK" and m.sites == ("port-w", "quay-q") for m in columns)
    assert all(set(m.vehicles) == {HET} for m in columns)
    # the trains carry the unit's 8 vehicles and no HET
    trains = [t for t in plan.trains if t.unit == "TRK"]
    assert trains and all(t.quay == "quay-q" for t in trains)
    loaded = sorted(v for t in trains for v in t.vehicles)
    assert loaded == sorted([TANK] * 6 + ["jltv"] * 2)
    assert not any(HET in t.vehicles for t in plan.trains)
    # a train loads a tank only once it is off its HET (column in, then unloaded)
    unload = float(figure("het_unload_min")) * 60.0
    off_het = sorted(plan.march.closure_s[mu.id] + unload for conv, mu in _columns(plan) for _ in conv.trips)
    assert len(off_het) == 6
    aboard = 0
    for t in sorted(trains, key=lambda t: t.load_start_s):
        aboard += t.vehicles.count(TANK)
        assert sum(s <= t.load_start_s + 1e-6 for s in off_het) >= aboard, t.id
    last_tank_train = max((t for t in trains if TANK in t.vehicles), key=lambda t: t.load_start_s)
    assert last_tank_train.load_start_s >= max(off_het) - 1e-6
    trk = next(u for u in plan.units if u.unit == "TRK")
    assert trk.mode == "rail" and trk.trains == len(trains)
    assert trk.closure_s == max(t.unloaded_s for t in trains)
    # the plan's own march table passes the checker: the HET columns drive no tank on its tracks
    table = march_table(plan)
    het_rows = table[table["march_unit"].isin([m.id for m in columns])]
    assert not het_rows.empty and (het_rows["tracked"] == 0).all()
    # the unit's HET columns are numbered on after its own march unit: one movement number each
    assert sorted(m.index for m in plan.march_units if m.unit == "TRK") == list(
        range(1, 1 + len(columns) + 1)
    )
    assert table.groupby("march_unit")["movement_number"].first().nunique() == len(plan.march_units)
    assert _checked(plan, tmp_path) == []


def _columns(plan: Plan) -> list:
    """The HET columns of the plan with their march units, grouped again as the shuttle plan groups them."""
    assert plan.hets is not None
    gather = float(figure("het_convoy_gather_min")) * 60.0
    convoys = het_convoys(plan.hets, plan.scenario.policy.march_unit_max_vehicles, gather)
    by_id = {m.id: m for m in plan.march_units}
    assert {f"HET/{c.id}" for c in convoys} == {m for m in by_id if m.startswith("HET/")}
    return [(c, by_id[f"HET/{c.id}"]) for c in convoys]


def test_without_hets_a_drive_to_a_distant_quay_remains_a_violation_naming_the_unit(world, network, tmp_path):
    plan = _plan(world, network, hets=0)
    assert plan.hets is None
    over = [x for x in plan.tracked_excess if x.unit == "TRK"]
    assert sum(x.tracked for x in over) == 6 and all(x.km > 5.0 for x in over)
    assert plan.kpis()["tracked_over_road_limit_units"] == ["TRK"]
    assert any(w.startswith("unit TRK: 6 tracked vehicles") for w in plan.warnings)
    found = [v for v in _checked(plan, tmp_path) if v.kind == "tracked"]
    assert found and all("unit TRK" in v.message for v in found)


def test_with_hets_a_quay_within_the_limit_is_reached_on_tracks(world, network, tmp_path):
    plan = _plan(world, network, hets=3, limit_km=20.0)
    assert plan.hets is None and plan.het_places == []
    assert not any(m.purpose == "het" for m in plan.march_units)
    own = [m for m in plan.march_units if m.unit == "TRK"]
    assert {m.purpose for m in own} == {"to_quay"}
    assert sorted(v for m in own for v in m.vehicles) == sorted([TANK] * 6 + ["jltv"] * 2)
    assert plan.tracked_excess == []
    assert [v for v in _checked(plan, tmp_path) if v.kind == "tracked"] == []
