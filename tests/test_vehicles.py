"""The vehicle catalogue: contents, consistency with STANAG 2021 classes, and validation."""

import dataclasses
import itertools
import math
import re

import pytest
import yaml

from enablement.errors import ScenarioError, UnknownVehicleError
from enablement.vehicles import CATEGORIES, Catalogue, Vehicle, get_vehicle, load_catalogue

# STANAG 2021 class -> (tracked t, wheeled t), from PLANNING-FACTS
MLC_TABLE = {
    40: (36.3, 42.6),
    50: (45.4, 52.6),
    80: (72.6, 83.5),
    100: (90.7, 104.3),
    120: (108.9, 125.2),
}
WAGON_PAYLOAD_T = 92.0  # DB's new heavy flat wagon (PLANNING-FACTS)


def mlc_from_mass(mass_t: float, tracked: bool) -> int:
    """Smallest whole class whose hypothetical vehicle weighs at least ``mass_t``.

    The table interpolated linearly between rows and proportionally below class 40: the rule
    the catalogue states for classes marked "mlc estimated from mass".
    """
    col = 0 if tracked else 1
    points = [(0, 0.0)] + [(cls, w[col]) for cls, w in MLC_TABLE.items()]
    for (c0, w0), (c1, w1) in itertools.pairwise(points):
        if mass_t <= w1:
            return math.ceil(round(c0 + (mass_t - w0) * (c1 - c0) / (w1 - w0), 6))
    raise AssertionError(f"{mass_t} t is beyond the table")


def entry(**changes):
    """A valid wheeled catalogue entry with ``changes`` applied."""
    spec = {
        "name": "Test truck",
        "nations": ["BEL"],
        "category": "truck",
        "tracked": False,
        "mass_t": 20.0,
        "mlc": 19,
        "length_m": 8.0,
        "width_m": 2.5,
        "height_m": 3.2,
        "axle_load_t": 7.0,
        "road_speed_kmh": 90,
        "long_move": "own",
        "rail_wagons": 0.5,
        "source": "test data",
    }
    spec.update(changes)
    return {k: v for k, v in spec.items() if v is not ...}


def flow(spec):
    """``spec`` as one line of flow-style YAML."""
    return yaml.safe_dump(spec, default_flow_style=True, width=1000).strip()


def write(tmp_path, vehicles, **top):
    doc = {"version": 1, "source": "tests", **top, "vehicles": vehicles}
    path = tmp_path / "vehicles.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


# ------------------------------------------------------------------ the packaged catalogue


def test_packaged_catalogue_covers_allied_types():
    cat = load_catalogue()
    assert isinstance(cat, Catalogue)
    assert len(cat) >= 18
    required = ("leopard2a6", "m1a2_sepv3", "cv90", "m2a3_bradley", "boxer", "pzh2000", "m109a7")
    assert set(required) <= set(cat)
    assert set(CATEGORIES) == {v.category for v in cat.values()}, "every category has a vehicle"
    hets = [v for v in cat.values() if v.category == "heavy_equipment_transporter"]
    assert any((v.payload_t or 0) >= 70 for v in hets)
    assert any({"DEU", "GBR", "NLD", "FRA"} & set(v.nations) for v in hets), "a European HET"
    assert any(v.category == "fuel_tanker" for v in cat.values())
    assert any(v.category == "recovery" for v in cat.values())
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", vid) for vid in cat)
    assert [v.id for v in cat.values()] == list(cat.ids()) == list(cat)


def test_packaged_catalogue_is_cached_and_shared_by_get_vehicle():
    assert load_catalogue() is load_catalogue()
    assert get_vehicle("boxer") is load_catalogue()["boxer"]


def test_running_gear_and_sources():
    for v in load_catalogue().values():
        assert (v.axle_load_t is None) == v.tracked, v.id
        assert v.mlc_kind == ("tracked" if v.tracked else "wheeled"), v.id
        assert v.source.strip() and v.name.strip(), v.id
        assert v.nations and all(re.fullmatch(r"[A-Z]{3}", n) for n in v.nations), v.id
        assert v.long_move in {"own", "het", "rail"}, v.id
        if v.tracked:
            assert v.long_move != "own", f"{v.id}: tracked vehicles are carried on long moves"


def test_mlc_is_at_least_the_table_class_below_the_mass():
    for v in load_catalogue().values():
        col = 0 if v.tracked else 1
        below = [cls for cls, w in MLC_TABLE.items() if w[col] < v.mass_t]
        assert v.mlc > max(below, default=0), v.id
    # a 62 t tracked vehicle is above class 50, and the heaviest tanks above the MLC 70 of many
    # European bridges
    assert get_vehicle("leopard2a6").mlc > 50
    assert get_vehicle("m1a2_sepv3").mlc > 70


def test_estimated_classes_follow_the_stated_rule():
    estimated = [v for v in load_catalogue().values() if "mlc estimated from mass" in v.note]
    assert len(estimated) >= 15
    for v in estimated:
        assert v.mlc == mlc_from_mass(v.mass_t, v.tracked), v.id


def test_mlc_rule_reproduces_the_table():
    for cls, (tracked_t, wheeled_t) in MLC_TABLE.items():
        assert mlc_from_mass(tracked_t, tracked=True) == cls
        assert mlc_from_mass(wheeled_t, tracked=False) == cls
        if cls < max(MLC_TABLE):
            assert mlc_from_mass(tracked_t + 0.05, tracked=True) == cls + 1


def test_rail_wagons_respect_the_wagon_payload():
    for v in load_catalogue().values():
        if v.rail_wagons < 1:
            per_wagon = 1 / v.rail_wagons
            assert per_wagon == round(per_wagon), v.id
            assert v.mass_t * per_wagon <= WAGON_PAYLOAD_T, v.id
        else:
            assert v.mass_t <= WAGON_PAYLOAD_T * v.rail_wagons, v.id


def test_heavy_equipment_transporters():
    cat = load_catalogue()
    for v in cat.values():
        if v.category == "heavy_equipment_transporter":
            assert v.payload_t is not None and v.laden_speed_kmh is not None, v.id
            assert v.laden_speed_kmh <= v.road_speed_kmh, v.id
            assert not v.tracked and v.long_move == "own", v.id
        else:
            assert v.payload_t is None and v.laden_speed_kmh is None, v.id
    heaviest_tracked = max(v.mass_t for v in cat.values() if v.tracked)
    assert max(v.payload_t or 0 for v in cat.values()) >= heaviest_tracked


def test_to_frame():
    cat = load_catalogue()
    frame = cat.to_frame()
    assert list(frame.index) == list(cat.ids())
    assert frame.index.name == "id"
    assert frame.loc["leopard2a6", "mass_t"] == get_vehicle("leopard2a6").mass_t
    assert frame.loc["boxer", "mlc_kind"] == "wheeled"
    assert frame.loc["leopard2a6", "nations"].startswith("DEU, ")
    assert {"payload_t", "laden_speed_kmh", "source", "note"} <= set(frame.columns)


# ----------------------------------------------------------------------- the Catalogue API


def test_unknown_vehicle_lists_known_types():
    with pytest.raises(UnknownVehicleError) as err:
        get_vehicle("tiger2")
    known = ", ".join(sorted(load_catalogue()))
    assert err.value.problems == [f"unknown vehicle type 'tiger2'; known types: {known}"]
    assert isinstance(err.value, ScenarioError) and isinstance(err.value, KeyError)
    assert "unknown vehicle type 'tiger2'; known types: " in str(err.value)
    with pytest.raises(UnknownVehicleError):
        load_catalogue()["tiger2"]


def test_get_and_contains_do_not_raise():
    cat = load_catalogue()
    assert cat.get("tiger2") is None
    assert cat.get("boxer") is cat["boxer"]
    assert "tiger2" not in cat and "boxer" in cat


def test_vehicle_is_frozen():
    v = get_vehicle("leopard2a6")
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.mass_t = 1.0  # type: ignore[misc]
    assert v.mass_t == 62.3
    assert not hasattr(v, "__dict__")  # slots


# --------------------------------------------------------------------------- bad files


def test_bad_catalogue_reports_every_problem(tmp_path):
    path = write(
        tmp_path,
        {
            "a": entry(mass_t=-1),
            "b": entry(category="tank", tracked=True, long_move="walk", mlc=60),
            "c": entry(tracked=True),  # a tracked vehicle with an axle load
            "d": entry(axle_load_t=None),  # a wheeled vehicle without one
            "e": entry(payload_t=70),  # payload on a truck
            "f": entry(nations=["BE"], colour="green"),
            "G-1": entry(),
            "h": entry(category="heavy_equipment_transporter", payload_t=70, laden_speed_kmh=100),
            "i": entry(width_m=0, source=..., rail_wagons=0),
        },
    )
    with pytest.raises(ScenarioError) as err:
        load_catalogue(path)
    problems = err.value.problems
    expected_prefixes = [
        "vehicles.yaml: vehicles.a.mass_t: Input should be greater than 0",
        "vehicles.yaml: vehicles.b.category: Input should be 'main_battle_tank', ",
        "vehicles.yaml: vehicles.b.long_move: Input should be 'own', 'het' or 'rail'",
        "vehicles.yaml: vehicles.b.axle_load_t: must be null for a tracked vehicle",
        "vehicles.yaml: vehicles.c.axle_load_t: must be null for a tracked vehicle",
        "vehicles.yaml: vehicles.d.axle_load_t: is required for a wheeled vehicle",
        "vehicles.yaml: vehicles.e.payload_t: is only for category heavy_equipment_transporter",
        "vehicles.yaml: vehicles.f.nations[0]: 'BE' is not an ISO 3166-1 alpha-3 country code",
        "vehicles.yaml: vehicles.f.colour: unknown field",
        "vehicles.yaml: vehicles.G-1: a vehicle id is lowercase letters",
        "vehicles.yaml: vehicles.h.laden_speed_kmh: 100 km/h is above the road speed of 90 km/h",
        "vehicles.yaml: vehicles.i.width_m: Input should be greater than 0",
        "vehicles.yaml: vehicles.i.rail_wagons: Input should be greater than 0",
        "vehicles.yaml: vehicles.i.source: Field required",
    ]
    for prefix in expected_prefixes:
        assert sum(p.startswith(prefix) for p in problems) == 1, (prefix, problems)
    assert len(problems) == len(expected_prefixes), problems
    assert f"{len(problems)} problems" in str(err.value)


def test_top_level_problems_are_reported_together(tmp_path):
    path = tmp_path / "cat.yaml"
    path.write_text("version: 2\nsource: ''\nowner: nobody\nvehicles:\n  a: {name: A}\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_catalogue(path)
    problems = err.value.problems
    assert "cat.yaml: version: expected 1, got 2" in problems
    assert any(p.startswith("cat.yaml: source: expected a non-empty text") for p in problems)
    assert any(p.startswith("cat.yaml: owner: unknown key") for p in problems)
    assert "cat.yaml: vehicles.a.mass_t: Field required" in problems


def test_duplicate_vehicle_ids_are_reported(tmp_path):
    spec = flow(entry())
    path = tmp_path / "vehicles.yaml"
    path.write_text(
        f"version: 1\nsource: t\nvehicles:\n  x: {spec}\n  y: {spec}\n  x: {spec}\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as err:
        load_catalogue(path)
    assert err.value.problems == [
        "vehicles.yaml: line 6: key 'x' appears twice in one mapping; "
        "the second would silently replace the first"
    ]


def test_merge_keys_may_be_overridden(tmp_path):
    path = tmp_path / "vehicles.yaml"
    path.write_text(
        f"version: 1\nsource: t\nvehicles:\n  a: &base {flow(entry())}\n"
        "  b:\n    <<: *base\n    name: Heavier truck\n    mass_t: 30.0\n    mlc: 29\n",
        encoding="utf-8",
    )
    cat = load_catalogue(path)
    assert cat.ids() == ("a", "b")
    assert cat["b"].mass_t == 30.0 and cat["b"].name == "Heavier truck"
    assert cat["b"].length_m == cat["a"].length_m


def test_valid_file_round_trips(tmp_path):
    het = entry(
        category="heavy_equipment_transporter",
        mass_t=40.0,
        mlc=38,
        length_m=24.0,
        rail_wagons=2.0,
        payload_t=70.0,
        laden_speed_kmh=45.0,
        note="all made up",
    )
    tank = entry(
        category="main_battle_tank",
        tracked=True,
        axle_load_t=None,
        mass_t=60.0,
        mlc=67,
        long_move="rail",
        rail_wagons=1.0,
        nations=["DEU", "NLD"],
    )
    cat = load_catalogue(write(tmp_path, {"het": het, "tank": tank}))
    assert cat["het"] == Vehicle(id="het", **{**het, "nations": ("BEL",)})
    assert cat["tank"].nations == ("DEU", "NLD") and cat["tank"].mlc_kind == "tracked"
    assert cat["tank"].axle_load_t is None and cat["tank"].note == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("vehicles: [unclosed\n", "vehicles.yaml: not valid YAML"),
        ("- a\n- b\n", "vehicles.yaml: (top level): expected a mapping"),
        ("version: 1\nsource: t\nvehicles: {}\n", "vehicles.yaml: vehicles: expected a non-empty"),
    ],
)
def test_malformed_files(tmp_path, text, expected):
    path = tmp_path / "vehicles.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_catalogue(path)
    assert err.value.problems[0].startswith(expected)


def test_missing_file_names_the_path(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(ScenarioError) as err:
        load_catalogue(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize(
    "bad",
    [
        {"speed_kmh": 0.0},
        {"speed_kmh": -50.0},
        {"speed_kmh": float("nan")},
        {"mass_t": float("inf")},
        {"height_m": -1.0},
    ],
)
def test_a_profile_refuses_speeds_and_sizes_no_search_could_use(bad):
    from enablement.vehicles import Profile

    with pytest.raises(ValueError, match="profile 'x'"):
        Profile("x", **bad)
