"""The report and the map for reviewers, on the bridge-closure scenario (greedy road schedule).

What holds the force's closure (by place and time), what the closure changed, every
solver's status, the charts' scaling and the per-unit march table in the report; the
map's legend (one entry per layer), metric scale, curated popups, offline background
and layer control.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from importlib import resources

import pytest

from enablement.outputs import write_outputs
from enablement.outputs.maps import _site_popup
from enablement.outputs.report import _solver_row
from enablement.plan import make_plan
from tests.small_world import write_world

CLOSURE = "merksem-closed"
BRIDGE = "bridge-e19-merksem"


@pytest.fixture(scope="module")
def bridge(bridge_closure_plan, tmp_path_factory):
    paths = write_outputs(bridge_closure_plan, tmp_path_factory.mktemp("bridge"))
    return bridge_closure_plan, paths


def _effect(plan):
    [effect] = [d for d in plan.disruptions if d.closure.id == CLOSURE]
    return effect


def test_the_plan_names_every_column_the_closure_sent_round_and_its_detour(bridge):
    plan, _ = bridge
    effect = _effect(plan)
    closed = set(effect.closure.edges)
    assert closed and effect.rerouted
    mus = {m.id: m for m in plan.march_units}
    for r in effect.rerouted:
        planned = plan.march.routes[(r.march_unit, r.leg - 1)]
        assert not closed & set(planned.edges), r.march_unit  # the planned route goes round
        assert r.extra_km > 0 and r.extra_min > 0  # and is longer than the fastest one through it
        assert mus[r.march_unit].unit == r.unit
    # the columns that cross the bridge do so before it closes (their routes use it)
    assert effect.crossed
    for mu in effect.crossed:
        assert any(closed & set(route.edges) for (m, _), route in plan.march.routes.items() if m == mu)
        assert (
            plan.march.closure_s[mu] < effect.closure.end_s
            or min(r.depart_s for r in plan.march.rows if r.march_unit == mu) < effect.closure.start_s
        )
    # summary.json carries the same
    [d] = [d for d in plan.summary()["disruptions"] if d["id"] == CLOSURE]
    assert [r["march_unit"] for r in d["rerouted_march_units"]] == [r.march_unit for r in effect.rerouted]
    assert d["detour_column_hours"] == round(sum(r.extra_min for r in effect.rerouted) / 60, 2)
    assert d["start"] == "2026-03-02T15:00:00+01:00" and d["end"] == "2026-03-03T21:00:00+01:00"


def test_the_force_closure_is_held_by_reception_named_by_place_and_time(bridge):
    plan, _ = bridge
    b = plan.binding
    last = max(plan.units, key=lambda u: (u.closure_s, u.unit))
    assert b is not None and b.unit == last.unit and b.closure_s == plan.closure_s
    # the columns the closure meets drive round it: the last column waits for its vehicles to
    # come ashore, and nothing on the road after that (a closure that binds: tests/scheduling/test_findings)
    assert b.part == "reception" and b.where == "port-antwerp" and "ship-1-antwerp" in b.what
    assert "drives with no wait" in b.what
    assert b.subject in {m.id for m in plan.march_units if m.unit == last.unit}
    assert b.where in {r.control_point for r in plan.march.rows if r.march_unit == b.subject}
    assert 0 < b.at_s <= plan.closure_s
    s = plan.summary()["bottleneck"]
    assert s["part"] == "reception" and s["where"] == b.where and s["at"] == plan.clock.iso(b.at_s)


def test_the_report_shows_the_binding_the_disruption_and_every_solver(bridge):
    plan, paths = bridge
    html = paths["report"].read_text(encoding="utf-8")
    assert "None reported" not in html
    bottlenecks = html[
        html.index("<h2>Bottlenecks</h2>") : html.index("<h2>Disruptions and their effect</h2>")
    ]
    assert "held by reception</b>" in bottlenecks and f"<b>{plan.binding.where}</b>" in bottlenecks
    assert f"{len(_effect(plan).rerouted)} march units rerouted" in bottlenecks
    assert "Permissions at risk: none of" in bottlenecks
    disruptions = html[html.index("<h2>Disruptions and their effect</h2>") : html.index("<h2>Reception</h2>")]
    for r in _effect(plan).rerouted:
        assert f"<td>{r.march_unit}</td>" in disruptions
    status = html[html.index("<h2>Solver status</h2>") :]
    rows = re.findall(r"<tr><td>([^<]+)</td><td>([^<]*)</td><td>([^<]*)</td>", status.split("</table>")[0])
    assert [r[0] for r in rows] == ["road", "rail", "HET shuttles", "reception"]
    road = dict(zip(["part", "status", "optimality"], rows[0], strict=True))
    assert road["status"] == "feasible" and road["optimality"].startswith("not proven")
    assert rows[3][1] == "scheduled" and rows[3][2].startswith("rule-based")


def test_a_cp_sat_road_solve_shows_its_bound_and_gap(tmp_path):
    plan = make_plan(write_world(tmp_path))
    road = plan.summary()["solver"]["road"]
    assert road["method"].startswith("cp-sat")
    row = _solver_row("road", road)
    assert row["status"] in ("optimal", "feasible")
    assert row["optimality"] == f"bound {road['bound_hours']} h, gap {road['gap']}"


def test_the_report_charts_scale_to_the_page_and_the_march_table_is_split_per_unit(bridge):
    plan, paths = bridge
    html = paths["report"].read_text(encoding="utf-8")
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert len(svgs) >= 3
    for svg in svgs:
        root = ET.fromstring(svg)
        assert re.fullmatch(r"0 0 \d+(\.\d+)? \d+(\.\d+)?", root.get("viewBox", "")), svg[:120]
    own = [s for s in svgs if 'width="100%"' in s]
    assert len(own) == len(svgs) - 1  # all but the quay chart (also a file of its own), sized by CSS
    assert ".chart svg{width:100%;height:auto" in html
    units = sorted({r.unit for r in plan.march.rows})
    blocks = re.findall(r"<details><summary>([^<:]+): (\d+) march units, (\d+) rows</summary>", html)
    assert [b[0] for b in blocks] == units
    assert sum(int(b[2]) for b in blocks) == len(plan.march.rows)


def test_the_map_legend_has_an_entry_for_every_layer(bridge):
    _, paths = bridge
    html = paths["map"].read_text(encoding="utf-8")
    control = re.search(r"overlays\s*:\s*\{(.*?)\}", html, flags=re.S).group(1)
    layers = set(re.findall(r'"([^"]+)"\s*:', control))
    assert {"Routes", "Sites", "Bridges (MLC)", "Background: countries and towns (offline)"} <= layers
    legend = html[html.index("<details id='enablement-legend'") :]
    legend = legend[: legend.index("</details>")]
    entries = set(re.findall(r"data-layer='([^']+)'", legend))
    assert layers <= entries, layers - entries
    assert "Time slider" in entries  # the slider's markers are drawn outside the layer control
    assert '"collapsed": true' in html  # the layer control folds away


def test_the_map_has_a_metric_scale_only_and_the_legend_elsewhere(bridge):
    _, paths = bridge
    html = paths["map"].read_text(encoding="utf-8")
    assert html.count("L.control.scale(") == 1
    assert "L.control.scale({metric:true,imperial:false,position:'bottomleft'" in html
    legend = html[html.index("<details id='enablement-legend'") :][:400]
    assert "bottom:22px;right:10px" in legend  # bottom right: the scale has the bottom left


def test_site_and_bridge_popups_say_what_the_plan_asks_with_source_and_status(bridge):
    plan, paths = bridge
    html = paths["map"].read_text(encoding="utf-8")
    sites = plan.network.sites
    bridges = plan.network.edges["bridge_id"].dropna().nunique()
    assert (
        html.count("&lt;b&gt;In this plan&lt;/b&gt;") + html.count("<b>In this plan</b>")
        == len(sites) + bridges
    )
    assert "snap_road_m" not in html and "node_road" not in html  # no raw attribute dump
    port = _site_popup("port-antwerp", sites.loc["port-antwerp"].to_dict(), plan.site_use()["port-antwerp"])
    assert "616 vehicles received (ship-1-antwerp)" in port
    assert "Source: location: OpenStreetMap" in port and "<i>illustrative exercise values</i>" in port
    assert "berths</th><td>2</td>" in port
    staging = plan.site_use()["staging-brasschaat"]
    assert any(line.startswith("peak ") and "vehicles staged at" in line for line in staging)
    use = plan.bridge_use()[BRIDGE]
    assert f"closed ({CLOSURE}) from 2026-03-02T15:00:00+01:00 until 2026-03-03T21:00:00+01:00" in use
    crossing = {
        mu for (mu, _), r in plan.march.routes.items() if set(r.edges) & set(_effect(plan).closure.edges)
    }
    assert f"{len(crossing)} march units cross it" in use


def test_the_offline_background_draws_the_countries_and_the_towns(bridge):
    _, paths = bridge
    html = paths["map"].read_text(encoding="utf-8")
    places = json.loads((resources.files("enablement") / "data" / "places.geojson").read_text("utf-8"))
    assert "GeoNames" in places["source"] and len(places["features"]) >= 20
    # folium writes each label's HTML as JSON, with < > ' as \u escapes
    towns = re.findall(r"enablement-town\\u0027\\u003e.*?\\u003c/span\\u003e(.*?)\\u003c/div\\u003e", html)
    towns = [json.loads(f'"{t}"') for t in towns]  # the JSON string's escapes (è is \u00e8)
    assert sorted(towns) == sorted(f["properties"]["name"] for f in places["features"])
    countries = json.loads((resources.files("enablement") / "data" / "countries.geojson").read_text("utf-8"))
    for f in countries["features"]:
        assert f'"name": "{f["properties"]["name"]}"' in html
    assert "Towns: GeoNames cities15000 (CC BY 4.0" in html  # credited in the legend


def test_the_report_gives_the_road_closure_before_and_after_the_disruption(bridge):
    plan, paths = bridge
    cost = plan.disruption_cost
    assert cost is not None
    # the plan is the greedy baseline here: its road closure is the "with" figure
    assert cost.with_s == pytest.approx(cost.plan_s)
    assert cost.plan_s == pytest.approx(max(plan.march.closure_s.values()))
    # the Merksem closure holds the greedy's columns back: without it the road closes earlier
    assert cost.without_s < cost.with_s
    s = json.loads(paths["summary"].read_text(encoding="utf-8"))["disruption_cost"]
    assert s["delay_hours"] == pytest.approx(round(cost.delay_s / 3600, 2))
    html = paths["report"].read_text(encoding="utf-8")
    section = html[html.index("<h2>Disruptions and their effect</h2>") : html.index("<h2>Reception</h2>")]
    assert f"<b>{s['greedy_closure_without']}</b> without" in section
    assert f"<b>{s['greedy_closure_with']}</b> with them" in section
