"""A national overlay on a network that covers part of the country: only the sites a scenario uses must fit.

The small world's overlay gets sites and a bridge about 80 km away, beyond its network:
unused, they are left out with a warning; named by the scenario, a site that does not
fit stays an error naming it. A bridge inside the network that matches no road stays an
error too (a restriction silently dropped would route a tank over it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from enablement.errors import NetworkError
from enablement.plan import build_network, make_plan
from enablement.scenario import load_scenario
from tests.helpers import site_feature
from tests.small_world import DLAT, LAT0, LON0, write_world

FAR_LON, FAR_LAT = 5.5, 50.5  # ~90 km east-south-east of the world


def _bridge(bid: str, lon: float, lat: float) -> dict[str, object]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "id": bid,
            "name": f"Bridge {bid}",
            "mlc_wheeled_oneway": 60,
            "mlc_wheeled_twoway": 50,
            "mlc_tracked_oneway": 60,
            "mlc_tracked_twoway": 50,
            "source": "test",
            "illustrative": True,
        },
    }


def _world(folder: Path, bridges: list[dict[str, object]]) -> Path:
    path = write_world(folder)
    sites_file = path.parent / "overlay" / "sites.geojson"
    sites = json.loads(sites_file.read_text())
    sites["features"] += [
        site_feature("staging-far", "staging_area", "road", FAR_LON, FAR_LAT, capacity_vehicles=100),
        site_feature("quay-far", "rail_quay", "road+rail", FAR_LON + 0.1, FAR_LAT, ramp_tracks=1),
    ]
    sites_file.write_text(json.dumps(sites))
    (path.parent / "overlay" / "bridges.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": bridges})
    )
    return path


@pytest.fixture(scope="module")
def far_world(tmp_path_factory):
    return _world(tmp_path_factory.mktemp("far"), [_bridge("bridge-far", FAR_LON, FAR_LAT + 0.05)])


def test_unused_sites_and_features_beyond_the_network_are_left_out_with_a_warning(far_world):
    plan = make_plan(far_world)
    sites = set(plan.network.sites.index)
    assert {"port-w", "staging-m", "border-x", "quay-q", "border-r"} <= sites
    assert "staging-far" not in sites and "quay-far" not in sites
    left = [w for w in plan.warnings if "left out" in w]
    assert len(left) == 3
    assert any("'staging-far'" in w and "the scenario does not use it" in w and "km" in w for w in left)
    assert any("'quay-far'" in w for w in left)
    assert any("'bridge-far'" in w and "outside the network" in w for w in left)
    # no transfer edge is left at the quay that is not on the network
    transfers = plan.network.edges[plan.network.edges["mode"] == "transfer"]
    assert set(transfers["site_id"]) == {"quay-q"}
    assert {u.unit for u in plan.units} == {"WHL", "LGT", "TRK"}


def test_a_used_site_that_does_not_fit_stays_an_error_naming_it_and_the_fix(far_world):
    text = far_world.read_text().replace("via: {site: staging-m", "via: {site: staging-far")
    edited = far_world.parent / "uses-far.yaml"
    edited.write_text(text)
    with pytest.raises(NetworkError) as err:
        build_network(load_scenario(edited), edited.parent)
    msg = str(err.value)
    assert "sites 'staging-far' is unmatched" in msg and "fix: move the site" in msg
    assert "quay-far" not in msg and "bridge-far" not in msg  # unused, beyond the network: not fatal


def test_the_cli_refuses_a_used_site_off_the_network_with_exit_code_2(far_world, capsys):
    from enablement.cli import main

    text = far_world.read_text().replace(
        "to: border-x, rdd: '2026-03-03T06:00:00+01:00'}",
        "to: staging-far, rdd: '2026-03-03T06:00:00+01:00'}",
        1,
    )
    edited = far_world.parent / "to-far.yaml"
    edited.write_text(text)
    assert main(["plan", str(edited), "--out", str(far_world.parent / "out-far")]) == 2
    err = capsys.readouterr().err
    assert "staging-far" in err and "Traceback" not in err


def test_a_bridge_on_the_network_that_matches_no_road_stays_an_error(tmp_path):
    # between two rows of the grid, 1 km from any road: inside the network, on no edge
    path = _world(tmp_path, [_bridge("bridge-lost", LON0 + 0.015, LAT0 + DLAT / 2)])
    with pytest.raises(NetworkError, match=r"bridges 'bridge-lost' is (unmatched|ambiguous)"):
        build_network(load_scenario(path), path.parent)


def test_a_network_built_without_a_site_the_scenario_uses_is_refused_naming_it(far_world):
    net = build_network(load_scenario(far_world), far_world.parent)
    text = far_world.read_text().replace("via: {site: staging-m", "via: {site: staging-far")
    edited = far_world.parent / "uses-far-prebuilt.yaml"
    edited.write_text(text)
    with pytest.raises(NetworkError) as err:
        make_plan(edited, network=net)
    msg = str(err.value)
    assert "site 'staging-far'" in msg and "left out" in msg and "km" in msg


ANTWERP_SCENARIO = """\
version: 1
name: Antwerp city move
start: '2026-03-02T06:00:00+01:00'
network: {source: antwerp.gpkg}
overlays: [belgium, overlay]
arrivals:
- id: ship-1
  kind: ship
  site: port-antwerp-docks
  time: '2026-03-02T06:00:00+01:00'
  equipment:
  - {unit: WHL, vehicle: man_hx_8x8, count: 40}
movements:
- {unit: WHL, to: staging-antwerp-south, rdd: '2026-03-03T06:00:00+01:00'}
"""


def test_a_scenario_on_the_antwerp_extract_with_the_national_overlay_plans(shared_data, tmp_path):
    from enablement.network.io import save_network
    from enablement.network.osm import build_network as build_osm

    pbf = shared_data / "osm" / "antwerp-2014.osm.pbf"
    if not pbf.is_file():
        pytest.skip(f"{pbf} not found")
    save_network(build_osm(osm_file=pbf), tmp_path / "antwerp.gpkg")
    (tmp_path / "overlay").mkdir()
    sites = [
        site_feature("port-antwerp-docks", "seaport", "road", 4.40, 51.245, discharge_rate_vph=60, berths=2),
        site_feature("staging-antwerp-south", "staging_area", "road", 4.40, 51.185, capacity_vehicles=200),
    ]
    (tmp_path / "overlay" / "sites.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": sites})
    )
    path = tmp_path / "antwerp.yaml"
    path.write_text(ANTWERP_SCENARIO)
    plan = make_plan(path, solver={"road": "greedy"})
    # the national overlay's sites beyond the city are left out, named; the city's two are planned
    left = " ".join(w for w in plan.warnings if "left out" in w)
    for far in ("port-zeebrugge", "border-e40-lichtenbusch", "staging-leopoldsburg", "bridge-e40-cheratte"):
        assert f"'{far}'" in left
    assert {"port-antwerp-docks", "staging-antwerp-south"} <= set(plan.network.sites.index)
    assert sum(len(m.vehicles) for m in plan.march_units) == 40
    (unit,) = plan.units
    assert unit.unit == "WHL" and unit.closure_s > 0
    assert all(r.length_m > 5000 for r in plan.march.routes.values())  # ~6.7 km as the crow flies
