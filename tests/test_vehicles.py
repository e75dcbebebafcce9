"""The vehicle catalogue: contents, consistency with STANAG 2021 classes, and validation."""

import dataclasses

import pytest

from enablement.errors import ScenarioError, UnknownVehicleError
from enablement.vehicles import get_vehicle, load_catalogue

# STANAG 2021 class -> (tracked t, wheeled t), PLANNING-FACTS
MLC_TABLE = {40: (36.3, 42.6), 50: (45.4, 52.6), 80: (72.6, 83.5), 100: (90.7, 104.3), 120: (108.9, 125.2)}


def test_catalogue_covers_allied_types():
    cat = load_catalogue()
    assert len(cat) >= 15
    for vid in (
        "leopard2a6",
        "m1a2_sepv3",
        "cv90",
        "m2a3_bradley",
        "boxer",
        "piranha_v",
        "fennek",
        "pzh2000",
        "m109a7",
        "man_hx_8x8",
        "m1070_m1000_het",
    ):
        assert vid in cat, vid
    cats = {v.category for v in cat.values()}
    assert {"heavy_equipment_transporter", "fuel_tanker", "recovery", "main_battle_tank"} <= cats
    hets = [v for v in cat.values() if v.category == "heavy_equipment_transporter"]
    assert len(hets) >= 2 and all((v.payload_t or 0) >= 70 for v in hets)


def test_every_entry_is_consistent():
    for v in load_catalogue().values():
        assert v.source.strip(), v.id
        assert (v.axle_load_t is None) == v.tracked, v.id
        assert v.mlc_kind == ("tracked" if v.tracked else "wheeled")
        # the class is at least the table class whose weight lies below the vehicle's mass
        col = 0 if v.tracked else 1
        below = [cls for cls, w in MLC_TABLE.items() if w[col] < v.mass_t]
        assert v.mlc > max(below, default=0), v.id
    # the heaviest tanks are above MLC 70, the planning problem of many European bridges
    assert get_vehicle("m1a2_sepv3").mlc > 70


def test_frozen():
    v = get_vehicle("leopard2a6")
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.mass_t = 1.0  # type: ignore[misc]


def test_unknown_vehicle_lists_known_types():
    with pytest.raises(UnknownVehicleError) as err:
        load_catalogue()["tiger2"]
    assert "unknown vehicle type 'tiger2'; known types: " in str(err.value)
    assert "leopard2a6" in str(err.value)


def test_bad_catalogue_reports_every_problem(tmp_path):
    p = tmp_path / "vehicles.yaml"
    p.write_text(
        "vehicles:\n"
        "  a: {name: A, nations: [BEL], category: truck, tracked: false, mass_t: -1, mlc: 10, length_m: 5,"
        " width_m: 2, height_m: 2, axle_load_t: 5, road_speed_kmh: 80, long_move: own, rail_wagons: 0.5,"
        " source: test}\n"
        "  b: {name: B, nations: [BEL], category: tank, tracked: true, mass_t: 50, mlc: 60, length_m: 7,"
        " width_m: 3, height_m: 2, axle_load_t: 9, road_speed_kmh: 60, long_move: walk, rail_wagons: 1,"
        " source: test}\n"
    )
    with pytest.raises(ScenarioError) as err:
        load_catalogue(p)
    problems = err.value.problems
    assert "vehicles.yaml: vehicles.a.mass_t: Input should be greater than 0" in problems
    assert any(x.startswith("vehicles.yaml: vehicles.b.category:") for x in problems)
    assert any(x.startswith("vehicles.yaml: vehicles.b.long_move:") for x in problems)
    assert len(problems) == 3
