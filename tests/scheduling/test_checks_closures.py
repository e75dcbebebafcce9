"""The checker finds a column on a road or at a site while it is closed (small world)."""

from __future__ import annotations

import pytest

from enablement.outputs.tables import march_table
from enablement.plan import build_network, make_plan
from enablement.scenario import load_scenario
from enablement.scheduling.checks import check_march_table, read_march_table
from enablement.scheduling.march import march_rules
from tests.small_world import DLAT, DLON, LAT0, LON0, write_world

CLOSED_ROAD = (
    f"[{{id: cut, kind: close_road, at: [{LON0 + 0.5 * DLON}, {LAT0 + DLAT}], "
    "start: '2026-03-02T06:00:00+01:00'}]"
)
CLOSED_STAGING = (
    "[{id: shut, kind: close_site, target: staging-m, start: '2026-03-02T06:00:00+01:00', "
    "end: '2026-03-02T12:00:00+01:00'}]"
)


@pytest.fixture(scope="module")
def open_world(tmp_path_factory):
    """The small world's plan with every road open, written as march_table.csv and read back."""
    path = write_world(tmp_path_factory.mktemp("open"))
    plan = make_plan(path)
    csv = path.parent / "march_table.csv"
    march_table(plan).to_csv(csv, index=False)
    return plan, read_march_table(csv)


def rules_with(tmp_path, disruptions):
    sc_path = write_world(tmp_path, disruptions=disruptions)
    sc = load_scenario(sc_path)
    net = build_network(sc, sc_path.parent)
    return march_rules(sc, net), net


def test_a_table_through_a_closed_road_is_caught(open_world, tmp_path):
    plan, table = open_world
    assert check_march_table(table, plan.rules, plan.network) == []
    rules, net = rules_with(tmp_path, CLOSED_ROAD)
    found = [v for v in check_march_table(table, rules, net) if v.kind == "closure"]
    assert found and all("shorter than any road open" in v.message for v in found)
    assert {v.place.split(" -> ")[0] for v in found} == {"port-w"}
    # the plan made with the closure drives around it and passes
    replanned = make_plan(write_world(tmp_path / "again", disruptions=CLOSED_ROAD))
    csv = tmp_path / "again.csv"
    march_table(replanned).to_csv(csv, index=False)
    assert check_march_table(read_march_table(csv), replanned.rules, replanned.network) == []


def test_a_column_through_a_closed_staging_area_is_caught(open_world, tmp_path):
    _plan, table = open_world
    rules, net = rules_with(tmp_path, CLOSED_STAGING)
    found = [v for v in check_march_table(table, rules, net) if v.kind == "closure"]
    assert found and all("while staging-m is closed" in v.message for v in found)
