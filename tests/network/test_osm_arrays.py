"""The array build: chunked OPL reading, escapes, trimming, and merging checked against merge_chains."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from enablement.errors import NetworkError
from enablement.network.osm import (
    BuildReport,
    WayTable,
    build_network,
    network_from_ways,
    read_osm_file,
)
from enablement.network.osm_read import _trim_missing
from enablement.network.simplify import merge_chains


def write_osm(path, nodes, ways):
    """Minimal OSM XML: ``nodes`` {id: (lon, lat)}, ``ways`` [(id, refs, tags)] (values escaped)."""
    from xml.sax.saxutils import quoteattr

    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n']
    out += [
        f'<node id="{i}" lat="{lat}" lon="{lon}" version="1"/>\n' for i, (lon, lat) in sorted(nodes.items())
    ]
    for wid, refs, tags in ways:
        nd = "".join(f'<nd ref="{r}"/>' for r in refs)
        tg = "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())
        out.append(f'<way id="{wid}" version="1">{nd}{tg}</way>\n')
    out.append("</osm>\n")
    path.write_text("".join(out), encoding="utf-8")
    return path


def test_chunked_reading_gives_the_same_table(tmp_path):
    nodes = {i: (4.40 + 0.001 * i, 51.20 + 0.0005 * (i % 3)) for i in range(1, 60)}
    ways = [
        (100 + k, list(range(1 + k, 8 + k)), {"highway": "primary", "ref": f"N{k}"}) for k in range(0, 50, 3)
    ]
    ways.append((999, [4, 5, 500, 6, 7], {"highway": "secondary"}))  # node 500 is missing
    p = write_osm(tmp_path / "a.osm", nodes, ways)
    whole = read_osm_file(p)
    small = read_osm_file(p, chunk_bytes=97)  # a chunk boundary inside most lines
    for name in ("way_id", "offsets", "refs", "lon", "lat"):
        assert np.array_equal(getattr(whole, name), getattr(small, name), equal_nan=True)
    assert [whole.tags(i) for i in range(len(whole))] == [small.tags(i) for i in range(len(small))]
    assert len(whole) == len(ways) + 1  # way 999 split in two around the missing node


def test_special_characters_in_tags_survive_the_opl_step(tmp_path):
    names = ["Rue de l'Église, Zone = 5 %", "Λεωφόρος  Αθηνών", "tab\there", '50% <&> "x"']
    nodes = {i: (4.40 + 0.001 * i, 51.2) for i in range(1, 10)}
    ways = [(10 + k, [1 + 2 * k, 2 + 2 * k], {"highway": "primary", "name": n}) for k, n in enumerate(names)]
    ways.append((20, [1, 9], {"highway": "primary", "maxspeed": "70 mph", "bridge:name": "x,y=z"}))
    net = build_network(osm_file=write_osm(tmp_path / "s.osm", nodes, ways))
    got = dict(zip(net.edges["osm_way"], net.edges["name"], strict=True))
    assert [got[10 + k] for k in range(len(names))] == names
    assert net.edges.loc[net.edges["osm_way"] == 20, "maxspeed_kmh"].iloc[0] == pytest.approx(70 * 1.609344)


def test_rail_platforms_only_and_unparsed_values_counted_once_per_way(tmp_path):
    nodes = {i: (4.40 + 0.001 * i, 51.2) for i in range(1, 12)}
    ways = [
        (1, [1, 2, 3, 500, 4, 5], {"highway": "primary", "maxspeed": "fast"}),  # split in two, counted once
        (2, [6, 7], {"public_transport": "platform", "bus": "yes"}),  # a bus platform: not a rail feature
        (3, [8, 9], {"public_transport": "platform", "train": "yes"}),
        (4, [10, 11], {"railway": "platform"}),
    ]
    net = build_network(osm_file=write_osm(tmp_path / "p.osm", nodes, ways))
    rep = net.meta["report"]
    assert rep["unparsed"] == {"maxspeed": 1} and rep["ways_trimmed"] == 1
    assert rep["features"] == {"platform": 2}
    assert sorted(net.features["osm_id"]) == [3, 4]


def test_trimming_keeps_every_run_of_two_known_nodes():
    nan = np.nan
    rows = [
        [1, 2, nan, 4, 5],  # two runs
        [nan, 1],  # nothing left
        [1, nan, 2],  # runs of one node: nothing left
        [7, 8, 9],  # untouched
        [nan, 3, 4, nan],  # trimmed at both ends
    ]
    lon = np.array([x for r in rows for x in r], float)
    sizes = [len(r) for r in rows]
    table = WayTable(
        way_id=np.arange(len(rows), dtype=np.int64),
        tagset=np.zeros(len(rows), np.int32),
        offsets=np.concatenate([[0], np.cumsum(sizes)]),
        refs=np.arange(lon.size, dtype=np.int64),
        lon=lon,
        lat=np.where(np.isnan(lon), nan, 51.0),
        tagsets=[{"highway": "primary"}],
        modes=["road"],
    )
    report = BuildReport()
    out = _trim_missing(table, report)
    assert out.way_id.tolist() == [0, 0, 3, 4]
    assert np.diff(out.offsets).tolist() == [2, 2, 3, 2]
    assert out.lon.tolist() == [1, 2, 4, 5, 7, 8, 9, 3, 4]
    assert (report.missing_nodes, report.ways_trimmed, report.ways_dropped) == (5, 2, 2)


# random small networks: ways over 12 node ids, tags from a few values, repeated and looping nodes allowed
TAGS = st.fixed_dictionaries(
    {"highway": st.sampled_from(["primary", "secondary"])},
    optional={"oneway": st.sampled_from(["yes", "-1", "no"]), "maxspeed": st.sampled_from(["50", "70"])},
)
WAYS = st.lists(
    st.tuples(st.lists(st.integers(1, 12), min_size=2, max_size=6), TAGS), min_size=1, max_size=14
)


def times_between(net, keep_ids):
    """Shortest road times between every pair of the given (mode, source id) nodes."""
    index = {
        (m, int(s)): i for i, (m, s) in enumerate(zip(net.nodes["mode"], net.nodes["source_id"], strict=True))
    }
    e = net.edges
    # parallel edges: keep the fastest (coo sums duplicates, so reduce first)
    best = {}
    for u, v, t in zip(e["u"], e["v"], e["time_s"], strict=True):
        best[(u, v)] = min(best.get((u, v), np.inf), t + 1e-9)
    u, v = np.array([k[0] for k in best], int), np.array([k[1] for k in best], int)
    graph = coo_matrix((np.array(list(best.values())), (u, v)), shape=(net.n_nodes, net.n_nodes)).tocsr()
    idx = [index[k] for k in keep_ids]
    return dijkstra(graph, indices=idx)[:, idx]


@settings(max_examples=80, deadline=None)
@given(ways=WAYS)
def test_merging_while_building_keeps_every_route_and_attribute_change(ways, tmp_path_factory):
    nodes = {i: (4.40 + 0.003 * (i % 4), 51.20 + 0.002 * (i // 4)) for i in range(1, 13)}
    path = write_osm(
        tmp_path_factory.mktemp("h") / "r.osm",
        nodes,
        [(100 + k, refs, tags) for k, (refs, tags) in enumerate(ways)],
    )
    try:
        raw = build_network(osm_file=path, simplify=False)
    except NetworkError as exc:  # every way degenerate (a single repeated node)
        assert "no highway or railway" in str(exc)
        return
    built = network_from_ways(read_osm_file(path), simplify=True)
    reference = merge_chains(raw)
    for net in (built, reference):
        assert net.edges["length_m"].sum() == pytest.approx(raw.edges["length_m"].sum(), rel=1e-9)
    # the build may keep a node merge_chains removes (one touched by more than two pieces), never the reverse
    kept = list(zip(built.nodes["mode"], built.nodes["source_id"].astype(int), strict=True))
    ref_kept = set(zip(reference.nodes["mode"], reference.nodes["source_id"].astype(int), strict=True))
    assert ref_kept <= set(kept)
    np.testing.assert_allclose(times_between(built, kept), times_between(raw, kept), rtol=1e-9)
    # no merged edge spans a change of any tag read into a column
    cols = [c for c in raw.edges.columns if c.endswith("_raw") or c in ("highway", "oneway")]
    raw_sets = {tuple(map(str, r)) for r in raw.edges[cols].itertuples(index=False)}
    assert {tuple(map(str, r)) for r in built.edges[cols].itertuples(index=False)} <= raw_sets
