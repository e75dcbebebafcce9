"""OSM ingestion: a project-made extract (XML, bz2, Overpass JSON), repair, tags, save/load, and Antwerp."""

import bz2
import json
import math

import numpy as np
import pytest

from enablement.errors import NetworkError
from enablement.network.io import load_network, save_network
from enablement.network.osm import (
    BuildReport,
    build_network,
    fetch_overpass,
    location_ids,
    network_from_ways,
    read_osm_file,
    read_overpass_json,
)
from enablement.routing import Router
from enablement.vehicles import Profile

# A straight road west -> east along lat 51.2 (nodes 1..7, about 700 m apart), split into three ways:
#   way 10: 1-2-3 primary, BE:urban, maxheight 14'6"
#   way 11: 3-4-5 bridge with mlc 50 (one-way 70) and an unparseable maxspeed
#   way 12: 5-6-7 primary, node 99 (missing from the file) between 6 and 7
# A detour 1-20-6 (secondary, oneway=no) north of it, a oneway motorway 30->31,
# (maxweight 3.5 st), a residential (excluded by default), a rail line 40-41-42 with electrification tags,
# and way 50 whose nodes are all missing.
# fmt: off
LON = {1: 4.40, 2: 4.41, 3: 4.42, 4: 4.43, 5: 4.44, 6: 4.45, 7: 4.46, 20: 4.43, 30: 4.40, 31: 4.46,
       40: 4.40, 41: 4.43, 42: 4.46, 43: 4.43, 60: 4.40, 61: 4.41, 62: 4.431, 63: 4.45, 70: 4.4305,
       80: 4.41, 81: 4.42, 82: 4.42, 90: 4.44, 91: 4.445, 95: 4.421}
LAT = {1: 51.2, 2: 51.2, 3: 51.2, 4: 51.2, 5: 51.2, 6: 51.2, 7: 51.2, 20: 51.23, 30: 51.18, 31: 51.18,
       40: 51.17, 41: 51.17, 42: 51.17, 43: 51.165, 60: 51.21, 61: 51.21, 62: 51.1712, 63: 51.1712,
       70: 51.1706, 80: 51.168, 81: 51.168, 82: 51.166, 90: 51.1695, 91: 51.1695, 95: 51.2008}
# fmt: on
NODE_TAGS = {
    70: {"railway": "loading_ramp", "name": "Test ramp"},
    95: {"highway": "services", "name": "Test services"},  # beside node 3 of the primary road
}
WAYS = [
    (10, [1, 2, 3], {"highway": "primary", "maxspeed": "BE:urban", "maxheight": "14'6\""}),
    (
        11,
        [3, 4, 5],
        {
            "highway": "primary",
            "bridge": "yes",
            "mlc": "50",
            "mlc:oneway": "70",
            "maxspeed": "fast",
            "layer": "1",
        },
    ),
    (12, [5, 6, 99, 7], {"highway": "primary", "maxspeed": "50 mph", "lanes": "2"}),
    (13, [1, 20, 6], {"highway": "secondary", "oneway": "no"}),
    (14, [30, 31], {"highway": "motorway", "maxspeed": "120", "maxweight": "3.5 st"}),
    (15, [60, 61], {"highway": "residential"}),
    (
        16,
        [40, 41, 42],
        {
            "railway": "rail",
            "electrified": "contact_line",
            "voltage": "3000",
            "frequency": "0",
            "gauge": "1435",
            "usage": "main",
            "maxspeed": "120",
        },
    ),
    (50, [97, 98], {"highway": "primary"}),
    (17, [62, 63], {"highway": "tertiary"}),  # a road by the ramp
    (18, [41, 43], {"railway": "rail", "service": "spur"}),  # makes node 41 a rail graph node
    (19, [80, 81, 82, 80], {"landuse": "railway", "name": "Test yard"}),
    (21, [90, 91], {"railway": "platform"}),
]


def osm_xml(ways=WAYS) -> str:
    def node(i):
        tags = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in NODE_TAGS.get(i, {}).items())
        return f'<node id="{i}" lat="{LAT[i]}" lon="{LON[i]}" version="1">{tags}</node>\n'

    nodes = "".join(node(i) for i in sorted(LON))
    out = []
    for wid, refs, tags in ways:
        nd = "".join(f'<nd ref="{r}"/>' for r in refs)
        tg = "".join(f'<tag k="{k}" v="{v.replace(chr(34), "&quot;")}"/>' for k, v in tags.items())
        out.append(f'<way id="{wid}" version="1">{nd}{tg}</way>\n')
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n{nodes}{"".join(out)}</osm>\n'


def overpass_json() -> dict:
    elements = [
        {"type": "node", "id": i, "lat": LAT[i], "lon": LON[i], "tags": NODE_TAGS.get(i, {})}
        for i in sorted(LON)
    ]
    elements += [{"type": "way", "id": wid, "nodes": refs, "tags": tags} for wid, refs, tags in WAYS]
    return {"version": 0.6, "elements": elements}


@pytest.fixture(scope="module")
def osm_file(tmp_path_factory):
    p = tmp_path_factory.mktemp("osm") / "fixture.osm"
    p.write_text(osm_xml())
    return p


@pytest.fixture(scope="module")
def net(osm_file):
    return build_network(osm_file=osm_file)


def edges_of(net, way):
    return net.edges[net.edges["osm_way"] == way]


def test_repair_counts_and_excluded_classes(net):
    rep = net.meta["report"]
    assert rep["ways_read"] == {"road": 7, "rail": 2}  # residential excluded
    assert rep["missing_nodes"] == 3  # node 99 in way 12, nodes 97 and 98 in way 50
    assert rep["ways_trimmed"] == 1 and rep["ways_dropped"] == 1
    assert rep["unparsed"] == {"maxspeed": 1}
    assert 15 not in set(net.edges["osm_way"])


def test_split_at_missing_node_and_at_shared_nodes(net):
    src = net.nodes["source_id"]
    pairs = {(int(src[u]), int(src[v])) for u, v in zip(net.edges["u"], net.edges["v"], strict=True)}
    # way 12 split into 5-6 (kept both ways) and nothing after 99 (7 alone is not a run)
    assert (5, 6) in pairs and (6, 5) in pairs
    assert not any(99 in p for p in pairs)
    # way 10 stays one edge 1-3 (node 2 is interior), the bridge way 11 is its own edge 3-5
    assert (1, 3) in pairs and (3, 5) in pairs and (1, 2) not in pairs
    assert len(edges_of(net, 11)) == 2
    geom = edges_of(net, 10).geometry.iloc[0]
    assert len(geom.coords) == 3  # the interior node stays in the geometry


def test_tags_parsed_with_raw_and_provenance(net):
    w10 = edges_of(net, 10).iloc[0]
    assert (
        w10["maxspeed_kmh"] == 50
        and w10["maxspeed_kmh_raw"] == "BE:urban"
        and w10["maxspeed_kmh_src"] == "osm"
    )
    assert w10["maxheight_m"] == pytest.approx(4.4196) and w10["maxheight_m_raw"] == "14'6\""
    assert edges_of(net, 14).iloc[0]["maxweight_t"] == pytest.approx(3.5 * 0.90718474)
    w11 = edges_of(net, 11).iloc[0]
    assert w11["mlc_tracked_twoway"] == 50 and w11["mlc_tracked_oneway"] == 70
    assert w11["mlc_wheeled_twoway"] == 50 and w11["bridge"] == 1 and w11["layer"] == 1
    assert math.isnan(w11["maxspeed_kmh"]) and w11["maxspeed_kmh_raw"] == "fast"
    assert (
        w11["speed_src"] == "default" and w11["speed_kmh"] == 70
    )  # primary default, never guessed from "fast"
    w12 = edges_of(net, 12).iloc[0]
    assert w12["speed_kmh"] == pytest.approx(80.467, abs=1e-3) and w12["lanes"] == 2
    rail = edges_of(net, 16).iloc[0]
    assert rail["electrified"] == 1 and rail["voltage_v"] == 3000 and rail["gauge_mm"] == 1435
    assert rail["usage"] == "main" and rail["mode"] == "rail"


def test_yards_platforms_and_ramps(net):
    assert net.meta["report"]["features"] == {
        "rail_yard": 1,
        "platform": 1,
        "loading_ramp": 1,
        "rest_area": 1,
    }
    f = net.features
    assert sorted(f["kind"]) == ["loading_ramp", "platform", "rail_yard", "rest_area"]
    assert f.loc[f["kind"] == "rail_yard", "name"].iloc[0] == "Test yard"
    # the ramp joins the nearest road node (62) and rail node (41) with a transfer edge each way
    t = net.edges[net.edges["mode"] == "transfer"]
    src = net.nodes["source_id"].to_numpy()
    assert sorted((int(src[u]), int(src[v])) for u, v in zip(t["u"], t["v"], strict=True)) == [
        (41, 62),
        (62, 41),
    ]


def test_a_mapped_service_area_is_a_halt_place_at_the_road_nodes_near_it(net):
    from enablement.scheduling.march import halt_places

    places = halt_places(net)
    src = net.nodes["source_id"].to_numpy()
    near = sorted(int(src[n]) for n, p in places.items() if p.name == "Test services")
    assert near == [3]  # about 110 m from node 3; nodes 1 and 5 are far (tolerance 300 m)
    place = next(p for p in places.values() if p.name == "Test services")
    assert (place.kind, place.holds, place.site) == ("rest_area", False, "osm-n95")


def test_oneway_and_modes(net):
    assert len(edges_of(net, 14)) == 1  # motorway implies oneway
    assert len(edges_of(net, 13)) == 2
    assert len(edges_of(net, 16)) == 4  # split at the spur junction (node 41), both directions
    modes = net.nodes["mode"].to_numpy()
    e = net.edges[net.edges["mode"] != "transfer"]
    assert (modes[e["u"]] == e["mode"].to_numpy()).all()
    assert net.nodes.crs.to_epsg() == 3812
    assert np.allclose(net.edges["length_m"], net.edges.geometry.length)


def test_mlc_restricted_route_avoids_the_bridge(net):
    nid = {int(s): i for i, s in enumerate(net.nodes["source_id"]) if net.nodes["mode"].iloc[i] == "road"}
    router = Router(net)
    truck = Profile("truck", mlc_wheeled=30, mass_t=3.0, height_m=1.0, width_m=2.0, speed_kmh=50)
    tank = Profile("tank", mlc_tracked=80, mass_t=3.0, height_m=1.0, width_m=2.0, speed_kmh=50)
    bridge_rows = set(edges_of(net, 11).index)
    light = router.route(nid[1], nid[6], truck)
    assert light.nodes == (nid[1], nid[3], nid[5], nid[6]) and bridge_rows & set(light.edges)
    heavy = router.route(nid[1], nid[6], tank)
    assert heavy.nodes == (nid[1], nid[6]) and not bridge_rows & set(heavy.edges)  # via node 20
    caution = Profile("tank60", mlc_tracked=60, mass_t=3.0, height_m=1.0, width_m=2.0, speed_kmh=50)
    detour = list(edges_of(net, 13).index)
    crossing = router.route(nid[1], nid[6], caution, closed=detour)
    assert (
        set(crossing.caution_edges) <= bridge_rows and crossing.caution_edges
    )  # above two-way 50, within 70


def test_bz2_gives_the_same_network(osm_file, net, tmp_path):
    p = tmp_path / "fixture.osm.bz2"
    p.write_bytes(bz2.compress(osm_file.read_bytes()))
    other = build_network(osm_file=p)
    assert other.n_edges == net.n_edges and other.km_by_mode() == net.km_by_mode()


# Overpass answers with every node of the ways it returns: the same data without the missing nodes
COMPLETE_WAYS = [(wid, [r for r in refs if r in LON], tags) for wid, refs, tags in WAYS if wid != 50]


@pytest.fixture
def recorded_overpass(tmp_path, monkeypatch):
    """osmnx's features_from_polygon answering from a recording of the complete data (no network)."""
    import osmnx as ox

    from enablement import settings

    xml = tmp_path / "complete.osm"
    xml.write_text(osm_xml(COMPLETE_WAYS))
    seen = {}

    def recorded(polygon, tags):
        seen["bounds"] = polygon.bounds
        seen["tags"] = tags
        seen["cache"] = (ox.settings.cache_folder, ox.settings.use_cache)  # as set during our call
        if "fail" in seen:
            raise RuntimeError(seen["fail"])
        return ox.features.features_from_xml(xml, tags=tags)

    monkeypatch.setattr(ox.features, "features_from_polygon", recorded)
    # the user's own osmnx settings, which our call must leave as they are
    monkeypatch.setattr(ox.settings, "cache_folder", str(tmp_path / "users-own-cache"))
    monkeypatch.setattr(ox.settings, "use_cache", not settings.use_cache)
    return xml, seen


def test_overpass_goes_through_the_same_path(recorded_overpass):
    import osmnx as ox

    from enablement import settings

    xml, seen = recorded_overpass
    users = (ox.settings.cache_folder, ox.settings.use_cache)
    other = build_network(bbox=(4.39, 51.16, 4.47, 51.24))
    assert seen["bounds"] == (4.39, 51.16, 4.47, 51.24)
    assert "motorway" in seen["tags"]["highway"] and "rail" in seen["tags"]["railway"]
    assert seen["tags"]["landuse"] == ["railway"] and "loading_ramp" in seen["tags"]["railway"]
    assert seen["cache"] == (str(settings.cache_folder / "overpass"), settings.use_cache)
    assert (ox.settings.cache_folder, ox.settings.use_cache) == users  # restored after the call

    net = build_network(osm_file=xml)  # the same data, from a file
    assert other.n_edges == net.n_edges and other.n_nodes == net.n_nodes
    geometry = other.edges.geometry.geom_equals_exact(net.edges.geometry, tolerance=0)
    assert geometry.all()
    assert other.edges.drop(columns="geometry").equals(net.edges.drop(columns="geometry"))
    cols = ["mode", "x", "y"]
    assert other.nodes[cols].equals(net.nodes[cols])
    # osmnx 2 gives way geometries without node ids: nodes are known by their location
    src = other.nodes["source_id"].to_numpy()
    assert (src < 0).all() and np.unique(src).size == src.size
    assert sorted(other.features["kind"]) == ["loading_ramp", "platform", "rail_yard", "rest_area"]
    assert other.features.drop(columns="geometry").equals(net.features.drop(columns="geometry"))
    assert other.features.geometry.geom_equals_exact(net.features.geometry, tolerance=1e-6).all()
    for key in ("ways_read", "features", "unparsed", "missing_nodes"):
        assert other.meta["report"][key] == net.meta["report"][key]


def test_overpass_settings_restored_after_a_failing_call(recorded_overpass):
    import osmnx as ox

    _, seen = recorded_overpass
    users = (ox.settings.cache_folder, ox.settings.use_cache)
    seen["fail"] = "Overpass is down"
    with pytest.raises(RuntimeError, match="Overpass is down"):
        build_network(bbox=(4.39, 51.16, 4.47, 51.24))
    assert seen["cache"] != users  # ours were set during the call
    assert (ox.settings.cache_folder, ox.settings.use_cache) == users


def test_overpass_area_with_nothing(recorded_overpass, monkeypatch):
    import osmnx as ox

    def empty(polygon, tags):
        msg = "No matching features. Check query location, tags, and log."
        raise ox._errors.InsufficientResponseError(msg)

    monkeypatch.setattr(ox.features, "features_from_polygon", empty)
    with pytest.raises(NetworkError, match="no highway or railway ways"):
        build_network(bbox=(4.39, 51.16, 4.47, 51.24))


def test_overpass_area_is_checked_before_any_query(recorded_overpass):
    import shapely

    _, seen = recorded_overpass
    with pytest.raises(NetworkError, match="give exactly one of place, bbox or polygon"):
        fetch_overpass()
    with pytest.raises(NetworkError, match="give exactly one of place, bbox or polygon"):
        fetch_overpass(bbox=(4.39, 51.16, 4.47, 51.24), place="Antwerpen")
    bowtie = shapely.Polygon([(4.39, 51.16), (4.47, 51.24), (4.47, 51.16), (4.39, 51.24)])
    with pytest.raises(NetworkError, match="not a valid polygon"):
        fetch_overpass(polygon=bowtie)
    assert not seen  # nothing was asked of Overpass


def test_recorded_overpass_json_reads_as_the_file(osm_file, net):
    report = BuildReport()
    other = network_from_ways(read_overpass_json([overpass_json()], report=report), report)
    assert other.n_edges == net.n_edges and other.n_nodes == net.n_nodes
    cols = ["u", "v", "mode", "speed_kmh"]
    assert other.edges[cols].equals(net.edges[cols])
    assert other.nodes["source_id"].equals(net.nodes["source_id"])


def test_location_ids_are_one_per_osm_location():
    lon = np.array([4.4305, 4.4305, 4.4305001, -180.0, 180.0, 0.0])
    lat = np.array([51.1706, 51.1706, 51.1706, -90.0, 90.0, 0.0])
    ids = location_ids(lon, lat)
    assert ids[0] == ids[1] and np.unique(ids).size == 5 and (ids < 0).all()


def test_bad_inputs(tmp_path):
    with pytest.raises(NetworkError, match="no such OSM file"):
        read_osm_file(tmp_path / "missing.osm.pbf")
    bad = tmp_path / "bad.osm"
    bad.write_text("this is not xml")
    with pytest.raises(NetworkError, match="cannot be read as OpenStreetMap data"):
        read_osm_file(bad)
    empty = tmp_path / "empty.osm"
    empty.write_text('<?xml version="1.0"?><osm version="0.6"></osm>')
    with pytest.raises(NetworkError, match="no highway or railway ways"):
        build_network(osm_file=empty)
    with pytest.raises(NetworkError, match="west < east"):
        build_network(bbox=(5, 51, 4, 52))


def test_save_and_load_round_trip(net, tmp_path):
    p = save_network(net, tmp_path / "net.gpkg")
    back = load_network(p)
    assert back.n_nodes == net.n_nodes and back.n_edges == net.n_edges
    assert (back.edges["u"].to_numpy() == net.edges["u"].to_numpy()).all()
    assert (
        back.edges["maxspeed_kmh_raw"].fillna("").tolist()
        == net.edges["maxspeed_kmh_raw"].fillna("").tolist()
    )
    assert np.allclose(back.edges["maxspeed_kmh"], net.edges["maxspeed_kmh"], equal_nan=True)
    assert back.meta["report"] == json.loads(json.dumps(net.meta["report"]))
    with pytest.raises(NetworkError, match=r"use a \.gpkg file name"):
        save_network(net, tmp_path / "net.shp")
    with pytest.raises(NetworkError, match="no such network file"):
        load_network(tmp_path / "nope.gpkg")


def test_antwerp_extract(shared_data):
    net = build_network(osm_file=shared_data / "osm" / "antwerp-2014.osm.pbf")
    rep = net.meta["report"]
    assert rep["missing_nodes"] > 0 and rep["ways_trimmed"] > 0  # a clipped extract, repaired
    e = net.edges
    motorway_km = e.loc[e["highway"] == "motorway", "length_m"].sum() / 1000  # both carriageways
    assert 40 < motorway_km < 70
    rail = e[e["mode"] == "rail"]
    rail_km = rail["length_m"].sum() / 2000  # two directions per track
    assert 200 < rail_km < 260  # SOURCES.md: ~229 km of railway incl. port lines
    port_km = rail.loc[rail["usage"].isna(), "length_m"].sum() / 2000  # yards, spurs and port lines
    assert port_km > 80
    lcc = net.meta["largest_strong_component"]
    assert lcc["road"] > 0.8 * (net.nodes["mode"] == "road").sum()
    # tag a bridge on a long route and check an MLC-restricted route avoids it
    road = np.flatnonzero((net.nodes["mode"] == "road").to_numpy())
    router = Router(net)
    xy = net.nodes[["x", "y"]].to_numpy()
    a = int(road[np.argmin(xy[road, 0])])
    b = int(road[np.argmax(xy[road, 0])])
    tank = Profile("tank", mlc_tracked=70, mass_t=62, height_m=3, width_m=3.7, speed_kmh=50)
    first = router.route(a, b, tank)
    mid = first.edges[len(first.edges) // 2]
    u, v = int(e["u"].iloc[mid]), int(e["v"].iloc[mid])
    both = e.index[((e["u"] == u) & (e["v"] == v)) | ((e["u"] == v) & (e["v"] == u))]
    tagged = net.copy()
    tagged.edges.loc[both, ["mlc_tracked_oneway", "mlc_tracked_twoway"]] = [40.0, 30.0]
    second = Router(tagged).route(a, b, tank)
    assert not set(both) & set(second.edges)
    assert second.time_s >= first.time_s


def test_scenario_plans_on_a_built_network_file(net, tmp_path):
    from enablement.plan import make_plan

    save_network(net, tmp_path / "fixture.gpkg")
    ov = tmp_path / "overlay"
    ov.mkdir()
    feats = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [LON[i], LAT[i]]},
            "properties": {
                "id": sid,
                "name": sid,
                "kind": kind,
                "mode": "road",
                "source": "test",
                "illustrative": True,
                "discharge_rate_vph": 120,
            },
        }
        for sid, kind, i in (("port-west", "seaport", 1), ("border-east", "border_crossing", 6))
    ]
    (ov / "sites.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    sc = tmp_path / "tiny.yaml"
    sc.write_text(
        "name: tiny\nstart: 2026-03-02T06:00:00+01:00\n"
        "network: {source: fixture.gpkg, snap_tolerance_m: 200}\n"
        "overlays: [overlay]\n"
        "arrivals: [{id: s, kind: ship, site: port-west, time: 2026-03-02T06:00:00+01:00,"
        " equipment: [{unit: A, vehicle: leopard2a6, count: 4}, {unit: B, vehicle: boxer, count: 4}]}]\n"
        "movements: [{unit: A, to: border-east, rdd: 2026-03-03T00:00:00+01:00},"
        " {unit: B, to: border-east, rdd: 2026-03-03T00:00:00+01:00}]\n"
        "permissions: {filing_from: 2026-01-15T08:00:00+01:00}\n"  # in time for 45 days' notice
    )
    plan = make_plan(sc)
    assert plan.network.meta["source"] == "osm"
    bridge = set(edges_of(plan.network, 11).index)
    routes = {mu.split("/")[0]: set(r.edges) for (mu, _), r in plan.march.routes.items()}
    assert routes["B"] & bridge  # the Boxer (wheeled MLC 40) crosses the MLC 50 bridge
    # the Leopard (tracked MLC 70) would be a caution crossing (two-way 50, one-way 70): its
    # 10-minute penalty makes the detour faster, and no caution crossing is reported
    assert not routes["A"] & bridge
    assert plan.kpis()["caution_crossings"] == []
    assert {u.unit for u in plan.units} == {"A", "B"} and plan.kpis()["units_late"] == 0
