"""A HET is in one place at a time: the ``het_turnaround`` rule in the greedy, CP-SAT and the checker.

Two columns of HETs on one 40 km road share HET 2. The second is released (by its
shuttle plan) long before HET 2 can be back; both road solvers hold it until the
first column's tail is in, HET 2 is unloaded, has driven back and is loaded again,
and the checker reads the same rule: it passes their tables and flags a table
edited by hand so that the second column leaves too early.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from enablement.errors import MarchTableError, ScenarioError
from enablement.routing import Router
from enablement.scenario.schema import Halts, Policy
from enablement.scheduling import greedy, march_cpsat
from enablement.scheduling.checks import check_march_table, read_march_table
from enablement.scheduling.march import HetTurnaround, MarchProblem, MarchRules, MarchUnit
from enablement.timeline import Clock
from enablement.vehicles import Profile
from tests.helpers import BRUSSELS, march_table_of
from tests.scheduling.test_greedy import line_network
from tests.scheduling.test_march_problem import with_sites

START = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
SITES = {"a": 0, "b": 4}
LOAD, UNLOAD, BACK = 1200.0, 900.0, 3600.0  # 20 min to load, 15 to unload, 1 h to drive back empty
POLICY = Policy(
    convoy_speed_kmh=40,
    headway_min=2,
    halts=Halts(first_after_min=120, first_duration_min=15, every_min=120, duration_min=10),
)


def column(i: int, release_s: float, hets: tuple[int, ...], unit: str = "TRK") -> MarchUnit:
    """A column of HETs from a to b at 40 km/h: 40 km, one hour."""
    n = max(1, len(hets))
    return MarchUnit(
        id=f"HET/HC{i:03d}",
        unit=unit,
        index=i,
        serial=1,
        vehicles=("het",) * n,
        release_s=release_s,
        sites=("a", "b"),
        dwell_s=(),
        rdd_s=1e9,
        profile=Profile("HET laden", speed_kmh=40.0),
        length_m=n * 22.0 + (n - 1) * 100.0,
        purpose="het",
        hets=hets,
    )


def problem(units, turnaround=None) -> MarchProblem:
    net = with_sites(line_network([0, 10, 20, 30, 40]), SITES)
    turnaround = turnaround or HetTurnaround(LOAD, UNLOAD, {("b", "a"): BACK})
    rules = MarchRules.from_policy(POLICY, Clock(START, BRUSSELS), het_turnaround=turnaround)
    return MarchProblem(net, units, SITES, rules)


def solve(p: MarchProblem, how: str):
    if how == "greedy":
        return greedy.schedule_march(p, Router(p.network))
    return march_cpsat.optimise_march(p, Router(p.network), time_limit_s=2.0)


def departure(sched, mu_id: str) -> float:
    return next(r.depart_s for r in sched.rows if r.march_unit == mu_id)


def csv_of(p: MarchProblem, sched, path) -> pd.DataFrame:
    """The schedule as ``march_table.csv`` (times as text, as a planner would edit it)."""
    table = march_table_of(p, sched)
    table.to_csv(path, index=False)
    return table


@pytest.mark.parametrize("how", ["greedy", "cp-sat"])
def test_a_hets_next_column_waits_until_it_is_back_and_loaded(how, tmp_path):
    units = [column(1, 0.0, (1, 2)), column(2, 600.0, (2, 3))]
    p = problem(units)
    assert p.het_after == {"HET/HC002": (("HET/HC001", UNLOAD + BACK + LOAD),)}
    sched = solve(p, how)
    first_in = sched.closure_s["HET/HC001"]
    assert first_in >= 3600.0  # 40 km at 40 km/h
    # HET 2 is off the first column, unloaded, back at a and loaded before the second leaves
    assert departure(sched, "HET/HC002") >= first_in + UNLOAD + BACK + LOAD - 1.0
    csv_of(p, sched, tmp_path / "march_table.csv")
    table = read_march_table(tmp_path / "march_table.csv")
    assert table.loc[table["march_unit"] == "HET/HC002", "hets"].iloc[0] == (2, 3)
    assert check_march_table(table, p.rules, p.network) == []
    # without a shared HET the second column leaves as soon as the road is free
    free = solve(problem([column(1, 0.0, (1, 2)), column(2, 600.0, (3, 4))]), how)
    assert departure(free, "HET/HC002") < first_in


@pytest.mark.parametrize("how", ["greedy", "cp-sat"])
def test_without_the_plans_drive_time_the_fastest_road_for_an_empty_het_is_driven(how):
    p = problem([column(1, 0.0, (1,)), column(2, 0.0, (1,))], HetTurnaround(LOAD, UNLOAD))
    back = 40.0 / 100.0 * 3600.0  # the test roads' own 100 km/h: the profile of no vehicle in particular
    ((before, gap),) = p.het_after["HET/HC002"]
    assert before == "HET/HC001" and gap == pytest.approx(UNLOAD + back + LOAD, abs=1.0)
    sched = solve(p, how)
    assert departure(sched, "HET/HC002") >= sched.closure_s["HET/HC001"] + gap - 1.0


def test_the_checker_flags_a_het_in_two_places_at_once_in_a_hand_edited_table(tmp_path):
    p = problem([column(1, 0.0, (1, 2)), column(2, 600.0, (2, 3))])
    sched = solve(p, "greedy")
    path = tmp_path / "march_table.csv"
    table = csv_of(p, sched, path)
    first_in = sched.closure_s["HET/HC001"]

    def edited(leave_s: float, hets: str | None = None) -> list:
        """HC002 moved to leave at ``leave_s`` (every row shifted alike), its HETs rewritten."""
        t = table.copy()
        mine = t["march_unit"] == "HET/HC002"
        shift = pd.Timedelta(seconds=leave_s - departure(sched, "HET/HC002"))
        for col in ("arrive", "depart"):
            t.loc[mine, col] = [(pd.Timestamp(v) + shift).isoformat() for v in t.loc[mine, col]]
        if hets is not None:
            t.loc[mine, "hets"] = hets
        t.to_csv(path, index=False)
        return [v for v in check_march_table(read_march_table(path), p.rules, p.network) if v.kind == "het"]

    # on the road with HC001 still: HET 2 in two places at once
    (v,) = edited(1800.0)
    assert v.march_unit == "HET/HC002" and v.place == "a"
    assert "HET 2 in two places at once" in v.message and "still on the road" in v.message
    # HC001 is in, but HET 2 cannot have been unloaded, driven back an hour and loaded again
    (v,) = edited(first_in + UNLOAD + BACK)
    assert "before they can be back" in v.message
    assert edited(first_in + UNLOAD + BACK + LOAD) == []
    # the same times with other HETs: nobody is in two places
    assert edited(1800.0, hets="3;4") == []
    # both HETs of HC001 in HC002: one violation naming both
    (v,) = edited(1800.0, hets="1;2")
    assert "HETs 1, 2 in two places at once" in v.message
    # a stricter rule (an hour more to load) fails the solver's own table: the checker reads the rule
    csv_of(p, sched, path)
    stricter = dataclasses.replace(
        p.rules, het_turnaround=HetTurnaround(LOAD + 3600.0, UNLOAD, {("b", "a"): BACK})
    )
    assert check_march_table(read_march_table(path), p.rules, p.network) == []
    assert "het" in {v.kind for v in check_march_table(read_march_table(path), stricter, p.network)}
    # without the hets column the rule is not checked
    table.drop(columns=["hets"]).to_csv(path, index=False)
    assert "hets" not in read_march_table(path).columns


def test_malformed_het_numbers_are_refused_with_row_and_field(tmp_path):
    p = problem([column(1, 0.0, (1, 2))])
    path = tmp_path / "march_table.csv"
    table = csv_of(p, solve(p, "greedy"), path)
    table.loc[0, "hets"] = "1;two"
    table.to_csv(path, index=False)
    with pytest.raises(MarchTableError, match=r"row 2: field 'hets' = '1;two'"):
        read_march_table(path)
    with pytest.raises(ScenarioError, match="numbered from 1"):
        problem([column(1, 0.0, (0,))])
