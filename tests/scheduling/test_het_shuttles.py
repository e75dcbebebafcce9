"""HET shuttles end to end on the small world: night moves, one place at a time, outputs that show them.

Two tracked units by road (5 Leopards and one M1A2, heavier than the HET's payload) ride two
HETs from the port to the border crossing, by night only. The shuttle plan loads them for
runs inside the movement window, the road schedule (greedy and CP-SAT) holds each column
until its HETs are back, the checker reads the same rule from the march table, and the
HET trips, the report and the map show the shuttles as the road runs them.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pandas as pd
import pytest

from enablement.defaults import figure
from enablement.network.model import Network
from enablement.outputs import write_outputs
from enablement.outputs.tables import het_table, march_table
from enablement.plan import Plan, build_network, make_plan
from enablement.scenario import load_scenario
from enablement.scenario.schema import Halts
from enablement.scheduling.checks import check_march_table, read_march_table
from enablement.scheduling.march import HaltRule, MarchRules, march_rules
from enablement.scheduling.shuttles import load_windows, loaded_run_s
from enablement.timeline import Clock, Intervals
from tests.small_world import write_world

WINDOW = ("21:00", "05:00")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = write_world(tmp_path_factory.mktemp("het-shuttles"))
    text = path.read_text()
    edits = {
        "- {unit: TRK, mode: rail, quay: quay-q, to: border-r, rdd: '2026-03-04T06:00:00+01:00'}": (
            "- {unit: TRK, mode: road, to: border-x, rdd: '2026-03-04T06:00:00+01:00'}\n"
            "- {unit: TRK2, mode: road, to: border-x, rdd: '2026-03-04T06:00:00+01:00'}"
        ),
        "  - {unit: TRK, vehicle: leopard2a6, count: 6}\n": (
            "  - {unit: TRK, vehicle: leopard2a6, count: 5}\n"
            "  - {unit: TRK2, vehicle: m1a2_sepv3, count: 1}\n"
        ),
        "resources: {wagons: 10, locomotives: 2}": "resources: {wagons: 10, locomotives: 2, hets: 2}",
        "  headway_min: 2\n": (
            f"  headway_min: 2\n  movement_window: {{start: '{WINDOW[0]}', end: '{WINDOW[1]}'}}\n"
        ),
    }
    for old, new in edits.items():
        assert old in text
        text = text.replace(old, new)
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def network(world: Path) -> Network:
    return build_network(load_scenario(world), world.parent)


@pytest.fixture(scope="module", params=["greedy", "cp-sat"])
def plan(request: pytest.FixtureRequest, world: Path, network: Network) -> Plan:
    return make_plan(load_scenario(world), network=network, solver={"road": request.param})


def _runs(plan: Plan) -> dict[int, list[tuple[float, float, str]]]:
    """Each HET's loaded runs on the road schedule: (departure, tail in, column), by departure."""
    leave: dict[str, float] = {}
    for r in plan.march.rows:
        leave.setdefault(r.march_unit, r.depart_s)
    out: dict[int, list[tuple[float, float, str]]] = {}
    for m in plan.march_units:
        for h in m.hets:
            out.setdefault(h, []).append((leave[m.id], plan.march.closure_s[m.id], m.id))
    return {h: sorted(v) for h, v in out.items()}


def _read_back(plan: Plan, tmp_path: Path) -> pd.DataFrame:
    """The plan's march table as ``enablement check`` reads it."""
    path = tmp_path / "march_table.csv"
    march_table(plan).to_csv(path, index=False)
    return read_march_table(path)


def test_loaded_runs_keep_to_the_movement_window(plan, tmp_path):
    assert plan.het_planned is not None and plan.hets is not None
    spans = Clock(plan.scenario.start, plan.scenario.zone).daily(*WINDOW).spans
    # the shuttle plan's loaded runs, leaving and arriving, inside one window each
    for t in plan.het_planned.trips:
        assert any(a - 1 <= t.depart_s and t.arrive_s <= b + 1 for a, b in spans), t
    # and the road schedule's: no HET row outside the window
    found = check_march_table(_read_back(plan, tmp_path), plan.rules, plan.network)
    assert [v for v in found if v.kind == "window"] == []


def test_each_het_is_in_one_place_at_a_time_on_the_road(plan, tmp_path):
    load = float(figure("het_load_min")) * 60.0
    unload = float(figure("het_unload_min")) * 60.0
    runs = _runs(plan)
    assert set(runs) == {1, 2} and sum(len(v) for v in runs.values()) == 6  # 6 loads, 2 HETs
    travel = dict(plan.rules.het_turnaround.drive_s)
    back = travel[("border-x", "port-w")]
    for het, mine in runs.items():
        for (_, tail, a), (leave, _, b) in itertools.pairwise(mine):
            assert leave >= tail + unload + back + load - 1.0, (het, a, b)
    # the checker reads the same rule from the march table's hets column, with the plan's rules and
    # with the scenario's (as `enablement check` does: the fastest road for an empty HET)
    table = _read_back(plan, tmp_path)
    assert check_march_table(table, plan.rules, plan.network) == []
    assert check_march_table(table, march_rules(plan.scenario, plan.network), plan.network) == []


def test_the_het_trips_are_the_road_schedules_and_the_shuttle_rules_still_hold(plan):
    unload = float(figure("het_unload_min")) * 60.0
    leave: dict[str, float] = {}
    for r in plan.march.rows:
        leave.setdefault(r.march_unit, r.depart_s)
    assert plan.hets is not None and len(plan.hets.trips) == 6
    for t in plan.hets.trips:
        column = plan.het_columns[t.task]
        assert t.depart_s == leave[column] and t.unloaded_s == plan.march.closure_s[column] + unload
        mu = next(m for m in plan.march_units if m.id == column)
        assert t.het + 1 in mu.hets
    # the driven shuttles keep the shift and rest rules (nothing to warn about on this small world)
    assert not [w for w in plan.warnings if w.startswith("HET shuttles as the road schedule runs them")]
    trk2 = next(u for u in plan.units if u.unit == "TRK2")
    assert trk2.closure_s == max(t.unloaded_s for t in plan.hets.trips if t.group == "TRK2")


def test_the_outputs_show_the_shuttles_and_the_load_over_the_payload(plan, tmp_path):
    assert plan.het_over_payload == ["m1a2_sepv3"]
    assert any("m1a2_sepv3 weigh more than the 63.5 t payload" in w for w in plan.warnings)
    summary = plan.summary()
    assert summary["solver"]["het"]["over_payload"] == ["m1a2_sepv3"]
    assert summary["solver"]["het"]["planned_closure_hours"] <= summary["solver"]["het"]["closure_hours"]
    # one column carries both units' vehicles: the "HET" unit, through every output
    assert "HET" in {m.unit for m in plan.march_units if m.purpose == "het"}
    paths = write_outputs(plan, tmp_path / "out")
    trips = pd.read_csv(paths["het_trips"])
    assert len(trips) == 6 and set(trips["over_payload"]) == {True, False}
    assert trips.loc[trips["vehicle"] == "m1a2_sepv3", "over_payload"].all()
    table = pd.read_csv(paths["march_table"], dtype={"hets": str})
    het_rows = table[table["march_unit"].str.startswith("HET/")]
    assert not het_rows.empty and het_rows["hets"].notna().all()
    assert table.loc[~table["march_unit"].str.startswith("HET/"), "hets"].isna().all()
    first = table.sort_values(["march_unit", "leg", "seq"]).groupby("march_unit")["depart"].first()
    assert all(first[c] == d for c, d in zip(trips["column"], trips["depart"], strict=True))
    report = paths["report"].read_text()
    assert "<h2>HET shuttles</h2>" in report and "Heavier than the HET's payload" in report
    assert all(c in report for c in set(trips["column"]))
    page = paths["map"].read_text()
    assert "HET shuttle (laden HETs)" in page and "HET park: 2 HETs" in page
    assert het_table(plan)["column"].tolist() == trips["column"].tolist()


def test_a_loaded_run_starts_loading_only_when_it_fits_in_the_window():
    window = Intervals([(0.0, 8 * 3600.0), (24 * 3600.0, 32 * 3600.0)])
    # 20 min to load, a 3 h run: loading from 20 min before the window opens to 3 h 20 min before it ends
    assert load_windows(window, 1200.0, 3 * 3600.0) == (
        (-1200.0, 8 * 3600.0 - 1200.0 - 3 * 3600.0),
        (24 * 3600.0 - 1200.0, 32 * 3600.0 - 1200.0 - 3 * 3600.0),
    )
    assert load_windows(window, 1200.0, 9 * 3600.0) == ()  # longer than any window
    assert load_windows(None, 1200.0, 9 * 3600.0) is None  # columns move at any time
    halts = HaltRule.of(Halts(first_after_min=60, first_duration_min=15, every_min=120, duration_min=10))
    assert halts.allowance_s(3000.0) == 0.0
    assert halts.allowance_s(300 * 60.0) == 25 * 60.0  # halts after 1 h and 3 h; 5 h is the end
    assert halts.allowance_s(301 * 60.0) == 35 * 60.0  # and one after 5 h
    rules = MarchRules(Clock(dt.datetime(2026, 3, 2, 6, tzinfo=dt.UTC), dt.UTC), 0.0, halts)
    # the drive, its halts and one more, the wait for the column's last HET and its length
    assert (
        loaded_run_s(228 * 60.0, rules, 200.0, 1800.0) == 228 * 60.0 + 25 * 60.0 + 10 * 60.0 + 1800.0 + 200.0
    )
