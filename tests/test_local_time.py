"""Whole plans across both daylight-saving changes of 2026: the night window stays 21:00-05:00 Brussels time.

The small world's road units land on three ships and drive to the border at night.
In spring (start Saturday 28 March, CET) one unit moves the night before the change,
one lands just after 05:00 CEST on Sunday 29 March (an hour before the night window
would close if it kept CET) and one at noon (its night opens at 21:00 CEST, not
22:00). In autumn (start Saturday 24 October, CEST) one unit lands at 04:20 CET on
Sunday 25 October (inside the long night, which ends at 05:00 CET) and one at noon
(its night opens at 21:00 CET, not 20:00).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import shutil
import subprocess

import pandas as pd
import pytest

from enablement.outputs import write_outputs
from enablement.outputs.maps import slider_labels
from enablement.plan import make_plan
from enablement.scenario.schema import Permissions
from enablement.scheduling.checks import check_march_table, read_march_table
from enablement.scheduling.permissions import crossing_permits
from tests.helpers import BRUSSELS
from tests.small_world import write_world

SCENARIO = """\
version: 1
name: Small world across a clock change
start: '{start}'
network: {{source: world.gpkg, snap_tolerance_m: 3000}}
overlays: [overlay]
policy:
  march_unit_max_vehicles: 10
  headway_min: 2
  movement_window: {{start: '21:00', end: '05:00'}}
arrivals:
- {{id: ship-1, kind: ship, site: port-w, time: '{first}',
   equipment: [{{unit: EVE, vehicle: man_hx_8x8, count: 10}}]}}
- {{id: ship-2, kind: ship, site: port-w, time: '{dawn}',
   equipment: [{{unit: DAWN, vehicle: jltv, count: 6}}]}}
- {{id: ship-3, kind: ship, site: port-w, time: '{noon}',
   equipment: [{{unit: NOON, vehicle: man_hx_8x8, count: 10}}]}}
movements:
- {{unit: EVE, to: border-x, rdd: '{rdd}'}}
- {{unit: DAWN, to: border-x, rdd: '{rdd}'}}
- {{unit: NOON, to: border-x, rdd: '{rdd}'}}
solver: {{road: greedy}}
permissions: {{filing_from: '2026-01-10T08:00:00+01:00', regime: eca-2025}}
"""

SPRING = {
    "start": "2026-03-28T06:00:00+01:00",
    "first": "2026-03-28T12:00:00+01:00",
    "dawn": "2026-03-29T05:20:00+02:00",
    "noon": "2026-03-29T12:00:00+02:00",
    "rdd": "2026-04-01T06:00:00+02:00",
}
AUTUMN = {
    "start": "2026-10-24T06:00:00+02:00",
    "first": "2026-10-24T12:00:00+02:00",
    "dawn": "2026-10-25T04:20:00+01:00",
    "noon": "2026-10-25T12:00:00+01:00",
    "rdd": "2026-10-28T06:00:00+01:00",
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return write_world(tmp_path_factory.mktemp("world"))


def _plan(world, times, name):
    path = world.parent / f"{name}.yaml"
    path.write_text(SCENARIO.format(**times))
    plan = make_plan(path)
    paths = write_outputs(plan, world.parent / f"out-{name}")
    return plan, paths


@pytest.fixture(scope="module")
def spring(world):
    return _plan(world, SPRING, "spring")


@pytest.fixture(scope="module")
def autumn(world):
    return _plan(world, AUTUMN, "autumn")


def _moves(path) -> list[tuple[str, dt.datetime, dt.datetime]]:
    """(march unit, head leaves, head reaches) of every segment driven, read from the CSV as written."""
    table = pd.read_csv(path, dtype=str)
    table = table.assign(leg=table["leg"].astype(int), seq=table["seq"].astype(int))
    out = []
    for mu, g in table.sort_values(["march_unit", "leg", "seq"]).groupby("march_unit"):
        rows = g.to_dict("records")
        for a, b in itertools.pairwise(rows):
            if a["leg"] == b["leg"] and a["next_control_point"] == b["control_point"]:
                out.append(
                    (mu, dt.datetime.fromisoformat(a["depart"]), dt.datetime.fromisoformat(b["arrive"]))
                )
    return out


def _inside_night(when: dt.datetime) -> bool:
    local = when.astimezone(BRUSSELS).time()
    return local >= dt.time(21, 0) or local <= dt.time(5, 0)


def _first_departure(moves, unit: str) -> str:
    return min(a for mu, a, _ in moves if mu.startswith(f"{unit}/")).isoformat()


def _check(plan, paths):
    """The written table passes the checker, read back as exercise staff would."""
    table = read_march_table(paths["march_table"])
    assert "dtg" in table.columns
    assert check_march_table(table, plan.rules, plan.network) == []


def test_spring_every_move_is_inside_the_night_window_in_brussels_time(spring):
    plan, paths = spring
    moves = _moves(paths["march_table"])
    assert {mu.split("/")[0] for mu, _, _ in moves} == {"EVE", "DAWN", "NOON"}
    assert [m for m in moves if not (_inside_night(m[1]) and _inside_night(m[2]))] == []
    assert _first_departure(moves, "EVE") == "2026-03-28T21:00:00+01:00"
    # landed at 05:20 CEST, after the short night's end at 05:00 CEST: waits for the next night
    dawn = _first_departure(moves, "DAWN")
    noon = _first_departure(moves, "NOON")
    assert sorted([dawn, noon])[0] == "2026-03-29T21:00:00+02:00"
    assert dawn[:13] == noon[:13] == "2026-03-29T21"
    _check(plan, paths)


def test_spring_times_after_the_change_carry_the_summer_offset(spring):
    _, paths = spring
    table = pd.read_csv(paths["march_table"], dtype=str)
    change = dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.UTC)
    for col in ("arrive", "depart"):
        for text in table[col]:
            when = dt.datetime.fromisoformat(text)
            assert text.endswith("+02:00" if when >= change else "+01:00"), text
            assert when.utcoffset() == when.astimezone(BRUSSELS).utcoffset()
    after = table[table["unit"].isin(["DAWN", "NOON"])]
    assert set(after["dtg"].str[6]) == {"B"}  # Bravo: UTC+2
    starts = after[after["kind"] == "start"].sort_values("depart")
    assert starts.iloc[0]["dtg"] == "292100BMAR26"
    before = table[table["unit"] == "EVE"]
    assert set(before["dtg"].str[6]) == {"A"}  # Alpha: UTC+1 (the night ends before the change)
    assert before[before["kind"] == "start"].iloc[0]["dtg"] == "282100AMAR26"
    units = pd.read_csv(paths["units"], dtype=str).set_index("unit")
    assert units.loc["EVE", "closure"].startswith("2026-03-28T21:")
    assert units.loc["EVE", "closure"].endswith("+01:00") and units.loc["NOON", "closure"].endswith("+02:00")
    assert set(units["rdd"]) == {"2026-04-01T06:00:00+02:00"}


def test_autumn_every_move_is_inside_the_night_window_in_brussels_time(autumn):
    plan, paths = autumn
    moves = _moves(paths["march_table"])
    assert [m for m in moves if not (_inside_night(m[1]) and _inside_night(m[2]))] == []
    assert _first_departure(moves, "EVE") == "2026-10-24T21:00:00+02:00"
    # landed at 04:20 CET, inside the long night that ends at 05:00 CET: moves at once
    dawn = dt.datetime.fromisoformat(_first_departure(moves, "DAWN"))
    assert dawn.isoformat()[:13] == "2026-10-25T04" and dawn.utcoffset() == dt.timedelta(hours=1)
    assert _first_departure(moves, "NOON") == "2026-10-25T21:00:00+01:00"
    table = pd.read_csv(paths["march_table"], dtype=str)
    noon = table[(table["unit"] == "NOON") & (table["kind"] == "start")].iloc[0]
    assert noon["dtg"] == "252100AOCT26"  # Alpha again: UTC+1
    _check(plan, paths)


def test_the_map_slider_shows_local_time_with_its_offset(spring):
    plan, paths = spring
    labels = slider_labels(plan.clock, 24 * 60)
    assert labels[0] == "Sat 2026-03-28 06:00 UTC+01:00"
    assert labels[119] == "Sun 2026-03-29 01:50 UTC+01:00"  # 19 h 50 min after the start
    assert labels[120] == "Sun 2026-03-29 03:00 UTC+02:00"  # 20 h: the clocks jump from 02:00 to 03:00
    assert labels[-1] == "Sun 2026-03-29 07:00 UTC+02:00"
    page = paths["map"].read_text(encoding="utf-8")
    data = json.loads(re.search(r"var D=(\{.*?\});var map=", page).group(1))
    assert data["labels"][:2] == ["Sat 2026-03-28 06:00 UTC+01:00", "Sat 2026-03-28 06:10 UTC+01:00"]
    assert "Sun 2026-03-29 03:00 UTC+02:00" in data["labels"]
    assert not any("2026-03-29 02:" in label for label in data["labels"])  # the hour that does not exist
    assert data["step"] == 10 and len(data["labels"]) == (int(data["end"]) + 1) // 10 + 1
    assert "toISOString" not in page and "(local time, Europe/Brussels)" in page


def test_the_map_slider_labels_in_autumn_repeat_the_hour_with_both_offsets(autumn):
    plan, _ = autumn
    labels = slider_labels(plan.clock, 24 * 60, 30)
    assert labels[0] == "Sat 2026-10-24 06:00 UTC+02:00"
    # 25 October, 03:00 CEST becomes 02:00 CET: the hour from 02:00 is shown twice, each with its offset
    assert "Sun 2026-10-25 02:30 UTC+02:00" in labels and "Sun 2026-10-25 02:30 UTC+01:00" in labels
    assert labels.index("Sun 2026-10-25 02:30 UTC+02:00") + 2 == labels.index(
        "Sun 2026-10-25 02:30 UTC+01:00"
    )
    assert labels[-1] == "Sun 2026-10-25 05:00 UTC+01:00"


def test_the_report_names_the_zone_and_shows_local_offsets(spring):
    _, paths = spring
    report = paths["report"].read_text(encoding="utf-8")
    assert "times are local time in Europe/Brussels" in report
    assert "2026-03-29T21:00:00+02:00" in report
    summary = json.loads(paths["summary"].read_text(encoding="utf-8"))
    assert summary["timezone"] == "Europe/Brussels"
    assert summary["start"] == "2026-03-28T06:00:00+01:00"


def test_permissions_count_calendar_days_on_the_zones_clock(spring):
    plan, _ = spring
    filed = dt.datetime(2026, 2, 15, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))  # CET, as written
    sc = plan.scenario.model_copy(update={"permissions": Permissions(filing_from=filed, regime="eca-2025")})
    permits = crossing_permits(sc, plan.network, plan.clock)
    assert permits and {plan.clock.iso(p.open_s) for p in permits.values()} == {"2026-04-01T10:00:00+02:00"}


_DOM_STUB = """
var handlers={};var window={addEventListener:function(e,f){handlers[e]=f;}};
var els={'enablement-clock':{textContent:''},
  'enablement-slider':{value:'0',addEventListener:function(e,f){this.f=f;}}};
var document={getElementById:function(i){return els[i];}};
function mark(){return {bindTooltip:function(){return this;},setLatLng:function(){return this;}};}
var L={circleMarker:mark,
  layerGroup:function(){return {addTo:function(){return this;},clearLayers:function(){},
  addLayer:function(){}};}};
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="no node: the slider script is not run")
def test_the_map_slider_script_shows_the_labels_in_node(spring, tmp_path):
    """Run the page's slider script (Leaflet and the page stubbed) and read the clock beside the slider."""
    _, paths = spring
    page = paths["map"].read_text(encoding="utf-8")
    script = re.search(r"window\.addEventListener\('load',function\(\)\{var D=.*?show\(0\);\}\);", page, re.S)
    name = re.search(r"var map=(map_[0-9a-f]+);", script.group(0)).group(1)
    drive = (
        "handlers.load();var out=[els['enablement-clock'].textContent];var s=els['enablement-slider'];"
        "[1190,1200,1440].forEach(function(v){s.value=String(v);s.f();out.push(els['enablement-clock'].textContent);});"
        "console.log(JSON.stringify(out));"
    )
    js = tmp_path / "slider.js"
    js.write_text(f"{_DOM_STUB}var {name}={{}};\n{script.group(0)}\n{drive}\n")
    run = subprocess.run(["node", str(js)], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(run.stdout) == [
        "Sat 2026-03-28 06:00 UTC+01:00",
        "Sun 2026-03-29 01:50 UTC+01:00",
        "Sun 2026-03-29 03:00 UTC+02:00",
        "Sun 2026-03-29 07:00 UTC+02:00",
    ]
