"""RSOM orchestration: scenario → network → reception → road and rail schedules → :class:`Plan`."""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import __version__
from ._values import as_float
from .defaults import figure
from .errors import InfeasibleError, RoutingError, ScenarioError
from .network.embedded import load_embedded_network
from .network.io import load_network
from .network.model import CRS, Network
from .network.overlays import Overlay, apply_overlay, closure_spans, read_overlay
from .rolling_stock import rail_data
from .routing import Router
from .scenario.load import load_scenario
from .scenario.schema import Movement, Scenario
from .scheduling.formation import FormedTrain, Load, assign_wagon_types, form_trains
from .scheduling.greedy import MarchSchedule, MarchUnit, schedule_march
from .scheduling.het import HetConvoy, HetFleet, HetSchedule, HetTask, het_convoys, schedule_hets
from .scheduling.march import optimise_march
from .scheduling.rail import (
    QuaySpec,
    RailSchedule,
    Train,
    annotate_trains,
    line_sections,
    loading_minutes,
    needs_diesel,
    schedule_rail,
    train_route,
)
from .scheduling.reception import Discharged, discharge
from .timeline import Clock, Intervals
from .vehicles import Profile, Vehicle, load_catalogue

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
    """A complete RSOM plan.

    Attributes
    ----------
    scenario
        The scenario planned.
    network
        The network with the overlay's sites.
    clock
        Converts plan times (seconds since the scenario start) to datetimes.
    march
        The road schedule (greedy baseline).
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
        The HET shuttle plan (None when no vehicle is carried by HET).
    het_places
        Site ids of the HET plan's places (its trips' ``pickup``/``delivery`` index them).
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

    @property
    def closure_s(self) -> float:
        """Force closure: the last unit's closure (seconds since start)."""
        return max(u.closure_s for u in self.units)

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
            "rerouted_march_units": self.march.rerouted,
        }

    def summary(self) -> dict[str, Any]:
        """Everything ``summary.json`` holds."""
        sc = self.scenario
        return {
            "enablement_version": __version__,
            "scenario": sc.name,
            "start": sc.start.isoformat(),
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
                "road": _road_summary(self.march),
                "rail": _rail_summary(self.rail),
                "het": _het_summary(self.hets),
            },
            "network": self.network.summary(),
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
            "warnings": self.warnings,
            "attribution": [
                self.network.meta.get("attribution", ""),
                "Sites and bridge classes: enablement exercise overlay (illustrative values)",
            ],
        }


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
    return apply_overlay(net, _merged_overlay(scenario, base), tolerance_m=scenario.network.snap_tolerance_m)


def _balanced_chunks(items: list[Discharged], size: int) -> list[list[Discharged]]:
    n = max(1, math.ceil(len(items) / size))
    base, extra = divmod(len(items), n)
    out, i = [], 0
    for k in range(n):
        step = base + (1 if k < extra else 0)
        out.append(items[i : i + step])
        i += step
    return out


def _column_length(vehicles: list[Vehicle], gap_m: float) -> float:
    return sum(v.length_m for v in vehicles) + gap_m * (len(vehicles) - 1)


class _LazyRouters(dict):
    """Road and rail routers, built on first use (most plans never need the rail one here)."""

    def __init__(self, network: Network) -> None:
        super().__init__()
        self._network = network

    def __missing__(self, mode: str) -> Router:
        router = Router(self._network, mode)
        self[mode] = router
        return router


def _mode(
    mv: Movement,
    vehicles: list[Vehicle],
    scenario: Scenario,
    origin: str,
    network: Network,
    routers: dict[str, Router],
) -> tuple[str, str]:
    """Mode of a movement and the reason; ``auto`` is decided by estimated closure and resource use.

    The rule for ``auto`` (per unit):

    1. Vehicles that make long moves by rail or HET (``long_move`` in the catalogue)
       cannot drive themselves: by road they need one HET each. Without enough HETs
       the road is not an option; without a quay, wagons or locomotives rail is not.
    2. Where both are options, each is estimated: road = the column's route time at
       the convoy speed from origin to destination plus the time for the column to
       pass; rail = road to the quay, loading its trains on the quay's ramp tracks
       (setup plus wagons over the loading rate, trains in turn per track), the
       rail run and unloading. The earlier estimate wins.
    3. Within 10 % of each other, tracked units take rail (it spares HETs, roads and
       bridges) and wheeled units take the road (it spares the wagon pool).
    """
    if mv.mode != "auto":
        return mv.mode, "set in the scenario"
    res = scenario.resources
    carried = sum(v.long_move != "own" for v in vehicles)
    sites = network.sites
    dest = sites.loc[mv.to]
    rail_ok = bool(mv.quay) and res.any_wagons and res.any_locomotives and int(dest["node_rail"]) >= 0
    road_ok = carried <= res.hets and int(dest["node_road"]) >= 0
    if not rail_ok and not road_ok and int(dest["node_road"]) < 0 and mv.quay:
        msg = (
            f"movement of unit '{mv.unit}' (mode auto): '{mv.to}' is a rail site; give wagons and locomotives"
        )
        raise InfeasibleError(msg)
    if not rail_ok and not road_ok:
        msg = (
            f"movement of unit '{mv.unit}' (mode auto): {carried} vehicles need rail or HETs, but the "
            f"scenario has {res.hets} HETs and no usable rail (quay, wagons and locomotives); "
            "add HETs or a quay"
        )
        raise InfeasibleError(msg)
    if not rail_ok:
        return "road", "auto: no quay, wagons or locomotives for rail"
    if not road_ok:
        if int(dest["node_road"]) < 0:
            return "rail", f"auto: '{mv.to}' is on the rail network only"
        return "rail", f"auto: {carried} vehicles need carriage and only {res.hets} HETs"
    speed = min([scenario.policy.convoy_speed_kmh, *(v.road_speed_kmh for v in vehicles)])
    profile = Profile.of(mv.unit, vehicles, speed)
    node = {m: {sid: int(sites.loc[sid, f"node_{m}"]) for sid in sites.index} for m in ("road", "rail")}
    road_t = routers["road"].route(node["road"][origin], node["road"][mv.to], profile).time_s
    pass_t = _column_length(vehicles, scenario.policy.vehicle_gap_m) / (speed / 3.6)
    assert mv.quay is not None
    data = rail_data()
    quay = sites.loc[mv.quay]
    to_quay = (
        0.0
        if node["road"][origin] == node["road"][mv.quay]
        else routers["road"].route(node["road"][origin], node["road"][mv.quay], profile).time_s
    )
    loads = [Load(v.id, v.mass_t, v.length_m, v.width_m, 0.0) for v in vehicles]
    trains = form_trains(mv.unit, mv.quay, mv.to, loads, data=data)
    spec = QuaySpec.from_site(mv.quay, quay.to_dict(), None, data)
    per_train = [60.0 * loading_minutes(t, spec, data) for t in trains]
    rounds = math.ceil(len(trains) / spec.ramp_tracks)
    rail_run = routers["rail"].route(node["rail"][mv.quay], node["rail"][mv.to]).time_s
    rail_t = to_quay + pass_t + rounds * max(per_train) + rail_run + data.unloading_time_min * 60
    road_total = road_t + pass_t
    tracked = any(v.tracked for v in vehicles)
    if abs(rail_t - road_total) <= 0.1 * min(rail_t, road_total):
        mode = "rail" if tracked else "road"
        why = "tracked units go by rail" if tracked else "wheeled units drive"
    else:
        mode = "rail" if rail_t < road_total else "road"
        why = "earlier"
    return mode, f"auto: rail ~{rail_t / 3600:.1f} h, road ~{road_total / 3600:.1f} h; {mode} ({why})"


def _closures(
    scenario: Scenario, network: Network, clock: Clock
) -> tuple[dict[int, Intervals], dict[int, Intervals], dict[str, Intervals]]:
    edge: dict[int, list[tuple[float, float]]] = defaultdict(list)
    node: dict[int, list[tuple[float, float]]] = defaultdict(list)
    site: dict[str, list[tuple[float, float]]] = defaultdict(list)
    edges = network.edges
    for dis in scenario.disruptions:
        span = (clock.seconds(dis.start), math.inf if dis.end is None else clock.seconds(dis.end))
        if dis.kind == "close_site":
            row = network.sites.loc[dis.target]
            site[str(dis.target)].append(span)
            for col in ("node_road", "node_rail"):
                if int(row[col]) >= 0:
                    node[int(row[col])].append(span)
        elif dis.kind == "close_bridge":
            for e in np.flatnonzero((edges["bridge_id"] == dis.target).to_numpy()):
                edge[int(e)].append(span)
        else:
            assert dis.at is not None
            pt = gpd.GeoSeries([shapely.Point(dis.at)], crs=4326).to_crs(CRS).iloc[0]
            road = np.flatnonzero((edges["mode"] == "road").to_numpy())
            near = road[int(np.argmin(edges.geometry.iloc[road].distance(pt).to_numpy()))]
            u, v = int(edges["u"].iloc[near]), int(edges["v"].iloc[near])
            both = np.flatnonzero(
                (((edges["u"] == u) & (edges["v"] == v)) | ((edges["u"] == v) & (edges["v"] == u))).to_numpy()
            )
            for e in both:
                edge[int(e)].append(span)
    for row, spans in closure_spans(network).items():  # closures from the overlays
        for start, end in spans:
            a = clock.seconds(datetime.fromisoformat(start))
            edge[row].append((a, math.inf if end is None else clock.seconds(datetime.fromisoformat(end))))
    return (
        {k: Intervals(v) for k, v in edge.items()},
        {k: Intervals(v) for k, v in node.items()},
        {k: Intervals(v) for k, v in site.items()},
    )


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


def _staging_warnings(plan_rows: MarchSchedule, network: Network, clock: Clock) -> list[str]:
    out = []
    for sid, (peak, when) in staging_peaks(plan_rows).items():
        cap = network.sites.loc[sid].get("capacity_vehicles")
        if cap is not None and not pd.isna(cap) and peak > float(cap):
            out.append(
                f"staging area '{sid}' holds up to {peak} vehicles (at {clock.iso(when)}), "
                f"over its capacity of {int(cap)}; the greedy baseline does not limit staging "
                "(the cp-sat solver does)"
            )
    return out


def _het_delays(columns: Sequence[tuple[HetConvoy, MarchUnit]], march: MarchSchedule) -> list[str]:
    """HET columns that the road schedule (window, deconfliction) delays well past their shuttle plan."""
    out = []
    for conv, mu in columns:
        plan_arrive = max(t.arrive_s for t in conv.trips)
        road_arrive = march.closure_s[mu.id] - mu.pass_s
        if road_arrive - plan_arrive > 3600.0:
            out.append(
                f"HET column {mu.id} arrives {(road_arrive - plan_arrive) / 3600:.1f} h after its "
                "shuttle plan "
                "(movement window or deconfliction); later trips of its HETs start later than planned"
            )
    return out


def _het_summary(hets: HetSchedule | None) -> dict[str, Any]:
    if hets is None:
        return {"method": "OR-Tools routing", "status": "not used"}
    hours = 3600.0
    return {
        "method": "OR-Tools routing: pickup and delivery with ready times, capacity, shifts within "
        "duty hours",
        "status": hets.status,
        "vehicles_carried": len(hets.trips),
        "closure_hours": round(hets.closure_s / hours, 2),
        "bound_hours": round(hets.bound_s / hours, 2),
        "gap": round(hets.gap, 4),
        "het_hours": round(hets.het_hours, 1),
        "shifts": len(hets.shifts),
        "solve_seconds": round(hets.solve_seconds, 2),
    }


def _road_summary(march: MarchSchedule) -> dict[str, Any]:
    if march.method != "cp-sat":
        return {
            "method": march.method + ": list scheduling (first fit), the yardstick of the optimiser",
            "status": march.status,
            "optimality": "not proven: no bound computed for the baseline",
            "rerouting_rounds": march.rounds,
        }
    hours = 3600.0
    return {
        "method": "cp-sat: segments between control points, route choice among alternative corridors, "
        "halts, movement window, closures, staging capacity; closure then lateness (lexicographic)",
        "status": march.status,
        "closure_hours": round(max(march.closure_s.values()) / hours, 3),
        "bound_hours": round((march.bound_s or 0.0) / hours, 3),
        "gap": round(march.gap or 0.0, 5),
        "baseline_closure_hours": round((march.baseline_closure_s or 0.0) / hours, 3),
        "binding": march.binding,
        "alternate_corridor_march_units": march.rerouted,
        "solve_seconds": round(march.solve_seconds, 2),
    }


def _rail_summary(rail: RailSchedule | None) -> dict[str, Any]:
    if rail is None or not rail.trains:
        return {"method": "CP-SAT", "status": "not used"}
    return {
        "method": "CP-SAT: ramp tracks and hours, line paths, railhead tracks, wagon and locomotive pools",
        "status": rail.status,
        "closure_hours": round(rail.closure_s / 3600.0, 2),
        "bound_hours": round(rail.bound_s / 3600.0, 2),
        "gap": round(rail.gap, 4),
        "wagon_days": round(rail.wagon_days, 1),
        "binding_resource": rail.binding,
        "utilisation": rail.utilisation,
        "solve_seconds": round(rail.solve_seconds, 2),
    }


def _rail_schedule(
    sc: Scenario,
    march_units: list[MarchUnit],
    march: MarchSchedule,
    by_unit: Mapping[str, list[Discharged]],
    unit_mode: Mapping[str, str],
    site_attrs: Mapping[str, Mapping[str, Any]],
    site_closed: Mapping[str, Intervals],
    clock: Clock,
    network: Network,
) -> RailSchedule:
    """Form the rail-bound units' trains and schedule them (CP-SAT)."""
    catalogue = load_catalogue()
    data = rail_data()
    pools = sc.resources.pools()
    formed: list[FormedTrain] = []
    for mv in sc.movements:
        if unit_mode[mv.unit] != "rail":
            continue
        assert mv.quay is not None
        mus = [m for m in march_units if m.unit == mv.unit]
        if mus:
            at_quay = [(v, march.closure_s[m.id]) for m in mus for v in m.vehicles]
        else:
            at_quay = [(d.vehicle, d.ready_s) for d in by_unit[mv.unit]]
        loads = [
            Load(v, catalogue[v].mass_t, catalogue[v].length_m, catalogue[v].width_m, ready)
            for v, ready in at_quay
        ]
        usable = as_float(site_attrs[mv.quay].get("usable_length_m"), math.inf)
        # each vehicle on the lightest wagon type that carries it; a unit's trains per type
        for wt, typed in sorted(assign_wagon_types(loads, pools, data).items()):
            first = 1 + sum(t.unit == mv.unit for t in formed)
            formed += form_trains(
                mv.unit, mv.quay, mv.to, typed, usable_length_m=usable, wagon_type=wt, data=data, first=first
            )
    if not formed:
        return RailSchedule([], "not used")
    router = Router(network, "rail")
    rail_node = {sid: int(a["node_rail"]) for sid, a in site_attrs.items() if int(a["node_rail"]) >= 0}
    routes = {t.id: train_route(t, router, rail_node[t.quay], rail_node[t.destination], data) for t in formed}
    travel: dict[str | tuple[str, str], tuple[float, float]] = {
        tid: (r.time_s, r.length_m) for tid, r in routes.items()
    }
    quays = {}
    for qid in {t.quay for t in formed}:
        attrs = site_attrs[qid]
        spans = list(site_closed[qid].spans) if qid in site_closed else []
        hours = str(attrs.get("hours") or "00:00-24:00")
        if hours not in ("00:00-24:00", "None", "nan"):
            open_ = clock.daily(*hours.split("-")).spans
            spans += [(b, a) for (_, b), (a, _) in itertools.pairwise(open_)]
        quays[qid] = QuaySpec.from_site(qid, attrs, Intervals(spans) if spans else None, data)
    locos = {"multi_system": sc.resources.locomotives, "diesel": sc.resources.diesel_locomotives}
    result = schedule_rail(
        formed,
        quays,
        travel,
        pools,
        locos,
        needs_diesel=needs_diesel(routes, network),
        sections=line_sections(routes, router),
        data=data,
    )
    borders = {
        int(a["node_rail"]): sid
        for sid, a in site_attrs.items()
        if a.get("kind") == "border_crossing" and int(a["node_rail"]) >= 0
    }
    result.trains = annotate_trains(result.trains, routes, router, borders)
    return result


@dataclass
class _Carried:
    """Vehicles of road movements that go by HET."""

    items: list[tuple[Movement, str, Discharged]] = field(default_factory=list)


def _het_profile(het: Vehicle, cargo: list[Vehicle], speed_kmh: float) -> Profile:
    """Restrictions of a laden HET column (its heaviest load), an estimate.

    The laden class is the HET's class plus its load's (MLC classes of a
    combination add up roughly, STANAG 2021); height is the load's on the deck.
    """
    heavy = max(cargo, key=lambda v: v.mass_t)
    return Profile(
        name=f"HET laden ({heavy.id})",
        mlc_wheeled=het.mlc + max(v.mlc for v in cargo),
        mass_t=het.mass_t + heavy.mass_t,
        axle_load_t=float(het.axle_load_t or 0.0),
        height_m=max(het.height_m, max(v.height_m for v in cargo) + float(figure("het_deck_height_m"))),
        width_m=max(het.width_m, *(v.width_m for v in cargo)),
        length_m=het.length_m,
        speed_kmh=min(speed_kmh, het.laden_speed_kmh or het.road_speed_kmh),
    )


def _het_step(
    sc: Scenario,
    carried: _Carried,
    network: Network,
    router: Router,
    clock: Clock,
) -> tuple[HetSchedule, list[str], list[tuple[HetConvoy, MarchUnit]], list[str]]:
    """Plan the HET shuttles and turn their loaded runs into road columns for the march model."""
    catalogue = load_catalogue()
    res = sc.resources
    if res.het_type not in catalogue:
        hets = sorted(k for k, v in catalogue.items() if v.category == "heavy_equipment_transporter")
        msg = f"resources.het_type: unknown vehicle type '{res.het_type}'; use one of {', '.join(hets)}"
        raise ScenarioError(msg)
    het = catalogue[res.het_type]
    cargo = [catalogue[d.vehicle] for _, _, d in carried.items]
    warnings = []
    over = sorted({v.id for v in cargo if het.payload_t is not None and v.mass_t > het.payload_t})
    if over:
        warnings.append(
            f"{', '.join(over)} weigh more than the {het.payload_t:g} t payload of a {het.name}; "
            "the plan carries them, check the HET unit's rating"
        )
    sites = network.sites
    pickups = [origin for _, origin, _ in carried.items]
    park = res.het_park or max(sorted(set(pickups)), key=pickups.count)
    if park not in sites.index or int(sites.loc[park, "node_road"]) < 0:
        msg = (
            f"resources.het_park: '{park}' is not a site on the road network; name one of the overlay's sites"
        )
        raise ScenarioError(msg)
    places = [park, *sorted({p for mv, o, _ in carried.items for p in (o, mv.to)} - {park})]
    idx = {p: i for i, p in enumerate(places)}
    node = [int(sites.loc[p, "node_road"]) for p in places]
    profile = _het_profile(het, cargo, sc.policy.convoy_speed_kmh)
    travel = np.full((len(places), len(places)), np.inf)
    for i, a in enumerate(node):
        for j, b in enumerate(node):
            if i == j or a == b:
                travel[i, j] = 0.0
                continue
            with suppress(RoutingError):
                travel[i, j] = router.route(a, b, profile).time_s
    tasks = [
        HetTask(
            id=f"{mv.unit}:{k:03d}",
            vehicle=d.vehicle,
            pickup=idx[origin],
            delivery=idx[mv.to],
            ready_s=d.ready_s,
            due_s=clock.seconds(mv.rdd),
            group=mv.unit,
        )
        for k, (mv, origin, d) in enumerate(carried.items)
    ]
    fleet = HetFleet(
        count=res.hets,
        depot=0,
        load_min=float(figure("het_load_min")),
        unload_min=float(figure("het_unload_min")),
        duty_hours=float(figure("het_duty_hours")),
        rest_hours=float(figure("het_rest_hours")),
    )
    limit = max(10.0, sc.solver.time_limit_s)
    plan = schedule_hets(tasks, fleet, travel, time_limit_s=limit, seed=sc.solver.seed)
    plan.require()
    gap = sc.policy.vehicle_gap_m
    columns: list[tuple[HetConvoy, MarchUnit]] = []
    gather = float(figure("het_convoy_gather_min")) * 60.0
    for c in het_convoys(plan, sc.policy.march_unit_max_vehicles, gather):
        groups = sorted({t.group for t in c.trips})
        unit = groups[0] if len(groups) == 1 else "HET"
        loads = [catalogue[t.vehicle] for t in c.trips]
        mu = MarchUnit(
            id=f"HET/{c.id}",
            unit=unit,
            index=len(columns) + 1,
            serial=len(columns) // 5 + 1,
            vehicles=(het.id,) * c.vehicles,
            release_s=c.depart_s,
            sites=(places[c.pickup], places[c.delivery]),
            dwell_s=(),
            rdd_s=min(clock.seconds(mv.rdd) for mv in sc.movements if mv.unit in groups),
            profile=_het_profile(het, loads, sc.policy.convoy_speed_kmh),
            length_m=c.vehicles * het.length_m + gap * (c.vehicles - 1),
            purpose="het",
        )
        columns.append((c, mu))
    return plan, places, columns, warnings


def make_plan(
    scenario: Scenario | str | Path,
    *,
    network: Network | None = None,
    progress: Progress | None = None,
    solver: Mapping[str, Any] | None = None,
) -> Plan:
    """Plan a scenario end to end.

    Parameters
    ----------
    scenario
        A validated scenario, or a path / ``enablement:NAME`` to load.
    network
        A prepared network with the scenario's overlays (built when not given).
    progress
        Called with the name of each step as it starts.
    solver
        Overrides of the scenario's ``solver`` section (``road``, ``time_limit_s``,
        ``seed``, ``alternatives``).

    Returns
    -------
    Plan
        Timings, march table, trains and KPIs.
    """
    timings: dict[str, float] = {}
    base = Path.cwd()
    if not isinstance(scenario, Scenario):
        with _timed(timings, "load scenario", progress):
            from .scenario.load import resolve_scenario_path

            path = resolve_scenario_path(scenario)
            base = path.parent
            scenario = load_scenario(scenario)
    if network is None:
        with _timed(timings, "build network", progress):
            network = build_network(scenario, base)
    if solver:
        from .scenario.schema import SolverSpec

        spec = SolverSpec.model_validate({**scenario.solver.model_dump(), **solver})
        scenario = scenario.model_copy(update={"solver": spec})
    sc = scenario
    clock = Clock(sc.start)
    catalogue = load_catalogue()
    sites = network.sites
    site_attrs = {sid: row.to_dict() for sid, row in sites.drop(columns="geometry").iterrows()}
    road_node = {sid: int(n) for sid, n in sites["node_road"].items() if int(n) >= 0}
    edge_closed, node_closed, site_closed = _closures(sc, network, clock)
    with _timed(timings, "reception", progress):
        arrivals = [
            (a.id, a.site, clock.seconds(a.time), [(e.unit, e.vehicle, e.count) for e in a.equipment])
            for a in sc.arrivals
        ]
        ashore = discharge(arrivals, site_attrs, clock, closed=site_closed)
    by_unit: dict[str, list[Discharged]] = defaultdict(list)
    for d in ashore:
        by_unit[d.unit].append(d)
    pol = sc.policy
    march_units: list[MarchUnit] = []
    unit_mode: dict[str, str] = {}
    mode_reason: dict[str, str] = {}
    routers = _LazyRouters(network)
    carried = _Carried()
    with _timed(timings, "march units", progress):
        for mv in sc.movements:
            items = by_unit[mv.unit]
            vehicles = [catalogue[d.vehicle] for d in items]
            origin = mv.from_ or items[0].site
            mode, why = _mode(mv, vehicles, sc, origin, network, routers)
            unit_mode[mv.unit] = mode
            mode_reason[mv.unit] = why
            sites_seq: list[str] = [origin]
            dwell: list[float] = []
            if mv.via is not None:
                sites_seq.append(mv.via.site)
                dwell.append(mv.via.dwell_h * 3600.0)
            end = mv.quay if mode == "rail" else mv.to
            assert end is not None
            sites_seq.append(end)
            if len(sites_seq) == 2 and road_node.get(origin) == road_node.get(end):
                continue  # rail unit already at its quay
            if mode == "road" and sc.resources.hets > 0:
                # vehicles that do not drive long distances go by HET, the others march
                by_het = [d for d in items if catalogue[d.vehicle].long_move != "own"]
                carried.items += [(mv, origin, d) for d in by_het]
                items = [d for d in items if catalogue[d.vehicle].long_move == "own"]
                if not items:
                    continue
            for k, chunk in enumerate(_balanced_chunks(items, pol.march_unit_max_vehicles), start=1):
                vs = [catalogue[d.vehicle] for d in chunk]
                march_units.append(
                    MarchUnit(
                        id=f"{mv.unit}/{k:02d}",
                        unit=mv.unit,
                        index=k,
                        serial=(k - 1) // 5 + 1,
                        vehicles=tuple(d.vehicle for d in chunk),
                        release_s=max(d.ready_s for d in chunk),
                        sites=tuple(sites_seq),
                        dwell_s=tuple(dwell),
                        rdd_s=clock.seconds(mv.rdd),
                        profile=Profile.of(mv.unit, vs, pol.convoy_speed_kmh),
                        length_m=_column_length(vs, pol.vehicle_gap_m),
                        priority=mv.priority,
                        purpose="to_quay" if mode == "rail" else "road",
                    )
                )
    hets: HetSchedule | None = None
    het_places: list[str] = []
    het_columns: list[tuple[HetConvoy, MarchUnit]] = []
    het_warnings: list[str] = []
    if carried.items:
        with _timed(timings, "HET shuttles", progress):
            road = routers["road"]
            hets, het_places, het_columns, het_warnings = _het_step(sc, carried, network, road, clock)
            march_units += [mu for _, mu in het_columns]
    window = None
    if pol.movement_window is not None:
        window = clock.daily(pol.movement_window.start, pol.movement_window.end)
    with _timed(timings, "road schedule", progress):
        common: dict[str, Any] = {
            "window": window,
            "edge_closed": edge_closed,
            "node_closed": node_closed,
            "router": routers["road"],
        }
        march = schedule_march(network, march_units, pol, road_node, **common)
        if sc.solver.road == "cp-sat":
            march = optimise_march(
                network,
                march_units,
                pol,
                road_node,
                **common,
                alternatives=sc.solver.alternatives,
                time_limit_s=sc.solver.time_limit_s,
                seed=sc.solver.seed,
                baseline=march,
            )
    with _timed(timings, "rail schedule", progress):
        rail = _rail_schedule(
            sc, march_units, march, by_unit, unit_mode, site_attrs, site_closed, clock, network
        )
        trains = rail.trains
    units = []
    for mv in sc.movements:
        mus = [m for m in march_units if m.unit == mv.unit]
        trs = [t for t in trains if t.unit == mv.unit]
        if unit_mode[mv.unit] == "rail":
            closure = max(t.unloaded_s for t in trs)
        else:
            own = [march.closure_s[m.id] for m in mus if m.purpose != "het"]
            # a carried vehicle is delivered when its HET column has arrived and it is unloaded
            unload = float(figure("het_unload_min")) * 60.0
            by_het = [
                march.closure_s[mu.id] + unload
                for conv, mu in het_columns
                if any(t.group == mv.unit for t in conv.trips)
            ]
            closure = max(own + by_het)
        units.append(
            UnitResult(
                mv.unit,
                unit_mode[mv.unit],
                len(by_unit[mv.unit]),
                len(mus),
                len(trs),
                closure,
                clock.seconds(mv.rdd),
            )
        )
    plan = Plan(
        sc,
        network,
        clock,
        march,
        march_units,
        trains,
        units,
        timings,
        rail=rail,
        modes=mode_reason,
        hets=hets,
        het_places=het_places,
    )
    plan.warnings = [
        *_staging_warnings(march, network, clock),
        *het_warnings,
        *_het_delays(het_columns, march),
    ]
    return plan
