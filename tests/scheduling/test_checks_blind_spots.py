"""The checker on hand-edited tables of the bridge-closure plan: each edit is caught, by rule and place.

The valid table of the plan passes; each test edits it as exercise staff might (a column over the
closed bridge, a departure before its ship is in, units the scenario does not know, a weak bridge,
a march unit's own vehicle types, a sub-second stay, a halt on the carriageway, a long wait on the
road, an early crossing) and asserts the rule's name and the place (and the time) in the report.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from enablement.cli import main
from enablement.errors import ScenarioError
from enablement.outputs.tables import march_table
from enablement.plan import make_plan
from enablement.scenario import load_scenario
from enablement.scheduling.checks import (
    check_march_table,
    group_violations,
    march_unit_vehicles,
    read_march_table,
)
from enablement.scheduling.march import march_rules

SCENARIO = "enablement:bridge-closure"
BRIDGE = "bridge-e19-merksem"


@pytest.fixture(scope="module")
def closure(belgium_network, tmp_path_factory):
    """The bridge-closure scenario, its plan's march table (a file) and that of a plan without the closure."""
    sc = load_scenario(SCENARIO)
    folder = tmp_path_factory.mktemp("blind")
    path = folder / "march_table.csv"
    march_table(make_plan(sc, network=belgium_network)).to_csv(path, index=False)
    opened = sc.model_copy(update={"disruptions": []})
    open_path = folder / "open.csv"
    march_table(make_plan(opened, network=belgium_network)).to_csv(open_path, index=False)
    return sc, belgium_network, path, open_path


def check(sc, net, table, rules=None):
    """Check ``table`` (a frame read by read_march_table) as ``enablement check`` does."""
    rules = rules or march_rules(sc, net)
    return check_march_table(table, rules, net, march_unit_vehicles(table, sc, net))


def read(sc, path):
    return read_march_table(path, sc.zone)


def of(found, kind):
    return [v for v in found if v.kind == kind]


def shifted(t, sel, hours=0.0, seconds=0.0):
    t = t.copy()
    d = pd.Timedelta(hours=hours, seconds=seconds)
    for col in ("arrive", "depart", "ashore"):
        t.loc[sel, col] = t.loc[sel, col] + d
    return t


def test_the_valid_table_passes(closure, tmp_path):
    sc, net, path, _ = closure
    assert check(sc, net, read(sc, path)) == []
    assert main(["check", SCENARIO, str(path)]) == 0


def test_columns_over_the_closed_bridge_are_one_group_naming_the_bridge_its_class_and_time(closure, capsys):
    sc, net, _, open_path = closure
    found = of(check(sc, net, read(sc, open_path)), "closure")
    assert len(found) > 5  # the columns that drove on after 15:00
    for v in found:
        assert BRIDGE in v.message and "MLC wheeled 100 one-way / 80 two-way" in v.message
        assert "closed from 2026-03-02T15:00:00+01:00 to 2026-03-03T21:00:00+01:00" in v.message
        assert f"from {v.time}" in v.message
    groups = group_violations(found)
    assert len(groups) == 1 and len(groups[0].violations) == len(found)
    assert f"{len(found)} violations by {len(found)} march unit(s)" in groups[0].describe()
    assert main(["check", SCENARIO, str(open_path)]) == 1
    out = capsys.readouterr().out
    assert sum(line.startswith("closure") for line in out.splitlines()) == 1
    assert main(["check", "--detail", SCENARIO, str(open_path)]) == 1
    out = capsys.readouterr().out
    assert all(v.march_unit in out for v in found)


def test_a_departure_before_its_ship_is_in_is_caught(closure):
    sc, net, path, _ = closure
    base = read(sc, path)
    mu = base.sort_values("depart")["march_unit"].iloc[0]
    found = of(check(sc, net, shifted(base, base["march_unit"] == mu, hours=-16)), "release")
    assert [v.march_unit for v in found] == [mu]
    assert found[0].place == "port-antwerp" and "ship-1-antwerp" in found[0].message
    assert "16.0 h before its vehicles are ashore" in found[0].message


def test_unknown_units_and_an_empty_table_are_errors(closure, tmp_path):
    sc, net, path, _ = closure
    base = read(sc, path)
    t = base.assign(unit="ZZ-" + base["unit"], march_unit="ZZ-" + base["march_unit"])
    found = of(check(sc, net, t), "unit")
    assert {v.place for v in found} == {"ZZ-1-BN", "ZZ-2-BN", "ZZ-SPT", "ZZ-HQ"}
    assert all("is not moved by the scenario" in v.message for v in found)
    # march units renamed away from their unit
    t = base.assign(march_unit=base["march_unit"].str.replace("HQ/", "XX/", regex=False))
    found = of(check(sc, net, t), "unit")
    assert {v.place for v in found} == {"XX/01", "XX/02", "XX/03"}
    assert all("is written for unit(s) HQ" in v.message for v in found)
    # more vehicles in a unit's columns than come ashore
    t = base.copy()
    t.loc[t["march_unit"] == "HQ/01", "vehicles"] = 100
    found = of(check(sc, net, t), "unit")
    assert [v.place for v in found] == ["HQ"] and "but 56 of its vehicles come ashore" in found[0].message
    header = tmp_path / "header.csv"
    pd.read_csv(path).iloc[:0].to_csv(header, index=False)
    with pytest.raises(ScenarioError, match="holds a header but no rows"):
        read(sc, header)


def weak_bridge(net, mlc):
    """The network with Merksem's classes lowered to ``mlc``."""
    net = net.copy()
    e = net.edges
    sel = e["bridge_id"] == BRIDGE
    for col in ("mlc_wheeled_oneway", "mlc_wheeled_twoway", "mlc_tracked_oneway", "mlc_tracked_twoway"):
        e.loc[sel, col] = float(mlc)
    return net


def test_a_restriction_names_the_bridge_its_class_the_columns_limit_and_the_time(closure):
    sc, net, path, _ = closure
    weak = weak_bridge(net, 20)
    found = of(check(sc, weak, read(sc, path)), "restriction")
    boxers = [v for v in found if v.march_unit == "1-BN/01"]
    assert boxers, "1-BN/01 (Boxers, MLC 35) crosses Merksem before it closes"
    v = boxers[0]
    assert f"bridge {BRIDGE} (MLC wheeled 20 one-way / 20 two-way" in v.message
    assert (
        "the column's MLC wheeled 35 over its one-way class 20" in v.message and f"from {v.time}" in v.message
    )
    assert v.cause.startswith(f"bridge {BRIDGE}")


def test_a_march_unit_carries_its_own_vehicle_types(closure, tmp_path):
    sc, net, path, _ = closure
    weak = weak_bridge(net, 20)
    base = read(sc, path)
    vehicles = march_unit_vehicles(base, sc, weak)
    light = [mu for mu, vs in vehicles.items() if mu.startswith("1-BN/") and {v.id for v in vs} == {"dingo2"}]
    assert light, "the planner's split gives 1-BN's last march units its Dingo 2s"
    flagged = {v.march_unit for v in of(check(sc, weak, base), "restriction")}
    assert "1-BN/01" in flagged and not flagged & set(light)
    # the table says 1-BN/01 is made of Dingo 2s: then it may cross the MLC 20 bridge
    frame = pd.read_csv(path)
    frame["vehicle_types"] = ""
    frame.loc[frame["march_unit"] == "1-BN/01", "vehicle_types"] = "dingo2:20"
    edited = tmp_path / "types.csv"
    frame.to_csv(edited, index=False)
    flagged = {v.march_unit for v in of(check(sc, weak, read(sc, edited)), "restriction")}
    assert "1-BN/01" not in flagged and "1-BN/02" in flagged
    frame.loc[frame["march_unit"] == "1-BN/01", "vehicle_types"] = "hovercraft:20"
    frame.to_csv(edited, index=False)
    with pytest.raises(ScenarioError, match=r"'hovercraft'.*not in the vehicle catalogue"):
        march_unit_vehicles(read(sc, edited), sc, weak)


def test_a_stay_within_the_tables_rounding_is_no_staging_alarm(closure):
    sc, net, path, _ = closure
    base = read(sc, path)
    arrivals = base[base["kind"] == "staging_arrive"].sort_values("arrive")
    a, b = arrivals["march_unit"].iloc[0], arrivals["march_unit"].iloc[1]
    site = arrivals["control_point"].iloc[0]
    t = base[base["march_unit"].isin([a, b])].copy()
    # a's tail leaves the staging area at its departure from it plus its pass time
    ra = t[(t["march_unit"] == a) & (t["kind"] == "staging")].iloc[0]
    out = ra["depart"] + pd.Timedelta(minutes=float(ra["pass_min"]))
    vehicles = int(max(t["vehicles"]))
    rules = march_rules(sc, net)
    rules = dataclasses.replace(rules, staging_capacity={**rules.staging_capacity, site: vehicles})

    def b_arrives(before_s):
        """Move all of b so that it reaches the staging area ``before_s`` before a's tail has left it."""
        mine = t["march_unit"] == b
        arrive = t.loc[mine & (t["kind"] == "staging_arrive"), "arrive"].iloc[0]
        by = (out - pd.Timedelta(seconds=before_s) - arrive).total_seconds()
        return of(check(sc, net, shifted(t, mine, seconds=by), rules), "staging")

    assert b_arrives(0.2) == []  # 0.2 s: the rounding of the table's times, not two columns at once
    found = b_arrives(60)
    assert found and found[0].place == site and f"over its capacity of {vehicles}" in found[0].message


def test_a_halt_on_the_carriageway_a_long_wait_on_the_road_and_an_early_crossing_are_caught(closure):
    sc, net, path, _ = closure
    base = read(sc, path)
    mu = "2-BN/01"
    rows = base[(base["march_unit"] == mu) & (base["kind"] == "cp")].sort_values(["leg", "seq"])
    i = rows.index[len(rows) // 2]
    cp = base.loc[i, "control_point"]
    # a 60 min stop at a control point on the road: a wait, and with no roadside class a halt place too
    t = base.copy()
    later = (t["march_unit"] == mu) & (
        (t["leg"] > t.loc[i, "leg"]) | ((t["leg"] == t.loc[i, "leg"]) & (t["seq"] > t.loc[i, "seq"]))
    )
    t.loc[i, "depart"] = t.loc[i, "depart"] + pd.Timedelta(minutes=60)
    t = shifted(t, later, hours=1)
    found = of(check(sc, net, t), "wait")
    assert [(v.march_unit, v.place) for v in found] == [(mu, cp)] and "waits 60 min on the road" in found[
        0
    ].message
    t.loc[i, "kind"] = "halt"
    policy = sc.policy.model_copy(
        update={"halts": sc.policy.halts.model_copy(update={"roadside": ["secondary"]})}
    )
    strict = sc.model_copy(update={"policy": policy})
    found = of(check(strict, net, t, march_rules(strict, net)), "halt_place")
    assert [(v.march_unit, v.place) for v in found] == [(mu, cp)] and "no halt place" in found[0].message
    # requests filed only the day before: every column reaches the border before its permission
    late = sc.model_copy(
        update={
            "permissions": sc.permissions.model_copy(update={"filing_from": sc.start - pd.Timedelta(days=1)})
        }
    )
    found = of(check(late, net, base, march_rules(late, net)), "permission")
    assert found and {v.place for v in found} == {"border-e40-lichtenbusch"}
    assert all("before its permission is granted" in v.message for v in found)


@pytest.mark.parametrize("dialect", ["semicolon-decimal-comma", "excel-dates", "local-iso"])
def test_a_spreadsheets_dialect_of_the_valid_table_passes(closure, tmp_path, dialect):
    sc, net, path, _ = closure
    frame = pd.read_csv(path)
    out = tmp_path / f"{dialect}.csv"
    if dialect == "semicolon-decimal-comma":
        frame.to_csv(out, index=False, sep=";", decimal=",")
        assert "47,4" in out.read_text(encoding="utf-8")
    else:
        fmt = "%d/%m/%Y %H:%M:%S" if dialect == "excel-dates" else "%Y-%m-%d %H:%M:%S"
        for col in ("arrive", "depart", "ashore"):
            times = pd.to_datetime(frame[col], utc=True).dt.tz_convert(sc.zone)
            frame[col] = times.dt.strftime(fmt).fillna("")
        frame.to_csv(out, index=False)
    table = read(sc, out)
    assert table["arrive"].iloc[0] == read(sc, path)["arrive"].iloc[0]
    assert check(sc, net, table) == []
    assert main(["check", SCENARIO, str(out)]) == 0
