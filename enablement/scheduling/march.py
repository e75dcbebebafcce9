"""The road march problem: march units, the rules they move under, and the schedule that answers it.

A :class:`MarchProblem` (like PyVRP's ``Model``) is validated as it is built and
compiled once into what every solver reads: the march units in their order, the
road node of each site, the network's edge figures, and one :class:`MarchRules`
holding the data of every constraint. The greedy baseline
(:mod:`.greedy`), the CP-SAT optimiser (:mod:`.march_cpsat`, whose warm start is
the greedy's own first fit on its segments) and the schedule checker
(:mod:`.checks`) all read the same :class:`MarchRules`; the plan builds it with
:func:`march_rules`, and so does ``enablement check`` for a table written by hand.

The constraints (:data:`CONSTRAINTS`), and where each is enforced:

============================  =======================================================================
constraint                    data → greedy / CP-SAT / checker
============================  =======================================================================
``headway``                   ``MarchRules.headway_s`` → ``greedy._State.earliest`` /
                              ``march_cpsat._model`` (no-overlap intervals) / ``checks._overlaps``
``halts``                     ``MarchRules.halts`` (:class:`HaltRule`) → ``greedy._run_round`` /
                              ``HaltRule.plan`` in ``march_cpsat._data`` / ``checks._halts``
``window``                    ``MarchRules.window`` → ``greedy._State.earliest`` / entry domains
                              (``march_cpsat._allowed``) / ``checks._window``
``closures``                  ``MarchRules.edge_closed``, ``node_closed`` (disruptions, overlay closures
                              and the scenario's recurring ``restrictions``, with ``closed_by``
                              naming them) → ``greedy._State.blocked`` and rerouting / entry domains /
                              ``checks._closed_roads``, ``checks._closed_ends``
``staging_capacity``          ``MarchRules.staging_capacity`` → ``greedy._run_round`` (a column waits at
                              its origin until it arrives to room) / ``march_cpsat._model``
                              (cumulative) / ``checks._staging``
``marshalling``               ``MarchRules.marshalling`` (:class:`Marshalling`, each reception site's
                              area) and ``MarchUnit.ashore_s``, compiled into
                              :attr:`MarchProblem.marshalled` → ``greedy._run_round`` with
                              :class:`MarshallingLedger` (discharge pauses: the column's release waits) /
                              ``march_cpsat._marshalling`` (cumulative, release delays) /
                              ``checks._marshalling``
``rdd``                       ``MarchRules.deliveries`` and ``MarchUnit.rdd_s`` → not enforced by the
                              greedy / lateness objective / ``checks._rdd``
``speed``                     ``MarchUnit.profile.speed_kmh`` (vehicles, ``MarchRules.speed_kmh``) and
                              the road-class speeds of :mod:`~enablement.network.speeds` →
                              ``MarchProblem.drive`` in both / ``checks._speed_and_roads``
``restrictions``              ``MarchUnit.profile`` masks in the router → routes in both /
                              ``checks._speed_and_roads``
``territory``                 ``MarchRules.territory`` → the router's territory mask (the router must
                              keep the same territory: :meth:`MarchProblem.check_router`) in both /
                              ``checks._territory``
``permission``                ``MarchRules.permits`` (:class:`~.permissions.CrossingPermit`) and
                              :meth:`MarchRules.permitted_s` → ``greedy._run_round`` (the column waits at
                              the leg's start) / ``march_cpsat._legs`` (arrival and departure bounds) /
                              ``checks._permissions``
``halt_places``               ``MarchRules.places`` (:class:`HaltPlace`) and ``roadside_classes``,
                              compiled into :attr:`MarchProblem.halt_nodes` → ``MarchProblem.plan_halts``
                              (``HaltRule.plan`` with its ``ok`` mask) in ``greedy._run_round`` and
                              ``march_cpsat._segments`` / ``checks._halt_places``
``holds``                     ``MarchRules.road_wait_max_s``, ``places`` and ``staging_capacity`` →
                              ``greedy.fit_segments`` (a column stops earlier, at the last holding place)
                              / ``march_cpsat._option`` (wait bounds, optional hold intervals in the
                              sites' cumulative) / ``checks._road_waits``, ``checks._staging``
``duty_hours``                ``MarchRules.duty`` (:class:`DutyRule`) → ``MarchProblem.plan_halts`` (rests as
                              long halts at holding places) in both / ``checks._duty``
``het_turnaround``            ``MarchUnit.hets`` and ``MarchRules.het_turnaround``
                              (:class:`HetTurnaround`), compiled into :attr:`MarchProblem.het_after` →
                              ``greedy._run_round`` (the column waits for its HETs) /
                              ``march_cpsat._het_chains`` (precedence) / ``checks._hets``
``caution_crossing``          ``MarchRules.caution_speed_kmh``, ``caution_spacing_m`` and
                              :meth:`MarchRules.caution_crossing_s`, over :func:`bridge_spans`; each
                              caution bridge's ends are control points (:meth:`MarchProblem.caution_ends`)
                              and :meth:`MarchProblem.drive` times its segment →
                              ``greedy._State.earliest`` (a reservation per bridge) / ``march_cpsat._bridges``
                              (no-overlap or cumulative per bridge) / ``checks._caution``
============================  =======================================================================

A caution crossing (a bridge crossed above its two-way class, within its one-way class) is
crossed one vehicle at a time: each vehicle waits ``caution_spacing_m`` short of the span and
crosses it at ``caution_speed_kmh`` over the span plus its own length, the next entering once it
has left, so the column's vehicles take :meth:`MarchRules.caution_crossing_s` to cross. Both ends
of the bridge are control points, so the bridge is a segment of its own (with at most the junction
areas at its ends): the column holds that segment, in either direction, from its head's entry to
its tail's exit, for at least the crossing time (:meth:`MarchProblem.drive` adds the difference
to the normal drive and pass over it), and no other column is on it meanwhile, in either
direction, however it crosses (columns within the two-way class share the bridge with each other
as before). The router keeps a flat route-choice cost per caution crossing
(``caution_crossing_penalty_min``); the schedule's times come from this rule.

A new constraint is added in these places, in order: its data in
:class:`MarchRules` and :func:`march_rules`; its name in :data:`CONSTRAINTS`;
the greedy (``_State`` or ``_run_round``) and its ``HONOURS``; the CP-SAT entry
domains or ``_model`` and its ``HONOURS`` (the hint is the greedy's first fit
and needs nothing more); the checker and its ``CHECKS``. A test fails while any
of these is missing, and another runs the checker on the solvers' own tables.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..defaults import figure
from ..errors import InfeasibleError, RoutingError, ScenarioError
from ..network.model import Network
from ..network.places import junction_nodes, node_keys
from ..network.sites import site_records
from ..network.snapping import network_grain, snap_tolerance
from ..network.speeds import column_speed_kmh, march_speed_kmh, road_class
from ..network.territory import BORDER_CROSSING, Territory
from ..scenario.schema import Duty, Halts, Policy, Scenario
from ..timeline import Clock, Intervals
from ..vehicles import Profile, load_catalogue
from .closures import Closures, closures_in_force
from .inputs import PlanningInputs
from .permissions import CrossingPermit, crossing_permits, heavy_load
from .reception import Discharged, receive

if TYPE_CHECKING:
    from ..routing import Route, Router

__all__ = [
    "CONSTRAINTS",
    "FORMATION_RULES",
    "HALT_PLACE_KINDS",
    "HOLDING_KINDS",
    "ControlPoints",
    "DutyRule",
    "HaltPlace",
    "HaltRule",
    "HetTurnaround",
    "MarchProblem",
    "MarchRow",
    "MarchRules",
    "MarchSchedule",
    "MarchUnit",
    "Marshalling",
    "MarshallingLedger",
    "bridge_spans",
    "control_points",
    "empty_het_profile",
    "footprints_m2",
    "halt_places",
    "het_fastest",
    "landed",
    "march_rules",
    "marshalling_areas",
    "marshalling_peaks",
    "split_route",
    "staging_capacities",
    "staging_peaks",
    "staging_warnings",
    "territory_of",
]

CONSTRAINTS: dict[str, str] = {
    "headway": "columns on one segment and direction keep the headway at its entry and at its exit",
    "halts": "a halt after the first stretch of driving, then a halt after each further stretch",
    "window": "columns move only within the daily movement window",
    "closures": "no column on a closed road, bridge or site while it is closed, nor on a road of a "
    "recurring restriction (an area or named roads at local hours) while it is in force",
    "staging_capacity": "a staging area holds no more vehicles at once than its capacity",
    "marshalling": "a port's or airfield's marshalling area holds no more vehicles (or m² of them) at once "
    "than its capacity, from a march unit's first vehicle ashore until its column has left; discharge "
    "pauses while the area is full",
    "release": "a column leaves only once its vehicles are ashore: ships and flights discharged at their "
    "sites' rates (reception); the columns of a unit that have left by any time carry no more vehicles "
    "than have come ashore by then",
    "rdd": "each unit closes by its required delivery date (soft: lateness is minimised and reported)",
    "speed": "no column drives faster than its slowest vehicle, the policy speed or its road class allows",
    "restrictions": "no column uses a road or bridge its vehicles may not (MLC, mass, axle load, size)",
    "territory": "no column leaves the territory except by ending at a border crossing (the hand-over)",
    "permission": "no column reaches a border crossing before its permission is granted "
    "(filing date plus the regime's lead time)",
    "halt_places": "halts are taken at halt places (convoy support centres, rest and service areas, staging "
    "areas, day harbours) or on the verge of a road class the policy allows, never on a motorway carriageway",
    "holds": "a column waits on the road at most the policy's limit; a longer wait is a hold, taken at a "
    "place that holds vehicles (convoy support centre, staging area, day harbour) within its capacity",
    "duty_hours": "a column's drivers drive at most the policy's hours between rests of the policy's length, "
    "taken at a place that holds vehicles",
    "het_turnaround": "a HET is in one place at a time: a column of HETs leaves only once each of its HETs "
    "has unloaded its last load, driven back empty and loaded again",
    "caution_crossing": "a bridge crossed under its one-way class is crossed one vehicle at a time at the "
    "caution speed and spacing, and no other column is on it meanwhile, in either direction",
}
"""Every constraint of the road march, by name (see the module docstring for where each lives)."""

HALT_PLACE_KINDS = frozenset({"convoy_support_centre", "rest_area", "staging_area", "day_harbour"})
"""Site kinds where a column may take its halts (off the carriageway)."""
HOLDING_KINDS = frozenset({"convoy_support_centre", "staging_area", "day_harbour"})
"""Site kinds that hold columns for longer than the road-wait limit (a rest area holds when it states a
``capacity_vehicles``)."""

FORMATION_RULES: dict[str, str] = {
    "tracked_distance": "tracked vehicles drive on their own tracks at most the policy's road distance",
}
"""Rules of the road march decided before any solver runs, when march units are formed (HET or rail
beyond the limit; :mod:`.heavy` reports what is left), and checked by the checker."""


# --------------------------------------------------------------------------- march units and results


@dataclass(frozen=True)
class MarchUnit:
    """A march unit (≤ the policy size) and what it must do.

    Attributes
    ----------
    id
        Unique id, ``UNIT/NN``.
    unit
        The unit it belongs to.
    index
        1-based number within the unit.
    serial
        Serial number within the unit (groups of up to five march units).
    vehicles
        Vehicle type ids, one per vehicle.
    release_s
        Earliest start at the first site (seconds since the scenario start).
    sites
        Sites visited in order: origin, optional staging, destination.
    dwell_s
        Dwell at each intermediate site (len(sites) - 2 values).
    rdd_s
        Required delivery date (seconds since start).
    profile
        Restrictions and speed of the column.
    length_m
        Column length (vehicle lengths plus gaps).
    priority
        Lower moves first among equal release times.
    purpose
        ``"road"`` (moves to its destination), ``"to_quay"`` (drives to a rail quay) or
        ``"het"`` (a column of laden heavy equipment transporters).
    hets
        The heavy equipment transporters of a HET column, by number (1 = the first HET of the
        fleet, as ``het_trips.csv`` numbers them); empty for any other column. A HET is in
        one place at a time: the ``het_turnaround`` rule (:class:`HetTurnaround`).
    ashore_s
        When its first vehicle begins to come ashore at its first site, a reception site
        (None: at ``release_s``). It takes room in the site's marshalling area from then
        (the ``marshalling`` rule).
    """

    id: str
    unit: str
    index: int
    serial: int
    vehicles: tuple[str, ...]
    release_s: float
    sites: tuple[str, ...]
    dwell_s: tuple[float, ...]
    rdd_s: float
    profile: Profile
    length_m: float
    priority: int = 0
    purpose: str = "road"
    hets: tuple[int, ...] = ()
    ashore_s: float | None = None

    @property
    def first_ashore_s(self) -> float:
        """When its first vehicle is ashore (its release when not given)."""
        return self.release_s if self.ashore_s is None else min(self.ashore_s, self.release_s)

    @property
    def pass_s(self) -> float:
        """Time for the whole column to pass a point at its speed."""
        return self.length_m / (self.profile.speed_kmh / 3.6)


@dataclass(frozen=True)
class MarchRow:
    """One row of the march table: a march unit at a control point."""

    march_unit: str
    unit: str
    serial: int
    vehicles: int
    leg: int
    seq: int
    control_point: str
    kind: str
    node: int
    km: float
    arrive_s: float
    depart_s: float
    pass_s: float
    halt_s: float
    wait_s: float
    caution: str
    next_control_point: str
    speed_kmh: float
    """Speed driven from this control point to the next (km/h); the column's cap at the last one."""
    caution_s: float = 0.0
    """Time the column's vehicles take to cross the caution bridges of the next segment one at a time
    (:meth:`MarchRules.caution_crossing_s`; 0 without a caution crossing)."""


@dataclass
class MarchSchedule:
    """Result of a road scheduler.

    Attributes
    ----------
    rows
        The march table, in order of march unit and sequence.
    routes
        Route of each (march unit id, leg).
    closure_s
        Time each march unit's tail reaches its last site.
    status
        ``"feasible"`` (greedy: no optimality claim), ``"optimal"`` or ``"timed out"``.
    rounds
        Rerouting rounds used for closures.
    rerouted
        March units rerouted around a closure (greedy) or on an alternate corridor (CP-SAT).
    method
        ``"greedy"`` or ``"cp-sat"``.
    bound_s
        A lower bound on the road closure (None for the greedy baseline).
    gap
        ``(closure - bound) / closure`` (None without a bound).
    baseline_closure_s
        Closure of the greedy baseline (CP-SAT only: the yardstick it must beat).
    binding
        What sets the closure, in words.
    solve_seconds
        Wall time of the optimiser.
    clock_stopped
        Whether the wall-clock guard, not the deterministic limit, ended a solve: the same
        inputs, seed and budget may then give another plan (a slower or busier machine).
    """

    rows: list[MarchRow]
    routes: dict[tuple[str, int], Route]
    closure_s: dict[str, float]
    status: str = "feasible"
    rounds: int = 1
    rerouted: list[str] = field(default_factory=list)
    method: str = "greedy"
    bound_s: float | None = None
    gap: float | None = None
    baseline_closure_s: float | None = None
    binding: str = ""
    solve_seconds: float = 0.0
    clock_stopped: bool = False

    def summary(self) -> dict[str, Any]:
        """Return the road solver's part of ``summary.json``."""
        if self.bound_s is None:
            return {
                "method": self.method + ": list scheduling (first fit), the yardstick of the optimiser",
                "status": self.status,
                "optimality": "not proven: no bound computed for the baseline",
                "rerouting_rounds": self.rounds,
            }
        hours = 3600.0
        method = self.method
        if method == "cp-sat":
            method = (
                "cp-sat: segments between control points, route choice among alternative corridors, "
                "halts, movement window, closures, staging capacity; closure then lateness (lexicographic)"
            )
        return {
            "method": method,
            "status": self.status,
            "closure_hours": round(max(self.closure_s.values()) / hours, 3),
            "bound_hours": round((self.bound_s or 0.0) / hours, 3),
            "gap": round(self.gap or 0.0, 5),
            "baseline_closure_hours": round((self.baseline_closure_s or 0.0) / hours, 3),
            "binding": self.binding,
            "alternate_corridor_march_units": self.rerouted,
            "solve_seconds": round(self.solve_seconds, 2),
            "deterministic": not self.clock_stopped,
        }


def staging_peaks(march: MarchSchedule) -> dict[str, tuple[int, float]]:
    """Most vehicles held at each staging area at once, and when (s since the start)."""
    events: dict[str, list[tuple[float, int]]] = defaultdict(list)
    rows = march.rows
    for i, r in enumerate(rows):
        if r.kind == "staging_arrive":
            nxt = rows[i + 1]
            events[r.control_point] += [(r.arrive_s, r.vehicles), (nxt.depart_s + r.pass_s, -r.vehicles)]
    out = {}
    for sid, ev in sorted(events.items()):
        level = peak = 0
        when = 0.0
        for t, d in sorted(ev, key=lambda x: (x[0], x[1])):
            level += d
            if level > peak:
                peak, when = level, t
        out[sid] = (peak, when)
    return out


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class HaltRule:
    """The halt policy in seconds: a first halt after ``first_after_s`` of driving, then regular ones.

    A halt is planned at a control point (a row of kind ``halt``) and lasts at
    least the halt's length; a wait in a queue, however long, does not replace
    one: the planners place halts by driving time alone, and the checker counts
    only halts (:meth:`is_halt`), so both read the policy the same way.

    Attributes
    ----------
    first_after_s, first_duration_s
        Driving before the first halt, and its length.
    every_s, duration_s
        Driving between later halts, and their length.
    late_s
        How much longer a column may drive to take its halt at a halt place when none lies
        within the driving allowed (:meth:`plan`); 0: never.
    """

    first_after_s: float
    first_duration_s: float
    every_s: float
    duration_s: float
    late_s: float = 0.0

    @classmethod
    def of(cls, halts: Halts) -> HaltRule:
        """Build the rule of a scenario's ``policy.halts`` (minutes)."""
        return cls(
            halts.first_after_min * 60.0,
            halts.first_duration_min * 60.0,
            halts.every_min * 60.0,
            halts.duration_min * 60.0,
            halts.late_max_min * 60.0,
        )

    def limit_s(self, rests: int) -> float:
        """Driving allowed before the next halt, after ``rests`` halts."""
        return self.first_after_s if rests == 0 else self.every_s

    def need_s(self, rests: int) -> float:
        """Length of the next halt, after ``rests`` halts."""
        return self.first_duration_s if rests == 0 else self.duration_s

    def is_halt(self, kind: str, stop_s: float, rests: int) -> bool:
        """Whether a stop of ``stop_s`` at a control point of ``kind`` is the next halt, after ``rests``.

        A halt row, or a hold (a long wait at a holding place) at least as long as the halt.
        """
        return kind in ("halt", "hold") and stop_s >= self.need_s(rests)

    def too_long(self, drive_s: float, rests: int, label: str) -> InfeasibleError | None:
        """Return the error for a segment that alone takes longer to drive than allowed, or None."""
        limit = self.limit_s(rests)
        if drive_s <= limit:
            return None
        return InfeasibleError(
            f"march unit {label}: one segment takes {drive_s / 60:.0f} min to drive, more than the "
            f"{limit / 60:.0f} min allowed between halts"
        )

    def allowance_s(self, drive_s: float) -> float:
        """Return the halt time the rule adds to a drive of ``drive_s`` taken in one go.

        The planners halt at control points, before the segment that would take the driving
        over the limit, so a route split into segments may need one halt more; a caller that
        must fit a whole run in a window adds its own margin.
        """
        if drive_s <= self.first_after_s:
            return 0.0
        more = (
            max(0, math.ceil((drive_s - self.first_after_s) / self.every_s - 1e-9) - 1)
            if self.every_s > 0
            else 0
        )
        return self.first_duration_s + more * self.duration_s

    def plan(
        self,
        drives: Sequence[int],
        label: str,
        ok: Sequence[int] | None = None,
        names: Sequence[str] | None = None,
        rest_at: Mapping[int, int] | None = None,
    ) -> list[int]:
        """Halt (whole seconds) to take before each segment so that no stretch exceeds the rule.

        A halt is taken before the segment that would take the driving over the limit: at the
        last halt place passed since the previous halt (``ok`` 2 or more: a convoy support
        centre, rest area, staging area or day harbour), earlier than the rule needs if it must
        be; where there is none, at the first halt place ahead that the column reaches within
        ``late_s`` more driving (a halt taken late, off the carriageway, rather than on a verge);
        where there is none either, at the last point on the verge of a road where the policy
        allows one (``ok`` 1); never elsewhere (``ok`` 0: a motorway carriageway). A rest
        between duties (``rest_at``: segment → its length, :meth:`DutyRule.plan`) is a halt too.

        Parameters
        ----------
        drives
            Drive time of each segment (s).
        label
            The march unit, for messages.
        ok
            Where a halt may be taken at each segment's start, as above (default: anywhere;
            ``True`` counts as 1).
        names
            Each segment's start control point, for messages.
        rest_at
            Rests between duties to take before segments (segment → seconds).

        Raises
        ------
        InfeasibleError
            When one segment alone is longer than the driving allowed between halts, or no
            place to halt lies within the driving allowed.
        """
        out: list[int] = []
        driving, rests = 0, 0
        place: tuple[int, int] | None = None  # the last halt place since the last halt, driving to it
        verge: tuple[int, int] | None = None  # the last point on an allowed verge, likewise
        late: int | None = None  # the halt place ahead where a late halt is taken
        rest_at = rest_at or {}
        grades = [2] * len(drives) if ok is None else [int(g) for g in ok]
        for i, d in enumerate(drives):
            error = self.too_long(d, rests, label)
            if error is not None:
                raise error
            out.append(0)
            if i in rest_at:  # a rest between duties is a halt too
                out[i] = int(rest_at[i])
                driving, rests, place, verge, late = 0, rests + 1, None, None, None
            elif i == late:  # the late halt, at the halt place it was kept for
                out[i] = round(self.need_s(rests))
                driving, rests, place, verge, late = 0, rests + 1, None, None, None
            grade = grades[i]
            if driving > 0 and grade >= 2:
                place = (i, driving)
            elif driving > 0 and grade == 1:
                verge = (i, driving)
            if late is None and driving > 0 and driving + d > self.limit_s(rests):
                if place is None:
                    late = self._late_place(drives, grades, i, driving, rests, rest_at)
                    if late is not None:
                        driving += d
                        continue
                best = place or verge
                if best is None:
                    raise self._no_place(label, i, names)
                at, before = best
                out[at] = round(self.need_s(rests))
                rests += 1
                driving -= before
                place = verge = None
                if driving + d > self.limit_s(rests):
                    raise self._no_place(label, i, names)
                if driving > 0 and grade >= 2:
                    place = (i, driving)
                elif driving > 0 and grade == 1:
                    verge = (i, driving)
            driving += d
        return out

    def _late_place(
        self,
        drives: Sequence[int],
        grades: Sequence[int],
        i: int,
        driving: int,
        rests: int,
        rest_at: Mapping[int, int],
    ) -> int | None:
        """Return the first halt place ahead of segment ``i`` reached within ``late_s`` over the limit.

        None when there is none. A rest between duties in reach is such a place too (rests are
        taken at holding places), and :meth:`plan` takes the rest there.
        """
        if self.late_s <= 0:
            return None
        reach = self.limit_s(rests) + self.late_s
        for j in range(i + 1, len(drives)):
            driving += drives[j - 1]
            if driving > reach:
                return None
            if grades[j] >= 2 or j in rest_at:
                return j
        return None

    def _no_place(self, label: str, i: int, names: Sequence[str] | None) -> InfeasibleError:
        where = f" before {names[i]}" if names is not None else ""
        return InfeasibleError(
            f"march unit {label}: no halt place within the driving allowed between halts{where}; add a "
            "convoy support centre, rest area or day harbour on the way (overlay sites), or allow halts "
            "on the verge of its roads' class (policy.halts.roadside)"
        )


@dataclass(frozen=True)
class HaltPlace:
    """A place off the carriageway where columns halt, and perhaps hold (``halt_places``, ``holds``).

    Attributes
    ----------
    site, kind
        The overlay site (id and kind: :data:`HALT_PLACE_KINDS`).
    capacity
        Vehicles it holds at once (its ``capacity_vehicles``; None: not stated).
    node
        Its own road node, when it is an overlay site (-1: not given, or a place mapped in
        OpenStreetMap); :func:`halt_places` also maps the nodes it is reached from to it.
    name
        Its name, for the march table.
    """

    site: str
    kind: str
    capacity: int | None = None
    node: int = -1
    name: str = ""

    @property
    def holds(self) -> bool:
        """Whether a column may be held here longer than the road-wait limit."""
        return self.kind in HOLDING_KINDS or self.capacity is not None


@dataclass(frozen=True)
class DutyRule:
    """The ``duty_hours`` rule: at most ``driving_max_s`` of driving between rests of ``rest_min_s``.

    Rests are planned like halts, by driving time alone (:meth:`plan`): before the segment
    that would take the driving since the leg's start (or the last rest) over the limit, at
    the last holding place passed (a rest is a long stop: it is a hold, and its vehicles take
    room there). A staging dwell at least a rest long starts a new duty; a shorter one carries
    the driving over into the next leg (:meth:`tail_s`). The checker counts any stop at least
    ``rest_min_s`` long as a rest.
    """

    driving_max_s: float = field(default_factory=lambda: float(figure("duty_driving_max_h")) * 3600.0)
    rest_min_s: float = field(default_factory=lambda: float(figure("duty_rest_min_h")) * 3600.0)

    @classmethod
    def of(cls, duty: Duty) -> DutyRule:
        """Build the rule of a scenario's ``policy.duty`` (hours)."""
        return cls(duty.driving_max_h * 3600.0, duty.rest_min_h * 3600.0)

    def plan(
        self,
        drives: Sequence[int],
        holds: Sequence[bool],
        label: str,
        names: Sequence[str] | None = None,
        carried_s: float = 0.0,
    ) -> dict[int, int]:
        """Rests (segment → whole seconds) to take before segments of a leg, at holding places only.

        ``carried_s`` is the driving since the last rest when the leg starts (after a staging
        dwell shorter than a rest: :meth:`tail_s`).

        Raises
        ------
        InfeasibleError
            When no holding place lies within a duty's driving.
        """
        out: dict[int, int] = {}
        duty = carried_s
        last: tuple[int, float] | None = None
        for i, d in enumerate(drives):
            if duty > 0 and holds[i]:
                last = (i, duty)
            if duty + d > self.driving_max_s:
                if last is None or duty - last[1] + d > self.driving_max_s:
                    where = f" before {names[i]}" if names is not None else ""
                    msg = (
                        f"march unit {label}: no place that holds vehicles within "
                        f"{self.driving_max_s / 3600:g} h of driving{where}, where its drivers must rest "
                        f"{self.rest_min_s / 3600:g} h (policy.duty); add a day harbour or convoy support "
                        "centre on the way"
                    )
                    raise InfeasibleError(msg)
                out[last[0]] = math.ceil(self.rest_min_s)
                duty -= last[1]
                last = None
            duty += d
        return out

    def tail_s(
        self, drives: Sequence[float], halts: Sequence[float], carried_s: float, dwell_s: float
    ) -> float:
        """Driving since the last rest that the next leg carries, after a dwell of ``dwell_s``.

        0 when the dwell is a rest; else the driving after the leg's last rest (with what the
        leg itself carried when it had none).
        """
        if dwell_s >= self.rest_min_s:
            return 0.0
        total = carried_s
        for d, h in zip(drives, halts, strict=True):
            if h >= self.rest_min_s:
                total = 0.0
            total += d
        return total


@dataclass(frozen=True)
class HetTurnaround:
    """The ``het_turnaround`` rule: a heavy equipment transporter is in one place at a time.

    A column of HETs (a march unit with :attr:`MarchUnit.hets`) leaves its pickup place
    only once each of its HETs has come off its previous column: that column's tail
    has reached its delivery place, the load is off (``unload_s``), the HET has driven
    empty to the new pickup place and is loaded again (``load_s``). :meth:`after_s` is
    that least time; the greedy baseline, the CP-SAT model and the checker all read it.
    Shifts and rest are the shuttle plan's rules (:mod:`.het_check`), not the road's.

    Attributes
    ----------
    load_s, unload_s
        Time to load and to unload one HET (the planning figures ``het_load_min`` and
        ``het_unload_min``).
    drive_s
        HET drive times between places (site ids, from → to) as the shuttle plan assumes
        them: the plan gives its own (its travel matrix); a pair not given is driven on
        the fastest road open to ``profile``.
    profile
        An empty HET's road profile, for the drives not in ``drive_s`` (None: any vehicle).
    """

    load_s: float = field(default_factory=lambda: float(figure("het_load_min")) * 60.0)
    unload_s: float = field(default_factory=lambda: float(figure("het_unload_min")) * 60.0)
    drive_s: Mapping[tuple[str, str], float] = field(default_factory=dict)
    profile: Profile | None = None

    def after_s(self, delivery: str, pickup: str, fastest: Callable[[str, str], float]) -> float:
        """Least time from a HET column's tail at ``delivery`` to its HETs' next column leaving ``pickup``.

        Parameters
        ----------
        delivery, pickup
            Site ids: where the earlier column ends, where the later one starts.
        fastest
            Drive time (s) of the fastest road from one site to another for :attr:`profile`
            (``inf`` where there is none), for a pair not in :attr:`drive_s`.

        Returns
        -------
        float
            Unloading, the empty drive and loading (s); ``inf`` when no road joins the places.
        """
        if delivery == pickup:
            drive = 0.0
        else:
            given = self.drive_s.get((delivery, pickup))
            drive = float(given) if given is not None else float(fastest(delivery, pickup))
        return self.unload_s + drive + self.load_s


def het_fastest(
    router: Router, site_node: Mapping[str, int], profile: Profile | None
) -> Callable[[str, str], float]:
    """Return the drive time (s) of the fastest road between two sites for ``profile``, memoised.

    The fallback of :meth:`HetTurnaround.after_s` for the planners and the checker alike
    (``inf`` where no road joins the sites).
    """
    memo: dict[tuple[str, str], float] = {}

    def fastest(a: str, b: str) -> float:
        if (a, b) not in memo:
            try:
                memo[(a, b)] = router.route(site_node[a], site_node[b], profile).time_s
            except (RoutingError, KeyError):
                memo[(a, b)] = math.inf
        return memo[(a, b)]

    return fastest


def footprints_m2() -> dict[str, float]:
    """Area (m²) each vehicle type of the packaged catalogue takes in a marshalling area.

    Its length × width times the planning figure ``marshalling_area_factor`` (the gaps
    between parked vehicles and the area's driving lanes).
    """
    factor = float(figure("marshalling_area_factor"))
    return {vid: v.length_m * v.width_m * factor for vid, v in load_catalogue().items()}


@dataclass(frozen=True)
class Marshalling:
    """The marshalling area of a reception site (a port or airfield): what it holds at once.

    Attributes
    ----------
    capacity
        Vehicles (``per == "vehicles"``) or m² of parked vehicles (``per == "m2"``).
    per
        ``"vehicles"`` (the site's ``marshalling_capacity_vehicles``) or ``"m2"``
        (its ``marshalling_area_m2``).
    """

    capacity: int
    per: str = "vehicles"

    def demand(self, vehicles: Sequence[str], footprint_m2: Mapping[str, float]) -> int:
        """Room a column of ``vehicles`` (type ids) takes: vehicles, or m² (an unknown type: the largest)."""
        if self.per == "vehicles":
            return len(vehicles)
        largest = max(footprint_m2.values(), default=0.0)
        return math.ceil(sum(footprint_m2.get(v, largest) for v in vehicles) - 1e-6)

    def describe(self, amount: float | None = None) -> str:
        """``amount`` (the capacity when None) in the area's unit, in words."""
        n = self.capacity if amount is None else amount
        return f"{n:,.0f} vehicles" if self.per == "vehicles" else f"{n:,.0f} m²"


@dataclass(frozen=True)
class MarchRules:
    """The data of every road march constraint, in one place (see :data:`CONSTRAINTS`).

    Attributes
    ----------
    clock
        The scenario clock (times in seconds since its start).
    headway_s
        Gap between columns on one segment and direction.
    halts
        The halt rule.
    window
        Daily movement window as intervals (None: any time).
    window_text
        The window as the scenario gives it (``"21:00-05:00"``) for messages.
    edge_closed, node_closed
        Closure intervals of edge rows and of nodes (disruptions, restrictions, overlay closures).
    closed_by
        Each closure in words (:attr:`~.closures.Closure.label`): when it is in force and the
        edge rows it closes, for the checker's messages.
    staging_capacity
        Vehicles each site with a capacity holds at once.
    marshalling
        The marshalling area of each reception site with a capacity (:class:`Marshalling`).
    footprint_m2
        Area each vehicle type takes in a marshalling area (:func:`footprints_m2`).
    deliveries
        Each unit's RDD (s) and destination site.
    control_point_spacing_m
        Largest distance between control points along a road.
    control_point_min_m
        Shortest road between two control points: closer ones are one control point
        (a junction area), so the checker allows this much at each end of a segment.
    caution_speed_kmh, caution_spacing_m
        A caution crossing's speed on the span, and the distance each vehicle waits short of the span
        until the vehicle ahead has left it (:meth:`caution_crossing_s`).
    speed_kmh
        The policy speed: the most any column drives (``policy.convoy_speed_kmh``); road-class
        speeds and each column's slowest vehicle may lower it (:mod:`~enablement.network.speeds`).
    tracked_road_max_m
        Farthest a tracked vehicle drives on its own tracks (``policy.tracked_road_max_km``);
        decided when march units are formed, before any solver (:mod:`.heavy`), and
        checked by the checker (:data:`FORMATION_RULES`).
    territory
        The territory columns keep to (None: anywhere); they leave it only by ending at a crossing.
    permits
        When each border crossing (site id) is permitted (:func:`~.permissions.crossing_permits`).
    het_turnaround
        How soon a HET's next column may leave after its last one arrived (:class:`HetTurnaround`).
    places
        Halt places by road node (:func:`halt_places`): where columns halt, and hold when
        :attr:`HaltPlace.holds`; a hold's vehicles count in the site's ``staging_capacity``.
    road_wait_max_s
        Longest wait on the road at a control point that is not a holding place
        (``policy.halts.road_wait_max_min``).
    roadside_classes
        Road classes on whose verge a column may halt where no halt place is at hand
        (``policy.halts.roadside``).
    duty
        The drivers' duty: driving between rests, and the rest (:class:`DutyRule`).
    ashore
        For each unit that lands, when each of its vehicles is ashore (s, in order) and the ship or
        flight it came off (reception, before any pause for a full marshalling area): the
        ``release`` rule (:meth:`released_s`), which a march unit's ``release_s`` keeps.
    """

    clock: Clock
    headway_s: float
    halts: HaltRule
    window: Intervals | None = None
    window_text: str | None = None
    edge_closed: Mapping[int, Intervals] = field(default_factory=dict)
    node_closed: Mapping[int, Intervals] = field(default_factory=dict)
    closed_by: Mapping[str, tuple[Intervals, tuple[int, ...]]] = field(default_factory=dict)
    staging_capacity: Mapping[str, int] = field(default_factory=dict)
    marshalling: Mapping[str, Marshalling] = field(default_factory=dict)
    footprint_m2: Mapping[str, float] = field(default_factory=footprints_m2, repr=False)
    deliveries: Mapping[str, tuple[float, str]] = field(default_factory=dict)
    control_point_spacing_m: float = field(
        default_factory=lambda: float(figure("control_point_spacing_km")) * 1000.0
    )
    control_point_min_m: float = field(
        default_factory=lambda: float(figure("control_point_min_segment_km")) * 1000.0
    )
    caution_speed_kmh: float = field(default_factory=lambda: float(figure("caution_crossing_speed_kmh")))
    caution_spacing_m: float = field(default_factory=lambda: float(figure("caution_crossing_spacing_m")))
    speed_kmh: float = field(default_factory=lambda: float(figure("convoy_speed_kmh")))
    tracked_road_max_m: float = field(default_factory=lambda: float(figure("tracked_road_max_km")) * 1000.0)
    territory: Territory | None = None
    permits: Mapping[str, CrossingPermit] = field(default_factory=dict)
    het_turnaround: HetTurnaround = field(default_factory=HetTurnaround)
    places: Mapping[int, HaltPlace] = field(default_factory=dict)
    duty: DutyRule = field(default_factory=DutyRule)
    road_wait_max_s: float = field(default_factory=lambda: float(figure("road_wait_max_min")) * 60.0)
    roadside_classes: frozenset[str] = field(
        default_factory=lambda: frozenset(str(c) for c in figure("roadside_halt_classes"))
    )
    ashore: Mapping[str, tuple[tuple[float, str], ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_policy(
        cls,
        policy: Policy,
        clock: Clock,
        *,
        edge_closed: Mapping[int, Intervals] | None = None,
        node_closed: Mapping[int, Intervals] | None = None,
        closed_by: Mapping[str, tuple[Intervals, tuple[int, ...]]] | None = None,
        staging_capacity: Mapping[str, int] | None = None,
        marshalling: Mapping[str, Marshalling] | None = None,
        deliveries: Mapping[str, tuple[float, str]] | None = None,
        window: Intervals | None = None,
        territory: Territory | None = None,
        permits: Mapping[str, CrossingPermit] | None = None,
        het_turnaround: HetTurnaround | None = None,
        places: Mapping[int, HaltPlace] | None = None,
        ashore: Mapping[str, tuple[tuple[float, str], ...]] | None = None,
    ) -> MarchRules:
        """Build the rules of a road-movement policy (headway, halts, its daily window) and closures.

        ``window`` replaces the policy's daily movement window when given; ``territory``
        (:func:`territory_of` the policy, as :func:`march_rules` gives it) keeps the columns
        in it, and None lets them route anywhere.
        """
        text = None
        if policy.movement_window is not None:
            text = f"{policy.movement_window.start}-{policy.movement_window.end}"
            if window is None:
                window = clock.daily(policy.movement_window.start, policy.movement_window.end)
        return cls(
            clock=clock,
            headway_s=policy.headway_min * 60.0,
            halts=HaltRule.of(policy.halts),
            window=window,
            window_text=text,
            edge_closed=dict(edge_closed or {}),
            node_closed=dict(node_closed or {}),
            closed_by=dict(closed_by or {}),
            staging_capacity=dict(staging_capacity or {}),
            marshalling=dict(marshalling or {}),
            deliveries=dict(deliveries or {}),
            speed_kmh=float(policy.convoy_speed_kmh),
            tracked_road_max_m=policy.tracked_road_max_km * 1000.0,
            territory=territory,
            permits=dict(permits or {}),
            het_turnaround=het_turnaround or HetTurnaround(),
            places=dict(places or {}),
            duty=DutyRule.of(policy.duty),
            road_wait_max_s=policy.halts.road_wait_max_min * 60.0,
            roadside_classes=frozenset(policy.halts.roadside),
            ashore=dict(ashore or {}),
        )

    def holding(self, node: int) -> HaltPlace | None:
        """Return the place at ``node`` that may hold a column longer than the road-wait limit, or None."""
        place = self.places.get(node)
        return place if place is not None and place.holds else None

    def marshalling_demand(self, site: str, vehicles: Sequence[str]) -> int:
        """Room a column of ``vehicles`` (type ids) takes in ``site``'s marshalling area (0: no area)."""
        area = self.marshalling.get(site)
        return 0 if area is None else area.demand(vehicles, self.footprint_m2)

    def permitted_s(self, site: str, profile: Profile | None) -> float | None:
        """Earliest time (s since the start) a column may reach ``site``: its crossing permit, or None.

        A column with a heavy load (its profile above the heavy-load MLC class) files as an
        exceptional transport; without a profile (a hand-written table checked without
        vehicles) the ordinary regime applies.
        """
        permit = self.permits.get(site)
        if permit is None:
            return None
        return permit.open_for(profile is not None and heavy_load(profile))

    def released_s(self, unit: str, n: int) -> tuple[float, str] | None:
        """When ``n`` vehicles of ``unit`` are ashore (the ``release`` rule), and the arrival of the last one.

        A column of a landing unit leaves once its vehicles are ashore, so its columns that have
        left by any time carry at most the vehicles ashore by then. Returns None for a unit that
        does not land (and for ``n`` < 1); ``(inf, "")`` when fewer than ``n`` of its vehicles land.
        """
        landed = self.ashore.get(unit)
        if not landed or n < 1:
            return None
        return landed[n - 1] if n <= len(landed) else (math.inf, "")

    def caution_crossing_s(self, span_m: float, lengths_m: Sequence[float]) -> float:
        """Time a column takes to cross a bridge of ``span_m`` one vehicle at a time (``caution_crossing``).

        Each vehicle (of ``lengths_m``, one per vehicle) starts ``caution_spacing_m`` short of the
        span once the one ahead has left it, and drives that distance, the span and its own length
        at ``caution_speed_kmh``: from the first vehicle's entry to the last one's exit.
        """
        v = self.caution_speed_kmh / 3.6
        return float(sum(self.caution_spacing_m + span_m + length for length in lengths_m)) / v

    def blocks(self, a: int, b: int, edges: Sequence[int]) -> list[Intervals]:
        """Closure intervals that keep a column off the segment ``a → b`` over ``edges``."""
        out = [self.edge_closed[e] for e in edges if e in self.edge_closed]
        out += [self.node_closed[n] for n in (a, b) if n in self.node_closed]
        return out


def bridge_spans(network: Network) -> dict[str, float]:
    """Return the length (m) of each road bridge, by ``bridge_id``: the span a caution crossing covers.

    A bridge's edges in one direction make its span (the longer direction, for a bridge whose
    two directions differ); the planners and the checker read the same spans.
    """
    edges = network.edges
    if "bridge_id" not in edges.columns or edges.empty:
        return {}
    e = edges[edges["bridge_id"].notna() & (edges["mode"] == "road")]
    forward = (e["u"] < e["v"]).to_numpy()
    out: dict[str, float] = {}
    for bid, g in e.assign(forward=forward).groupby("bridge_id", sort=True):
        ahead = float(g.loc[g["forward"], "length_m"].sum())
        back = float(g.loc[~g["forward"], "length_m"].sum())
        out[str(bid)] = max(ahead, back)
    return out


def territory_of(policy: Policy) -> Territory:
    """Return the territory a policy plans in (``policy.territory``) with its ``foreign_roads``."""
    return Territory(policy.territory, frozenset(policy.foreign_roads))


def landed(discharged: Sequence[Discharged]) -> dict[str, tuple[tuple[float, str], ...]]:
    """Return each unit's vehicles ashore, in order of time, with their ship or flight (``ashore``)."""
    out: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for d in discharged:
        out[d.unit].append((d.ready_s, d.arrival))
    return {u: tuple(sorted(v)) for u, v in out.items()}


def march_rules(
    scenario: Scenario,
    network: Network,
    closures: Closures | None = None,
    discharged: Sequence[Discharged] | None = None,
) -> MarchRules:
    """Build the road march rules of a scenario on its network.

    Parameters
    ----------
    scenario
        Its policy (headway, halts, movement window), disruptions, restrictions and movements (RDDs).
    network
        The network with the scenario's overlays (staging capacities, overlay closures).
    closures
        The closures in force, when already resolved (resolved here otherwise).
    discharged
        The vehicles as reception brings them ashore, when already known (reception is run
        here otherwise: :func:`~.reception.receive`).

    Returns
    -------
    MarchRules
        The rules the plan's solvers keep and the checker checks.
    """
    clock = Clock(scenario.start, scenario.zone)
    closures = closures if closures is not None else closures_in_force(scenario, network, clock)
    if discharged is None:
        sites = site_records(network)
        discharged = receive(PlanningInputs(scenario, network, sites, clock, load_catalogue(), closures))
    return MarchRules.from_policy(
        scenario.policy,
        clock,
        edge_closed=closures.edge,
        node_closed=closures.node,
        closed_by=closures.by_label,
        staging_capacity=staging_capacities(network),
        marshalling=marshalling_areas(network),
        deliveries={m.unit: (clock.seconds(m.rdd), m.to) for m in scenario.movements},
        territory=territory_of(scenario.policy),
        permits=crossing_permits(scenario, network, clock),
        het_turnaround=HetTurnaround(profile=empty_het_profile(scenario)),
        places=halt_places(network),
        ashore=landed(discharged),
    )


def halt_places(network: Network) -> dict[int, HaltPlace]:
    """Halt places of a network by road node: its sites of the kinds in :data:`HALT_PLACE_KINDS`.

    A place counts at its own node and at every road node within its kind's snap tolerance on
    this network's grain (:func:`~enablement.network.snapping.snap_tolerance`): on a coarse
    network a service area lies beside the motorway, kilometres from the nodes a route passes,
    and the node nearest it is where a column turns off to it. Where two places reach one
    node, a place at its own node wins, then one that holds, then the nearer.
    """
    sites = network.sites
    records = site_records(network)
    grain = network_grain(network)
    nodes = network.nodes
    road = np.flatnonzero(nodes["mode"].to_numpy() == "road") if "mode" in nodes else np.arange(len(nodes))
    xy = np.column_stack([nodes["x"].to_numpy(), nodes["y"].to_numpy()])[road]
    best: dict[int, tuple[tuple[int, int, float, str], HaltPlace]] = {}
    for sid, site in sorted(records.items()):
        if site.kind not in HALT_PLACE_KINDS or not site.on_road:
            continue
        cap = None if site.capacity_vehicles is None else int(site.capacity_vehicles)
        place = HaltPlace(sid, site.kind, cap, site.node_road, site.name)
        geom = sites.geometry[sid] if "geometry" in sites else None
        _reach(best, place, geom, snap_tolerance(site.kind, grain), road, xy)
    # rest and service areas mapped in OpenStreetMap (network.features of kind rest_area)
    feats = network.features
    if len(feats) and "kind" in feats:
        tol = snap_tolerance("rest_area", grain)
        for r in feats[feats["kind"] == "rest_area"].itertuples():
            fid = f"osm-{str(getattr(r, 'osm_type', 'n'))[:1]}{getattr(r, 'osm_id', r.Index)}"
            name = str(getattr(r, "name", "") or "") or "rest area"
            _reach(best, HaltPlace(fid, "rest_area", None, -1, name), r.geometry, tol, road, xy)
    return {n: place for n, (_, place) in sorted(best.items())}


def _reach(
    best: dict[int, tuple[tuple[int, int, float, str], HaltPlace]],
    place: HaltPlace,
    geom: Any,
    reach: float,
    road: np.ndarray,
    xy: np.ndarray,
) -> None:
    """Map the road nodes within ``reach`` of a place (and its own node) to it, where it ranks best."""
    near: list[tuple[int, float]] = [(place.node, 0.0)] if place.node >= 0 else []
    if geom is not None and not geom.is_empty and len(road):
        d = np.hypot(xy[:, 0] - geom.x, xy[:, 1] - geom.y)
        near += [(int(road[i]), float(d[i])) for i in np.flatnonzero(d <= reach).tolist()]
        if place.node < 0 and not near:
            return
    for n, dist in near:
        rank = (int(n != place.node), int(not place.holds), dist, place.site)
        if n not in best or rank < best[n][0]:
            best[n] = (rank, place)


def roadside_nodes(network: Network, classes: Collection[str]) -> frozenset[int]:
    """Road nodes whose every road edge is of a class in ``classes`` (a column may halt on the verge).

    A road the network gives no class is of class ``unclassified``.
    """
    if not classes:
        return frozenset()
    edges = network.edges
    road = edges["mode"].to_numpy() == "road"
    cls = road_class(edges)
    fits = np.array([("unclassified" if c is None else c) in classes for c in cls], dtype=bool)
    ends = np.concatenate([edges["u"].to_numpy()[road], edges["v"].to_numpy()[road]])
    good = np.concatenate([fits[road], fits[road]])
    if ends.size == 0:
        return frozenset()
    bad = set(ends[~good].tolist())
    return frozenset(int(n) for n in np.unique(ends[good]).tolist() if n not in bad)


def empty_het_profile(scenario: Scenario) -> Profile | None:
    """Road profile of an empty HET of the scenario's ``resources.het_type`` (None: not in the catalogue)."""
    catalogue = load_catalogue()
    het = scenario.resources.het_type
    if het not in catalogue:
        return None
    return Profile.of(f"HET empty ({het})", [catalogue[het]], float(scenario.policy.convoy_speed_kmh))


def staging_capacities(network: Network) -> dict[str, int]:
    """Vehicles each site with a ``capacity_vehicles`` holds at once."""
    return {
        sid: int(site.capacity_vehicles)
        for sid, site in site_records(network).items()
        if site.capacity_vehicles is not None
    }


def marshalling_areas(network: Network) -> dict[str, Marshalling]:
    """Return each site's marshalling area (its ``marshalling_capacity_vehicles`` or ``marshalling_area_m2``).

    A site that gives both is limited by its vehicle count.
    """
    out = {}
    for sid, site in site_records(network).items():
        if site.marshalling_capacity_vehicles is not None:
            out[sid] = Marshalling(int(site.marshalling_capacity_vehicles), "vehicles")
        elif site.marshalling_area_m2 is not None:
            out[sid] = Marshalling(int(site.marshalling_area_m2), "m2")
    return out


def earliest_room(
    held: Sequence[tuple[float, float, int]], after_s: float, room: int, until_s: float = math.inf
) -> float:
    """Earliest time ≥ ``after_s`` from which the intervals ``held`` take at most ``room`` until ``until_s``.

    Each held interval ``(start, end, amount)`` takes its amount over ``[start, end)``.
    """
    events = sorted(
        [(a, d) for a, b, d in held if b > after_s] + [(b, -d) for a, b, d in held if b > after_s]
    )
    times: list[float] = []
    levels: list[int] = []
    level = 0
    for t, group in itertools.groupby(events, key=lambda e: e[0]):
        level += sum(d for _, d in group)
        times.append(t)
        levels.append(level)
    free_from = after_s
    for t, lv in zip(reversed(times), reversed(levels), strict=True):
        if t < until_s and lv > room:
            return max(after_s, free_from)  # the last time over the room ends at the next event
        free_from = t  # (an event from until_s on still ends a stretch over the room before it)
    return after_s


class MarshallingLedger:
    """The ``marshalling`` rule as a first fit: how long a march unit's discharge must pause.

    Discharge pauses, never hurries: all the vehicles of a march unit come ashore the same
    ``delay`` later than reception planned them, and the delay of a site's march unit, in
    the order they come ashore (:attr:`MarchProblem.marshalled`), is at least the one before
    it less the time the berths stood idle in between (:attr:`MarchProblem.berths_idle`): a
    pause holds back every vehicle after it, at every berth, until the berths would have
    stood idle anyway (the next ship is not yet in). A march unit takes room from its
    first vehicle ashore until its column's tail has left (departure plus pass time). The
    greedy baseline and the CP-SAT hint place the march units in the problem's order with
    it; the CP-SAT model states the same rule as a cumulative.
    """

    def __init__(self, problem: MarchProblem) -> None:
        rules = problem.rules
        self.capacity = {s: a.capacity for s, a in rules.marshalling.items()}
        self.site: dict[str, str] = {}
        self.demand: dict[str, int] = {}
        for site, items in problem.marshalled.items():
            for mu, d in items:
                self.site[mu.id], self.demand[mu.id] = site, d
        self.held: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
        self.idle = problem.berths_idle
        self.last_delay: dict[str, float] = {}

    def delay_s(self, mu: MarchUnit, ashore_s: float) -> float:
        """Least pause (s) of ``mu``'s discharge, whose first vehicle is planned ashore at ``ashore_s``.

        0 for a march unit outside any marshalling area; ``inf`` when it can never fit.
        """
        site = self.site.get(mu.id)
        if site is None:
            return 0.0
        a0 = ashore_s + max(0.0, self.last_delay.get(site, 0.0) - self.idle.get(mu.id, 0.0))
        room = self.capacity[site] - self.demand[mu.id]
        if room < 0:
            return math.inf
        # every room held so far counts: the march units come in the problem's order (by release),
        # not in the order they come ashore, so an earlier stay may still overlap this one
        return earliest_room(self.held[site], a0, room) - ashore_s

    def place(self, mu: MarchUnit, start_s: float, end_s: float, delay_s: float) -> None:
        """Hold ``mu``'s room from ``start_s`` (its first vehicle ashore) to ``end_s`` (its tail gone)."""
        site = self.site.get(mu.id)
        if site is None:
            return
        self.held[site].append((start_s, max(end_s, start_s), self.demand[mu.id]))
        self.last_delay[site] = delay_s


def marshalling_peaks(
    march: MarchSchedule, units: Sequence[MarchUnit], rules: MarchRules
) -> dict[str, tuple[float, float, float]]:
    """Most room taken in each marshalling area at once (its unit), when, and the longest discharge pause (s).

    A march unit takes room from its first vehicle ashore (paused as long as its start row's
    ``arrive`` is after its release) until its tail has left the start row.
    """
    by_id = {m.id: m for m in units}
    events: dict[str, list[tuple[float, int]]] = defaultdict(list)
    pause: dict[str, float] = defaultdict(float)
    seen: set[str] = set()
    for r in march.rows:
        if r.march_unit in seen:
            continue
        seen.add(r.march_unit)
        mu = by_id.get(r.march_unit)
        if mu is None or mu.purpose == "het" or r.control_point not in rules.marshalling:
            continue
        delay = max(0.0, r.arrive_s - mu.release_s)
        d = rules.marshalling_demand(r.control_point, mu.vehicles)
        events[r.control_point] += [(mu.first_ashore_s + delay, d), (r.depart_s + r.pass_s, -d)]
        pause[r.control_point] = max(pause[r.control_point], delay)
    out = {}
    for sid, ev in sorted(events.items()):
        level = peak = 0
        when = 0.0
        for t, d in sorted(ev):
            level += d
            if level > peak:
                peak, when = level, t
        out[sid] = (float(peak), when, pause[sid])
    return out


# --------------------------------------------------------------------------- control points and segments


@dataclass(frozen=True)
class ControlPoints:
    """The control points of a set of routes, and the control point each boundary node stands for.

    Attributes
    ----------
    at
        Each node where a segment may end → the control point (a node) it belongs to:
        itself, or the control point of the junction area it lies in (nodes closer
        along a route than the policy minimum are one control point).
    """

    at: Mapping[int, int]

    def __contains__(self, node: object) -> bool:
        return node in self.at

    def __len__(self) -> int:
        return len(set(self.at.values()))

    @property
    def nodes(self) -> set[int]:
        """The control points (one node each)."""
        return set(self.at.values())


def control_points(
    paths: Sequence[Sequence[int]],
    fixed: set[int],
    xy: np.ndarray,
    spacing_m: float,
    min_m: float = 0.0,
    named: frozenset[int] | set[int] = frozenset(),
) -> ControlPoints:
    """Control points of a set of routes.

    Parameters
    ----------
    paths
        Node sequences of every route.
    fixed
        Nodes that must be control points (sites, route ends).
    xy
        Node coordinates (n, 2) in metres.
    spacing_m
        Largest distance between control points along a chain of road.
    min_m
        Shortest road between two control points: control points closer along a
        route join into one (a fixed node stands for its area; two fixed nodes
        never join), as long as every member lies within ``min_m`` of it.
    named
        Named places (motorway junctions): on a long chain, the last one passed after
        half the spacing is taken instead of an anonymous node.

    Returns
    -------
    ControlPoints
        Fixed nodes, nodes where routes merge or split, and spacing nodes, each
        mapped to the control point of its junction area.
    """
    neigh: dict[int, set[int]] = defaultdict(set)
    for path in paths:
        for a, b in itertools.pairwise(path):
            neigh[a].add(b)
            neigh[b].add(a)
    structural = set(fixed) | {n for n, s in neigh.items() if len(s) != 2}
    cps = set(structural)
    seen: set[tuple[int, int]] = set()

    def walk(start: int, nxt: int) -> None:
        prev, cur, acc = start, nxt, 0.0
        cand: tuple[int, float] | None = None
        seen.add((start, nxt))
        while True:
            acc += float(np.hypot(*(xy[cur] - xy[prev])))
            if cur in cps:
                return
            if cur in named:
                cand = (cur, acc)
            if acc >= spacing_m:
                if cand is not None and cand[1] >= spacing_m / 2.0:
                    cps.add(cand[0])
                    acc -= cand[1]
                else:
                    cps.add(cur)
                    acc = 0.0
                cand = None
            a, b = neigh[cur]
            prev, cur = cur, (b if a == prev else a)
            seen.add((prev, cur))

    for c in sorted(cps):
        for n in sorted(neigh.get(c, ())):
            if (c, n) not in seen:
                walk(c, n)
    # closed loops without any control point: anchor them on their smallest node
    for n in sorted(neigh):
        for m in sorted(neigh[n]):
            if (n, m) not in seen and (m, n) not in seen:
                cps.add(n)
                walk(n, m)
    return ControlPoints(_junction_areas(paths, cps, fixed, structural, named, xy, min_m))


def _junction_areas(
    paths: Sequence[Sequence[int]],
    cps: set[int],
    fixed: set[int],
    structural: set[int],
    named: frozenset[int] | set[int],
    xy: np.ndarray,
    min_m: float,
) -> dict[int, int]:
    """Join control points closer than ``min_m`` along a route; map each to its area's control point.

    The shortest segment is joined first, again and again, until none is shorter or
    the two ends cannot join (both fixed, or the area would reach farther than
    ``min_m`` from its control point). An area's control point is its fixed node,
    else a merge or split node, else a named one, else the lowest node.
    """
    root = {c: c for c in cps}
    members = {c: [c] for c in cps}

    def rank(n: int) -> tuple[int, int]:
        return (0 if n in fixed else 1 if n in structural else 2 if n in named else 3, n)

    def find(n: int) -> int:
        while root[n] != n:
            root[n] = root[root[n]]
            n = root[n]
        return n

    if min_m <= 0:
        return {c: c for c in cps}
    refused: set[tuple[int, int]] = set()
    joined = True
    while joined:  # each pass joins every short segment it can, shortest first
        joined = False
        short: list[tuple[float, int, int]] = []
        for path in paths:
            acc, last = 0.0, find(path[0]) if path[0] in root else None
            for prev, cur in itertools.pairwise(path):
                acc += float(np.hypot(*(xy[cur] - xy[prev])))
                if cur not in root:
                    continue
                r = find(cur)
                if r == last:
                    continue
                if last is not None and acc < min_m:
                    short.append((acc, min(last, r), max(last, r)))
                acc, last = 0.0, r
        for _, a, b in sorted(short):
            ra, rb = find(a), find(b)
            if ra == rb or (min(ra, rb), max(ra, rb)) in refused:
                continue
            keep, other = sorted((ra, rb), key=rank)
            area = members[keep] + members[other]
            reach = max(float(np.hypot(*(xy[m] - xy[keep]))) for m in area)
            if (keep in fixed and other in fixed) or reach > min_m:
                refused.add((min(ra, rb), max(ra, rb)))
                continue
            root[other] = keep
            members[keep] = area
            del members[other]
            joined = True
    return {c: find(c) for c in cps}


def split_route(route: Route, cps: ControlPoints) -> list[tuple[int, int, tuple[int, ...]]]:
    """Split a route into ``(from control point, to control point, edge rows)``.

    A segment ends at the first node of the next junction area the route enters; the
    edges within an area belong to the segment that leaves it (the last segment takes
    those before the route's end).
    """
    out: list[tuple[int, int, tuple[int, ...]]] = []
    start = cps.at.get(route.nodes[0], route.nodes[0])
    edges: list[int] = []
    for node, edge in zip(route.nodes[1:], route.edges, strict=True):
        edges.append(edge)
        cp = cps.at.get(node)
        if cp is None or cp == start:
            continue
        out.append((start, cp, tuple(edges)))
        start, edges = cp, []
    if edges:
        if out:
            a, b, before = out[-1]
            out[-1] = (a, b, before + tuple(edges))
        else:
            out.append((start, cps.at.get(route.nodes[-1], route.nodes[-1]), tuple(edges)))
    return out


# --------------------------------------------------------------------------- the problem


class MarchProblem:
    """Road march units to schedule under one set of rules, validated and compiled once.

    Parameters
    ----------
    network
        The network (its road edges and nodes).
    units
        The march units.
    site_node
        Road node of every site the units visit.
    rules
        The constraints' data (:func:`march_rules`).

    Raises
    ------
    ScenarioError
        Listing every problem at once: duplicate march unit ids, sites without a
        road node, dwell times that do not match the sites, columns without length
        or speed.
    """

    def __init__(
        self,
        network: Network,
        units: Sequence[MarchUnit],
        site_node: Mapping[str, int],
        rules: MarchRules,
    ) -> None:
        self.network = network
        self.units: tuple[MarchUnit, ...] = tuple(units)
        self.site_node: dict[str, int] = dict(site_node)
        self.rules = rules
        self._validate()
        self.order: tuple[MarchUnit, ...] = tuple(
            sorted(self.units, key=lambda m: (m.release_s, m.priority, m.rdd_s, m.id))
        )
        """The march units in order of release, priority, RDD and id (the greedy's order)."""
        self.xy = np.column_stack([network.nodes["x"].to_numpy(), network.nodes["y"].to_numpy()])
        edges = network.edges
        self.lengths: np.ndarray = edges["length_m"].to_numpy()
        self.speeds: np.ndarray = march_speed_kmh(edges)
        """Per edge row, the fastest a column may march there before its own cap (road class, road speed)."""
        self.bridge: np.ndarray | None = edges["bridge_id"].to_numpy() if "bridge_id" in edges else None
        self.spans: dict[str, float] = bridge_spans(network)
        """Span (m) of each bridge, by id (:func:`bridge_spans`): what a caution crossing covers."""
        self._ends = (edges["u"].to_numpy(), edges["v"].to_numpy())
        self._vehicle_lengths: dict[str, tuple[float, ...]] = {}
        site_of: dict[int, str] = {n: p.site for n, p in rules.places.items() if p.node == n}
        for s, n in sorted(self.site_node.items(), reverse=True):
            site_of[n] = s
        self.site_of = site_of
        """Name of each site node (the first site id in order when several share one; a halt place
        visited by no march unit is named by its own site)."""
        self.halt_nodes: frozenset[int] = frozenset(rules.places) | roadside_nodes(
            network, rules.roadside_classes
        )
        """Nodes where a column may take a halt (``halt_places``): halt places, and the nodes on roads
        of the policy's roadside classes only."""
        self.junctions: frozenset[int] = junction_nodes(network)
        """Named motorway junctions of the network (preferred as spacing control points)."""
        self._keys: np.ndarray | None = None

        self.crossings: frozenset[str] = frozenset(
            sid for sid, s in site_records(network).items() if s.kind == BORDER_CROSSING
        )
        """Border crossing sites: a column that ends at one hands over to the next nation."""
        self.marshalled: dict[str, tuple[tuple[MarchUnit, int], ...]] = self._marshalled()
        """For each reception site with a marshalling area, the march units that leave it (not HET
        columns) in :attr:`order`, the order they come ashore, each with its room (``marshalling``)."""
        self.berths_idle: dict[str, float] = {
            b.id: max(0.0, b.first_ashore_s - a.release_s)
            for items in self.marshalled.values()
            for (a, _), (b, _) in itertools.pairwise(items)
        }
        """Per march unit in a marshalling area after the first: how long its site's berths stood idle
        before it, from the last vehicle of the march unit before it (``marshalling``: a pause
        of the discharge holds back the vehicles after it, less the idle time in between)."""
        self.het_after: dict[str, tuple[tuple[str, float], ...]] = self._het_chains()
        """For each HET column, the columns its HETs come off just before it (in :attr:`order`), each
        with the least time from that column's closure to this one's departure (``het_turnaround``)."""

    def _marshalled(self) -> dict[str, tuple[tuple[MarchUnit, int], ...]]:
        """Compile the ``marshalling`` rule: the march units leaving each marshalling area, and their room."""
        areas = self.rules.marshalling
        out: dict[str, list[tuple[MarchUnit, int]]] = defaultdict(list)
        for mu in self.order:
            site = mu.sites[0]
            if site in areas and mu.purpose != "het":
                out[site].append((mu, self.rules.marshalling_demand(site, mu.vehicles)))
        return {s: tuple(items) for s, items in out.items()}

    def marshalling_oversized(self) -> InfeasibleError | None:
        """Return the error for a march unit bigger than the marshalling area it leaves, or None."""
        for site, items in self.marshalled.items():
            area = self.rules.marshalling[site]
            for mu, d in items:
                if d > area.capacity:
                    return InfeasibleError(
                        f"march unit {mu.id} takes {area.describe(d)} but the marshalling area of '{site}' "
                        f"holds {area.describe()}; raise its marshalling capacity or lower "
                        "policy.march_unit_max_vehicles"
                    )
        return None

    def _het_chains(self) -> dict[str, tuple[tuple[str, float], ...]]:
        """Compile the ``het_turnaround`` rule: each HET's columns in order, and the time between two."""
        runs: dict[int, list[MarchUnit]] = defaultdict(list)
        for mu in self.order:
            for het in dict.fromkeys(mu.hets):
                runs[het].append(mu)
        if not any(len(r) > 1 for r in runs.values()):
            return {}
        rule = self.rules.het_turnaround
        fastest: list[Callable[[str, str], float]] = []

        def drive(a: str, b: str) -> float:  # the router is built only for a drive the rules do not give
            if not fastest:
                from ..routing import Router

                router = Router(self.network, "road", self.rules.territory)
                fastest.append(het_fastest(router, self.site_node, rule.profile))
            return fastest[0](a, b)

        after: dict[str, dict[str, float]] = defaultdict(dict)
        problems = []
        for het, mus in sorted(runs.items()):
            for a, b in itertools.pairwise(mus):
                if a.id in after[b.id]:
                    continue
                gap = rule.after_s(a.sites[-1], b.sites[0], drive)
                if not math.isfinite(gap):
                    problems.append(
                        f"march unit {b.id}: HET {het} cannot drive empty from '{a.sites[-1]}' (the end of "
                        f"{a.id}) to '{b.sites[0]}': no road for an empty HET"
                    )
                after[b.id][a.id] = gap
        if problems:
            raise ScenarioError(problems)
        return {b: tuple(sorted(d.items())) for b, d in after.items()}

    def het_ready_s(self, mu: MarchUnit, closure: Mapping[str, float]) -> float:
        """Earliest departure of ``mu`` its HETs allow (``het_turnaround``); ``-inf`` for a column without.

        Parameters
        ----------
        mu
            A march unit.
        closure
            Closure (tail at the last site, s) of the columns its HETs come off
            (:attr:`het_after`); they come before ``mu`` in :attr:`order`.
        """
        return max((closure[a] + gap for a, gap in self.het_after.get(mu.id, ())), default=-math.inf)

    def end_kind(self, site: str) -> str:
        """Kind of a march unit's last row at ``site``: ``handover`` at a border crossing, or ``release``."""
        return "handover" if site in self.crossings else "release"

    def check_router(self, router: Router) -> None:
        """Refuse a router that does not keep the rules' territory (the mask that enforces it).

        Raises
        ------
        ValueError
            When the router's territory differs from ``rules.territory``.
        """
        if router.territory != self.rules.territory:
            msg = (
                f"the road router keeps to {router.territory} but the march rules to "
                f"{self.rules.territory}; build it with Router(network, 'road', rules.territory)"
            )
            raise ValueError(msg)

    def _validate(self) -> None:
        problems: list[str] = []
        seen: set[str] = set()
        for mu in self.units:
            if mu.id in seen:
                problems.append(f"march unit {mu.id}: the id is used twice")
            seen.add(mu.id)
            if len(mu.sites) < 2:
                problems.append(f"march unit {mu.id}: needs an origin and a destination")
            if len(mu.dwell_s) != max(0, len(mu.sites) - 2):
                problems.append(
                    f"march unit {mu.id}: {len(mu.dwell_s)} dwell times for {len(mu.sites)} sites "
                    "(one per intermediate site)"
                )
            missing = [s for s in mu.sites if s not in self.site_node]
            if missing:
                problems.append(f"march unit {mu.id}: no road node for site(s) {', '.join(missing)}")
            if not (mu.length_m > 0 and mu.profile.speed_kmh > 0):
                problems.append(f"march unit {mu.id}: column length and speed must be positive")
            if any(h < 1 for h in mu.hets):
                problems.append(f"march unit {mu.id}: HETs are numbered from 1, not {min(mu.hets)}")
        if problems:
            raise ScenarioError(problems)

    def bridge_label(self, edge: int) -> str:
        """Id of the bridge an edge row belongs to: its ``bridge_id``, else its two ends' stable ids.

        Both directions of a bridge get the same id: the bridge is one resource (``caution_crossing``).
        """
        bid = self.bridge[edge] if self.bridge is not None else None
        if isinstance(bid, str) and bid:
            return bid
        if self._keys is None:
            self._keys = node_keys(self.network)
        a, b = sorted((str(self._keys[int(self._ends[0][edge])]), str(self._keys[int(self._ends[1][edge])])))
        return f"{a}~{b}"

    def caution_ends(self, routes: Collection[Route]) -> set[int]:
        """Nodes where routes enter or leave a caution crossing: control points of their own.

        Each run of a route's caution edges over one bridge starts and ends at a control point,
        so the bridge is a segment of its own, the resource that ``caution_crossing`` reserves.
        """
        out: set[int] = set()
        for route in routes:
            if not route.caution_edges:
                continue
            caution = set(route.caution_edges)
            run: str | None = None
            for i, e in enumerate(route.edges):
                label = self.bridge_label(e) if e in caution else None
                if label != run:
                    out.add(int(route.nodes[i]))  # a run ends or starts here
                run = label
            if run is not None:
                out.add(int(route.nodes[-1]))
        return out

    def caution_bridges(self, routes: Collection[Route]) -> frozenset[str]:
        """Return the bridges some route crosses under caution: those ``caution_crossing`` guards."""
        return frozenset(self.bridge_label(e) for r in routes for e in r.caution_edges)

    def vehicle_lengths(self, mu: MarchUnit) -> tuple[float, ...]:
        """Return each vehicle's length (m): the catalogue's, or the profile's longest for an unknown type."""
        if mu.id not in self._vehicle_lengths:
            catalogue = load_catalogue()
            self._vehicle_lengths[mu.id] = tuple(
                catalogue[v].length_m if v in catalogue else mu.profile.length_m for v in mu.vehicles
            )
        return self._vehicle_lengths[mu.id]

    def caution_times(
        self, mu: MarchUnit, edges: Sequence[int], caution: Collection[int]
    ) -> list[tuple[str, float]]:
        """Return a segment's caution bridges, each with the time ``mu``'s vehicles take one by one."""
        labels = dict.fromkeys(self.bridge_label(e) for e in edges if e in caution)
        out = []
        for label in labels:
            span = self.spans.get(label)
            if span is None:  # a caution edge without a bridge id: its own length
                span = float(
                    sum(self.lengths[e] for e in edges if e in caution and self.bridge_label(e) == label)
                )
            out.append((label, self.rules.caution_crossing_s(span, self.vehicle_lengths(mu))))
        return out

    def bridges(
        self, edges: Sequence[int], caution: Collection[int], guarded: Collection[str]
    ) -> tuple[tuple[str, bool], ...]:
        """Return a segment's guarded bridges (:meth:`caution_bridges`), each with whether under caution.

        A column holds these bridges for its whole time on the segment; two columns may not hold
        one at once when either crosses it under caution (``caution_crossing``).
        """
        if not guarded:
            return ()
        found: dict[str, bool] = {}
        for e in edges:
            label = self.bridge_label(e)
            if label in guarded:
                found[label] = found.get(label, False) or e in caution
        return tuple(sorted(found.items()))

    def drive(
        self, mu: MarchUnit, edges: Sequence[int], caution: Collection[int] = ()
    ) -> tuple[float, float]:
        """Time to drive a segment and the speed driven on it: the one rule both schedulers read.

        Parameters
        ----------
        mu
            The march unit (its profile's speed: slowest vehicle and policy speed).
        edges
            Edge rows of the segment, in order.
        caution
            Edge rows the column crosses as caution crossings: its vehicles cross each such bridge
            one at a time (:meth:`caution_times`), so the column's tail leaves the bridge no sooner than
            the crossing time after its head entered it, and the drive grows by the difference
            with the time the column would take to pass over it at its speed.

        Returns
        -------
        tuple of float
            Drive time (s, caution crossings included) and the speed driven (km/h: the segment's
            length over its time at the column's speed on each edge, crossings left out).
        """
        rows = np.asarray(edges, dtype=np.int64)
        if rows.size == 0:
            return 0.0, float(mu.profile.speed_kmh)
        metres = self.lengths[rows]
        secs = metres / (column_speed_kmh(self.speeds[rows], mu.profile.speed_kmh) / 3.6)
        moving = float(secs.sum())
        extra = 0.0
        if caution:
            for label, cross_s in self.caution_times(mu, edges, caution):
                over = float(
                    sum(
                        t
                        for e, t in zip(edges, secs, strict=True)
                        if e in caution and self.bridge_label(e) == label
                    )
                )
                extra += max(0.0, cross_s - over - mu.pass_s)
        speed = float(metres.sum()) / moving * 3.6 if moving > 0 else float(mu.profile.speed_kmh)
        return moving + extra, speed

    def halt_drive_s(
        self, edges: Sequence[int], drive: float, speed: float, caution: Collection[int]
    ) -> float:
        """Return the part of a segment's ``drive`` (at ``speed``, from :meth:`drive`) the halt rule counts.

        All of it, except on a segment with a caution crossing: there only its length at the
        speed driven, since the vehicles' wait for the bridge, one at a time, is neither
        driving nor a halt (the checker reads the row's ``km`` and ``speed_kmh`` the same way).
        """
        if not caution or not any(e in caution for e in edges) or speed <= 0:
            return drive
        return float(self.lengths[list(edges)].sum()) / (speed / 3.6)

    def control_points(
        self, paths: Sequence[Sequence[int]], fixed_nodes: Collection[int] = ()
    ) -> ControlPoints:
        """Control points of a set of routes: the units' sites, merges and splits, and spacing nodes.

        ``fixed_nodes`` are control points too: the ends of the caution crossings
        (:meth:`caution_ends`), so that each such bridge is a segment of its own.

        Named junctions are preferred as spacing points, and control points closer than
        the policy's minimum along a route are one (:func:`control_points`). No spacing
        point lies outside the rules' territory: abroad, a route only runs on a crossing's
        approach (:class:`~enablement.network.territory.Territory`), which the crossing
        itself controls.
        """
        fixed = {self.site_node[s] for mu in self.units for s in mu.sites} | set(fixed_nodes)
        rules = self.rules
        on_paths = {n for path in paths for n in path}
        fixed |= {n for n in rules.places if n in on_paths}  # halt places are control points
        cps = control_points(
            paths,
            fixed,
            self.xy,
            rules.control_point_spacing_m,
            rules.control_point_min_m,
            self.junctions,
        )
        territory = rules.territory
        if territory is None:
            return cps
        countries = self.network.node_countries()
        abroad = {n for n in cps.nodes - fixed if countries[n] not in territory.allowed}
        if not abroad:
            return cps
        neigh: dict[int, set[int]] = defaultdict(set)
        for path in paths:
            for a, b in itertools.pairwise(path):
                if a in abroad or b in abroad:
                    neigh[a].add(b)
                    neigh[b].add(a)
        drop = {n for n in abroad if len(neigh[n]) == 2}  # spacing points only, never a merge
        return ControlPoints({node: cp for node, cp in cps.at.items() if cp not in drop})

    def cp_name(self, node: int) -> str:
        """Id of a control point: its site, or the node's stable id (:func:`.node_keys`)."""
        site = self.site_of.get(node)
        if site is not None:
            return site
        if self._keys is None:
            self._keys = node_keys(self.network)
        return str(self._keys[node])

    def plan_halts(
        self, mu: MarchUnit, starts: Sequence[int], drives: Sequence[int], carried_s: float = 0.0
    ) -> list[int]:
        """Return the halts (whole seconds) before each segment of a leg (``halt_places``).

        At halt places first, else on the verge of the policy's roadside classes, never on a
        motorway carriageway (:meth:`HaltRule.plan`); and the drivers' rests between duties at
        holding places (``duty_hours``, :meth:`DutyRule.plan`).

        Parameters
        ----------
        mu
            The march unit.
        starts
            The control point (node) each segment starts at.
        drives
            Each segment's drive time (whole seconds).
        carried_s
            Driving since the drivers' last rest when the leg starts (:meth:`DutyRule.tail_s`).
        """
        names = [self.cp_name(n) for n in starts]
        holds = [i > 0 and self.rules.holding(n) is not None for i, n in enumerate(starts)]
        rests = self.rules.duty.plan(drives, holds, mu.id, names, carried_s)  # duty_hours
        ok = [2 if n in self.rules.places else int(n in self.halt_nodes) for n in starts]
        return self.rules.halts.plan(drives, mu.id, ok, names, rests)

    def holding_sites(self, nodes: Sequence[int]) -> list[str | None]:
        """Return the holding place (site id) at each node, None where a column may not wait longer.

        A column waits as long as it must at its leg's own site (origin or staging area); on
        the way, longer than the road-wait limit only at a holding place.
        """
        out: list[str | None] = []
        for n in nodes:
            place = self.rules.holding(n)
            out.append(None if place is None else place.site)
        return out

    def not_before(self, mu: MarchUnit, leg: int, leg_s: float) -> float:
        """Earliest start of a leg that takes at least ``leg_s`` (drive and halts) under the crossing permits.

        A leg from a crossing starts no earlier than its permit; a leg to one starts
        no earlier than the permit less ``leg_s``, so that the column waits at the
        leg's start (its origin or staging area), not on the road.
        """
        t = -math.inf
        start = self.rules.permitted_s(mu.sites[leg], mu.profile)
        if start is not None:
            t = start
        end = self.rules.permitted_s(mu.sites[leg + 1], mu.profile)
        if end is not None:
            t = max(t, end - leg_s)
        return t

    def staging_capacity(self) -> dict[str, int]:
        """Capacity of the staging areas the units pass through (their intermediate sites)."""
        used = {s for mu in self.units for s in mu.sites[1:-1]}
        return {s: c for s, c in self.rules.staging_capacity.items() if s in used}

    def oversized(self) -> InfeasibleError | None:
        """Return the error for a march unit bigger than a staging area on its way, or None."""
        capacity = self.staging_capacity()
        for mu in self.units:
            for site in mu.sites[1:-1]:
                if site in capacity and len(mu.vehicles) > capacity[site]:
                    return InfeasibleError(
                        f"march unit {mu.id} has {len(mu.vehicles)} vehicles but staging area '{site}' "
                        f"holds {capacity[site]}; raise its capacity_vehicles or lower "
                        "policy.march_unit_max_vehicles"
                    )
        return None

    def no_route_message(self, mu: MarchUnit, leg: int) -> str:
        """Say that a march unit has no road route for a leg under its restrictions."""
        p = mu.profile
        return (
            f"march unit {mu.id}: no road route from '{mu.sites[leg]}' to '{mu.sites[leg + 1]}' for its "
            f"vehicles (MLC wheeled {p.mlc_wheeled:g}, tracked {p.mlc_tracked:g}, {p.mass_t:g} t, "
            f"{p.height_m:g} m high, {p.width_m:g} m wide)"
            + (
                ""
                if self.rules.territory is None
                else f" inside {self.rules.territory.describe()} (routes leave it only at a border crossing)"
            )
            + "; move them by rail or HET, or check the bridges, limits and closures on the way"
        )


def staging_warnings(march: MarchSchedule, rules: MarchRules) -> list[str]:
    """Staging areas the schedule fills over their capacity (the greedy baseline does not limit them)."""
    out = []
    for sid, (peak, when) in staging_peaks(march).items():
        cap = rules.staging_capacity.get(sid)
        if cap is not None and peak > cap:
            out.append(
                f"staging area '{sid}' holds up to {peak} vehicles (at {rules.clock.iso(when)}), "
                f"over its capacity of {cap}; the greedy baseline does not limit staging "
                "(the cp-sat solver does)"
            )
    return out
