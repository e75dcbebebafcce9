"""The Infrabel importer: topology from operational-point ids, attributes, problems, and the real file."""

import json

import numpy as np
import pytest

from enablement.errors import NetworkError
from enablement.network.infrabel import read_infrabel_sections
from enablement.routing import Router


def section(ls, a, b, coords, volt="3kV DC", tracks=2, label="24", **extra):
    props = {
        "ls_id": ls,
        "ptcarfrom": a,
        "ptcarto": b,
        "ptcarfromname": f"P{a}",
        "ptcartoname": f"P{b}",
        "nrtracks": tracks,
        "ecs_voltfreq": volt,
        "label": label,
        "c70": "70",
        **extra,
    }
    geom = None if coords is None else {"type": "LineString", "coordinates": coords}
    return {"type": "Feature", "properties": props, "geometry": geom}


def write(tmp_path, feats):
    p = tmp_path / "sections.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return p


def test_small_layer(tmp_path):
    feats = [
        section("1", "A", "B", [[5.90, 50.70], [5.95, 50.71], [6.00, 50.72]]),
        section("2", "B", "C", [[6.00, 50.72], [6.05, 50.73]], volt="15kV AC", tracks=1),
        section("3", "C", "D", None),  # no geometry, D never located: dropped and counted
        section("4", "A", "C", [[5.90, 50.70], [6.05, 50.73]], volt="Not Electrified"),
    ]
    net = read_infrabel_sections(write(tmp_path, feats))
    rep = net.meta["report"]
    assert rep["operational_points"] == 3 and rep["operational_points_unlocated"] == 1
    assert rep["sections_dropped_unlocated"] == 1 and rep["components"] == 1
    assert net.n_edges == 6  # three sections, both directions
    e = net.edges
    ids = net.nodes["source_id"].tolist()
    ab = e[(e["ls_id"] == "1") & (e["u"] == ids.index("A"))].iloc[0]
    assert (
        ab["v"] == ids.index("B")
        and ab["tracks"] == 2
        and ab["voltage_v"] == 3000
        and ab["frequency_hz"] == 0
    )
    bc = e[e["ls_id"] == "2"].iloc[0]
    assert bc["voltage_v"] == 15000 and bc["frequency_hz"] == 16.7 and bc["electrified_src"] == "infrabel"
    assert e.loc[e["ls_id"] == "4", "electrified"].eq(0).all()
    # the geometry of the reverse edge runs the other way
    back = e[(e["ls_id"] == "1") & (e["u"] == ids.index("B"))].iloc[0]
    assert back.geometry.coords[0] == ab.geometry.coords[-1]
    assert sorted(net.features["name"]) == ["PA", "PB", "PC"]
    r = Router(net, "rail").route(ids.index("A"), ids.index("C"))
    assert r.length_m == pytest.approx(
        min(e.loc[e["ls_id"] == "4", "length_m"].iloc[0], ab["length_m"] + bc["length_m"])
    )


def test_missing_fields_and_crs(tmp_path):
    bad = [{"type": "Feature", "properties": {"ptcarfrom": "A"}, "geometry": None}]
    with pytest.raises(NetworkError) as err:
        read_infrabel_sections(write(tmp_path, bad))
    assert "missing required field(s) ptcarto, nrtracks, ecs_voltfreq" in str(err.value)
    with pytest.raises(NetworkError, match="cannot be read as a vector layer"):
        read_infrabel_sections(tmp_path / "nope.geojson")


def test_real_infrabel_network(shared_data):
    net = read_infrabel_sections(shared_data / "rail" / "infrabel-line-sections.geojson")
    rep = net.meta["report"]
    assert rep["sections"] == 1025
    assert (
        rep["largest_component_nodes"] >= 0.95 * rep["operational_points"]
    )  # the sections join into one network
    km = net.km_by_mode()["rail"]
    assert 3000 < km < 4000  # Belgium has about 3,600 km of lines
    e = net.edges
    dc = e.loc[e["voltage_v"] == 3000, "length_m"].sum() / e["length_m"].sum()
    assert dc > 0.6  # most lines are 3 kV DC
    # line 24 (Montzen) is there and a freight route from Antwerp to Montzen exists
    assert (e["label"] == "24").any()
    names = net.features.set_index("name")
    montzen = net.features[net.features["name"].str.startswith("MONTZEN")]
    antwerp = net.features[net.features["name"].str.contains("ANTWERPEN", na=False)]
    assert len(montzen) and len(antwerp)
    ids = net.nodes["source_id"].tolist()
    r = Router(net, "rail").route(ids.index(antwerp["osm_id"].iloc[0]), ids.index(montzen["osm_id"].iloc[0]))
    assert 100_000 < r.length_m < 250_000
    assert np.isfinite(r.time_s) and len(names) > 600
