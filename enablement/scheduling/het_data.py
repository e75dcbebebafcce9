"""The HET routing model's data and its first plan, in whole seconds; no solver here.

Nodes are those of :mod:`.het_routing`'s model: node 0 is the park, node 1 the
anchor, then the pickup ``2 + 2k`` and delivery ``3 + 2k`` of task ``k``; a plan
is, per HET and per shift, the nodes visited in order. The first plan
(:func:`first_plan`, list scheduling) is where the search starts and sets the
shift windows (:func:`shift_windows`); :func:`earliest_times` gives a shift's
earliest times, for the windows and for the plan the search returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .het import HetFleet, HetTask, ceil_s

__all__ = ["HetData", "earliest_times", "first_plan", "model_data", "shift_windows"]


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
    return HetData(
        order, loc, service, demand, ready, ticks, fleet.depot, fleet.count, fleet.capacity, duty, rest
    )


def first_plan(data: HetData, days: int | None) -> list[list[list[int]]] | None:
    """Make a first plan by list scheduling: tasks by ready time, each to the HET that unloads it first.

    One vehicle per trip. A HET goes on with its shift while the work and the drive
    back to the park fit in the duty time; otherwise it drives back, rests and
    starts a new shift when the next task needs it.

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
                start = max(free + int(tt[place, p]), data.ready[k])
                if start + carry + int(tt[d, z]) - out <= data.duty:
                    cand = (start + carry, het, out, shift)
                    best = cand if best is None or cand < best else best
            if days is None or shift + 1 < days:  # a new shift, after the rest
                earliest = free + int(tt[place, z]) + data.rest if shift >= 0 else 0
                new = max(earliest, data.ready[k] - int(tt[z, p]))
                start = max(new + int(tt[z, p]), data.ready[k])
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

    With ``D_i`` the time from leaving the park to visit ``i`` without waiting, and
    ``A_i = max_{j ≤ i} (ready_j - D_j)``, leaving at ``out`` starts visit ``i`` at
    ``D_i + max(out, A_i)``; the HET leaves the park no earlier than ``A_1`` (it
    would only wait) and, when waiting for ready vehicles would stretch the shift
    beyond the duty time, late enough to fit it. A routing solution's own times may
    differ (its finalizer need not set them earliest); the routes are kept, and
    these times replace them.

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
    ready = [data.ready[(n - 2) // 2] if n % 2 == 0 else -(10**18) for n in nodes]
    reach, lag, at = [], -(10**18), z
    clock = 0
    for n, place, r in zip(nodes, places, ready, strict=True):
        clock += int(tt[at, place])
        reach.append(clock)
        lag = max(lag, r - clock)
        clock += data.service[n]
        at = place
    whole = clock + int(tt[at, z])
    out = max(earliest, ready[0] - reach[0])
    if max(out, lag) - out > data.duty - whole:
        out = lag - (data.duty - whole)
    starts, t, at = [], out, z
    for n, place, r in zip(nodes, places, ready, strict=True):
        t = max(t + int(tt[at, place]), r)
        starts.append(t)
        t += data.service[n]
        at = place
    return out, t + int(tt[at, z]), starts
