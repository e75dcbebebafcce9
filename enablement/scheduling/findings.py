"""What a plan's schedules say: what holds the force's closure back, and what each disruption changed.

Both read the schedules as made (the march table, the trains, the closures in force)
and name places and times; nothing here schedules again. :func:`closure_binding`
follows the unit that closes last back through its waits to the constraint that
sets its closure (road, rail, reception, permission, staging, a disruption, HETs).
:func:`disruption_effects` names, for each closure, the march units whose fastest
route (for their own vehicles, with no closure) runs through it while it is in force
but whose planned route does not: the columns it sent round, with the detour each
drives.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ..routing import Router
from .closures import Closure, Closures
from .greedy import schedule_march
from .march import MarchProblem, MarchRow, MarchRules, MarchSchedule, MarchUnit
from .rail import RailSchedule, Train

__all__ = [
    "Binding",
    "DisruptionCost",
    "DisruptionEffect",
    "Rerouted",
    "closure_binding",
    "disruption_cost",
    "disruption_effects",
]

_SLACK_S = 600.0
"""Waits up to this long (s) in all are not a constraint: the column (or train) went as soon as it could."""
_NEAR_S = 120.0
"""A departure this close (s) to a closure's end, a permit's opening or the window's opening is held by it."""
_STEP_S = 600.0
"""Step (s) at which a train's wait for loading is sampled against the rail resources in use."""


@dataclass(frozen=True)
class Binding:
    """What holds the force's closure back, named by place and time.

    Attributes
    ----------
    part
        ``road``, ``rail``, ``reception``, ``permission``, ``staging``, ``disruption`` or ``het``.
    what
        The constraint in words, with its place and times.
    where
        Site or control point id where it binds.
    at_s
        When it binds (s since the start): the end of the wait, or the release it sets.
    subject
        The march unit or train that closes last (or the column whose arrival holds that train).
    unit
        The unit that closes last.
    closure_s
        The force's closure (s since the start).
    """

    part: str
    what: str
    where: str
    at_s: float
    subject: str
    unit: str
    closure_s: float


@dataclass(frozen=True)
class Rerouted:
    """A march unit sent round a closure: the extra length and drive time of its planned route."""

    march_unit: str
    unit: str
    leg: int
    extra_km: float
    extra_min: float


@dataclass(frozen=True)
class DisruptionEffect:
    """What one closure changed in the plan.

    Attributes
    ----------
    closure
        The closure (its id, kind, target and interval).
    rerouted
        March units whose fastest route runs through it while it is in force and whose planned
        route does not.
    crossed
        March units whose planned route runs through it (outside its interval).
    """

    closure: Closure
    rerouted: tuple[Rerouted, ...]
    crossed: tuple[str, ...]

    @property
    def extra_column_hours(self) -> float:
        """Drive time the detours add, over all the rerouted march units (h)."""
        return sum(r.extra_min for r in self.rerouted) / 60.0


def _rows_by_unit(march: MarchSchedule) -> dict[str, list[MarchRow]]:
    out: dict[str, list[MarchRow]] = {}
    for r in march.rows:
        out.setdefault(r.march_unit, []).append(r)
    return out


def _excess(mu: MarchUnit, rows: Sequence[MarchRow], i: int) -> float:
    """Return how long a column waits at its ``i``-th row beyond its halt and its planned dwell (s).

    At a staging area this is measured from the staging arrival row (the schedulers write the
    departure row's ``arrive`` and ``wait`` differently: at the arrival or after the dwell).
    """
    r = rows[i]
    if r.kind == "staging" and i > 0 and rows[i - 1].kind == "staging_arrive":
        dwell = float(mu.dwell_s[r.leg - 2]) if 0 <= r.leg - 2 < len(mu.dwell_s) else 0.0
        return max(0.0, r.depart_s - rows[i - 1].arrive_s - dwell - r.halt_s)
    return max(0.0, r.wait_s)


@dataclass
class _Road:
    """What the road analysis reads: the march units, their rows, the rules and the schedule."""

    by_id: Mapping[str, MarchUnit]
    rows: Mapping[str, list[MarchRow]]
    by_node: Mapping[int, list[tuple[str, int]]]
    rules: MarchRules
    march: MarchSchedule
    staging: Mapping[str, tuple[int, float]]
    iso: Callable[[float], str]

    @classmethod
    def of(
        cls,
        march_units: Sequence[MarchUnit],
        march: MarchSchedule,
        rules: MarchRules,
        staging: Mapping[str, tuple[int, float]],
        iso: Callable[[float], str],
    ) -> _Road:
        rows = _rows_by_unit(march)
        by_node: dict[int, list[tuple[str, int]]] = {}
        for mu_id, rs in rows.items():
            for i, r in enumerate(rs):
                by_node.setdefault(r.node, []).append((mu_id, i))
        return cls({m.id: m for m in march_units}, rows, by_node, rules, march, staging, iso)


def _passes_closure_at_reopening(road: _Road, mu: MarchUnit, i: int, edges: set[int], end: float) -> bool:
    """Tell whether a column drives onto a closure's links just as it reopens (on the leg of row ``i``)."""
    rows = road.rows[mu.id]
    leg = rows[i].leg
    route = road.march.routes.get((mu.id, leg - 1))
    if route is None or not math.isfinite(end):
        return False
    at = next((k for k, e in enumerate(route.edges) if e in edges), None)
    if at is None:
        return False
    before = set(route.nodes[: at + 1])
    legs = [k for k in range(i, len(rows)) if rows[k].leg == leg]
    last = max((k for k in legs if rows[k].node in before), default=None)
    if last is None:
        return False
    hi = rows[last + 1].arrive_s if last + 1 < len(rows) else rows[last].depart_s
    return rows[last].depart_s - _NEAR_S <= end <= hi + _NEAR_S


def _leaves_at(road: _Road, mu: MarchUnit, i: int, t: float) -> bool:
    """Tell whether a column, waiting from row ``i`` on, moves off a wait of its leg at time ``t``."""
    rows = road.rows[mu.id]
    for k in range(i, len(rows)):
        if rows[k].leg != rows[i].leg or (k > i and _excess(mu, rows, k) <= 0):
            break
        if abs(rows[k].depart_s - t) <= _NEAR_S:
            return True
    return False


def _own_reason(road: _Road, mu: MarchUnit, i: int, w: float) -> tuple[str, str] | None:
    """Return ``(part, words)`` when a column's wait at row ``i`` has a cause of its own (else None)."""
    row = road.rows[mu.id][i]
    rules, iso = road.rules, road.iso
    start = row.depart_s - w
    for label, (iv, rows) in rules.closed_by.items():
        span = iv.overlaps(start, start + 1.0)
        if span is None:
            continue
        if _passes_closure_at_reopening(road, mu, i, set(rows), span[1]):
            return "disruption", f"waits for {label} to reopen at {iso(span[1])}"
        if _leaves_at(road, mu, i, span[1]):
            return (
                "disruption",
                f"waits until {label} reopens at {iso(span[1])} (its planned route does not cross it)",
            )
    permit = rules.permits.get(mu.sites[-1])
    if permit is not None:
        reach = road.march.closure_s.get(mu.id, row.depart_s)
        for opens in (permit.open_s, permit.exceptional_open_s):
            if start < opens <= reach:
                return (
                    "permission",
                    f"waits for its permission to cross at {mu.sites[-1]}, granted from {iso(opens)}",
                )
    if rules.window is not None and any(abs(lo - row.depart_s) <= _NEAR_S for lo, _ in rules.window.spans):
        return "road", f"waits for the movement window ({rules.window_text}) to open"
    if mu.purpose == "het":
        return "het", "waits for its HETs to come back from their previous run"
    leg = max(0, row.leg - 1)
    nxt = next((x for x in mu.sites[leg + 1 :] if x in rules.staging_capacity), None)
    if row.kind in ("start", "staging") and nxt is not None:
        cap = rules.staging_capacity[nxt]
        peak = road.staging.get(nxt, (0, 0.0))[0]
        if peak + row.vehicles > cap:
            return "staging", f"waits for room at staging area {nxt} ({peak} of {cap} vehicles held)"
    return None


def _ahead(road: _Road, mu: MarchUnit, i: int, w: float) -> tuple[MarchUnit, int] | None:
    """Return the column that leaves the same control point last during a column's wait there."""
    row = road.rows[mu.id][i]
    best: tuple[float, str, int] | None = None
    for other, k in road.by_node.get(row.node, ()):
        if other == mu.id:
            continue
        t = road.rows[other][k].depart_s
        if row.depart_s - w <= t <= row.depart_s and (best is None or (t, other) > best[:2]):
            best = (t, other, k)
    return (road.by_id[best[1]], best[2]) if best is not None and best[1] in road.by_id else None


def _cause(road: _Road, mu: MarchUnit, i: int, w: float) -> tuple[str, str]:
    """Return ``(part, words)``: why a column waits at row ``i``, following a queue to its head."""
    own = _own_reason(road, mu, i, w)
    if own is not None:
        return own
    chain: list[str] = []
    seen = {mu.id}
    cur, k = mu, i
    head: tuple[str, str] | None = None
    while True:
        nxt = _ahead(road, cur, k, max(w, _SLACK_S) if cur is mu else _excess(cur, road.rows[cur.id], k))
        if nxt is None or nxt[0].id in seen:
            break
        cur, k = nxt
        seen.add(cur.id)
        chain.append(cur.id)
        wk = _excess(cur, road.rows[cur.id], k)
        if wk <= _SLACK_S:
            break  # the column ahead did not wait here: it is the head of the queue, on the move
        head = _own_reason(road, cur, k, wk)
        if head is not None:
            break
    road_words = "the columns ahead on the same road (headway and pass times)"
    if road.march.binding.startswith("road capacity"):
        road_words += f"; the road solver names {road.march.binding}"
    if not chain:
        return "road", f"queues behind {road_words}"
    queue = f"queues behind {chain[0]}" + (f" ({len(chain)} columns in the queue)" if len(chain) > 1 else "")
    if head is None:
        return "road", f"{queue}: {road_words}"
    return head[0], f"{queue}; at its head {chain[-1]} {head[1]}"


def _column(
    road: _Road, mu: MarchUnit, release: Mapping[str, tuple[str, str]]
) -> tuple[str, str, str, float]:
    """Return ``(part, words, where, when)`` for what sets one column's closure."""
    iso = road.iso
    rows = road.rows.get(mu.id, [])
    close = road.march.closure_s.get(mu.id, mu.release_s)
    end = mu.sites[-1]
    waits = [(_excess(mu, rows, i), i) for i in range(len(rows))]
    total = sum(w for w, _ in waits)
    if total <= _SLACK_S or not waits:
        site = mu.sites[0]
        arrival, how = release.get(mu.id, ("", ""))
        if arrival:
            words = (
                f"{mu.id} is released at {site} at {iso(mu.release_s)}, when its last vehicle is ashore "
                f"({arrival}{how}); it then drives with no wait beyond its planned dwell "
                f"and closes at {end} at {iso(close)}"
            )
            return "reception", words, site, mu.release_s
        words = (
            f"{mu.id} leaves {site} at {iso(mu.release_s)}, its release, and drives with no wait beyond "
            f"its planned dwell: its route and halts set its closure at {end} at {iso(close)}"
        )
        return "road", words, site, mu.release_s
    w, i = max(waits, key=lambda x: (x[0], -x[1]))
    row = rows[i]
    part, why = _cause(road, mu, i, w)
    words = (
        f"{mu.id} waits {w / 3600.0:.1f} h at {row.control_point} (from {iso(row.depart_s - w)} to "
        f"{iso(row.depart_s)}): {why}; it closes at {end} at {iso(close)} "
        f"({total / 3600.0:.1f} h of waiting in all)"
    )
    return part, words, row.control_point, row.depart_s


def _back(t: Train) -> float:
    """Return when a train's wagons are back (its arrival when the schedule gives no return)."""
    return t.back_s if math.isfinite(t.back_s) else t.arrive_s


def _rail_wait(
    t: Train,
    trains: Sequence[Train],
    ramp_tracks: Mapping[str, int],
    wagons: int,
    locomotives: Mapping[str, int],
) -> str:
    """Say which rail resource was short while a train waited to load (sampled every 10 min)."""
    short: dict[str, int] = {}
    others = [o for o in trains if o.id != t.id]
    samples = 0
    tau = t.ready_s
    load = t.load_end_s - t.load_start_s
    while tau < t.load_start_s:
        samples += 1
        ramps = sum(o.quay == t.quay and o.load_start_s <= tau < o.load_end_s for o in others)
        if ramps + 1 > ramp_tracks.get(t.quay, 1):
            short["a ramp track at the quay"] = short.get("a ramp track at the quay", 0) + 1
        back = [o for o in others if o.load_start_s <= tau < _back(o)]
        if wagons and sum(o.wagons for o in back) + t.wagons > wagons:
            short[f"wagons (a pool of {wagons})"] = short.get(f"wagons (a pool of {wagons})", 0) + 1
        pool = locomotives.get(t.locomotive, 0)
        at = tau + load
        busy = sum(o.locomotive == t.locomotive and o.depart_s <= at < _back(o) for o in others)
        if pool and busy + 1 > pool:
            key = f"a {t.locomotive.replace('_', '-')} locomotive (a pool of {pool})"
            short[key] = short.get(key, 0) + 1
        tau += _STEP_S
    if not short or not samples:
        return "no ramp track, wagon or locomotive was short then: the rail solver's schedule holds it"
    name, n = max(short.items(), key=lambda kv: kv[1])
    words = f"{name} was short {n / samples:.0%} of that time"
    if n < samples:
        words += " (for the rest of it nothing was short: the rail solver's schedule holds the train)"
    return words


def closure_binding(
    *,
    units: Sequence[tuple[str, str, float]],
    march_units: Sequence[MarchUnit],
    march: MarchSchedule,
    rules: MarchRules,
    rail: RailSchedule | None,
    trains: Sequence[Train],
    staging: Mapping[str, tuple[int, float]],
    release: Mapping[str, tuple[str, str]],
    ramp_tracks: Mapping[str, int],
    wagons: int,
    locomotives: Mapping[str, int],
    iso: Callable[[float], str],
) -> Binding | None:
    """Follow the unit that closes last back to the constraint that sets the force's closure.

    Parameters
    ----------
    units
        ``(unit, mode, closure_s)`` of every unit.
    march_units, march, rules
        The march units, the road schedule and its rules.
    rail, trains
        The rail schedule and its trains.
    staging
        Peak vehicles held at each staging area (:func:`~.march.staging_peaks`).
    release
        ``(arrival, how it was worked)`` of each march unit that sets off from a reception site.
    ramp_tracks, wagons, locomotives
        Ramp tracks per quay, the wagon pool, locomotives by kind.
    iso
        Formats a plan time (s since the start) as local time.

    Returns
    -------
    Binding or None
        None when there is no unit.
    """
    if not units:
        return None
    fmt = iso
    unit, mode, close = max(units, key=lambda u: (u[2], u[0]))
    road = _Road.of(march_units, march, rules, staging, iso)
    mus = [m for m in march_units if m.unit == unit and m.id in march.closure_s]
    if mode == "rail":
        own = [t for t in trains if t.unit == unit]
        if not own:
            return None
        t = max(own, key=lambda x: (x.unloaded_s, x.id))
        load_wait = t.load_start_s - t.ready_s
        path_wait = t.depart_s - t.load_end_s
        bound = ""
        if rail is not None and rail.binding:
            bound = f" (the rail solver's bound names {rail.binding}; gap {rail.gap:.1%})"
        if max(load_wait, path_wait) > _SLACK_S:
            if load_wait >= path_wait:
                why = _rail_wait(t, trains, ramp_tracks, wagons, locomotives)
                words = (
                    f"train {t.id} waits {load_wait / 3600.0:.1f} h at {t.quay} to load, from its vehicles' "
                    f"arrival at {fmt(t.ready_s)} to {fmt(t.load_start_s)}: {why}; it is unloaded at "
                    f"{t.destination} at {fmt(t.unloaded_s)}{bound}"
                )
                return Binding("rail", words, t.quay, t.load_start_s, t.id, unit, close)
            words = (
                f"train {t.id} waits {path_wait / 3600.0:.1f} h loaded at {t.quay} for its departure "
                f"({fmt(t.load_end_s)} to {fmt(t.depart_s)}: a line path, a locomotive, the border's hours "
                f"or its crossing permission); it is unloaded at {t.destination} at "
                f"{fmt(t.unloaded_s)}{bound}"
            )
            return Binding("rail", words, t.quay, t.depart_s, t.id, unit, close)
        feeders = [m for m in mus if m.sites[-1] == t.quay]
        if feeders:
            mu = max(feeders, key=lambda m: (march.closure_s[m.id], m.id))
            part, words, where, at = _column(road, mu, release)
            words = (
                f"train {t.id} leaves as soon as its vehicles are at {t.quay} ({fmt(t.ready_s)}) and is "
                f"unloaded at {t.destination} at {fmt(t.unloaded_s)}; the last of them comes by road: {words}"
            )
            return Binding(part, words, where, at, mu.id, unit, close)
        words = f"train {t.id} leaves {t.quay} as soon as it is ready and is unloaded at {fmt(t.unloaded_s)}"
        return Binding("rail", words + bound, t.quay, t.ready_s, t.id, unit, close)
    if not mus:
        return None
    mu = max(mus, key=lambda m: (march.closure_s[m.id], m.id))
    part, words, where, at = _column(road, mu, release)
    return Binding(part, words, where, at, mu.id, unit, close)


def disruption_effects(
    closures: Closures,
    router: Router,
    march_units: Sequence[MarchUnit],
    march: MarchSchedule,
) -> list[DisruptionEffect]:
    """Name what each closure changed: the march units it sent round, with their detours.

    A march unit is sent round a closure when its fastest route for its own vehicles,
    with no closure at all, runs through the closure's links or nodes while the unit
    is on the road and the closure in force, and its planned route does not. Its
    detour is the planned route's length and drive time over that fastest route's.
    Routes are the router's (cached), not a second schedule.

    Parameters
    ----------
    closures
        The closures in force.
    router
        The road router.
    march_units, march
        The march units and the road schedule.

    Returns
    -------
    list of DisruptionEffect
        One per closure, in the closures' order.
    """
    by_id = {m.id: m for m in march_units}
    rows = _rows_by_unit(march)
    span: dict[str, tuple[float, float]] = {}
    for mu_id, rs in rows.items():
        span[mu_id] = (min(r.depart_s for r in rs), march.closure_s.get(mu_id, rs[-1].arrive_s))
    out = []
    for c in closures.closures:
        iv = closures.by_label.get(c.label, (None, ()))[0]
        edges, nodes = set(c.edges), set(c.nodes)
        rerouted: list[Rerouted] = []
        crossed: set[str] = set()
        for (mu_id, leg), route in sorted(march.routes.items()):
            mu = by_id.get(mu_id)
            if mu is None or not route.edges:
                continue
            if edges.intersection(route.edges) or nodes.intersection(route.nodes[1:-1]):
                crossed.add(mu_id)
                continue
            lo, hi = span.get(mu_id, (mu.release_s, mu.release_s))
            if iv is not None and iv.overlaps(lo, hi) is None:
                continue
            free = router.route(route.nodes[0], route.nodes[-1], mu.profile)
            if edges.intersection(free.edges) or nodes.intersection(free.nodes[1:-1]):
                rerouted.append(
                    Rerouted(
                        mu_id,
                        mu.unit,
                        leg + 1,
                        round((route.length_m - free.length_m) / 1000.0, 1),
                        round((route.time_s - free.time_s) / 60.0, 1),
                    )
                )
        out.append(DisruptionEffect(c, tuple(rerouted), tuple(sorted(crossed))))
    return out


@dataclass(frozen=True)
class DisruptionCost:
    """The road closure with and without the scenario's disruptions (:func:`disruption_cost`).

    Both closures are the greedy baseline's, so they compare like with like; the plan's own
    road closure (``plan_s``, perhaps the optimiser's) is given beside them.

    Attributes
    ----------
    without_s
        Road closure of the greedy baseline with no scenario disruption (restrictions and
        overlay closures still in force), seconds since the start.
    with_s
        Road closure of the greedy baseline with the disruptions.
    plan_s
        Road closure of the plan.
    """

    without_s: float
    with_s: float
    plan_s: float

    @property
    def delay_s(self) -> float:
        """What the disruptions cost the greedy baseline's road closure (s; negative: it gained)."""
        return self.with_s - self.without_s


def disruption_cost(
    problem: MarchProblem,
    undisrupted: MarchRules,
    router: Router,
    march: MarchSchedule,
) -> DisruptionCost:
    """Schedule the road march again without the scenario's disruptions, with the greedy baseline.

    Parameters
    ----------
    problem
        The plan's march problem (its march units, sites and rules with the disruptions).
    undisrupted
        The same rules without the scenario's disruptions.
    router
        The road router.
    march
        The plan's road schedule.

    Returns
    -------
    DisruptionCost
        The greedy baseline's road closure without and with the disruptions, and the plan's.
    """
    free = MarchProblem(problem.network, problem.units, problem.site_node, undisrupted)
    without = schedule_march(free, router)
    with_s = march.baseline_closure_s
    if with_s is None:  # the plan is the greedy baseline itself
        with_s = max(march.closure_s.values(), default=0.0)
    return DisruptionCost(
        max(without.closure_s.values(), default=0.0), with_s, max(march.closure_s.values(), default=0.0)
    )
