"""Scenario validation: each problem gives the right message, all problems at once."""

import copy

import pytest
import yaml

from enablement.errors import ScenarioError
from enablement.scenario import load_scenario, packaged_scenarios, validate_scenario

GOOD = {
    "name": "test",
    "start": "2026-03-02T06:00:00+01:00",
    "arrivals": [
        {
            "id": "ship-1",
            "kind": "ship",
            "site": "port-antwerp",
            "time": "2026-03-02T08:00:00+01:00",
            "equipment": [{"unit": "A", "vehicle": "boxer", "count": 10}],
        }
    ],
    "movements": [{"unit": "A", "to": "border-e40-lichtenbusch", "rdd": "2026-03-05T00:00:00+01:00"}],
}


def _problems(data) -> list[str]:
    with pytest.raises(ScenarioError) as err:
        validate_scenario(data, "s.yaml")
    return err.value.problems


def test_minimal_scenario_is_valid_and_takes_defaults():
    sc = validate_scenario(copy.deepcopy(GOOD), "s.yaml")
    assert sc.policy.march_unit_max_vehicles == 20
    assert sc.policy.vehicle_gap_m == 100
    assert sc.policy.halts.first_after_min == 60 and sc.policy.halts.first_duration_min == 15
    assert sc.policy.halts.every_min == 120 and sc.policy.halts.duration_min == 10
    assert sc.network.source == "embedded" and sc.overlays == ["belgium"]
    assert sc.policy.territory == "BE" and sc.policy.foreign_roads == []
    assert sc.timezone == "Europe/Brussels" and sc.zone.key == "Europe/Brussels"


def test_a_scenario_names_its_time_zone():
    sc = validate_scenario({**copy.deepcopy(GOOD), "timezone": "Europe/Lisbon"}, "s.yaml")
    assert sc.zone.key == "Europe/Lisbon"
    assert sc.model_dump(mode="json")["timezone"] == "Europe/Lisbon"  # batch variants dump and reload


def test_an_unknown_time_zone_is_one_problem_naming_the_field_and_the_fix():
    problems = _problems({**copy.deepcopy(GOOD), "timezone": "Europe/Brusels"})
    assert problems == [
        "s.yaml: timezone: 'Europe/Brusels' is not an IANA time zone (did you mean Europe/Brussels?); "
        "give an IANA time zone name such as Europe/Brussels (the default)"
    ]


@pytest.mark.parametrize(
    "name",
    [
        "brigade-antwerp-aachen",
        "division-four-corridors",
        "bridge-closure",
        "brigade-het-shuttles",
        "corps-six-corridors",
    ],
)
def test_packaged_scenarios_are_valid(name):
    assert name in packaged_scenarios()
    sc = load_scenario(f"enablement:{name}")
    assert sc.name


def test_default_scenario_is_an_armoured_brigade():
    from enablement.vehicles import load_catalogue

    sc = load_scenario("enablement:brigade-antwerp-aachen")
    cat = load_catalogue()
    items = [(a, e) for a in sc.arrivals for e in a.equipment]
    total = sum(e.count for _, e in items)
    mbt = sum(e.count for _, e in items if cat[e.vehicle].category == "main_battle_tank")
    assert 1300 <= total <= 1700
    assert 80 <= mbt <= 100
    ships = [a for a in sc.arrivals if a.kind == "ship"]
    assert sorted(a.site for a in ships) == ["port-antwerp", "port-antwerp", "port-zeebrugge"]
    modes = {m.mode for m in sc.movements}
    assert {"road", "rail"} <= modes


def test_division_scenario_size():
    sc = load_scenario("enablement:division-four-corridors")
    total = sum(e.count for a in sc.arrivals for e in a.equipment)
    assert 5500 <= total <= 6500
    assert len({m.to for m in sc.movements}) >= 4


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.pop("name"), "s.yaml: name: Field required"),
        (lambda d: d.update(start="2026-03-02T06:00:00"), "s.yaml: start: needs a time zone"),
        (
            lambda d: d["arrivals"][0].update(site="port-atlantis"),
            "s.yaml: arrivals[0].site: unknown site 'port-atlantis'; known sites:",
        ),
        (
            lambda d: d["arrivals"][0]["equipment"][0].update(vehicle="tiger2"),
            "s.yaml: arrivals[0].equipment[0].vehicle: unknown vehicle type 'tiger2'; known types:",
        ),
        (
            lambda d: d["arrivals"][0]["equipment"][0].update(count=0),
            "s.yaml: arrivals[0].equipment[0].count: Input should be greater than 0",
        ),
        (
            lambda d: d["movements"][0].update(to="staging-nowhere"),
            "s.yaml: movements[0].to: unknown site 'staging-nowhere'",
        ),
        (
            lambda d: d["movements"][0].update(to="port-ostend"),
            "s.yaml: movements[0].to: site 'port-ostend' is a seaport; "
            "expected a border_crossing or staging_area or rail_quay",
        ),
        (
            lambda d: d["movements"][0].update(
                mode="rail", quay="quay-antwerpen-noord", to="border-rail-montzen"
            ),
            "s.yaml: resources.wagons: movements[0] moves by rail: give wagons and locomotives",
        ),
        (
            lambda d: d["movements"][0].update(mode="rail", to="border-e40-lichtenbusch"),
            "s.yaml: movements[0].to: site 'border-e40-lichtenbusch' is not on the rail network",
        ),
        (
            lambda d: d["movements"][0].update(
                mode="rail",
                quay="quay-antwerpen-noord",
                to="border-rail-montzen",
                railhead="border-rail-essen",
            ),
            "s.yaml: movements[0].railhead: 'border-rail-essen' is a border point, where nothing unloads; "
            "name a rail_quay site beyond the border, or leave railhead out",
        ),
        (
            lambda d: d["movements"][0].update(railhead="quay-leopoldsburg"),
            "s.yaml: movements[0].railhead: a road movement has no trains",
        ),
        (
            lambda d: d["movements"][0].update(mode="ship"),
            "s.yaml: movements[0].mode: Input should be 'road', 'rail' or 'auto'",
        ),
        (
            lambda d: d["movements"][0].update(rdd="2026-03-01T00:00:00+01:00"),
            "s.yaml: movements[0].rdd: the required delivery date is not after the scenario start",
        ),
        (
            lambda d: d["movements"][0].update(unit="B"),
            "s.yaml: movements[0].unit: unit 'B' has no equipment in any arrival",
        ),
        (
            lambda d: d["movements"][0].update(unit="B"),
            "s.yaml: movements: unit 'A' arrives but has no movement",
        ),
        (
            lambda d: d.update(policy={"march_unit_max_vehicles": 0}),
            "s.yaml: policy.march_unit_max_vehicles: Input should be greater than or equal to 1",
        ),
        (
            lambda d: d.update(policy={"movement_window": {"start": "25:00", "end": "05:00"}}),
            "s.yaml: policy.movement_window.start: must be a time of day",
        ),
        (
            lambda d: d.update(policy={"territory": "XX"}),
            "s.yaml: policy.territory: 'XX' is not a country whose boundaries ship with enablement",
        ),
        (
            lambda d: d.update(policy={"foreign_roads": ["NL", "BE"]}),
            "s.yaml: policy: foreign_roads names the territory itself (BE)",
        ),
        (lambda d: d.update(polcy={}), "s.yaml: polcy: unknown field"),
        (
            lambda d: d.update(timezone="../../etc/passwd"),
            "s.yaml: timezone: '../../etc/passwd' is not an IANA time zone name; give an IANA time zone",
        ),
        (lambda d: d.update(timezone=1), "s.yaml: timezone: Input should be a valid string"),
        (
            lambda d: d.update(
                disruptions=[
                    {
                        "id": "x",
                        "kind": "close_bridge",
                        "target": "bridge-nope",
                        "start": "2026-03-02T10:00:00+01:00",
                    }
                ]
            ),
            "s.yaml: disruptions[0].target: unknown bridge 'bridge-nope'",
        ),
        (
            lambda d: d.update(
                disruptions=[{"id": "x", "kind": "close_road", "start": "2026-03-02T10:00:00+01:00"}]
            ),
            "s.yaml: disruptions[0]: close_road needs 'at: [lon, lat]'",
        ),
        (lambda d: d.update(network={"source": "nowhere.gpkg"}), "s.yaml: network.source: 'nowhere.gpkg'"),
    ],
)
def test_each_problem_has_its_message(mutate, expected):
    data = copy.deepcopy(GOOD)
    mutate(data)
    problems = _problems(data)
    assert any(p.startswith(expected) for p in problems), problems


def test_all_problems_reported_at_once():
    data = copy.deepcopy(GOOD)
    data["arrivals"][0]["site"] = "port-atlantis"
    data["arrivals"][0]["equipment"][0]["vehicle"] = "tiger2"
    data["movements"][0]["to"] = "nowhere"
    problems = _problems(data)
    assert len(problems) == 3
    text = str(ScenarioError(problems))
    assert text.startswith("3 problems in the scenario")


def test_schema_problems_collected_across_sections():
    data = copy.deepcopy(GOOD)
    data["start"] = "yesterday"
    data["movements"][0]["rdd"] = "soon"
    data["policy"] = {"vehicle_gap_m": -1}
    assert len(_problems(data)) == 3


def test_yaml_syntax_error_names_line(tmp_path):
    p = tmp_path / "broken.yaml"
    p.write_text("name: x\narrivals: [\n  - id: 1\n")
    with pytest.raises(ScenarioError, match=r"broken.yaml: line \d+, column \d+: YAML syntax error"):
        load_scenario(p)


def test_missing_file_and_unknown_packaged_name(tmp_path):
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario(tmp_path / "nope.yaml")
    with pytest.raises(ScenarioError, match="no packaged scenario 'nope'; packaged scenarios: "):
        load_scenario("enablement:nope")


def test_non_mapping_document(tmp_path):
    p = tmp_path / "list.yaml"
    p.write_text(yaml.safe_dump([1, 2]))
    with pytest.raises(ScenarioError, match="must hold a mapping"):
        load_scenario(p)


def test_a_rail_movement_takes_wagon_pools_and_diesel_locomotives_alone():
    data = copy.deepcopy(GOOD)
    data["movements"][0].update(mode="rail", quay="quay-antwerpen-noord", to="border-rail-montzen")
    data["resources"] = {"wagon_pools": {"heavy_flat_6axle": 40}, "diesel_locomotives": 2}
    sc = validate_scenario(data, "s.yaml")
    assert sc.resources.any_wagons and sc.resources.any_locomotives
    # neither wagons nor locomotives of any kind: refused, naming both ways to give them
    data["resources"] = {"wagon_pools": {"heavy_flat_6axle": 40}}
    (problem,) = _problems(data)
    assert "give wagons and locomotives" in problem and "resources.diesel_locomotives" in problem


def test_an_unquoted_clock_time_is_refused_with_the_fix(tmp_path):
    # YAML reads an unquoted 21:00 as the number 1260 (base 60): the message says to quote it
    window = "policy:\n  movement_window: {start: 21:00, end: '05:00'}\n"
    text = yaml.safe_dump(GOOD, sort_keys=False) + window
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    (problem,) = err.value.problems
    assert "policy.movement_window.start" in problem
    assert "did you mean '21:00'?" in problem and "write the time in quotes" in problem
