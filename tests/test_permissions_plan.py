"""Cross-border permissions through whole plans: the small world filed late, and the packaged scenarios."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pandas as pd
import pytest

from enablement.outputs import write_outputs
from enablement.outputs.report import report_html
from enablement.outputs.tables import PERMISSION_COLUMNS, march_table, permission_table, train_table
from enablement.plan import make_plan
from enablement.scheduling.checks import check_march_table
from enablement.scheduling.permissions import permission_requests
from enablement.vehicles import load_catalogue
from tests.small_world import write_world

FILED_IN_TIME = "permissions: {filing_from: '2026-01-10T08:00:00+01:00', regime: eca-2025}"


def _requests_expected(plan) -> set[tuple[str, str]]:
    """(crossing, movement) of every serial and train that reaches a border crossing in the plan."""
    crossings = set(plan.network.sites.index[plan.network.sites["kind"] == "border_crossing"])
    road = {
        (r.control_point, f"{r.unit}/S{r.serial}") for r in plan.march.rows if r.control_point in crossings
    }
    rail = {(t.border, t.id) for t in plan.trains if t.border in crossings}
    return road | rail


@pytest.fixture(scope="module")
def filed_late(tmp_path_factory):
    """The small world with requests filed only at the start, under the EU proposal's 3 working days."""
    path = write_world(tmp_path_factory.mktemp("late") / "in")
    text = path.read_text()
    assert FILED_IN_TIME in text
    path.write_text(text.replace(FILED_IN_TIME, "permissions: {regime: eu-2025-peacetime}"))
    plan = make_plan(path)
    return plan, write_outputs(plan, path.parent.parent / "out")


def test_a_plan_filed_late_waits_for_its_permissions_and_passes_its_checker(filed_late):
    plan, paths = filed_late
    granted = plan.clock.seconds(dt.datetime(2026, 3, 5, 6, 0, tzinfo=plan.scenario.start.tzinfo))
    assert {p.open_s for p in plan.rules.permits.values()} == {granted}  # Monday 06:00 + 3 working days
    at_border = [r for r in plan.march.rows if r.control_point == "border-x"]
    assert at_border and min(r.arrive_s for r in at_border) >= granted - 1e-6
    assert plan.trains and all(t.border_s >= granted - 1e-6 for t in plan.trains if t.border)
    table = march_table(plan)
    table["arrive"] = pd.to_datetime(table["arrive"])
    table["depart"] = pd.to_datetime(table["depart"])
    assert [v for v in check_march_table(table, plan.rules, plan.network) if v.kind == "permission"] == []
    # the requests: one per crossing and serial or train, each due at the filing date (at risk: tight)
    found = pd.read_csv(paths["permissions"])
    assert list(found.columns) == list(PERMISSION_COLUMNS)
    assert set(zip(found["crossing"], found["movement"], strict=True)) == _requests_expected(plan)
    assert len(found) == len(_requests_expected(plan))
    assert found["at_risk"].all() and set(found["risk"]) == {"tight"}
    summary = json.loads(paths["summary"].read_text())["permissions"]
    assert summary["requests"] == len(found) and summary["at_risk"] == len(found)
    assert summary["regime"] == "eu-2025-peacetime"


def test_the_deadline_is_the_first_vehicle_less_the_lead_time(tmp_path):
    plan = make_plan(write_world(tmp_path / "in"))  # filed from 10 January under 45 days' notice
    frame = permission_table(plan)
    assert set(zip(frame["crossing"], frame["movement"], strict=True)) == _requests_expected(plan)
    first = frame["first_vehicle"].map(dt.datetime.fromisoformat)
    deadline = frame["filing_deadline"].map(dt.datetime.fromisoformat)
    assert ((first - deadline) == dt.timedelta(days=45)).all()
    assert not frame["at_risk"].any()
    assert (frame["lead_time"] == "45 calendar days").all()
    trains = frame[frame["mode"] == "rail"]
    assert len(trains) == len(plan.trains) and trains["out_of_gauge"].all()  # Leopard 2A6: too wide
    assert (trains["heaviest_mlc"] == 70).all() and not trains["heavy_load"].any()  # MLC 70: not above it
    # the report lists the requests at risk first
    rows = [(r.march_unit, r.unit, r.serial, r.control_point, r.arrive_s, r.pass_s) for r in plan.march.rows]
    # a hand-made serial crossing a week before the start: due on 8 January, before requests can be filed
    rows.append(("LATE/01", "LATE", 1, "border-x", -7 * 86400.0, 60.0))
    vehicles = {m.id: m.vehicles for m in plan.march_units} | {"LATE/01": ("jltv",)}
    requests = permission_requests(plan.rules.permits, plan.clock, rows, vehicles, [], load_catalogue())
    assert requests[0].movement == "LATE/S1" and requests[0].risk == "past"
    shown = dataclasses.replace(plan, permissions=requests)
    page = report_html(shown, march_table(shown), train_table(shown))
    section = page[page.index("Cross-border permission requests") :]
    assert "1 at risk" in section
    late_at = section.index("LATE/S1")
    assert all(late_at < section.index(r.movement) for r in requests[1:])


def test_the_default_scenario_writes_its_permission_requests(default_plan):
    frame = permission_table(default_plan)
    assert set(zip(frame["crossing"], frame["movement"], strict=True)) == _requests_expected(default_plan)
    assert len(frame) == len(_requests_expected(default_plan)) > 0
    assert set(frame["crossing"]) == {"border-e40-lichtenbusch", "border-rail-montzen"}
    assert set(frame["neighbour"]) == {"DE"}
    assert not frame["at_risk"].any()  # filed from mid-January: today's 45 days' notice is met
    assert (frame["heavy_load"] == (frame["heaviest_mlc"] > 70)).all()  # the sourced MLC 70 threshold
    rail = frame[frame["mode"] == "rail"]
    assert rail["heavy_load"].any() and rail["out_of_gauge"].all()  # trains with M1A2 (MLC 80) aboard
