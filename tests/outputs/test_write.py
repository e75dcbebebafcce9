"""A plan's files on a small world: every table and page written, each consistent with the plan."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from enablement.outputs import write_outputs
from enablement.outputs.tables import MARCH_TABLE_COLUMNS, march_table, train_table, unit_table
from enablement.plan import make_plan
from tests.small_world import write_world


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("world")
    plan = make_plan(write_world(folder / "in"))
    return plan, write_outputs(plan, folder / "out")


def test_every_file_is_written_and_named_in_the_summary(written):
    plan, paths = written
    assert set(paths) == {
        "march_table",
        "trains",
        "units",
        "permissions",
        "map",
        "quay_gantt",
        "report",
        "march_workbook",
        "geopackage",
        "kml",
        "gpx",
        "summary",
    }
    for p in paths.values():
        assert p.is_file() and p.stat().st_size > 0
    summary = json.loads(paths["summary"].read_text())
    assert summary["files"] == {k: p.name for k, p in paths.items()}
    assert summary["kpis"] == json.loads(json.dumps(plan.kpis()))


def test_tables_follow_the_plan(written):
    plan, paths = written
    mt = pd.read_csv(paths["march_table"])
    assert list(mt.columns) == list(MARCH_TABLE_COLUMNS)
    assert len(mt) == len(plan.march.rows) == len(march_table(plan))
    assert set(mt["march_unit"]) == {m.id for m in plan.march_units}
    assert mt["movement_number"].nunique() == len(plan.march_units)
    trains = pd.read_csv(paths["trains"])
    assert list(trains["train"]) == [t.id for t in plan.trains] == list(train_table(plan)["train"])
    units = pd.read_csv(paths["units"])
    assert list(units["unit"]) == [u.unit for u in plan.units] == list(unit_table(plan)["unit"])


def test_report_and_gantt_show_the_plan(written):
    plan, paths = written
    report = paths["report"].read_text()
    assert plan.scenario.name in report and "map.html" in report
    svg = paths["quay_gantt"].read_text()
    assert svg.startswith("<svg") and all(t.id in svg for t in plan.trains)


def test_units_sharing_their_first_six_characters_get_distinct_movement_codes():
    """The division's 1BDE-ART-TRK and 1BDE-ART-WHL both start 1BDEAR: they shared movement numbers."""
    from enablement.outputs.tables import unit_codes

    units = ["1BDE-ART-WHL", "1BDE-ART-TRK", "1BDE-ARTY", "1-CAB-WHL", "1BDE-ART-TRK"]
    codes = unit_codes(units)
    assert codes["1BDE-ART-TRK"] == "1BDEAR"  # the first in id order keeps its code
    assert codes["1-CAB-WHL"] == "1CABWH"  # a unit without a twin is unchanged
    assert len(set(codes.values())) == len(codes) == 4
    assert all(re.fullmatch(r"[A-Z0-9]{1,6}", c) for c in codes.values())
    assert unit_codes(reversed(units)) == codes  # the same codes whatever the order units come in


def test_the_plan_is_checked_as_written(written):
    _, paths = written
    check = json.loads(paths["summary"].read_text())["check"]
    assert check["valid"] is True and check["hard"] == 0
    assert check["violations"] == sum(check["by_kind"].values())
    assert set(check["by_kind"]) <= set(check["soft_kinds"])
    assert "Checked as written against its own rules" in paths["report"].read_text()


def test_a_plan_that_breaks_a_rule_is_written_but_never_as_valid(written, tmp_path):
    import dataclasses

    plan, _ = written
    # the same plan judged by stricter rules than it was made under: a headway no column kept
    stricter = dataclasses.replace(plan, rules=dataclasses.replace(plan.rules, headway_s=1e6))
    paths = write_outputs(stricter, tmp_path / "out")
    check = json.loads(paths["summary"].read_text())["check"]
    assert check["valid"] is False and check["by_kind"].get("overlap", 0) > 0
    assert check["hard"] == sum(n for k, n in check["by_kind"].items() if k not in check["soft_kinds"])
    assert any(g["kind"] == "overlap" for g in check["groups"])
    assert "NOT VALID" in paths["report"].read_text()
