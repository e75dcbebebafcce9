"""The HET routing model's data and its first plan, in whole seconds; no solver here.

Nodes are those of :mod:`.het_routing`'s model: node 0 is the park, node 1 the
anchor, then the pickup ``2 + 2k`` and delivery ``3 + 2k`` of task ``k``; a plan
is, per HET and per shift, the nodes visited in order. The first plan
(:func:`first_plan`, list scheduling) is where the search starts and sets the
shift windows (:func:`shift_windows`); :func:`earliest_times` gives a shift's
earliest times, for the windows and for the plan the search returns.
"""

from __future__ import annotations

import bisect
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .het import (
    HetFleet,
    HetSchedule,
    HetShift,
    HetTask,
    HetTrip,
    ceil_s,
    closure_bound_s,
    diagnose,
    shortest_travel,
    validate_inputs,
)

__all__ = [
    "HetData",
    "earliest_times",
    "extract_plan",
    "first_plan",
    "model_data",
    "planned_spans",
    "prepare",
    "shift_windows",
    "summarise",
]


@dataclass
class HetData:
    """The model's integer data (s): node 0 is the park, node 1 the anchor, then pickup, delivery per task.

    Attributes
    ----------
    tasks
        The tasks, in model order (node ``2 + 2k`` picks up task ``k``, ``3 + 2k`` delivers it).
    loc
        Travel-matrix index of each node.
    service
        Time spent at each node: loading at a pickup, unloading at a delivery.
    demand
        Change of the load at each node: ``+1`` at a pickup, ``-1`` at a delivery.
    ready
        Earliest loading start of each task.
    travel
        Travel times in whole seconds, rounded up (only between the places in use).
    park
        Travel-matrix index of the HET park.
    hets, capacity
        HETs in the pool, and vehicles one carries at once.
    duty, rest
        Longest shift and shortest rest between two shifts of a HET.
    days
        Shifts per HET in the model.
    windows
        Per HET, per shift, when it may be away from the park (:func:`shift_windows`).
    load_spans
        Per task, when its loading may start (whole seconds, ``lo ≤ start ≤ hi``; the
        task's ``load_windows`` rounded inwards), or ``None``: at any time.
    model_spans
        Per task, the one span of ``load_spans`` the search keeps its loading in: the one
        the first plan loads it in (:func:`planned_spans`); ``None`` for a task without
        windows, or when there is no first plan (the model then removes the gaps
        between all its spans).
    """

    tasks: list[HetTask]
    loc: list[int]
    service: list[int]
    demand: list[int]
    ready: list[int]
    travel: np.ndarray
    park: int
    hets: int
    capacity: int
    duty: int
    rest: int
    days: int = 1
    windows: list[list[tuple[int, int]]] = field(default_factory=list)
    load_spans: list[list[tuple[int, int]] | None] = field(default_factory=list)
    model_spans: list[tuple[int, int] | None] = field(default_factory=list)

    @property
    def shifts(self) -> int:
        """Routing vehicles that are shifts of a HET (the anchor not counted)."""
        return self.hets * self.days

    @property
    def horizon(self) -> int:
        """End of the latest shift window: the time dimension's bound."""
        return max(w[-1][1] for w in self.windows)

    def vehicle(self, het: int, shift: int) -> int:
        """Return the routing vehicle of shift ``shift`` of HET ``het``."""
        return het * self.days + shift

    def window(self, het: int, shift: int) -> tuple[int, int]:
        """Return when shift ``shift`` of HET ``het`` may be away from the park."""
        return self.windows[het][shift]

    def next_start(self, k: int, t: int) -> int | None:
        """Return the earliest loading start of task ``k`` at or after ``t`` (None: no window left)."""
        spans = self.load_spans[k] if self.load_spans else None
        if spans is None:
            return t
        i = bisect.bisect_left(spans, t, key=lambda span: span[1])
        return max(t, spans[i][0]) if i < len(spans) else None

    def latest_start(self, k: int, t: int) -> int | None:
        """Return the latest loading start of task ``k`` at or before ``t`` (None: no window yet)."""
        spans = self.load_spans[k] if self.load_spans else None
        if spans is None:
            return t
        i = bisect.bisect_right(spans, t, key=lambda span: span[0]) - 1
        return min(t, spans[i][1]) if i >= 0 else None


def model_data(tasks: Sequence[HetTask], fleet: HetFleet, travel: np.ndarray, seed: int) -> HetData:
    """Return the model's integer data: whole seconds, rounded up, and two nodes per task.

    Parameters
    ----------
    tasks
        The vehicles to carry.
    fleet
        The HET pool and its working rules.
    travel
        Shortest travel times (s) between places (:func:`.het.shortest_travel`).
    seed
        Permutes the task order (``0``: as given).

    Returns
    -------
    HetData
        One shift per HET (``days = 1``) and no windows yet: the caller sets both.
    """
    order = list(tasks)
    if seed:
        perm = np.random.default_rng(seed).permutation(len(order))
        order = [order[i] for i in perm]
    load, unload = ceil_s(60 * fleet.load_min), ceil_s(60 * fleet.unload_min)
    loc, service, demand = [fleet.depot, fleet.depot], [0, 0], [0, 0]
    for t in order:
        loc += [t.pickup, t.delivery]
        service += [load, unload]
        demand += [1, -1]
    used = sorted({*loc})
    ticks = np.zeros_like(travel, dtype=np.int64)
    ticks[np.ix_(used, used)] = np.ceil(travel[np.ix_(used, used)] - 1e-9).astype(np.int64)
    ready = [max(0, ceil_s(t.ready_s)) for t in order]
    duty, rest = ceil_s(3600 * fleet.duty_hours), ceil_s(3600 * fleet.rest_hours)
    spans: list[list[tuple[int, int]] | None] = []
    for t in order:
        if t.load_windows is None:
            spans.append(None)
            continue
        # rounded inwards: a whole-second start in a span is in the task's window
        whole = [(max(0, ceil_s(a)), math.floor(b + 1e-9)) for a, b in t.load_windows]
        spans.append([(a, b) for a, b in whole if a <= b])
    data = HetData(
        order, loc, service, demand, ready, ticks, fleet.depot, fleet.count, fleet.capacity, duty, rest
    )
    data.load_spans = spans
    return data


def prepare(
    tasks: Sequence[HetTask],
    fleet: HetFleet,
    travel_s: np.ndarray,
    seed: int,
    spare_shifts: int,
    t0: float,
) -> tuple[HetData, list[list[list[int]]] | None, float] | HetSchedule:
    """Check the inputs and make the model's data, first plan, shift windows and bound; every engine's start.

    Parameters
    ----------
    tasks
        The vehicles to carry.
    fleet
        The HET pool and its working rules.
    travel_s
        Square matrix of HET travel times (s); ``inf`` where there is no road.
    seed
        Permutes the task order in the model (``0``: as given).
    spare_shifts
        Shifts per HET beyond those of the first plan (when ``fleet.days`` is not set).
    t0
        When the call started (``time.perf_counter()``), for the solve time of an early answer.

    Returns
    -------
    tuple or HetSchedule
        ``(data, plans, bound)``: the data with its days, shift windows and loading spans set,
        the first plan (``None`` when none fits ``fleet.days``) and the closure's lower bound;
        or the answer itself when there is nothing to carry or no plan can exist (status
        ``infeasible`` with the diagnosis).

    Raises
    ------
    ScenarioError
        Malformed inputs (matrix shape, indices, repeated ids).
    """
    travel = shortest_travel(validate_inputs(tasks, fleet, travel_s))
    if not tasks:
        return HetSchedule("optimal", days=fleet.days or 0, diagnosis="nothing to carry")
    bound = closure_bound_s(tasks, fleet, travel)
    why = diagnose(tasks, fleet, travel, fleet.days)
    if why:
        return HetSchedule(
            "infeasible",
            bound_s=bound,
            days=fleet.days or 0,
            solve_seconds=time.perf_counter() - t0,
            diagnosis=why,
        )
    data = model_data(tasks, fleet, travel, seed)
    plans = first_plan(data, fleet.days)
    if plans is None and fleet.days is None:
        why = "no task fits a shift once its times are rounded up to whole seconds"
        return HetSchedule("infeasible", bound_s=bound, solve_seconds=time.perf_counter() - t0, diagnosis=why)
    if fleet.days:
        data.days = fleet.days
    else:
        assert plans is not None  # without a first plan and a day limit the call returned above
        data.days = max(len(p) for p in plans) + spare_shifts
    data.windows = shift_windows(data, plans, data.days)
    if plans is not None:
        data.model_spans = planned_spans(data, plans)
    return data, plans, bound


def first_plan(data: HetData, days: int | None) -> list[list[list[int]]] | None:
    """Make a first plan by list scheduling: tasks by ready time, each to the HET that unloads it first.

    One vehicle per trip, loaded at the earliest its loading windows allow. A HET goes
    on with its shift while the work and the drive back to the park fit in the duty
    time; otherwise it drives back, rests and starts a new shift when the next task
    needs it.

    Parameters
    ----------
    data
        The model's data.
    days
        Most shifts per HET, or ``None`` for as many as needed.

    Returns
    -------
    list or None
        Per HET, its shifts, each the nodes visited in order (pickup ``2 + 2k`` and
        delivery ``3 + 2k`` of task ``k``); ``None`` when a task fits no shift (or
        none within ``days``).
    """
    z, tt = data.park, data.travel
    plans: list[list[list[int]]] = [[] for _ in range(data.hets)]
    state = [(z, 0, 0, -1)] * data.hets  # per HET: where, free from, shift out, shift
    order = sorted(range(len(data.tasks)), key=lambda k: (data.ready[k], k))
    for k in order:
        p, d = data.loc[2 + 2 * k], data.loc[3 + 2 * k]
        carry = data.service[2 + 2 * k] + int(tt[p, d]) + data.service[3 + 2 * k]
        best: tuple[int, int, int, int] | None = None  # earliest done, then HET, shift out, shift
        for het, (place, free, out, shift) in enumerate(state):
            if shift >= 0:  # on with the shift
                start = data.next_start(k, max(free + int(tt[place, p]), data.ready[k]))
                if start is not None and start + carry + int(tt[d, z]) - out <= data.duty:
                    cand = (start + carry, het, out, shift)
                    best = cand if best is None or cand < best else best
            if days is None or shift + 1 < days:  # a new shift, after the rest
                earliest = free + int(tt[place, z]) + data.rest if shift >= 0 else 0
                new = max(earliest, data.ready[k] - int(tt[z, p]))
                start = data.next_start(k, max(new + int(tt[z, p]), data.ready[k]))
                if start is None:
                    continue
                new = max(new, start - int(tt[z, p]))  # out of the park in time for its loading window
                if start + carry + int(tt[d, z]) - new <= data.duty:
                    cand = (start + carry, het, new, shift + 1)
                    best = cand if best is None or cand < best else best
        if best is None:
            return None
        done, het, out, shift = best
        if shift == len(plans[het]):
            plans[het].append([])
        plans[het][shift] += [2 + 2 * k, 3 + 2 * k]
        state[het] = (d, done, out, shift)
    return plans


def planned_spans(data: HetData, plans: list[list[list[int]]]) -> list[tuple[int, int] | None]:
    """Return the loading window each task's loading starts in on a first plan (None: without windows).

    Parameters
    ----------
    data
        The model's data (its ``load_spans``).
    plans
        A first plan (:func:`first_plan`) that carries every task.

    Returns
    -------
    list
        Per task in model order, the span ``(lo, hi)`` of its loading start.
    """
    start: dict[int, int] = {}
    for routes in plans:
        earliest = 0
        for nodes in routes:
            _, back, starts = earliest_times(data, nodes, earliest)
            start.update({(n - 2) // 2: t for n, t in zip(nodes, starts, strict=True) if n % 2 == 0})
            earliest = back + data.rest
    out: list[tuple[int, int] | None] = []
    for k, spans in enumerate(data.load_spans or [None] * len(data.tasks)):
        if spans is None:
            out.append(None)
            continue
        i = bisect.bisect_left(spans, start[k], key=lambda span: span[1])
        out.append(spans[i])
    return out


def shift_windows(
    data: HetData, plans: list[list[list[int]]] | None, days: int
) -> list[list[tuple[int, int]]]:
    """Shift windows of each HET from a first plan; consecutive windows are ``rest`` apart.

    A used shift's window reaches from its start to its end, widened into the
    spare time between shifts (split half and half); shifts the plan does not use
    follow at the regular cycle of ``duty + rest``.

    Parameters
    ----------
    data
        The model's data.
    plans
        A first plan (:func:`first_plan`), or ``None``: every shift at the regular cycle.
    days
        Shifts per HET in the model.

    Returns
    -------
    list of list of tuple of int
        Per HET, per shift, the earliest departure from and the latest return to the park (s).
    """
    times: list[list[tuple[int, int]]] = []
    for het in range(data.hets):
        mine, earliest = [], 0
        for nodes in plans[het] if plans else []:
            out, back, _ = earliest_times(data, nodes, earliest)
            mine.append((out, back))
            earliest = back + data.rest
        times.append(mine)
    windows = []
    for mine in times:
        row, a = [], 0
        for d in range(days):
            if d < len(mine):
                spare = mine[d + 1][0] - mine[d][1] - data.rest if d + 1 < len(mine) else 0
                b = mine[d][1] + spare // 2 if d + 1 < len(mine) else max(mine[d][1], a + data.duty)
            else:
                b = a + data.duty
            row.append((a, b))
            a = b + data.rest
        windows.append(row)
    return windows


def earliest_times(data: HetData, nodes: list[int], earliest: int) -> tuple[int, int, list[int]]:
    """Earliest times of one shift's visits: leave the park, come back, and each visit's start.

    The HET leaves the park in time to load its first vehicle when it is ready (and its
    loading window is open), no earlier than ``earliest``; each visit then starts as
    early as the drive, the vehicle's ready time and its loading window allow. When the
    waits would stretch the shift beyond the duty time, it leaves the park later, as late
    as keeps the same return (at most ``back - duty``: a later start would only come
    back later). A routing solution's own times may differ (its finalizer need not set
    them earliest); the routes are kept, and these times replace them.

    Parameters
    ----------
    data
        The model's data.
    nodes
        The shift's visits in order (not empty).
    earliest
        The shift leaves the park no earlier than this (s).

    Returns
    -------
    out, back, starts
        When the HET leaves the park and is back (s), and when each visit starts.
    """
    z, tt = data.park, data.travel
    places = [data.loc[n] for n in nodes]

    def forward(out: int) -> tuple[list[int], int]:
        starts, t, at = [], out, z
        for n, place in zip(nodes, places, strict=True):
            t += int(tt[at, place])
            if n % 2 == 0:  # a pickup: the vehicle ready, its loading window open
                k = (n - 2) // 2
                t = _opens(data, k, max(t, data.ready[k]))
            starts.append(t)
            t += data.service[n]
            at = place
        return starts, t + int(tt[at, z])

    reach = int(tt[z, places[0]])
    first = earliest + reach
    if nodes[0] % 2 == 0:  # leave the park to be at the first pickup when it may start
        k = (nodes[0] - 2) // 2
        first = _opens(data, k, max(first, data.ready[k]))
    out = first - reach
    starts, back = forward(out)
    if back - out > data.duty:
        out = max(out, min(_latest_out(data, nodes, places, starts), back - data.duty))
        starts, back = forward(out)
    return out, back, starts


def _opens(data: HetData, k: int, t: int) -> int:
    """Return the earliest loading start of task ``k`` from ``t`` (``t`` when no window is left).

    A route with no window left is infeasible; its times are still given, and the checker
    (:func:`.het_check.check_hets`) names the loading outside its windows.
    """
    start = data.next_start(k, t)
    return t if start is None else start


def _latest_out(data: HetData, nodes: list[int], places: list[int], starts: list[int]) -> int:
    """Return the latest departure from the park that keeps a shift's last visit at ``starts[-1]``."""
    z, tt = data.park, data.travel
    latest = starts[-1]
    for i in range(len(nodes) - 2, -1, -1):
        t = latest - data.service[nodes[i]] - int(tt[places[i], places[i + 1]])
        if nodes[i] % 2 == 0:
            # the visit's own earliest start is allowed and no later than t: a window holds it
            last = data.latest_start((nodes[i] - 2) // 2, t)
            t = starts[i] if last is None else last
        latest = t
    return latest - int(tt[z, places[0]])


def extract_plan(data: HetData, plans: list[list[list[int]]]) -> tuple[list[HetTrip], list[HetShift]]:
    """Return the trips and shifts of a plan, each visit as early as its shift window allows.

    Parameters
    ----------
    data
        The model's data (its shift windows set).
    plans
        Per HET, per shift, the nodes visited in order (pickup ``2 + 2k``, delivery ``3 + 2k``).

    Returns
    -------
    trips, shifts
        The trips by loading start, and the used shifts.
    """
    trips, shifts = [], []
    for het, routes in enumerate(plans):
        for day, nodes in enumerate(routes):
            if not nodes:
                continue
            out, back, starts = earliest_times(data, nodes, data.window(het, day)[0])
            trips += _trips(data, het, day, out, list(zip(nodes, starts, strict=True)))
            done = tuple(data.tasks[(node - 2) // 2].id for node in nodes if node % 2 == 0)
            shifts.append(HetShift(het, day, float(out), float(back), done))
    trips.sort(key=lambda r: (r.load_start_s, r.het, r.shift, r.task))
    return trips, shifts


def _trips(data: HetData, het: int, day: int, out: int, stops: list[tuple[int, int]]) -> list[HetTrip]:
    """Return the trips of one shift; ``stops`` are its visits in order, with their start times."""
    places = [data.loc[node] for node, _ in stops]
    ends = [c + data.service[node] for node, c in stops]
    # the HET reaches a place when it has left the previous one and driven there
    arrive, leave = [0] * len(stops), [0] * len(stops)
    for i in range(len(stops)):
        if i and places[i] == places[i - 1]:
            arrive[i] = arrive[i - 1]
        else:
            prev_end, prev_place = (ends[i - 1], places[i - 1]) if i else (out, data.park)
            arrive[i] = prev_end + int(data.travel[prev_place, places[i]])
    for i in reversed(range(len(stops))):
        same = i + 1 < len(stops) and places[i + 1] == places[i]
        leave[i] = leave[i + 1] if same else ends[i]
    loaded: dict[int, int] = {}
    trips = []
    for i, (node, _) in enumerate(stops):
        k = (node - 2) // 2
        if node % 2 == 0:
            loaded[k] = i
            continue
        j = loaded[k]
        t = data.tasks[k]
        trips.append(
            HetTrip(
                het,
                day,
                t.id,
                t.vehicle,
                t.group,
                t.pickup,
                t.delivery,
                float(stops[j][1]),
                float(leave[j]),
                float(arrive[i]),
                float(ends[i]),
            )
        )
    return trips


def summarise(
    trips: list[HetTrip],
    shifts: list[HetShift],
    tasks: Sequence[HetTask],
    bound: float,
    days: int,
    seconds: float,
    timed_out: bool,
    engine: str,
) -> HetSchedule:
    """Return the schedule of a plan's trips and shifts: closure, lateness, gap, status and diagnosis.

    Parameters
    ----------
    trips, shifts
        The plan (:func:`extract_plan`), at least one trip.
    tasks
        The vehicles carried (their due and ready times).
    bound
        A valid lower bound on the closure (:func:`.het.closure_bound_s`).
    days
        Shifts per HET in the model.
    seconds
        Wall time of the search.
    timed_out
        Whether the wall-clock guard stopped the search (then the status is ``timed out``
        unless the bound proves the plan optimal).
    engine
        The search that made the plan, for the record.

    Returns
    -------
    HetSchedule
        Status ``optimal`` (closure at its bound, nothing late), ``timed out`` or ``feasible``.
    """
    due = {t.id: t.due_s for t in tasks}
    late = sum(max(0.0, r.unloaded_s - d) for r in trips if (d := due[r.task]) is not None)
    closure = max(r.unloaded_s for r in trips)
    gap = (closure - bound) / closure if closure > 0 else 0.0
    # the model rounds each time up to a whole second: the closure may exceed the bound by that much
    at_bound = closure <= bound + 3 * len(tasks) + 3
    if at_bound and late == 0:
        word = "optimal"  # proven by the bound; nothing is late
    elif timed_out:
        word = "timed out"
    else:
        word = "feasible"
    last = max(trips, key=lambda r: r.unloaded_s)
    ready = {t.id: t.ready_s for t in tasks}
    why = (
        f"the closure is at its lower bound ({bound / 3600:.2f} h)"
        if at_bound
        else f"closure {closure / 3600:.2f} h vs lower bound {bound / 3600:.2f} h; the last vehicle "
        f"({last.task}, ready at {ready[last.task] / 3600:.2f} h) is carried by HET {last.het} "
        f"on its shift {last.shift}"
    )
    return HetSchedule(
        word,
        trips,
        shifts,
        closure_s=closure,
        lateness_s=late,
        bound_s=bound,
        gap=max(0.0, gap),
        het_hours=sum(s.back_s - s.out_s for s in shifts) / 3600,
        days=days,
        solve_seconds=seconds,
        diagnosis=why,
        engine=engine,
    )
