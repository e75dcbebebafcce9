"""Trains of the rail-bound units: formed at their quays, routed on the lines and scheduled (CP-SAT)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..network.sites import Site
from ..rolling_stock import rail_data
from ..routing import Route, Router
from ..scenario.schema import Scenario
from ..timeline import Clock, Intervals
from ..vehicles import Catalogue
from .formation import FormedTrain, Load, assign_wagon_types, form_trains
from .inputs import PlanningInputs
from .march import MarchSchedule, MarchUnit
from .permissions import CrossingPermit, heavy_mlc
from .rail import (
    QuaySpec,
    RailSchedule,
    annotate_trains,
    border_offsets,
    line_sections,
    needs_diesel,
    schedule_rail,
    train_route,
)
from .reception import Discharged

__all__ = ["RailPlan", "plan_rail"]


@dataclass
class RailPlan:
    """The rail schedule and the route each train takes (by train id)."""

    schedule: RailSchedule
    routes: dict[str, Route] = field(default_factory=dict)


def _formed(
    scenario: Scenario,
    march_units: Sequence[MarchUnit],
    march: MarchSchedule,
    ashore: Mapping[str, Sequence[Discharged]],
    modes: Mapping[str, str],
    sites: Mapping[str, Site],
    catalogue: Catalogue,
) -> list[FormedTrain]:
    """Trains of every rail-bound unit, from its vehicles in the order they reach the quay."""
    data = rail_data()
    pools = scenario.resources.pools()
    formed: list[FormedTrain] = []
    for mv in scenario.movements:
        if modes[mv.unit] != "rail":
            continue
        assert mv.quay is not None
        mus = [m for m in march_units if m.unit == mv.unit]
        if mus:
            at_quay = [(v, march.closure_s[m.id]) for m in mus for v in m.vehicles]
        else:
            at_quay = [(d.vehicle, d.ready_s) for d in ashore[mv.unit]]
        loads = [
            Load(v, catalogue[v].mass_t, catalogue[v].length_m, catalogue[v].width_m, ready)
            for v, ready in at_quay
        ]
        quay = sites[mv.quay]
        usable = math.inf if quay.usable_length_m is None else quay.usable_length_m
        # each vehicle on the lightest wagon type that carries it; a unit's trains per type
        for wt, typed in sorted(assign_wagon_types(loads, pools, data).items()):
            first = 1 + sum(t.unit == mv.unit for t in formed)
            formed += form_trains(
                mv.unit, mv.quay, mv.to, typed, usable_length_m=usable, wagon_type=wt, data=data, first=first
            )
    return formed


def _quays(
    formed: Sequence[FormedTrain],
    sites: Mapping[str, Site],
    site_closed: Mapping[str, Intervals],
    clock: Clock,
) -> dict[str, QuaySpec]:
    """Each loading quay with the times it cannot load (closures, and outside its working hours)."""
    data = rail_data()
    quays = {}
    for qid in {t.quay for t in formed}:
        site = sites[qid]
        spans = list(site_closed[qid].spans) if qid in site_closed else []
        if site.hours is not None:
            start, end = site.hours.split("-")
            open_ = clock.daily(start, end).spans
            spans += [(b, a) for (_, b), (a, _) in itertools.pairwise(open_)]
        quays[qid] = QuaySpec.from_site(site, Intervals(spans) if spans else None, data)
    return quays


def plan_rail(
    inputs: PlanningInputs,
    march_units: Sequence[MarchUnit],
    march: MarchSchedule,
    ashore: Mapping[str, Sequence[Discharged]],
    modes: Mapping[str, str],
    permits: Mapping[str, CrossingPermit] | None = None,
) -> RailPlan:
    """Form the rail-bound units' trains, route them and schedule them (CP-SAT).

    Parameters
    ----------
    inputs
        The scenario (movements, wagon pools, locomotives) on its network (rail lines, wires),
        with the sites' closures.
    march_units, march
        The road schedule (when each vehicle reaches its quay).
    ashore
        Vehicles of each unit as they come ashore (for units that land at their quay).
    modes
        Each unit's mode.
    permits
        The border crossings' permits: a train reaches its crossing no earlier than permitted
        (heavy loads and out-of-gauge trains as exceptional transports).

    Returns
    -------
    RailPlan
        The schedule (``not used`` without rail-bound units) and each train's route.
    """
    scenario, sites, network = inputs.scenario, inputs.sites, inputs.network
    permits = permits or {}
    data = rail_data()
    formed = _formed(scenario, march_units, march, ashore, modes, sites, inputs.catalogue)
    if not formed:
        return RailPlan(RailSchedule([], "not used"))
    router = Router(network, "rail")
    routes = {
        t.id: train_route(t, router, sites[t.quay].node_rail, sites[t.destination].node_rail, data)
        for t in formed
    }
    travel: dict[str | tuple[str, str], tuple[float, float]] = {
        tid: (r.time_s, r.length_m) for tid, r in routes.items()
    }
    borders = {s.node_rail: sid for sid, s in sites.items() if s.kind == "border_crossing" and s.on_rail}
    offsets = border_offsets(routes, router, borders)
    not_before = {}
    for t in formed:
        if t.id in offsets and offsets[t.id][0] in permits:
            heavy = any(inputs.catalogue[v].mlc > heavy_mlc() for v in t.vehicles)
            permitted = permits[offsets[t.id][0]].open_for(heavy or t.out_of_gauge)
            not_before[t.id] = permitted - offsets[t.id][1]
    locos = {"multi_system": scenario.resources.locomotives, "diesel": scenario.resources.diesel_locomotives}
    result = schedule_rail(
        formed,
        _quays(formed, sites, inputs.closures.site, inputs.clock),
        travel,
        scenario.resources.pools(),
        locos,
        needs_diesel=needs_diesel(routes, network),
        sections=line_sections(routes, router),
        data=data,
        not_before_s=not_before,
    )
    result.trains = annotate_trains(result.trains, routes, router, borders)
    return RailPlan(result, routes)
