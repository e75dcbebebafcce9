"""The map only draws the plan: every line on it is a route the plan drives, for its own vehicles."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import geopandas as gpd
import pytest

from enablement.network.model import CRS
from enablement.outputs.maps import build_map
from enablement.plan import make_plan
from tests.small_world import write_world

OUTPUTS = Path(__file__).resolve().parents[2] / "enablement" / "outputs"


def drawn_features(html: str) -> list[dict]:
    """Every GeoJSON feature folium put in the page."""
    decoder = json.JSONDecoder()
    out = []
    for m in re.finditer(r"geo_json_\w+_add\(", html):
        data, _ = decoder.raw_decode(html, m.end())
        out += data.get("features", [data] if data.get("type") == "Feature" else [])
    return out


def wgs84_coords(geom) -> list[list[float]]:
    g = gpd.GeoSeries([geom], crs=CRS).to_crs(4326).set_precision(1e-5).iloc[0]
    lines = [g] if g.geom_type == "LineString" else list(g.geoms)
    return [[round(x, 5), round(y, 5)] for line in lines for x, y in line.coords]


def flat(coords) -> list[list[float]]:
    if coords and isinstance(coords[0][0], (int, float)):
        return [[round(x, 5), round(y, 5)] for x, y in coords]
    return [p for part in coords for p in flat(part)]


@pytest.fixture(scope="module")
def small_plan(tmp_path_factory):
    return make_plan(write_world(tmp_path_factory.mktemp("world")))


def check_every_route_is_planned(plan):
    html = build_map(plan).get_root().render()
    planned = {(r.owner, r.leg): r for r in plan.routes}
    drawn = [f for f in drawn_features(html) if f["properties"].get("kind") in ("road route", "rail route")]
    assert drawn
    covered = set()
    for f in drawn:
        owners = [tuple(p) for p in f["properties"]["planned"]]
        assert owners
        for owner, leg in owners:
            route = planned[(owner, leg)]
            assert f["properties"]["kind"] == f"{route.kind} route"
            assert flat(f["geometry"]["coordinates"]) == wgs84_coords(route.geometry), owner
            covered.add((owner, leg))
    assert covered == set(planned)  # and every planned route is drawn
    corridors = [f for f in drawn_features(html) if str(f["properties"].get("name", "")).startswith("MSR ")]
    assert len(corridors) == len(plan.corridors)
    for f, c in zip(corridors, plan.corridors, strict=True):
        msr = next(r for r in plan.routes if r.owner == c.march_unit and r.edges == c.routes[0].edges)
        assert flat(f["geometry"]["coordinates"]) == wgs84_coords(msr.geometry)


def test_every_route_drawn_is_a_planned_route_on_a_small_world(small_plan):
    check_every_route_is_planned(small_plan)


@pytest.mark.slow
def test_every_route_drawn_is_a_planned_route_of_the_default_plan(default_plan):
    check_every_route_is_planned(default_plan)


def test_critical_elements_are_marked_on_the_msr_with_the_units_profile(small_plan):
    html = build_map(small_plan).get_root().render()
    for c in small_plan.corridors:
        for element in c.critical:
            assert f"{c.unit}: closing this" in html
            assert element.edge in c.routes[0].edges
        assert f"({c.profile})" in html or not c.critical


def test_nothing_under_outputs_routes_or_runs_a_kernel():
    for path in sorted(OUTPUTS.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                module = ("." * node.level) + (node.module or "")
                names = {a.name for a in node.names}
                assert "routing" not in module.split("."), (path.name, module)
                assert "kernels" not in module.split(".") and "kernels" not in names, (path.name, module)
            elif isinstance(node, ast.Import):
                for a in node.names:
                    assert not a.name.startswith(("enablement.routing", "enablement.kernels", "kernels")), (
                        a.name
                    )
