"""The independent checker of HET schedules: every rule a plan must keep, ours or hand-written.

It reads only the problem (:mod:`.het`) and the schedule's trips and shifts, never
the routing model, so it judges the solver's plans from outside.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from .het import EPS, HetFleet, HetSchedule, HetTask, HetTrip, shortest_travel

__all__ = ["check_hets"]


def check_hets(
    schedule: HetSchedule, tasks: Sequence[HetTask], fleet: HetFleet, travel_s: np.ndarray
) -> list[str]:
    """Every broken rule of a HET schedule (ours or hand-written); empty when it holds.

    Checks: every task carried exactly once, by the right pickup and delivery;
    loading not before the vehicle is ready and inside its loading windows; loading, carrying and unloading in
    order and no faster than the matrix allows; no HET at two places at once or
    short of time to drive between them; at most ``capacity`` on board; each shift
    (park to park, from the trips, or as reported in ``shifts`` when they cover
    them) no longer than ``duty_hours``; ``rest_hours`` at the park between two
    shifts of a HET; the reported closure and lateness.
    """
    travel = shortest_travel(np.asarray(travel_s, dtype=float))
    load, unload = 60 * fleet.load_min, 60 * fleet.unload_min
    by_id = {t.id: t for t in tasks}
    problems: list[str] = []
    if schedule.status == "infeasible":
        return [] if not schedule.trips else ["an infeasible schedule lists trips"]
    counts: dict[str, int] = defaultdict(int)
    for r in schedule.trips:
        counts[r.task] += 1
    for tid in by_id:
        if counts.get(tid, 0) != 1:
            problems.append(f"task {tid} is carried {counts.get(tid, 0)} times")
    problems += [f"trip of unknown task {tid}" for tid in counts if tid not in by_id]
    for r in schedule.trips:
        t = by_id.get(r.task)
        if t is not None:
            problems += _check_trip(r, t, fleet, travel, (load, unload))
    problems += _check_hets_time(schedule, fleet, travel)
    if schedule.trips:
        closure = max(r.unloaded_s for r in schedule.trips)
        if abs(closure - schedule.closure_s) > EPS:
            problems.append(f"closure {schedule.closure_s:.0f} s does not match the trips ({closure:.0f} s)")
    due = {t.id: t.due_s for t in tasks}
    late = sum(max(0.0, r.unloaded_s - d) for r in schedule.trips if (d := due.get(r.task)) is not None)
    if abs(late - schedule.lateness_s) > EPS:
        problems.append(f"lateness {schedule.lateness_s:.0f} s does not match the trips ({late:.0f} s)")
    return problems


def _check_trip(
    r: HetTrip, t: HetTask, fleet: HetFleet, travel: np.ndarray, handling: tuple[float, float]
) -> list[str]:
    """Check one trip against its task: places, readiness, and each step no faster than allowed."""
    load, unload = handling
    problems = []
    if (r.pickup, r.delivery) != (t.pickup, t.delivery):
        problems.append(f"task {t.id}: carried {r.pickup} → {r.delivery}, not {t.pickup} → {t.delivery}")
    if r.load_start_s < t.ready_s - EPS:
        problems.append(
            f"task {t.id}: loading at {r.load_start_s:.0f} s, before it is ready ({t.ready_s:.0f} s)"
        )
    windows = t.load_windows
    if windows is not None and not any(a - EPS <= r.load_start_s <= b + EPS for a, b in windows):
        problems.append(
            f"task {t.id}: loading at {r.load_start_s:.0f} s, outside its loading windows (its loaded run "
            "would leave the movement window)"
        )
    if r.depart_s < r.load_start_s + load - EPS:
        problems.append(f"task {t.id}: leaves at {r.depart_s:.0f} s before it is loaded")
    if r.arrive_s < r.depart_s + travel[t.pickup, t.delivery] - EPS:
        problems.append(f"task {t.id}: arrives at {r.arrive_s:.0f} s, faster than the road allows")
    if r.unloaded_s < r.arrive_s + unload - EPS:
        problems.append(f"task {t.id}: unloaded at {r.unloaded_s:.0f} s, before unloading could end")
    if not 0 <= r.het < fleet.count or r.shift < 0:
        problems.append(f"task {t.id}: HET {r.het} shift {r.shift} is not in the fleet")
    return problems


def _check_hets_time(schedule: HetSchedule, fleet: HetFleet, travel: np.ndarray) -> list[str]:
    """Check the per-HET rules: one place at a time, capacity, shift length, rest."""
    load, unload = 60 * fleet.load_min, 60 * fleet.unload_min
    z = fleet.depot
    problems = []
    reported = {(s.het, s.shift): s for s in schedule.shifts}
    by_het: dict[int, list[HetTrip]] = defaultdict(list)
    for r in schedule.trips:
        by_het[r.het].append(r)
    for het, trips in sorted(by_het.items()):
        # stops: (start, end, place, shift, task); a HET does one at a time and drives between them
        stops = sorted(
            [(r.load_start_s, r.load_start_s + load, r.pickup, r.shift, r.task) for r in trips]
            + [(r.unloaded_s - unload, r.unloaded_s, r.delivery, r.shift, r.task) for r in trips]
        )
        for a, b in itertools.pairwise(stops):
            if b[0] < a[1] + travel[a[2], b[2]] - EPS:
                problems.append(
                    f"HET {het}: {a[4]} at place {a[2]} until {a[1]:.0f} s, yet {b[4]} at place {b[2]} "
                    f"from {b[0]:.0f} s (two things at once)"
                )
        events = sorted([(r.unloaded_s, -1) for r in trips] + [(r.load_start_s, 1) for r in trips])
        aboard = 0
        for when, change in events:
            aboard += change
            if aboard > fleet.capacity:
                problems.append(f"HET {het}: {aboard} on board at {when:.0f} s > capacity {fleet.capacity}")
                break
        spans = {}
        for day in sorted({s[3] for s in stops}):
            mine = [s for s in stops if s[3] == day]
            out = mine[0][0] - travel[z, mine[0][2]]
            back = mine[-1][1] + travel[mine[-1][2], z]
            shown = reported.get((het, day))
            if shown is not None:
                if shown.out_s > out + EPS or shown.back_s < back - EPS:
                    problems.append(
                        f"HET {het} shift {day}: reported {shown.out_s:.0f}–{shown.back_s:.0f} s "
                        f"does not cover its work ({out:.0f}–{back:.0f} s)"
                    )
                out, back = min(out, shown.out_s), max(back, shown.back_s)
            spans[day] = (out, back)
            if back - out > 3600 * fleet.duty_hours + EPS:
                problems.append(
                    f"HET {het} shift {day}: {(back - out) / 3600:.2f} h park to park "
                    f"> duty {fleet.duty_hours:g} h"
                )
        days = sorted(spans)
        for d0, d1 in itertools.pairwise(days):
            rest = spans[d1][0] - spans[d0][1]
            if rest < 3600 * fleet.rest_hours - EPS:
                problems.append(
                    f"HET {het}: {rest / 3600:.2f} h at the park between shifts {d0} and {d1} "
                    f"< rest {fleet.rest_hours:g} h"
                )
    return problems
