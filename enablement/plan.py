"""RSOM orchestration: a scenario through a linear pipeline of named steps into a :class:`Plan`.

The steps, each a function of the module that owns its domain:

1. network: the scenario's network with its overlays (:func:`build_network`);
2. closures: disruptions and overlay closures onto the network (:mod:`.scheduling.closures`);
3. reception: arrivals discharged at ports and airfields (:mod:`.scheduling.reception`);
4. hand-over: a movement bound abroad ends at a border crossing (:mod:`.scheduling.handover`);
5. mode choice: road or rail per unit (:mod:`.scheduling.mode`);
6. march units: columns of at most the policy size (:mod:`.scheduling.units`);
7. HET shuttles: vehicles that ride transporters, as road columns (:mod:`.scheduling.shuttles`);
8. road: the march problem (:mod:`.scheduling.march`) scheduled (:mod:`.scheduling.road`);
9. rail: trains formed, routed and scheduled (:mod:`.scheduling.trains`);
10. routes and corridors as planned, for the unit's own vehicles (:mod:`.scheduling.corridors`);
11. KPIs: each unit's closure against its RDD, warnings.
12. findings: what holds the force's closure back, and what each closure changed
    (:mod:`.scheduling.findings`).

Every router of the plan keeps to the scenario's territory (``policy.territory``): routes
leave it only by ending at a border crossing.

The :class:`Plan` carries everything the outputs draw or write; outputs never
route or solve.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .defaults import figure
from .errors import NetworkError
from .network.embedded import load_embedded_network
from .network.io import load_network
from .network.model import Network
from .network.osmnx_graph import as_network
from .network.overlays import Overlay, apply_overlay, read_overlay
from .network.snapping import snap_table
from .network.speeds import road_class_note
from .routing import Routers
from .scenario.load import load_scenario, resolve_scenario_path
from .scenario.schema import Scenario, SolverSpec
from .scheduling.closures import Closure, closures_in_force
from .scheduling.corridors import Corridor, PlannedRoute, corridor_analysis, planned_routes
from .scheduling.findings import (
    Binding,
    DisruptionCost,
    DisruptionEffect,
    closure_binding,
    disruption_cost,
    disruption_effects,
)
from .scheduling.handover import Handover, resolve_handovers, stray_site_warnings
from .scheduling.heavy import TrackedExcess, excess_warnings, tracked_excess
from .scheduling.het import HetSchedule
from .scheduling.inputs import PlanningInputs
from .scheduling.march import (
    MarchProblem,
    MarchRules,
    MarchSchedule,
    MarchUnit,
    march_rules,
    marshalling_peaks,
    staging_peaks,
    staging_warnings,
    territory_of,
)
from .scheduling.mode import ModeChoice, choose_mode
from .scheduling.permissions import PermissionRequest, TrainAtBorder, permission_requests
from .scheduling.rail import TRAIN_PROFILE, RailSchedule, Train
from .scheduling.reception import ArrivalWorked, Discharged, arrivals_worked, receive
from .scheduling.road import schedule_road
from .scheduling.shuttles import (
    ShuttlePlan,
    as_driven,
    delivered,
    driven_warnings,
    het_delays,
    plan_shuttles,
    shuttle_summary,
)
from .scheduling.trains import RailPlan, plan_rail
from .scheduling.units import form_march_units
from .timeline import Clock

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["Plan", "UnitResult", "build_network", "make_plan"]

logger = logging.getLogger(__name__)
Progress = Callable[[str], None]


@dataclass(frozen=True)
class UnitResult:
    """Closure of one unit against its RDD."""

    unit: str
    mode: str
    vehicles: int
    march_units: int
    trains: int
    closure_s: float
    rdd_s: float

    @property
    def lateness_s(self) -> float:
        """Seconds late (0 when on time)."""
        return max(0.0, self.closure_s - self.rdd_s)


@dataclass
class Plan:
    """A complete RSOM plan: everything the outputs draw and write.

    Attributes
    ----------
    scenario
        The scenario planned.
    network
        The network with the overlay's sites.
    clock
        Converts plan times (seconds since the scenario start) to datetimes.
    march
        The road schedule.
    march_units
        March units as formed.
    trains
        Scheduled trains.
    units
        Closure per unit.
    timings
        Seconds spent in each step.
    warnings
        Things a planner should look at (e.g. staging areas over capacity).
    rail
        The rail schedule with its solver status, bound, gap and binding resource.
    modes
        Why each unit moves by road or rail (``auto`` decisions with their estimates).
    hets
        The HET shuttles as the road schedule runs them (None when no vehicle is carried by
        HET): each loaded run at its column's times (:func:`~.scheduling.shuttles.as_driven`).
    het_places
        Site ids of the HET plan's places (its trips' ``pickup``/``delivery`` index them).
    het_planned
        The HET shuttle plan as the routing model made it, before the road schedule.
    het_columns
        The HET column (march unit id) each carried vehicle rides, by task id.
    het_over_payload
        Vehicle types the HETs carry that weigh more than the HET's payload (warned about).
    rules
        The road march rules the schedule keeps (and the checker checks).
    routes
        Every march unit leg and every train as planned, with its geometry.
    corridors
        Each road unit's main and alternate supply routes and critical elements, for its vehicles.
    closures
        The disruptions and overlay closures in force, with what they close.
    staging
        Peak vehicles held at each staging area and when.
    tracked_excess
        March units whose tracked vehicles drive farther on their tracks than the policy
        allows (violations, each naming its unit).
    handovers
        Where each unit bound abroad is handed over to the next nation (the border crossing,
        named by the scenario or chosen by the planner, and why), by unit.
    permissions
        One cross-border permission request per crossing and serial or train, at-risk ones first.
    arrivals
        How each ship or flight was worked: its berths (or stands) and when its vehicles were
        ashore, as reception planned them (before any pause for a full marshalling area).
    marshalling
        Per reception site with a marshalling area: the most room its vehicles took at once
        (vehicles or m², the area's unit), when, and the longest pause of its discharge (s).
    binding
        What holds the force's closure back, by place and time
        (:func:`~.scheduling.findings.closure_binding`).
    disruptions
        What each closure in force changed: the march units it sent round and their detours
        (:func:`~.scheduling.findings.disruption_effects`).
    """

    scenario: Scenario
    network: Network
    clock: Clock
    march: MarchSchedule
    march_units: list[MarchUnit]
    trains: list[Train]
    units: list[UnitResult]
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    rail: RailSchedule | None = None
    modes: dict[str, str] = field(default_factory=dict)
    hets: HetSchedule | None = None
    het_places: list[str] = field(default_factory=list)
    het_planned: HetSchedule | None = None
    het_columns: dict[str, str] = field(default_factory=dict)
    het_over_payload: list[str] = field(default_factory=list)
    rules: MarchRules | None = None
    routes: list[PlannedRoute] = field(default_factory=list)
    corridors: list[Corridor] = field(default_factory=list)
    closures: tuple[Closure, ...] = ()
    staging: dict[str, tuple[int, float]] = field(default_factory=dict)
    tracked_excess: list[TrackedExcess] = field(default_factory=list)
    handovers: dict[str, Handover] = field(default_factory=dict)
    permissions: list[PermissionRequest] = field(default_factory=list)
    arrivals: list[ArrivalWorked] = field(default_factory=list)
    marshalling: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    binding: Binding | None = None
    disruptions: list[DisruptionEffect] = field(default_factory=list)
    disruption_cost: DisruptionCost | None = None

    @property
    def closure_s(self) -> float:
        """Force closure: the last unit's closure (seconds since start)."""
        return max(u.closure_s for u in self.units)

    @property
    def bottleneck(self) -> str:
        """What holds the force's closure back, in words (``road: …`` or ``rail: …``)."""
        last = max(self.units, key=lambda u: (u.closure_s, u.unit))
        if last.mode == "rail" and self.rail is not None and self.rail.binding:
            return f"rail: {self.rail.binding}"
        if self.march.binding:
            return f"road: {self.march.binding}"
        return f"road: the march of unit {last.unit} (the greedy baseline names no binding constraint)"

    def kpis(self) -> dict[str, Any]:
        """Key figures of the plan as plain JSON-ready values."""
        late = [u for u in self.units if u.lateness_s > 0]
        road_km = sum(r.length_m for r in self.march.routes.values()) / 1000.0
        return {
            "closure": self.clock.iso(self.closure_s),
            "closure_hours_from_start": round(self.closure_s / 3600.0, 2),
            "units": len(self.units),
            "vehicles": sum(u.vehicles for u in self.units),
            "march_units": len(self.march_units),
            "trains": len(self.trains),
            "units_late": len(late),
            "total_lateness_hours": round(sum(u.lateness_s for u in self.units) / 3600.0, 2),
            "max_lateness_hours": round(max((u.lateness_s for u in self.units), default=0.0) / 3600.0, 2),
            "march_unit_route_km": round(road_km, 1),
            "caution_crossings": sorted({c for r in self.march.rows for c in r.caution.split(";") if c}),
            "caution_crossing_column_minutes": round(sum(r.caution_s for r in self.march.rows) / 60.0, 1),
            "rerouted_march_units": self.march.rerouted,
            "tracked_over_road_limit": sum(x.tracked for x in self.tracked_excess),
            "tracked_over_road_limit_units": sorted({x.unit for x in self.tracked_excess}),
            "trains_handed_over_at_border": sum(t.handover for t in self.trains),
        }

    def summary(self) -> dict[str, Any]:
        """Everything ``summary.json`` holds."""
        sc = self.scenario
        return {
            "enablement_version": __version__,
            "scenario": sc.name,
            "start": self.clock.start.isoformat(),
            "timezone": self.clock.zone_name,
            "kpis": self.kpis(),
            "units": [
                {
                    "unit": u.unit,
                    "mode": u.mode,
                    "mode_reason": self.modes.get(u.unit, ""),
                    "vehicles": u.vehicles,
                    "march_units": u.march_units,
                    "trains": u.trains,
                    "closure": self.clock.iso(u.closure_s),
                    "rdd": self.clock.iso(u.rdd_s),
                    "lateness_hours": round(u.lateness_s / 3600.0, 2),
                }
                for u in self.units
            ],
            "solver": {
                "road": self.march.summary(),
                "rail": self.rail.summary()
                if self.rail is not None
                else {"method": "CP-SAT", "status": "not used"},
                "het": shuttle_summary(self.hets, self.het_planned, self.het_over_payload),
                "reception": {
                    "method": "list scheduling: each berth (or stand) discharges one vehicle at a time "
                    "at the site's rate, within its hours and closures, arrivals in order of arrival",
                    "status": "scheduled" if self.arrivals else "not used",
                    "optimality": "rule-based: no optimisation, no bound",
                },
            },
            "bottleneck": self.binding_summary(),
            "disruptions": self.disruption_summary(),
            "disruption_cost": self.disruption_cost_summary(),
            "permissions": self.permission_summary(),
            "reception": self.reception_summary(),
            "network": {**self.network.summary(), "road_speeds": road_class_note(self.network.edges)},
            # where every site attaches: distance to its road/rail node, that node's country, tolerance
            "sites": snap_table(self.network),
            "territory": {
                "country": sc.policy.territory,
                "foreign_roads": list(sc.policy.foreign_roads),
                "handovers": [
                    {
                        "unit": h.unit,
                        "crossing": h.crossing,
                        "destination": h.destination,
                        "neighbour": h.neighbour,
                        "mode": h.mode,
                        "reason": h.reason,
                    }
                    for h in self.handovers.values()
                ],
            },
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
            "warnings": self.warnings,
            "attribution": [
                self.network.meta.get("attribution", ""),
                "Sites and bridge classes: enablement exercise overlay (illustrative values)",
            ],
        }

    def site_use(self) -> dict[str, list[str]]:
        """Say what the plan asks of each site, by site id, in words (the map's popups).

        Vehicles received (per arrival), the peak held at a staging area, halts and holds of
        columns there, the march units that end there, the HET park and the vehicles loaded on
        or off HETs, the trains loaded at a quay (with the ramp tracks' busy share) and the
        trains that cross at a border crossing.
        """
        iso = self.clock.iso
        use: dict[str, list[str]] = defaultdict(list)
        for a in self.scenario.arrivals:
            use[a.site].append(f"{sum(e.count for e in a.equipment)} vehicles received ({a.id})")
        sites = self.network.sites
        for sid, (peak, when) in self.staging.items():
            cap = sites.loc[sid].get("capacity_vehicles") if sid in sites.index else None
            of = f" of {int(cap)}" if cap is not None and not math.isnan(float(cap)) else ""
            use[sid].append(f"peak {peak}{of} vehicles staged at {iso(when)}")
        for sid, line in self._column_stops():
            use[sid].append(line)
        for sid, line in self._het_use():
            use[sid].append(line)
        for sid, line in self._rail_use():
            use[sid].append(line)
        return dict(use)

    def _column_stops(self) -> list[tuple[str, str]]:
        """List the halts and holds of columns at each site, and the march units that end there."""
        sites = self.network.sites
        node_site = {int(n): str(sid) for sid, n in sites["node_road"].items() if int(n) >= 0}
        stops: dict[tuple[str, str], int] = defaultdict(int)
        ends: dict[str, int] = defaultdict(int)
        for r in self.march.rows:
            at = r.control_point if r.control_point in sites.index else node_site.get(r.node)
            if at is None:
                continue
            if r.kind in ("halt", "hold"):
                stops[(at, r.kind)] += 1
            elif r.kind in ("handover", "release"):
                ends[at] += 1
        out = [(sid, f"{n} column {kind}{'s' if n > 1 else ''}") for (sid, kind), n in sorted(stops.items())]
        out += [
            (sid, f"{n} march units arrive (their last control point)") for sid, n in sorted(ends.items())
        ]
        return out

    def _het_use(self) -> list[tuple[str, str]]:
        """List the HET park, and the vehicles loaded on and off HETs at each site."""
        if self.hets is None or not self.het_places:
            return []
        res = self.scenario.resources
        out = [(self.het_places[0], f"HET park: {res.hets} HETs ({res.het_type})")]
        picked: dict[str, int] = defaultdict(int)
        dropped: dict[str, int] = defaultdict(int)
        for trip in self.hets.trips:
            picked[self.het_places[trip.pickup]] += 1
            dropped[self.het_places[trip.delivery]] += 1
        out += [(sid, f"{n} vehicles loaded on HETs") for sid, n in sorted(picked.items())]
        out += [(sid, f"{n} vehicles off HETs") for sid, n in sorted(dropped.items())]
        return out

    def _rail_use(self) -> list[tuple[str, str]]:
        """List the trains loaded at each quay (and its ramps' busy share) and crossing at each border."""
        if self.rail is None:
            return []
        iso = self.clock.iso
        out = [
            (key.split()[1], f"ramp tracks busy {share:.0%} of the rail period")
            for key, share in self.rail.utilisation.items()
            if key.startswith("quay ")
        ]
        by_quay: dict[str, list[Train]] = defaultdict(list)
        crossing: dict[str, int] = defaultdict(int)
        for t in self.trains:
            by_quay[t.quay].append(t)
            if t.border:
                crossing[t.border] += 1
        for q, ts in sorted(by_quay.items()):
            out.append(
                (
                    q,
                    f"{len(ts)} trains loaded ({sum(t.wagons for t in ts)} wagons, "
                    f"{sum(len(t.vehicles) for t in ts)} vehicles), {iso(min(t.load_start_s for t in ts))} "
                    f"to {iso(max(t.load_end_s for t in ts))}",
                )
            )
        out += [(sid, f"{n} trains cross here") for sid, n in sorted(crossing.items())]
        return out

    def bridge_use(self) -> dict[str, list[str]]:
        """Say what the plan asks of each bridge, by bridge id: columns over it, caution, closures."""
        e = self.network.edges
        rows = e.index[e["bridge_id"].notna()]
        bridge_of = {int(r): str(e.at[r, "bridge_id"]) for r in rows}
        columns: dict[str, set[str]] = defaultdict(set)
        for (mu, _leg), route in self.march.routes.items():
            for row in route.edges:
                if row in bridge_of:
                    columns[bridge_of[row]].add(mu)
        caution = set(self.kpis()["caution_crossings"])
        use: dict[str, list[str]] = defaultdict(list)
        for bid, mus in sorted(columns.items()):
            use[bid].append(f"{len(mus)} march units cross it")
        for bid in sorted(caution):
            use[bid].append("caution crossing: one vehicle at a time")
        for c in self.closures:
            if c.kind == "close_bridge" and c.target:
                until = self.clock.iso(c.end_s) if math.isfinite(c.end_s) else "further notice"
                use[c.target].append(f"closed ({c.id}) from {self.clock.iso(c.start_s)} until {until}")
        return dict(use)

    def binding_summary(self) -> dict[str, Any]:
        """Return what holds the force's closure back (``summary.json``'s ``bottleneck``)."""
        b = self.binding
        if b is None:
            return {}
        return {
            "part": b.part,
            "what": b.what,
            "where": b.where,
            "at": self.clock.iso(b.at_s),
            "subject": b.subject,
            "unit": b.unit,
            "closure": self.clock.iso(b.closure_s),
        }

    def disruption_summary(self) -> list[dict[str, Any]]:
        """Return each closure in force and what it changed (``summary.json``'s ``disruptions``)."""
        out = []
        for d in self.disruptions:
            c = d.closure
            out.append(
                {
                    "id": c.id,
                    "kind": c.kind,
                    "target": c.target,
                    "label": c.label,
                    "start": self.clock.iso(c.start_s),
                    "end": self.clock.iso(c.end_s) if math.isfinite(c.end_s) else "until further notice",
                    "rerouted_march_units": [dataclasses.asdict(r) for r in d.rerouted],
                    "rerouted_units": sorted({r.unit for r in d.rerouted}),
                    "detour_column_hours": round(d.extra_column_hours, 2),
                    "crossed_outside_closure": list(d.crossed),
                }
            )
        return out

    def disruption_cost_summary(self) -> dict[str, Any] | None:
        """Return the road closure with and without the scenario's disruptions (``disruption_cost``).

        None when the scenario has no disruption.
        """
        c = self.disruption_cost
        if c is None:
            return None
        hours = 3600.0
        return {
            "method": "the greedy baseline scheduled again without the scenario's disruptions "
            "(restrictions and overlay closures kept); both closures are the greedy's, like for like",
            "greedy_closure_without": self.clock.iso(c.without_s),
            "greedy_closure_with": self.clock.iso(c.with_s),
            "delay_hours": round(c.delay_s / hours, 2),
            "plan_road_closure": self.clock.iso(c.plan_s),
            "plan_road_closure_hours": round(c.plan_s / hours, 2),
            "greedy_closure_without_hours": round(c.without_s / hours, 2),
            "greedy_closure_with_hours": round(c.with_s / hours, 2),
        }

    def reception_summary(self) -> dict[str, Any]:
        """Return the reception part of ``summary.json``: arrivals' berths, marshalling areas' peaks."""
        areas = self.rules.marshalling if self.rules is not None else {}
        return {
            "arrivals": [
                {
                    "arrival": a.arrival,
                    "site": a.site,
                    "vehicles": a.vehicles,
                    "berths_used": list(a.berths),
                    "first_ashore": self.clock.iso(a.first_s),
                    "last_ashore": self.clock.iso(a.last_s),
                }
                for a in self.arrivals
            ],
            "marshalling": [
                {
                    "site": sid,
                    "capacity": areas[sid].capacity,
                    "unit": areas[sid].per,
                    "peak": round(peak, 1),
                    "peak_at": self.clock.iso(when),
                    "longest_discharge_pause_hours": round(pause / 3600.0, 2),
                }
                for sid, (peak, when, pause) in self.marshalling.items()
                if sid in areas
            ],
        }

    def permission_summary(self) -> dict[str, Any]:
        """Return the permission requests' part of ``summary.json``: counts, the regime, the filing date."""
        sc = self.scenario
        return {
            "requests": len(self.permissions),
            "at_risk": sum(r.at_risk for r in self.permissions),
            "past_deadline": sum(r.risk == "past" for r in self.permissions),
            "exceptional": sum(r.exceptional for r in self.permissions),
            "regime": sc.permissions.regime,
            "regime_by_neighbour": dict(sc.permissions.neighbours),
            "filing_from": self.clock.local(sc.filing_from).isoformat(),
            "at_risk_margin_h": float(figure("permission_margin_h")),
        }


def _requests(
    inputs: PlanningInputs,
    rules: MarchRules,
    march_units: Sequence[MarchUnit],
    march: MarchSchedule,
    trains: Sequence[Train],
) -> list[PermissionRequest]:
    """List the permission requests of the road and rail schedules."""
    speed = TRAIN_PROFILE.speed_kmh / 3.6
    return permission_requests(
        rules.permits,
        inputs.clock,
        ((r.march_unit, r.unit, r.serial, r.control_point, r.arrive_s, r.pass_s) for r in march.rows),
        {m.id: m.vehicles for m in march_units},
        [
            TrainAtBorder(t.id, t.unit, t.border, t.border_s, t.border_s + t.length_m / speed, t.vehicles,
                          t.out_of_gauge)
            for t in trains
            if t.border
        ],
        inputs.catalogue,
    )  # fmt: skip


@contextmanager
def _timed(timings: dict[str, float], name: str, progress: Progress | None) -> Iterator[None]:
    if progress:
        progress(name)
    t0 = time.perf_counter()
    yield
    timings[name] = time.perf_counter() - t0
    logger.info("%s: %.2f s", name, timings[name])


def _merged_overlay(scenario: Scenario, base: Path) -> Overlay:
    return Overlay.merge([read_overlay(name, base=base) for name in scenario.overlays])


def build_network(scenario: Scenario, base: Path | None = None) -> Network:
    """Build the scenario's network and apply its overlays.

    Parameters
    ----------
    scenario
        A validated scenario.
    base
        Folder of the scenario file (for relative overlay paths).

    Returns
    -------
    Network
        Network with sites snapped and bridges conflated.
    """
    base = base or Path.cwd()
    source = scenario.network.source
    if source == "embedded":
        net = load_embedded_network(scenario.network.margin_km * 1000.0)
    else:
        path = Path(source) if Path(source).is_absolute() else base / source
        net = load_network(path)
    return apply_overlay(
        net,
        _merged_overlay(scenario, base),
        tolerance_m=scenario.network.snap_tolerance_m,
        used_sites=scenario.site_ids(),
    )


def _sites_on(scenario: Scenario, network: Network) -> None:
    """Check that every site the scenario names is on ``network`` (one left out is named, with why).

    Raises
    ------
    NetworkError
        Naming each site the scenario uses that the network does not hold, and the fix.
    """
    missing = sorted(scenario.site_ids() - set(network.sites.index.astype(str)))
    why = {
        line.split("'")[1]: line for line in network.meta.get("left_out", []) if line.startswith("sites '")
    }
    # a site the network left out; one it never had is named later, with the field that names it
    missing = [sid for sid in missing if sid in why]
    if not missing:
        return
    lines = [f"  - site '{sid}': {why[sid]}" for sid in missing]
    raise NetworkError(
        f"{len(missing)} site(s) the scenario uses are not on the network; build the network for this "
        "scenario (its overlays applied with its sites) or move the sites onto it:\n" + "\n".join(lines)
    )


def left_out_warnings(network: Network) -> list[str]:
    """One warning per overlay feature the network left out (unused sites, features outside it)."""
    left = network.meta.get("left_out", [])
    if isinstance(left, str):  # a network read back from a file keeps its meta as JSON text
        left = json.loads(left)
    return [f"overlay {line}" for line in left]


def _modes(
    inputs: PlanningInputs, ashore: Mapping[str, Sequence[Discharged]], routers: Routers
) -> dict[str, ModeChoice]:
    """Each unit's mode, in movement order."""
    out = {}
    for mv in inputs.scenario.movements:
        items = ashore[mv.unit]
        vehicles = [inputs.catalogue[d.vehicle] for d in items]
        out[mv.unit] = choose_mode(inputs, mv, vehicles, mv.from_ or items[0].site, routers)
    return out


def _unit_results(
    scenario: Scenario,
    clock: Clock,
    ashore: Mapping[str, Sequence[Discharged]],
    modes: Mapping[str, ModeChoice],
    march_units: Sequence[MarchUnit],
    march: MarchSchedule,
    trains: Sequence[Train],
    by_het: Mapping[str, Sequence[tuple[str, float]]],
) -> list[UnitResult]:
    """Each unit's closure: its last train unloaded, or its last column (or HET load) in."""
    units = []
    for mv in scenario.movements:
        mus = [m for m in march_units if m.unit == mv.unit]
        trs = [t for t in trains if t.unit == mv.unit]
        mode = modes[mv.unit].mode
        if mode == "rail":
            closure = max(t.unloaded_s for t in trs)
        else:
            own = [march.closure_s[m.id] for m in mus if m.purpose != "het"]
            # a carried vehicle is delivered when its HET column has arrived and it is unloaded
            closure = max(own + [t for _, t in by_het.get(mv.unit, ())])
        units.append(
            UnitResult(
                mv.unit, mode, len(ashore[mv.unit]), len(mus), len(trs), closure, clock.seconds(mv.rdd)
            )
        )
    return units


def _released(
    march_units: Sequence[MarchUnit], ashore: Mapping[str, Sequence[Discharged]], clock: Clock
) -> dict[str, tuple[str, str]]:
    """Each march unit that sets off from a reception site: its arrival(s) and how they were worked."""
    out = {}
    for mu in march_units:
        items = [d for d in ashore.get(mu.unit, ()) if d.site == mu.sites[0]]
        if not items:
            continue
        worked = arrivals_worked(items)
        names = ", ".join(a.arrival for a in worked)
        berths = sorted({b for a in worked for b in a.berths})
        out[mu.id] = (
            names,
            f", worked at berth{'s' if len(berths) > 1 else ''} {', '.join(str(b) for b in berths)} "
            f"until {clock.iso(max(a.last_s for a in worked))}",
        )
    return out


def _binding(
    inputs: PlanningInputs,
    units: Sequence[UnitResult],
    march_units: Sequence[MarchUnit],
    march: MarchSchedule,
    rules: MarchRules,
    rail: RailSchedule,
    ashore: Mapping[str, Sequence[Discharged]],
) -> Binding | None:
    """Find what holds the force's closure back (:func:`~.scheduling.findings.closure_binding`)."""
    res = inputs.scenario.resources
    quays = {t.quay for t in rail.trains}
    return closure_binding(
        units=[(u.unit, u.mode, u.closure_s) for u in units],
        march_units=march_units,
        march=march,
        rules=rules,
        rail=rail if rail.trains else None,
        trains=rail.trains,
        staging=staging_peaks(march),
        release=_released(march_units, ashore, inputs.clock),
        ramp_tracks={q: int(inputs.sites[q].ramp_tracks or 1) for q in quays if q in inputs.sites},
        wagons=sum(res.wagon_pools.values()) if res.wagon_pools else res.wagons,
        locomotives={"multi_system": res.locomotives, "diesel": res.diesel_locomotives},
        iso=inputs.clock.iso,
    )


def _load(
    scenario: Scenario | str | Path, timings: dict[str, float], progress: Progress | None
) -> tuple[Scenario, Path]:
    """Return the scenario, validated, and the folder its relative paths are read from."""
    if isinstance(scenario, Scenario):
        return scenario, Path.cwd()
    with _timed(timings, "load scenario", progress):
        path = resolve_scenario_path(scenario)
        return load_scenario(scenario), path.parent


def make_plan(
    scenario: Scenario | str | Path,
    *,
    network: Network | nx.MultiDiGraph | None = None,
    progress: Progress | None = None,
    solver: Mapping[str, Any] | None = None,
) -> Plan:
    """Plan a scenario end to end.

    Parameters
    ----------
    scenario
        A validated scenario, or a path / ``enablement:NAME`` to load.
    network
        A prepared network with the scenario's overlays (built when not given), or an
        osmnx ``MultiDiGraph``: converted (:func:`~enablement.network.osmnx_graph.from_osmnx`),
        and the scenario's overlays applied to it.
    progress
        Called with the name of each step as it starts.
    solver
        Overrides of the scenario's ``solver`` section (``road``, ``time_limit_s``,
        ``seed``, ``alternatives``).

    Returns
    -------
    Plan
        Timings, march table, trains, routes, corridors and KPIs.
    """
    timings: dict[str, float] = {}
    sc, base = _load(scenario, timings, progress)
    if network is None:
        with _timed(timings, "build network", progress):
            network = build_network(sc, base)
    elif not isinstance(network, Network):
        with _timed(timings, "build network", progress):
            network = apply_overlay(
                as_network(network, "make_plan network"),
                _merged_overlay(sc, base),
                tolerance_m=sc.network.snap_tolerance_m,
                used_sites=sc.site_ids(),
            )
    else:
        _sites_on(sc, network)
    if solver:
        spec = SolverSpec.model_validate({**sc.solver.model_dump(), **solver})
        sc = sc.model_copy(update={"solver": spec})
    inputs = PlanningInputs.of(sc, network)
    clock = inputs.clock
    routers = Routers(network, territory_of(sc.policy))
    with _timed(timings, "reception", progress):
        ashore: dict[str, list[Discharged]] = defaultdict(list)
        discharged = receive(inputs)
        for d in discharged:
            ashore[d.unit].append(d)
    with _timed(timings, "hand-over", progress):
        # a movement bound abroad ends at a border crossing: the plan moves it there
        handed, handovers = resolve_handovers(inputs, ashore, routers)
        inputs = dataclasses.replace(inputs, scenario=handed)
    rules = march_rules(handed, network, inputs.closures, discharged)
    with _timed(timings, "march units", progress):
        modes = _modes(inputs, ashore, routers)
        mode_of = {u: m.mode for u, m in modes.items()}
        formation = form_march_units(inputs, ashore, mode_of, routers["road"])
        march_units = formation.march_units
    shuttles: ShuttlePlan | None = None
    if formation.carried:
        with _timed(timings, "HET shuttles", progress):
            own = Counter(m.unit for m in march_units)
            shuttles = plan_shuttles(inputs, formation.carried, routers["road"], rules, own)
            march_units += [mu for _, mu in shuttles.columns]
            # the road holds each HET column until its HETs are back (the shuttle plan's drive times)
            rules = dataclasses.replace(rules, het_turnaround=shuttles.turnaround(rules.het_turnaround))
    with _timed(timings, "road schedule", progress):
        problem = MarchProblem(network, march_units, inputs.road_nodes, rules)
        march = schedule_road(problem, routers["road"], sc.solver, progress)
    het_columns = shuttles.columns if shuttles is not None else []
    by_het = delivered(het_columns, march)
    driven, broken = as_driven(shuttles, march) if shuttles is not None else (None, [])
    with _timed(timings, "rail schedule", progress):
        rail: RailPlan = plan_rail(inputs, march_units, march, ashore, mode_of, rules.permits, by_het)
    with _timed(timings, "corridors", progress):
        routes = planned_routes(network, march_units, march, rail.schedule.trains, rail.routes)
        corridors = corridor_analysis(inputs, routers["road"], march_units, march)
    excess = tracked_excess(march_units, march, inputs.catalogue, rules)
    units = _unit_results(sc, clock, ashore, modes, march_units, march, rail.schedule.trains, by_het)
    with _timed(timings, "findings", progress):
        binding = _binding(inputs, units, march_units, march, rules, rail.schedule, ashore)
        effects = disruption_effects(inputs.closures, routers["road"], march_units, march)
    cost: DisruptionCost | None = None
    if handed.disruptions:
        with _timed(timings, "without disruptions", progress):
            # the road march again without the scenario's disruptions (greedy, like for like)
            free = handed.model_copy(update={"disruptions": []})
            undisrupted = march_rules(free, network, closures_in_force(free, network, clock), discharged)
            undisrupted = dataclasses.replace(undisrupted, het_turnaround=rules.het_turnaround)
            cost = disruption_cost(problem, undisrupted, routers["road"], march)
    return Plan(
        sc,
        network,
        clock,
        march,
        march_units,
        rail.schedule.trains,
        units,
        timings,
        warnings=[
            *left_out_warnings(network),
            *stray_site_warnings(inputs),
            *staging_warnings(march, rules),
            *(shuttles.warnings if shuttles is not None else []),
            *het_delays(het_columns, march),
            *driven_warnings(broken),
            *excess_warnings(excess),
            *rail.warnings,
        ],
        rail=rail.schedule,
        modes={u: m.reason for u, m in modes.items()},
        hets=driven,
        het_places=shuttles.places if shuttles is not None else [],
        het_planned=shuttles.schedule if shuttles is not None else None,
        het_columns={t.task: mu.id for conv, mu in het_columns for t in conv.trips},
        het_over_payload=shuttles.over_payload if shuttles is not None else [],
        rules=rules,
        routes=routes,
        corridors=corridors,
        closures=inputs.closures.closures,
        staging=staging_peaks(march),
        tracked_excess=excess,
        handovers=handovers,
        permissions=_requests(inputs, rules, march_units, march, rail.schedule.trains),
        arrivals=arrivals_worked(discharged),
        marshalling=marshalling_peaks(march, march_units, rules),
        binding=binding,
        disruptions=effects,
        disruption_cost=cost,
    )
