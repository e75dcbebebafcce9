"""The arrays cache beside GeoPackage loading: same network, keyed by content, never stale or fatal."""

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from enablement import settings
from enablement.network.io import cache_path, load_network, save_network
from enablement.network.model import CRS

from .test_osm import osm_xml


@pytest.fixture
def saved(tmp_path, monkeypatch):
    from enablement.network.osm import build_network

    monkeypatch.setattr(settings, "cache_folder", tmp_path / "cache")
    src = tmp_path / "fixture.osm"
    src.write_text(osm_xml())
    net = build_network(osm_file=src)
    node = int(np.flatnonzero((net.nodes["mode"] == "road").to_numpy())[0])
    net.sites = gpd.GeoDataFrame(
        {
            "id": ["RP1"],
            "kind": ["reception_point"],
            "node_road": [node],
            "snap_road_m": [12.5],
            "note": [None],
        },
        geometry=[shapely.Point(net.nodes["x"].iloc[node], net.nodes["y"].iloc[node])],
        crs=CRS,
    ).set_index("id", drop=False)
    path = save_network(net, tmp_path / "net.gpkg")
    return path


def assert_same(a, b):
    for name in ("nodes", "edges", "sites", "features"):
        left, right = getattr(a, name), getattr(b, name)
        pd.testing.assert_frame_equal(left, right)
        assert left.crs == right.crs
    assert a.meta == b.meta


def test_a_second_load_reads_the_cache_and_gives_the_same_network(saved, monkeypatch):
    from enablement.network import io

    first = load_network(saved)
    cached = cache_path(saved)
    assert cached.is_file() and cached.parent == settings.cache_folder / "networks"

    def no_gpkg(path):
        raise AssertionError("the GeoPackage was read although a cache exists")

    with monkeypatch.context() as m:
        m.setattr(io, "_read_gpkg", no_gpkg)
        second = load_network(saved)
    assert_same(first, second)
    assert_same(first, load_network(saved, cache=False))
    assert second.sites.index.tolist() == ["RP1"] and second.sites["note"].isna().all()
    assert second.edges["name"].dtype == object  # text as a loaded GeoPackage gives it


def test_the_cache_follows_the_file_content(saved):
    first = load_network(saved)
    changed = first.copy()
    changed.edges.loc[0, "speed_kmh"] = 7.0
    save_network(changed, saved)  # same path, new bytes: a new key
    again = load_network(saved)
    assert again.edges.loc[0, "speed_kmh"] == 7.0
    assert len(list((settings.cache_folder / "networks").glob("*.npz"))) == 2


def test_a_broken_cache_is_ignored_and_rewritten(saved, caplog):
    first = load_network(saved)
    cache_path(saved).write_bytes(b"not a zip file")
    with caplog.at_level(logging.WARNING, logger="enablement.network.io"):
        again = load_network(saved)
    assert "ignoring the unreadable network cache" in caplog.text
    assert_same(first, again)
    assert_same(first, load_network(saved))  # the rewritten cache reads back


def test_no_cache_when_caching_is_off(saved, monkeypatch):
    monkeypatch.setattr(settings, "use_cache", False)
    load_network(saved)
    assert not cache_path(saved).exists()
