"""Cross-border permissions: lead times, the release rule at crossings, requests and their deadlines."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from enablement.permits import permission_data
from enablement.routing import Router
from enablement.scheduling import greedy
from enablement.scheduling.checks import check_march_table
from enablement.scheduling.march import MarchProblem, MarchRules
from enablement.scheduling.permissions import CrossingPermit, TrainAtBorder, permission_requests
from enablement.timeline import Clock
from enablement.vehicles import Profile, load_catalogue
from tests.helpers import BRUSSELS
from tests.helpers import solve as solve_march
from tests.scheduling.test_greedy import POLICY as HALTS
from tests.scheduling.test_greedy import line_network, mu
from tests.scheduling.test_march_problem import table_of, with_sites

CET = dt.timezone(dt.timedelta(hours=1))
START = dt.datetime(2026, 3, 2, 6, 0, tzinfo=CET)  # a Monday
REGIMES = permission_data().regimes
POLICY = HALTS.model_copy(update={"convoy_speed_kmh": 60.0})  # the columns' own 60 km/h


def at(day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=CET)


# --------------------------------------------------------------------------- lead times


def test_the_regimes_carry_their_sources_and_the_proposal_is_marked():
    eca, eu, emergency = REGIMES["eca-2025"], REGIMES["eu-2025-peacetime"], REGIMES["eu-2025-emergency"]
    assert (eca.lead, eca.unit) == (45, "calendar_days")
    assert "Court of Auditors" in eca.source
    assert (eu.lead, eu.unit, eu.status) == (3, "working_days", "proposal")
    assert (emergency.lead, emergency.unit, emergency.status) == (6, "hours", "proposal")
    assert "COM(2025)847" in eu.source
    assert REGIMES["cbmp-annual"].exceptional == "eca-2025"
    assert REGIMES["eda-request-60d"].weak
    assert permission_data().default_regime == "eca-2025"


def test_calendar_days_keep_the_clock_time():
    filed = dt.datetime(2026, 1, 15, 8, 0, tzinfo=CET)
    assert REGIMES["eca-2025"].granted(filed) == dt.datetime(2026, 3, 1, 8, 0, tzinfo=CET)
    assert REGIMES["eca-2025"].deadline(dt.datetime(2026, 3, 1, 8, 0, tzinfo=CET)) == filed
    assert REGIMES["eu-2025-emergency"].granted(at(7, 22)) == at(8, 4)  # hours run at weekends too


def test_working_days_skip_weekends():
    eu = REGIMES["eu-2025-peacetime"]
    assert eu.granted(at(4, 10)) == at(9, 10)  # Wednesday 10:00 + 3 working days: Monday 10:00
    assert eu.granted(at(2, 10)) == at(5, 10)  # Monday: Thursday, no weekend on the way
    assert eu.granted(at(7, 10)) == at(12, 0)  # Saturday: the clock starts on Monday at midnight
    assert eu.deadline(at(9, 10)) == at(4, 10)
    assert eu.deadline(at(8, 10)) == at(4, 0)  # a Sunday crossing: filed by Wednesday 00:00


@given(
    minutes=st.integers(0, 60 * 24 * 60),
    name=st.sampled_from(sorted(REGIMES)),
)
def test_the_deadline_is_the_latest_filing_time_granted_in_time(minutes, name):
    regime = REGIMES[name]
    crossing = START + dt.timedelta(minutes=minutes)
    deadline = regime.deadline(crossing)
    assert regime.granted(deadline) <= crossing
    assert regime.granted(deadline + dt.timedelta(minutes=1)) > crossing


def test_days_are_counted_on_the_zones_clock_across_a_change():
    eca, eu, emergency = REGIMES["eca-2025"], REGIMES["eu-2025-peacetime"], REGIMES["eu-2025-emergency"]
    filed = dt.datetime(2026, 2, 15, 10, 0, tzinfo=BRUSSELS)  # CET
    assert eca.granted(filed).isoformat() == "2026-04-01T10:00:00+02:00"  # 10:00 CEST, not 11:00
    friday = dt.datetime(2026, 3, 27, 10, 0, tzinfo=BRUSSELS)
    assert eu.granted(friday).isoformat() == "2026-04-01T10:00:00+02:00"  # Wednesday, on the clock
    night = dt.datetime(2026, 3, 28, 23, 0, tzinfo=BRUSSELS)
    assert emergency.granted(night).isoformat() == "2026-03-29T06:00:00+02:00"  # 6 h elapsed
    assert emergency.deadline(emergency.granted(night)) == night
    autumn = dt.datetime(2026, 10, 24, 23, 0, tzinfo=BRUSSELS)
    assert emergency.granted(autumn).isoformat() == "2026-10-25T04:00:00+01:00"


def test_a_deadline_in_the_skipped_hour_errs_early_and_one_in_the_repeated_hour_is_exact():
    eca = REGIMES["eca-2025"]
    crossing = dt.datetime(2026, 5, 13, 2, 30, tzinfo=BRUSSELS)  # 45 days back: 02:30 on 29 March
    assert eca.deadline(crossing).isoformat() == "2026-03-29T01:30:00+01:00"
    assert eca.granted(eca.deadline(crossing)) <= crossing
    late = dt.datetime(2026, 12, 9, 2, 30, tzinfo=BRUSSELS)  # 45 days back: 02:30 on 25 October, twice
    assert eca.deadline(late).isoformat() == "2026-10-25T02:30:00+01:00"  # the second time
    assert eca.granted(eca.deadline(late)) == late


@given(
    minutes=st.integers(0, 300 * 24 * 60),
    name=st.sampled_from(sorted(REGIMES)),
)
# crossings 45 days after 02:30 on 29 March and 25 October, at 02:30 CET on 25 October, at the spring change
@example(minutes=105150, name="eca-2025")
@example(minutes=407610, name="eca-2025")
@example(minutes=342810, name="eca-2025")
@example(minutes=342810, name="eu-2025-peacetime")
@example(minutes=40380, name="eu-2025-emergency")
def test_in_brussels_the_deadline_is_granted_in_time_and_at_most_an_hour_early(minutes, name):
    regime = REGIMES[name]
    crossing = (dt.datetime(2026, 3, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=minutes)).astimezone(BRUSSELS)
    deadline = regime.deadline(crossing)
    assert deadline.tzinfo is BRUSSELS
    assert regime.granted(deadline) <= crossing
    later = (deadline.astimezone(dt.UTC) + dt.timedelta(minutes=61)).astimezone(BRUSSELS)  # elapsed
    assert regime.granted(later) > crossing


# --------------------------------------------------------------------------- the rule in the solvers


def _permit(site: str, open_s: float, regime: str = "eca-2025", exceptional_s: float | None = None):
    r = REGIMES[regime]
    ex = REGIMES[r.exceptional] if r.exceptional else r
    return CrossingPermit(
        site, f"Crossing {site}", "DE", r, ex, 0.0, open_s, open_s if exceptional_s is None else exceptional_s
    )


def _problem(open_s: float, n_units: int = 2) -> MarchProblem:
    net = with_sites(line_network([0, 10, 20, 30]), {"a": 0, "b": 3})
    net.sites["kind"] = ["seaport", "border_crossing"]
    rules = MarchRules.from_policy(POLICY, Clock(START, BRUSSELS), permits={"b": _permit("b", open_s)})
    return MarchProblem(net, [mu(i) for i in range(1, n_units + 1)], {"a": 0, "b": 3}, rules)


def _without_permits(problem: MarchProblem) -> MarchProblem:
    rules = dataclasses.replace(problem.rules, permits={})
    return MarchProblem(problem.network, problem.units, problem.site_node, rules)


def _arrivals(sched) -> dict[str, float]:
    return {r.march_unit: r.arrive_s for r in sched.rows if r.control_point == "b"}


@pytest.mark.parametrize("solver", ["greedy", "cp-sat"])
def test_a_crossing_earlier_than_its_permission_is_delayed(solver, tmp_path):
    open_s = 10 * 3600.0  # 30 km at 60 km/h: 30 min; undelayed the columns would be there by 06:40
    problem = _problem(open_s)
    sched = solve_march(problem, solver, time_limit_s=2.0)
    arrivals = _arrivals(sched)
    assert min(arrivals.values()) >= open_s - 1e-6
    assert min(arrivals.values()) <= open_s + 1.0  # as early as permitted
    # the first column waits at its start, not on the road
    first = min(arrivals, key=lambda m: arrivals[m])
    start = next(r for r in sched.rows if r.march_unit == first and r.kind == "start")
    assert start.depart_s == pytest.approx(open_s - 1800.0, abs=1.0)
    assert check_march_table(table_of(problem, sched, tmp_path), problem.rules, problem.network) == []


def test_without_a_permit_the_same_columns_cross_at_once():
    problem = _problem(10 * 3600.0)
    free = _without_permits(problem)
    sched = greedy.schedule_march(free, Router(free.network))
    assert min(_arrivals(sched).values()) == pytest.approx(1800.0)


def test_the_checker_reports_a_hand_written_table_that_crosses_too_early(tmp_path):
    problem = _problem(10 * 3600.0)
    free = _without_permits(problem)
    early = greedy.schedule_march(free, Router(free.network))  # written without the permission
    found = check_march_table(table_of(problem, early, tmp_path), problem.rules, problem.network)
    assert {v.kind for v in found} == {"permission"}
    assert sorted(v.march_unit for v in found) == ["U/01", "U/02"]
    assert all(v.place == "b" for v in found)
    assert "before its permission is granted at 2026-03-02T16:00:00+01:00" in found[0].message
    assert "eca-2025: 45 calendar days" in found[0].message


def test_a_heavy_column_waits_for_the_exceptional_regime():
    rules = MarchRules.from_policy(
        POLICY, Clock(START, BRUSSELS), permits={"b": _permit("b", 0.0, "cbmp-annual", exceptional_s=7200.0)}
    )
    light = Profile("light", mlc_wheeled=30.0)
    heavy = Profile("heavy", mlc_tracked=75.0)  # above the sourced MLC 70
    assert rules.permitted_s("b", light) == 0.0
    assert rules.permitted_s("b", heavy) == 7200.0
    assert rules.permitted_s("b", None) == 0.0  # a table checked without vehicles: the ordinary regime
    assert rules.permitted_s("a", heavy) is None


# --------------------------------------------------------------------------- requests


def test_one_request_per_crossing_and_serial_or_train_with_its_deadline():
    clock = Clock(START, BRUSSELS)
    permits = {"b": _permit("b", 0.0), "r": _permit("r", 0.0, "eu-2025-peacetime")}
    day = 86400.0
    rows = [  # (march unit, unit, serial, site, head arrival, pass time)
        ("U/01", "U", 1, "b", 50 * day, 60.0),
        ("U/02", "U", 1, "b", 50 * day + 600, 60.0),
        ("U/03", "U", 2, "b", 50 * day + 1200, 60.0),
        ("U/01", "U", 1, "a", 0.0, 60.0),  # not a crossing
    ]
    vehicles = {"U/01": ("jltv",) * 3, "U/02": ("m1a2_sepv3",), "U/03": ("jltv",)}
    trains = [TrainAtBorder("T-1", "TRK", "r", 3 * day, 3 * day + 30, ("m1a2_sepv3",) * 2, True)]
    found = permission_requests(permits, clock, rows, vehicles, trains, load_catalogue())
    assert [(r.crossing, r.movement) for r in found] == [("r", "T-1"), ("b", "U/S1"), ("b", "U/S2")]
    train, s1, s2 = found
    assert (s1.first_s, s1.last_s) == (50 * day, 50 * day + 660)
    assert s1.vehicles == (("jltv", 3), ("m1a2_sepv3", 1))
    assert s1.heavy_load and not s2.heavy_load  # the M1A2 is above MLC 70
    assert clock.at(s1.deadline_s) == clock.at(50 * day) - dt.timedelta(days=45)
    # the train crosses on Thursday 06:00: 3 working days before is Monday 06:00, the start itself
    assert train.out_of_gauge and train.regime.id == "eu-2025-peacetime"
    assert clock.at(train.deadline_s) == START
    assert train.risk == "tight"  # no slack after the filing date: listed first
    assert s1.risk == "" and not s1.at_risk


def test_a_request_due_before_the_filing_date_is_past():
    clock = Clock(START, BRUSSELS)
    found = permission_requests(
        {"b": _permit("b", 0.0)}, clock, [("U/01", "U", 1, "b", 86400.0, 60.0)], {"U/01": ("jltv",)}, [],
        load_catalogue(),
    )  # fmt: skip
    assert [r.risk for r in found] == ["past"]


# --------------------------------------------------------------------------- the scenario's section


def test_the_scenario_section_is_validated_with_every_problem_at_once(tmp_path):
    from enablement.errors import ScenarioError
    from enablement.scenario import load_scenario
    from enablement.scenario.load import resolve_scenario_path

    text = resolve_scenario_path("enablement:brigade-antwerp-aachen").read_text()
    good = "  filing_from: '2026-01-15T08:00:00+01:00'\n  regime: eca-2025\n"
    assert good in text
    bad = "  filing_from: '2026-01-15T08:00:00'\n  regime: eca-2026\n  neighbours: {XX: eca-2025, NL: nope}\n"
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace(good, bad))
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    message = str(err.value)
    assert "permissions.filing_from: needs a time zone" in message
    assert "permissions.regime: unknown permission regime 'eca-2026'; known: eca-2025" in message
    assert "'XX' is not a country whose boundaries ship with enablement" in message
    assert "permissions.neighbours.NL: unknown permission regime 'nope'" in message


def test_without_a_section_requests_are_filed_from_the_start_under_the_default_regime():
    from enablement.scenario import load_scenario

    sc = load_scenario("enablement:brigade-antwerp-aachen")
    bare = sc.model_copy(update={"permissions": type(sc.permissions)()})
    assert bare.filing_from == sc.start and bare.permissions.regime == "eca-2025"
    assert sc.filing_from == dt.datetime(2026, 1, 15, 8, 0, tzinfo=CET)
    assert sc.permissions.regime_for("DE") == "eca-2025"
