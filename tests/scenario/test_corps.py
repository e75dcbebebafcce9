"""The corps scenario: its generator, its size, its ports, corridors and days, and its trains (no plan)."""

import datetime as dt
import importlib.util
import itertools
import json
import math
from collections import defaultdict
from pathlib import Path

import pytest

from enablement.rolling_stock import rail_data
from enablement.scenario import load_scenario, packaged_scenarios
from enablement.scheduling.formation import Load, assign_wagon_types, form_trains
from enablement.vehicles import load_catalogue

ROOT = Path(__file__).resolve().parents[2]
SITES = ROOT / "geodata" / "belgium" / "sites.geojson"


def _generator():
    spec = importlib.util.spec_from_file_location("corps_scenario", ROOT / "tools" / "corps_scenario.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def corps():
    return load_scenario("enablement:corps-six-corridors")


@pytest.fixture(scope="module")
def sites():
    return {f["properties"]["id"]: f["properties"] for f in json.loads(SITES.read_text())["features"]}


def test_the_packaged_file_is_what_the_generator_writes(tmp_path):
    gen = _generator()
    written = gen.write(tmp_path / "corps.yaml")
    assert written.read_text() == (ROOT / "scenarios" / "corps-six-corridors.yaml").read_text()
    assert "corps-six-corridors" in packaged_scenarios()


def test_a_corps_of_four_divisions_through_four_ports_over_a_month(corps, sites):
    vehicles = sum(e.count for a in corps.arrivals for e in a.equipment)
    assert vehicles == 4 * 4 * 1504  # 16 brigades as the division's (1,504 vehicles each)
    assert 20_000 <= vehicles <= 30_000
    ports = {a.site for a in corps.arrivals}
    assert ports == {"port-antwerp", "port-zeebrugge", "port-ghent", "port-ostend"}
    assert all(sites[p]["kind"] == "seaport" for p in ports)
    times = sorted(a.time for a in corps.arrivals)
    assert len(times) == 32
    assert times[-1] - times[0] >= dt.timedelta(days=30)
    # about a ship a day: never two days without one
    assert max(b - a for a, b in itertools.pairwise(times)) <= dt.timedelta(days=2)


def test_six_road_crossings_on_at_least_six_corridors(corps, sites):
    road = [m for m in corps.movements if m.mode == "road"]
    crossings = {m.to for m in road}
    assert len(crossings) == 6
    assert all(sites[c]["kind"] == "border_crossing" and sites[c]["mode"] == "road" for c in crossings)
    assert {sites[c]["neighbour"] for c in crossings} == {"DE", "NL", "LU", "FR"}
    corridors = {(m.via.site, m.to) for m in road if m.via is not None}
    assert len(corridors) >= 6
    assert all(sites[s]["kind"] == "staging_area" for s, _ in corridors)


def test_no_staging_area_is_oversubscribed_by_design(corps, sites):
    """A ship's staged vehicles fit its camp, a camp serves one port, and a port's ships come days apart."""
    staging_of = {m.unit: m.via.site for m in corps.movements if m.via is not None}
    ports_of_camp = defaultdict(set)
    for a in corps.arrivals:
        staged = defaultdict(int)
        for e in a.equipment:
            if e.unit in staging_of:
                staged[staging_of[e.unit]] += e.count
                ports_of_camp[staging_of[e.unit]].add(a.site)
        for camp, n in staged.items():
            assert n <= sites[camp]["capacity_vehicles"], (a.id, camp, n)
    assert all(len(p) == 1 for p in ports_of_camp.values())
    by_port = defaultdict(list)
    for a in corps.arrivals:
        by_port[a.site].append(a.time)
    for times in by_port.values():
        times.sort()
        assert min(b - a for a, b in itertools.pairwise(times)) >= dt.timedelta(hours=72)


def test_one_rdd_per_division_days_after_its_last_ship(corps):
    rdd = {m.unit.split("-")[0]: set() for m in corps.movements}
    for m in corps.movements:
        rdd[m.unit.split("-")[0]].add(m.rdd)
    assert sorted(rdd) == ["1DIV", "2DIV", "3DIV", "4DIV"]
    assert all(len(v) == 1 for v in rdd.values())
    for div, (when,) in rdd.items():
        last = max(a.time for a in corps.arrivals if a.id.startswith(div.lower()))
        assert when - last >= dt.timedelta(hours=96)
    dates = sorted(next(iter(v)) for v in rdd.values())
    assert all(b - a >= dt.timedelta(days=7) for a, b in itertools.pairwise(dates))


def test_the_tracked_vehicles_go_by_rail_on_at_least_150_trains(corps):
    cat = load_catalogue()
    rail = {m.unit: m for m in corps.movements if m.mode == "rail"}
    tracked = {e.unit for a in corps.arrivals for e in a.equipment if cat[e.vehicle].tracked}
    assert tracked == set(rail)  # every tracked unit by rail, and only those
    data = rail_data()
    pools = corps.resources.pools()
    quays = {f["properties"]["id"]: f["properties"] for f in json.loads(SITES.read_text())["features"]}
    trains = 0
    for unit, mv in rail.items():
        loads = [
            Load(e.vehicle, cat[e.vehicle].mass_t, cat[e.vehicle].length_m, cat[e.vehicle].width_m, 0.0)
            for a in corps.arrivals
            for e in a.equipment
            if e.unit == unit
            for _ in range(e.count)
        ]
        usable = quays[mv.quay].get("usable_length_m") or math.inf
        for wt, typed in assign_wagon_types(loads, pools, data).items():
            trains += len(form_trains(unit, mv.quay, mv.to, typed, usable_length_m=usable, wagon_type=wt))
    assert trains == 176  # 11 a brigade: 3 per tracked battalion (46 wagons, 16 a train), 2 for its guns
    assert trains >= 150


def test_the_generator_cuts_the_first_divisions(tmp_path):
    gen = _generator()
    two = load_scenario(gen.write(tmp_path / "two.yaml", divisions=2))
    assert sum(e.count for a in two.arrivals for e in a.equipment) == 2 * 4 * 1504
    assert {m.unit.split("-")[0] for m in two.movements} == {"1DIV", "2DIV"}
    with pytest.raises(ValueError, match="--divisions must be 1 to 4"):
        gen.scenario(5)
