"""HET shuttles in the plan: carried vehicles to HET tasks, the shuttle plan, and its road columns."""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..defaults import figure
from ..errors import InfeasibleError, RoutingError, ScenarioError
from ..network.sites import Site
from ..routing import Router
from ..scenario.schema import Scenario
from ..timeline import Clock, Intervals
from ..vehicles import Catalogue, Profile, Vehicle
from .het import EPS, HetConvoy, HetFleet, HetSchedule, HetShift, HetTask, HetTrip, het_engine
from .het_check import check_hets
from .het_pyvrp import schedule_hets_pyvrp
from .het_routing import schedule_hets
from .inputs import PlanningInputs
from .march import HetTurnaround, MarchRules, MarchSchedule, MarchUnit
from .units import Carried

__all__ = [
    "ShuttlePlan",
    "as_driven",
    "delivered",
    "het_convoys",
    "het_delays",
    "het_profile",
    "load_windows",
    "loaded_run_s",
    "plan_shuttles",
    "shuttle_summary",
]


@dataclass
class ShuttlePlan:
    """The HET shuttle plan and the road columns its loaded runs make.

    Attributes
    ----------
    schedule
        The shuttle plan (trips, shifts, closure, bound).
    places
        Site ids of its places (the trips' ``pickup`` and ``delivery`` index them); the HET park first.
    columns
        Each column of HETs that leave together, with the march unit it marches as.
    warnings
        Things a planner should check (loads over the HET's payload).
    tasks, fleet, travel
        The problem the shuttle plan answers: the vehicles carried (with their loading
        windows), the HET pool and the travel times (s) between its places.
    over_payload
        Vehicle types heavier than the HET's payload (carried, and warned about).
    """

    schedule: HetSchedule
    places: list[str]
    columns: list[tuple[HetConvoy, MarchUnit]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    tasks: list[HetTask] = field(default_factory=list)
    fleet: HetFleet | None = None
    travel: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    over_payload: list[str] = field(default_factory=list)

    def turnaround(self, rule: HetTurnaround) -> HetTurnaround:
        """Return the road's ``het_turnaround`` rule with this plan's drive times between its places.

        The road schedule then holds a HET's next column for the drive the shuttle plan
        assumed (the laden HET's, a safe upper bound of an empty run), and the checker
        given the plan's rules reads the same.
        """
        n = len(self.places)
        drive = {
            (self.places[i], self.places[j]): float(self.travel[i, j])
            for i in range(n)
            for j in range(n)
            if i != j and np.isfinite(self.travel[i, j])
        }
        if self.fleet is None:
            return HetTurnaround(rule.load_s, rule.unload_s, drive, rule.profile)
        return HetTurnaround(60.0 * self.fleet.load_min, 60.0 * self.fleet.unload_min, drive, rule.profile)


def het_profile(het: Vehicle, cargo: Sequence[Vehicle], speed_kmh: float) -> Profile:
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


def _het_type(scenario: Scenario, catalogue: Catalogue) -> Vehicle:
    res = scenario.resources
    if res.het_type not in catalogue:
        hets = sorted(k for k, v in catalogue.items() if v.category == "heavy_equipment_transporter")
        msg = f"resources.het_type: unknown vehicle type '{res.het_type}'; use one of {', '.join(hets)}"
        raise ScenarioError(msg)
    return catalogue[res.het_type]


def _park(scenario: Scenario, carried: Sequence[Carried], sites: Mapping[str, Site]) -> str:
    pickups = [c.origin for c in carried]
    park = scenario.resources.het_park or max(sorted(set(pickups)), key=pickups.count)
    if park not in sites or not sites[park].on_road:
        msg = (
            f"resources.het_park: '{park}' is not a site on the road network; name one of the overlay's sites"
        )
        raise ScenarioError(msg)
    return park


def _travel(places: Sequence[str], sites: Mapping[str, Site], router: Router, profile: Profile) -> np.ndarray:
    """Travel times (s) between the places for the laden profile; inf where no road joins them."""
    node = [sites[p].node_road for p in places]
    travel = np.full((len(places), len(places)), np.inf)
    for i, a in enumerate(node):
        for j, b in enumerate(node):
            if i == j or a == b:
                travel[i, j] = 0.0
                continue
            with suppress(RoutingError):
                travel[i, j] = router.route(a, b, profile).time_s
    return travel


def loaded_run_s(travel_s: float, rules: MarchRules, column_pass_s: float, gather_s: float) -> float:
    """Longest a loaded HET run may take on the road, as the shuttle plan allows for it (an estimate).

    The drive (``travel_s``, the laden HET's fastest road), the halts the rule adds
    to it and one more (the road model halts at control points, which may come earlier
    than the limit), the wait for the column's last HET (``gather_s``) and the time for
    the longest column to pass (``column_pass_s``). Queues are the road model's: it
    holds a column that meets one (and the HETs it is made of).
    """
    halts = rules.halts
    allowance = halts.allowance_s(travel_s)
    if allowance > 0:
        allowance += halts.duration_s
    return travel_s + allowance + gather_s + column_pass_s


def load_windows(
    window: Intervals | None, load_s: float, run_s: float
) -> tuple[tuple[float, float], ...] | None:
    """When loading may start so that the loaded run that follows fits in one span of the movement window.

    Parameters
    ----------
    window
        The movement window (:attr:`~.march.MarchRules.window`); None: any time.
    load_s
        Time to load the HET.
    run_s
        The loaded run, from leaving the pickup place to the column's tail at the delivery
        place (:func:`loaded_run_s`).

    Returns
    -------
    tuple or None
        Spans ``(a, b)`` of loading starts in order (empty when the run is longer than every
        window), or None when columns may move at any time.
    """
    if window is None:
        return None
    return tuple((a - load_s, b - load_s - run_s) for a, b in window.spans if b - a >= run_s)


def het_convoys(schedule: HetSchedule, max_vehicles: int, window_s: float) -> list[HetConvoy]:
    """Group HETs leaving one pickup place for one delivery place into road columns.

    Trips on one leg are taken by departure; a column takes the next HET while it
    leaves within ``window_s`` of the column's first and the column has fewer than
    ``max_vehicles`` HETs. The column leaves with its last member (``depart_s``); the
    march model deconflicts the columns on the roads.

    Parameters
    ----------
    schedule
        A HET schedule.
    max_vehicles
        Most HETs in one column (march-unit size).
    window_s
        Longest wait of the first HET for the others.

    Returns
    -------
    list of HetConvoy
        By departure, ids ``HC001``, ``HC002``, …
    """
    if max_vehicles < 1:
        msg = f"a HET convoy needs room for at least one HET (max_vehicles = {max_vehicles})"
        raise ValueError(msg)
    legs: dict[tuple[int, int], list[HetTrip]] = defaultdict(list)
    for r in schedule.trips:
        legs[(r.pickup, r.delivery)].append(r)
    groups: list[list[HetTrip]] = []
    for (_p, _d), trips in sorted(legs.items()):
        trips.sort(key=lambda r: (r.depart_s, r.het, r.shift, r.task))
        current: list[HetTrip] = []
        for r in trips:
            hets = {(x.het, x.shift) for x in current}
            fits = (r.het, r.shift) in hets or len(hets) < max_vehicles
            if current and (r.depart_s - current[0].depart_s > window_s + EPS or not fits):
                groups.append(current)
                current = []
            current.append(r)
        if current:
            groups.append(current)
    groups.sort(key=lambda g: (max(r.depart_s for r in g), g[0].pickup, g[0].delivery))
    return [
        HetConvoy(
            f"HC{n + 1:03d}",
            g[0].pickup,
            g[0].delivery,
            max(r.depart_s for r in g),
            tuple(g),
            len({(r.het, r.shift) for r in g}),
            tuple(r.vehicle for r in g),
        )
        for n, g in enumerate(groups)
    ]


def _columns(
    scenario: Scenario,
    plan: HetSchedule,
    places: Sequence[str],
    het: Vehicle,
    catalogue: Catalogue,
    clock: Clock,
    numbered: Mapping[str, int],
) -> list[tuple[HetConvoy, MarchUnit]]:
    """Turn the loaded runs of HETs that leave together into march units for the road model.

    A column carrying one unit's vehicles is that unit's (numbered on after the
    ``numbered`` march units the unit has already, five to a serial), one carrying
    several units' is the ``HET`` unit's.
    """
    pol = scenario.policy
    gap = pol.vehicle_gap_m
    columns: list[tuple[HetConvoy, MarchUnit]] = []
    taken = Counter(numbered)
    gather = float(figure("het_convoy_gather_min")) * 60.0
    for c in het_convoys(plan, pol.march_unit_max_vehicles, gather):
        groups = sorted({t.group for t in c.trips})
        unit = groups[0] if len(groups) == 1 else "HET"
        taken[unit] += 1
        loads = [catalogue[t.vehicle] for t in c.trips]
        mu = MarchUnit(
            id=f"HET/{c.id}",
            unit=unit,
            index=taken[unit],
            serial=(taken[unit] - 1) // 5 + 1,
            vehicles=(het.id,) * c.vehicles,
            release_s=c.depart_s,
            sites=(places[c.pickup], places[c.delivery]),
            dwell_s=(),
            rdd_s=min(clock.seconds(mv.rdd) for mv in scenario.movements if mv.unit in groups),
            profile=het_profile(het, loads, pol.convoy_speed_kmh),
            length_m=c.vehicles * het.length_m + gap * (c.vehicles - 1),
            purpose="het",
            hets=tuple(sorted({t.het + 1 for t in c.trips})),  # numbered as het_trips.csv numbers them
        )
        columns.append((c, mu))
    return columns


def plan_shuttles(
    inputs: PlanningInputs,
    carried: Sequence[Carried],
    router: Router,
    rules: MarchRules,
    numbered: Mapping[str, int] | None = None,
) -> ShuttlePlan:
    """Plan the HET shuttles and turn their loaded runs into road columns for the march model.

    A loaded run moves on the road, so it keeps to the movement window: each vehicle's
    loading starts only when the run that follows fits in one span of the window
    (:func:`load_windows`); the empty runs go at any time.

    Parameters
    ----------
    inputs
        The scenario (resources ``hets``, ``het_type``, ``het_park``; policy; movements) on its network.
    carried
        The vehicles that ride HETs, each to its delivery site (a destination or a quay).
    router
        Road router (for the laden HETs' travel times).
    rules
        The road march rules (the movement window and the halts the loaded runs keep).
    numbered
        March units each unit has of its own: its HET columns are numbered on after them,
        so that every march unit of a plan has its own movement number.

    Returns
    -------
    ShuttlePlan
        The shuttle plan, its places, its columns and warnings.

    Raises
    ------
    ScenarioError
        For an unknown HET type or HET park.
    InfeasibleError
        When a loaded run is longer than the movement window, or the fleet cannot carry
        every vehicle (with the diagnosis).
    """
    scenario, sites, clock, catalogue = inputs.scenario, inputs.sites, inputs.clock, inputs.catalogue
    res, pol = scenario.resources, scenario.policy
    het = _het_type(scenario, catalogue)
    cargo = [catalogue[c.vehicle.vehicle] for c in carried]
    warnings = []
    over = sorted({v.id for v in cargo if het.payload_t is not None and v.mass_t > het.payload_t})
    if over:
        warnings.append(
            f"{', '.join(over)} weigh more than the {het.payload_t:g} t payload of a {het.name}; "
            "the plan carries them, check the HET unit's rating"
        )
    park = _park(scenario, carried, sites)
    places = [park, *sorted({p for c in carried for p in (c.origin, c.to)} - {park})]
    idx = {p: i for i, p in enumerate(places)}
    laden = het_profile(het, cargo, pol.convoy_speed_kmh)
    travel = _travel(places, sites, router, laden)
    fleet = HetFleet(
        count=res.hets,
        depot=0,
        load_min=float(figure("het_load_min")),
        unload_min=float(figure("het_unload_min")),
        duty_hours=float(figure("het_duty_hours")),
        rest_hours=float(figure("het_rest_hours")),
    )
    n = pol.march_unit_max_vehicles
    column_pass = (n * het.length_m + pol.vehicle_gap_m * (n - 1)) / (laden.speed_kmh / 3.6)
    gather = float(figure("het_convoy_gather_min")) * 60.0
    windows: dict[tuple[int, int], tuple[tuple[float, float], ...] | None] = {}
    for c in carried:
        leg = (idx[c.origin], idx[c.to])
        if leg not in windows and np.isfinite(travel[leg]):
            run = loaded_run_s(float(travel[leg]), rules, column_pass, gather)
            windows[leg] = load_windows(rules.window, 60.0 * fleet.load_min, run)
            if windows[leg] == ():
                msg = (
                    f"HET shuttles: a loaded run from '{c.origin}' to '{c.to}' takes about "
                    f"{run / 3600:.1f} h on the road (drive, halts, column), longer than the movement window "
                    f"({rules.window_text}); widen policy.movement_window or plan a HET relay"
                )
                raise InfeasibleError(msg)
    tasks = [
        HetTask(
            id=f"{c.movement.unit}:{k:03d}",
            vehicle=c.vehicle.vehicle,
            pickup=idx[c.origin],
            delivery=idx[c.to],
            ready_s=c.vehicle.ready_s,
            # due at its destination, or at its quay, by the movement's RDD (as the unit's own march units)
            due_s=clock.seconds(c.movement.rdd),
            group=c.movement.unit,
            load_windows=windows.get((idx[c.origin], idx[c.to])),
        )
        for k, c in enumerate(carried)
    ]
    limit = max(10.0, scenario.solver.time_limit_s)
    solve = schedule_hets_pyvrp if het_engine(fleet) == "pyvrp" else schedule_hets  # the rule: .het
    plan = solve(tasks, fleet, travel, time_limit_s=limit, seed=scenario.solver.seed)
    plan.require()
    columns = _columns(scenario, plan, places, het, catalogue, clock, numbered or {})
    return ShuttlePlan(plan, places, columns, warnings, tasks, fleet, travel, over)


def as_driven(shuttles: ShuttlePlan, march: MarchSchedule) -> tuple[HetSchedule, list[str]]:
    """Return the shuttle plan as the road schedule runs it, and the shuttle rules it then breaks.

    The road model may hold a HET column (queues, the movement window, its HETs coming
    back late: ``het_turnaround``). Each carried vehicle then leaves with its column as
    the road schedule has it and is off its HET when the column's tail is in and it is
    unloaded (as :func:`delivered`); its HET loads it just before the column leaves.
    Each shift leaves the park in time for its first loading and is back after its last
    unloading. The schedule is checked again by :func:`.het_check.check_hets` for the
    shift and rest rules (the road knows neither); the window is the road schedule's
    to keep, and the checker's (:mod:`.checks`).

    Parameters
    ----------
    shuttles
        The shuttle plan.
    march
        The road schedule of its columns.

    Returns
    -------
    HetSchedule, list of str
        The trips and shifts as driven (closure, lateness and gap against the plan's
        bound), and the shuttle rules the driven plan breaks, in words.
    """
    plan, fleet, travel = shuttles.schedule, shuttles.fleet, shuttles.travel
    if fleet is None or not plan.trips:
        return plan, []
    load, unload = 60.0 * fleet.load_min, 60.0 * fleet.unload_min
    leave: dict[str, float] = {}
    for r in march.rows:
        leave.setdefault(r.march_unit, r.depart_s)
    trips: list[HetTrip] = []
    for conv, mu in shuttles.columns:
        go, tail = leave[mu.id], march.closure_s[mu.id]
        aboard = Counter(t.het for t in conv.trips)
        loaded: Counter[int] = Counter()
        for t in sorted(conv.trips, key=lambda r: (r.load_start_s, r.task)):
            loaded[t.het] += 1
            start = go - load * (aboard[t.het] - loaded[t.het] + 1)  # one load after the other
            trips.append(
                HetTrip(
                    t.het, t.shift, t.task, t.vehicle, t.group, t.pickup, t.delivery,
                    start, go, tail, tail + unload,
                )
            )  # fmt: skip
    trips.sort(key=lambda r: (r.load_start_s, r.het, r.shift, r.task))
    z = fleet.depot
    shifts = []
    for s in plan.shifts:
        mine = sorted(
            (t for t in trips if (t.het, t.shift) == (s.het, s.shift)), key=lambda r: r.load_start_s
        )
        if not mine:
            continue
        out = mine[0].load_start_s - float(travel[z, mine[0].pickup])
        back = max(t.unloaded_s for t in mine) + float(travel[mine[-1].delivery, z])
        shifts.append(HetShift(s.het, s.shift, out, back, s.tasks))
    due = {t.id: t.due_s for t in shuttles.tasks}
    closure = max(t.unloaded_s for t in trips)
    late = sum(max(0.0, t.unloaded_s - d) for t in trips if (d := due.get(t.task)) is not None)
    driven = dataclasses.replace(
        plan,
        trips=trips,
        shifts=shifts,
        closure_s=closure,
        lateness_s=late,
        gap=max(0.0, (closure - plan.bound_s) / closure) if closure > 0 else 0.0,
        het_hours=sum(s.back_s - s.out_s for s in shifts) / 3600.0,
    )
    # the window of a driven run is the road schedule's (it may hold a column into the night's end)
    tasks = [dataclasses.replace(t, load_windows=None) for t in shuttles.tasks]
    broken = check_hets(driven, tasks, fleet, travel)
    return driven, broken


def delivered(
    columns: Sequence[tuple[HetConvoy, MarchUnit]], march: MarchSchedule
) -> dict[str, list[tuple[str, float]]]:
    """Each unit's vehicles carried by HET, with when each is off its HET at its delivery site.

    A carried vehicle is delivered when its HET column has arrived on the road schedule
    (the column's closure) and it is unloaded (the planning figure ``het_unload_min``).

    Parameters
    ----------
    columns
        The HET columns with their march units (:attr:`ShuttlePlan.columns`).
    march
        The road schedule.

    Returns
    -------
    dict
        By unit id: (vehicle type, seconds since the start) per vehicle carried.
    """
    unload = float(figure("het_unload_min")) * 60.0
    out: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for conv, mu in columns:
        for t in conv.trips:
            out[t.group].append((t.vehicle, march.closure_s[mu.id] + unload))
    return dict(out)


def het_delays(columns: Sequence[tuple[HetConvoy, MarchUnit]], march: MarchSchedule) -> list[str]:
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


def driven_warnings(broken: Sequence[str], shown: int = 3) -> list[str]:
    """Say which shuttle rules (shifts, rest) the shuttles break as the road schedule runs them."""
    if not broken:
        return []
    more = f" (and {len(broken) - shown} more)" if len(broken) > shown else ""
    return [
        f"HET shuttles as the road schedule runs them break {len(broken)} rule(s) of the shuttle plan: "
        + "; ".join(broken[:shown])
        + more
        + " (the road holds columns the shuttle plan did not: queues, the movement window)"
    ]


def shuttle_summary(
    hets: HetSchedule | None, planned: HetSchedule | None = None, over_payload: Sequence[str] = ()
) -> dict[str, Any]:
    """Return the HET shuttles' part of ``summary.json``.

    Parameters
    ----------
    hets
        The shuttles as the road schedule runs them (:func:`as_driven`), or None.
    planned
        The shuttle plan before the road schedule (its closure is reported beside).
    over_payload
        Vehicle types carried above the HET's payload.
    """
    if hets is None:
        return {"method": "PyVRP or OR-Tools routing (HET capacity 1 or more)", "status": "not used"}
    hours = 3600.0
    out = {
        "method": f"{hets.engine}: pickup and delivery with ready times, loading windows from the "
        "movement window, capacity, shifts within duty hours; its loaded runs are road columns",
        "engine": hets.engine,
        "status": hets.status,
        "vehicles_carried": len(hets.trips),
        "closure_hours": round(hets.closure_s / hours, 2),
        "bound_hours": round(hets.bound_s / hours, 2),
        "gap": round(hets.gap, 4),
        "het_hours": round(hets.het_hours, 1),
        "shifts": len(hets.shifts),
        "solve_seconds": round(hets.solve_seconds, 2),
        "over_payload": list(over_payload),
    }
    if planned is not None:
        out["planned_closure_hours"] = round(planned.closure_s / hours, 2)
    return out
