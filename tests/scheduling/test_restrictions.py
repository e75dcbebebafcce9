"""Recurring restrictions (an area or named roads, at local hours on days of the week), small world.

The restriction is on the trunk road between the staging area and the border crossing,
the road every wheeled column drives on the first morning (Monday 2 March 2026).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path

import pytest

from enablement.errors import ScenarioError
from enablement.network.io import save_network
from enablement.network.osm import build_network as build_osm
from enablement.outputs.tables import march_table
from enablement.plan import build_network, make_plan
from enablement.scenario import load_scenario
from enablement.scheduling.checks import check_march_table, read_march_table
from enablement.scheduling.closures import closures_in_force, restriction_windows
from enablement.scheduling.march import march_rules
from enablement.timeline import Clock
from tests.small_world import DLAT, DLON, LAT0, LON0, osm_xml, write_world

BRUSSELS = zoneinfo.ZoneInfo("Europe/Brussels")
TRUNK = f"{{around: [{LON0 + 3.5 * DLON}, {LAT0 + DLAT}], radius_km: 0.5}}"  # one trunk link


def restriction(when: str, where: str = TRUNK) -> str:
    return f"""
restrictions:
- id: trunk-rush
  name: Trunk at rush hour
  where: {where}
  when: {when}
"""


def world(folder: Path, restrictions: str = "", solver: str = "cp-sat", refs: bool = False) -> Path:
    """The small world with ``restrictions`` appended; ``refs`` tags the trunk ``N4;E 40``."""
    path = write_world(folder, solver=solver)
    if refs:
        osm = folder / "world.osm"
        osm.write_text(
            osm_xml().replace(
                '<tag k="highway" v="trunk"/>', '<tag k="highway" v="trunk"/><tag k="ref" v="N4;E 40"/>'
            )
        )
        net = build_osm(osm_file=osm)
        net.meta["grain"] = "coarse"
        save_network(net, folder / "world.gpkg")
    path.write_text(path.read_text() + restrictions)
    return path


def closure_of(plan, unit: str) -> float:
    return next(u.closure_s for u in plan.units if u.unit == unit)


def road_edges(plan) -> set[int]:
    return {e for r in plan.routes if r.kind == "road" for e in r.edges}


@pytest.mark.parametrize("solver", ["greedy", "cp-sat"])
def test_a_restriction_in_force_moves_the_columns_and_removing_it_lets_them_through(solver, tmp_path):
    rush = restriction("{days: [mon], hours: ['06:00-12:00']}")
    plan = make_plan(world(tmp_path / "rush", rush, solver))
    (c,) = [x for x in plan.closures if x.kind == "restriction"]
    assert c.id == "trunk-rush" and c.edges and c.when == "mon 06:00-12:00"
    assert plan.clock.iso(c.start_s) == "2026-03-02T06:00:00+01:00"
    assert all(e in plan.rules.edge_closed for e in c.edges)
    assert not road_edges(plan) & set(c.edges)  # every column drives around it (or would wait)
    csv = tmp_path / "rush.csv"
    march_table(plan).to_csv(csv, index=False)
    assert check_march_table(read_march_table(csv), plan.rules, plan.network) == []
    # without the restriction, or with it on another day, the columns drive through it
    for name, text in (("open", ""), ("weekend", restriction("{days: [sat, sun], hours: ['00:00-24:00']}"))):
        other = make_plan(world(tmp_path / name, text, solver))
        assert road_edges(other) & set(c.edges), name
        assert closure_of(other, "LGT") < closure_of(plan, "LGT"), name


def test_windows_are_local_hours_on_the_days_given_across_the_spring_change():
    from enablement.scenario.schema import Restriction

    clock = Clock(dt.datetime(2026, 3, 23, 6, tzinfo=BRUSSELS), BRUSSELS)
    rush = Restriction.model_validate(
        {"id": "rush", "where": {"roads": ["R1"]}, "when": {"days": ["mon", "fri"], "hours": ["07:00-09:30"]}}
    )
    opens = [clock.at(a) for a, _ in restriction_windows(rush, clock).spans[:4]]
    assert [o.isoformat() for o in opens] == [
        "2026-03-23T07:00:00+01:00",  # Monday
        "2026-03-27T07:00:00+01:00",  # Friday
        "2026-03-30T07:00:00+02:00",  # Monday after the change: still 07:00 local
        "2026-04-03T07:00:00+02:00",
    ]
    assert all(b - a == 2.5 * 3600 for a, b in restriction_windows(rush, clock).spans)
    weekend = Restriction.model_validate(
        {
            "id": "weekend",
            "where": {"roads": ["R1"]},
            "when": [
                {"days": ["fri"], "hours": ["22:00-24:00"]},
                {"days": ["sat", "sun"], "hours": ["00:00-24:00"]},
            ],
        }
    )
    assert weekend.when_text() == "fri 22:00-24:00; sat-sun 00:00-24:00"
    iv = restriction_windows(weekend, clock)
    assert clock.iso(iv.spans[0][0]) == "2026-03-22T00:00:00+01:00"  # the Sunday before the start
    (a, b) = iv.spans[1]  # Friday 22:00 to Monday 00:00, one ban: 50 h less the hour the clocks skip
    assert clock.iso(a) == "2026-03-27T22:00:00+01:00" and clock.iso(b) == "2026-03-30T00:00:00+02:00"
    assert b - a == 49 * 3600

    def banned(y: int, m: int, d: int, hh: int) -> bool:
        t = clock.seconds(dt.datetime(y, m, d, hh, tzinfo=BRUSSELS))
        return iv.overlaps(t, t + 1) is not None

    assert banned(2026, 3, 28, 12) and banned(2026, 3, 29, 12)  # Saturday and Sunday
    assert not banned(2026, 3, 23, 12) and not banned(2026, 3, 30, 12)  # Mondays
    assert not banned(2026, 3, 27, 21) and banned(2026, 3, 27, 23)  # Friday evening from 22:00


def test_a_window_across_midnight_opens_in_the_evening_of_the_day_given():
    from enablement.scenario.schema import Restriction

    clock = Clock(dt.datetime(2026, 3, 2, 6, tzinfo=BRUSSELS), BRUSSELS)
    night = Restriction.model_validate(
        {"id": "n", "where": {"roads": ["R1"]}, "when": {"days": ["tue"], "hours": ["22:00-06:00"]}}
    )
    (a, b) = restriction_windows(night, clock).spans[0]
    assert clock.iso(a) == "2026-03-03T22:00:00+01:00" and clock.iso(b) == "2026-03-04T06:00:00+01:00"


@pytest.fixture(scope="module")
def open_table(tmp_path_factory):
    """The open world's plan (no restriction) as march_table.csv read back."""
    folder = tmp_path_factory.mktemp("open")
    plan = make_plan(world(folder))
    csv = folder / "march_table.csv"
    march_table(plan).to_csv(csv, index=False)
    return read_march_table(csv)


def rules_of(path: Path):
    sc = load_scenario(path)
    net = build_network(sc, path.parent)
    return march_rules(sc, net), net


def test_the_checker_flags_a_table_through_the_restriction_naming_it(open_table, tmp_path):
    rules, net = rules_of(world(tmp_path / "rush", restriction("{days: [mon], hours: ['06:00-12:00']}")))
    found = [v for v in check_march_table(open_table, rules, net) if v.kind == "closure"]
    assert found
    assert all("restriction trunk-rush 'Trunk at rush hour' (mon 06:00-12:00)" in v.message for v in found)
    # the same restriction at hours the table does not drive there: nothing to report
    rules, net = rules_of(world(tmp_path / "later", restriction("{days: [mon], hours: ['13:00-14:00']}")))
    assert check_march_table(open_table, rules, net) == []


def test_a_column_already_on_the_road_when_the_restriction_begins_is_caught(open_table, tmp_path):
    rules, net = rules_of(world(tmp_path / "rush", restriction("{days: [mon], hours: ['06:00-12:00']}")))
    (first, *_) = [v for v in check_march_table(open_table, rules, net) if v.kind == "closure"]
    mu, (a_cp, b_cp) = first.march_unit, first.place.split(" -> ")
    rows = open_table[open_table["march_unit"] == mu]
    depart = rows[rows["control_point"] == a_cp]["depart"].iloc[-1]
    arrive = rows[rows["control_point"] == b_cp]["arrive"].iloc[0]
    begins = (depart + dt.timedelta(minutes=1)).astimezone(BRUSSELS).replace(second=0) + dt.timedelta(
        minutes=1
    )
    assert depart < begins < arrive  # the column enters before the restriction begins
    hours = f"'{begins:%H:%M}-{begins + dt.timedelta(hours=1):%H:%M}'"
    rules, net = rules_of(world(tmp_path / "mid", restriction(f"{{days: [mon], hours: [{hours}]}}")))
    assert any(
        v.kind == "closure" and v.march_unit == mu and "trunk-rush" in v.message
        for v in check_march_table(open_table, rules, net)
    )


def test_named_roads_are_matched_by_their_ref(tmp_path):
    path = world(tmp_path / "refs", restriction("{hours: ['06:00-12:00']}", "{roads: [e40]}"), refs=True)
    sc = load_scenario(path)
    net = build_network(sc, path.parent)
    closures = closures_in_force(sc, net, Clock(sc.start, sc.zone))
    (c,) = closures.closures
    trunk = set(net.edges.index[(net.edges["highway"] == "trunk").to_numpy()])
    assert set(c.edges) == trunk and c.when == "every day 06:00-12:00"
    # within an area, only the named road's edges in it
    inside = f"{{roads: [N4], around: [{LON0 + 3.5 * DLON}, {LAT0 + DLAT}], radius_km: 0.5}}"
    path = world(tmp_path / "both", restriction("{hours: ['06:00-12:00']}", inside), refs=True)
    sc = load_scenario(path)
    (c,) = closures_in_force(sc, build_network(sc, path.parent), Clock(sc.start, sc.zone)).closures
    assert c.edges and set(c.edges) < trunk


def test_roads_that_match_nothing_are_an_error_naming_the_fix(tmp_path):
    for refs, expected in ((True, "road 'R1' matches no road"), (False, "carries no road refs")):
        folder = tmp_path / f"refs-{refs}"
        path = world(folder, restriction("{hours: ['06:00-12:00']}", "{roads: [E40, R1]}"), refs=refs)
        sc = load_scenario(path)
        with pytest.raises(ScenarioError) as err:
            make_plan(sc, network=build_network(sc, path.parent))
        (msg,) = err.value.problems
        assert msg.startswith("restrictions[0].where.roads: restriction 'trunk-rush'") and expected in msg
        assert "give an area instead" in msg
    far = restriction("{hours: ['06:00-12:00']}", "{around: [5.9, 50.0], radius_km: 1}")
    path = world(tmp_path / "far", far)
    sc = load_scenario(path)
    with pytest.raises(ScenarioError, match=r"restrictions\[0\]\.where: .*meets no road"):
        make_plan(sc, network=build_network(sc, path.parent))


def test_the_embedded_network_has_no_refs_and_says_so():
    from enablement.scenario.load import resolve_scenario_path
    from enablement.scenario.schema import Restriction

    spec = "enablement:bridge-closure"
    sc = load_scenario(spec)
    net = build_network(sc, resolve_scenario_path(spec).parent)
    ring = Restriction.model_validate(
        {"id": "ring", "where": {"roads": ["R1"]}, "when": {"hours": ["07:00-09:30"]}}
    )
    sc = sc.model_copy(update={"restrictions": [ring]})
    with pytest.raises(ScenarioError, match=r"carries no road refs.*give an area instead"):
        closures_in_force(sc, net, Clock(sc.start, sc.zone))


@pytest.mark.parametrize(
    ("where", "when", "expected"),
    [
        (
            "{area: [[4.3, 50.8], [4.4, 50.9], [4.4, 50.8], [4.3, 50.9]]}",
            "{hours: ['07:00-09:00']}",
            "not a valid polygon",
        ),
        ("{area: [[4.3, 50.8], [4.4, 50.9]]}", "{hours: ['07:00-09:00']}", "at least 3"),
        ("{around: [4.3, 95]}", "{hours: ['07:00-09:00']}", "not a point on Earth"),
        ("{around: [4.3, 50.8]}", "{hours: ['07:00-09:00']}", "needs both 'around"),
        ("{}", "{hours: ['07:00-09:00']}", "say where"),
        (TRUNK, "{hours: ['07:00-25:00']}", "between 00:00 and 24:00"),
        (TRUNK, "{hours: ['7-9']}", "'HH:MM-HH:MM'"),
        (TRUNK, "{hours: ['07:00-07:00']}", "is empty"),
        (TRUNK, "{days: [monday], hours: ['07:00-09:00']}", "'mon', 'tue'"),
        (TRUNK, "{days: [sat]}", "hours"),
    ],
)
def test_a_bad_restriction_is_one_message_naming_file_and_field(where, when, expected, tmp_path):
    path = world(tmp_path, restriction(when, where))
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    text = str(err.value)
    assert "small-world.yaml: restrictions" in text and expected in text, text
