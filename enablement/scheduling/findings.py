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
from .march import MarchRow, MarchRules, MarchSchedule, MarchUnit
from .rail import RailSchedule, Train

__all__ = ["Binding", "DisruptionEffect", "Rerouted", "closure_binding", "disruption_effects"]

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


def _dwell(mu: MarchUnit, row: MarchRow) -> float:
    """Return the planned dwell of a column at a staging row (0 elsewhere)."""
    if row.kind == "staging" and 0 <= row.leg - 2 < len(mu.dwell_s):
        return float(mu.dwell_s[row.leg - 2])
    return 0.0


def _opens(spans: Sequence[tuple[float, float]], t: float) -> bool:
    return any(abs(lo - t) <= _NEAR_S for lo, _ in spans)


def _ends(spans: Sequence[tuple[float, float]], t: float) -> bool:
    return any(math.isfinite(hi) and abs(hi - t) <= _NEAR_S for _, hi in spans)


def _wait_reason(
    mu: MarchUnit,
    row: MarchRow,
    rules: MarchRules,
    march: MarchSchedule,
    staging: Mapping[str, tuple[int, float]],
    iso: Callable[[float], str],
) -> tuple[str, str]:
    """Return ``(part, words)``: why a column waits at a control point until its departure."""
    leg = max(0, row.leg - 1)
    route = march.routes.get((mu.id, leg))
    edges = set(route.edges) if route is not None else set()
    for label, (iv, rows) in rules.closed_by.items():
        if _ends(iv.spans, row.depart_s) and edges.intersection(rows):
            return "disruption", f"waits for {label} to reopen"
    border = mu.sites[-1]
    permit = rules.permits.get(border)
    if permit is not None:
        reach = march.closure_s.get(mu.id, row.depart_s)
        for opens in (permit.open_s, permit.exceptional_open_s):
            if row.depart_s <= opens <= reach:
                return "permission", f"its permission to cross at {border} is granted only from {iso(opens)}"
    if rules.window is not None and _opens(rules.window.spans, row.depart_s):
        return "road", f"the movement window ({rules.window_text}) opens"
    if mu.purpose == "het":
        return "het", "its HETs are not back from their previous run"
    nxt = next((s for s in mu.sites[leg + 1 :] if s in rules.staging_capacity), None)
    if row.kind in ("start", "staging") and nxt is not None:
        cap = rules.staging_capacity[nxt]
        peak = staging.get(nxt, (0, 0.0))[0]
        if peak + row.vehicles > cap:
            return "staging", f"staging area {nxt} ahead is full ({peak} of {cap} vehicles)"
    what = "the columns ahead on the same road (headway and pass times)"
    if march.binding.startswith("road capacity"):
        what += f"; the road solver names {march.binding}"
    return "road", f"queues behind {what}"


def _column(
    mu: MarchUnit,
    rows: Sequence[MarchRow],
    rules: MarchRules,
    march: MarchSchedule,
    staging: Mapping[str, tuple[int, float]],
    release: Mapping[str, tuple[str, str]],
    iso: Callable[[float], str],
) -> tuple[str, str, str, float]:
    """Return ``(part, words, where, when)`` for what sets one column's closure."""
    close = march.closure_s.get(mu.id, mu.release_s)
    end = mu.sites[-1]
    waits = [(r.wait_s - _dwell(mu, r), r) for r in rows]
    total = sum(w for w, _ in waits if w > 0)
    if total <= _SLACK_S or not waits:
        site = mu.sites[0]
        arrival, how = release.get(mu.id, ("", ""))
        if arrival:
            part = "reception"
            words = (
                f"{mu.id} is released at {site} at {iso(mu.release_s)}, when its last vehicle is ashore "
                f"({arrival}{how}); it then drives with no wait beyond its planned dwell "
                f"and closes at {end} at {iso(close)}"
            )
        else:
            part = "road"
            words = (
                f"{mu.id} leaves {site} at {iso(mu.release_s)}, its release, and drives with no wait beyond "
                f"its planned dwell: its route and halts set its closure at {end} at {iso(close)}"
            )
        return part, words, site, mu.release_s
    w, row = max(waits, key=lambda x: (x[0], -x[1].seq))
    part, why = _wait_reason(mu, row, rules, march, staging, iso)
    where = row.control_point
    words = (
        f"{mu.id} waits {w / 3600.0:.1f} h at {where} (from {iso(row.depart_s - w)} to {iso(row.depart_s)}): "
        f"{why}; it closes at {end} at {iso(close)} ({total / 3600.0:.1f} h of waiting in all)"
    )
    return part, words, where, row.depart_s


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
    rows = _rows_by_unit(march)
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
            part, words, where, at = _column(mu, rows.get(mu.id, []), rules, march, staging, release, fmt)
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
    part, words, where, at = _column(mu, rows.get(mu.id, []), rules, march, staging, release, fmt)
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
