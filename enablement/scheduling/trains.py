"""Trains of the rail-bound units: formed at their quays, routed on the lines and scheduled (CP-SAT)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..network.model import Network
from ..network.sites import Site
from ..rolling_stock import RailData, rail_data
from ..routing import Route, Router
from ..scenario.schema import Scenario
from ..timeline import Clock, Intervals
from ..vehicles import Catalogue
from .formation import FormedTrain, Load, assign_wagon_types, form_trains
from .inputs import PlanningInputs
from .march import MarchSchedule, MarchUnit, territory_of
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
    """The rail schedule, the route each train takes (by train id) and what a planner should look at."""

    schedule: RailSchedule
    routes: dict[str, Route] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _formed(
    scenario: Scenario,
    march_units: Sequence[MarchUnit],
    march: MarchSchedule,
    ashore: Mapping[str, Sequence[Discharged]],
    modes: Mapping[str, str],
    sites: Mapping[str, Site],
    catalogue: Catalogue,
    by_het: Mapping[str, Sequence[tuple[str, float]]],
) -> list[FormedTrain]:
    """Trains of every rail-bound unit, from its vehicles in the order they reach the quay.

    A vehicle that marches is at the quay when its march unit closes there; one carried
    by HET when it is off its HET there (``by_het``); a unit that neither marches nor
    rides HETs lands at its quay (``ashore``). The HET columns' own vehicles (the HETs)
    load on no train.
    """
    data = rail_data()
    pools = scenario.resources.pools()
    formed: list[FormedTrain] = []
    for mv in scenario.movements:
        if modes[mv.unit] != "rail":
            continue
        assert mv.quay is not None
        mus = [m for m in march_units if m.unit == mv.unit and m.purpose != "het"]
        carried = list(by_het.get(mv.unit, ()))
        if mus or carried:
            at_quay = [(v, march.closure_s[m.id]) for m in mus for v in m.vehicles] + carried
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
                mv.unit,
                mv.quay,
                mv.railhead or mv.to,
                typed,
                usable_length_m=usable,
                wagon_type=wt,
                data=data,
                first=first,
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


def _route(
    t: FormedTrain,
    router: Router,
    sites: Mapping[str, Site],
    border: str | None,
    data: RailData,
    beyond: Router | None = None,
) -> Route:
    """Route a train from its quay to its destination; to a railhead abroad, through its border point.

    Up to the border point the train keeps to the territory (``router``); beyond it, to a
    railhead the movement names, it runs on the neighbour's lines (``beyond``, a router
    with no territory: naming the railhead is the scenario's leave to go there).
    """
    origin, target = sites[t.quay].node_rail, sites[t.destination].node_rail
    if border is None:
        return train_route(t, router, origin, target, data)
    a = train_route(t, router, origin, sites[border].node_rail, data)
    b = train_route(t, beyond or router, sites[border].node_rail, target, data)
    return Route(
        a.nodes + b.nodes[1:],
        a.edges + b.edges,
        a.length_m + b.length_m,
        a.time_s + b.time_s,
        a.caution_edges + b.caution_edges,
    )


def plan_rail(
    inputs: PlanningInputs,
    march_units: Sequence[MarchUnit],
    march: MarchSchedule,
    ashore: Mapping[str, Sequence[Discharged]],
    modes: Mapping[str, str],
    permits: Mapping[str, CrossingPermit] | None = None,
    by_het: Mapping[str, Sequence[tuple[str, float]]] | None = None,
) -> RailPlan:
    """Form the rail-bound units' trains, route them and schedule them (CP-SAT).

    Parameters
    ----------
    inputs
        The scenario (movements, wagon pools, locomotives) on its network (rail lines, wires),
        with the sites' closures.
    march_units, march
        The road schedule (when each vehicle that marches reaches its quay).
    ashore
        Vehicles of each unit as they come ashore (for units that land at their quay).
    modes
        Each unit's mode.
    permits
        The border crossings' permits: a train reaches its crossing no earlier than permitted
        (heavy loads and out-of-gauge trains as exceptional transports).
    by_het
        Each unit's vehicles that HETs carry to its quay, with when each is off its HET
        there (:func:`~.shuttles.delivered`).

    A train passes its border crossing only while the crossing is open: outside its
    ``hours`` and any ``close_site`` of it (``inputs.closures``), as a road column does.

    Returns
    -------
    RailPlan
        The schedule (``not used`` without rail-bound units) and each train's route.
    """
    scenario, sites, network = inputs.scenario, inputs.sites, inputs.network
    permits = permits or {}
    data = rail_data()
    formed = _formed(scenario, march_units, march, ashore, modes, sites, inputs.catalogue, by_het or {})
    if not formed:
        return RailPlan(RailSchedule([], "not used"))
    router = Router(network, "rail", territory_of(scenario.policy))
    through = {mv.railhead: mv.to for mv in scenario.movements if mv.railhead is not None}
    beyond = Router(network, "rail") if through else None
    routes = {t.id: _route(t, router, sites, through.get(t.destination), data, beyond) for t in formed}
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
        handover={t.destination for t in formed if sites[t.destination].kind == "border_crossing"},
        railhead_tracks={
            t.destination: int(sites[t.destination].ramp_tracks or data.railhead_tracks)
            for t in formed
            if sites[t.destination].kind == "rail_quay"
        },
        data=data,
        not_before_s=not_before,
        crossings={
            tid: (sid, at_s, inputs.closures.site[sid])
            for tid, (sid, at_s) in offsets.items()
            if sid in inputs.closures.site
        },
        rdd_s={m.unit: inputs.clock.seconds(m.rdd) for m in scenario.movements},
    )
    result.trains = annotate_trains(result.trains, routes, router, borders)
    return RailPlan(result, routes, _gauge_warnings(formed, routes, network, sites))


def _gauge_warnings(
    formed: Sequence[FormedTrain], routes: Mapping[str, Route], network: Network, sites: Mapping[str, Site]
) -> list[str]:
    """Out-of-gauge trains on lines of unknown loading gauge, and trains handed over at a border point."""
    known = np.zeros(len(network.edges), dtype=bool)
    for col in ("loading_gauge", "railway_loading_gauge"):
        if col in network.edges.columns:
            known |= network.edges[col].notna().to_numpy()
    unknown = [t.id for t in formed if t.out_of_gauge and not known[list(routes[t.id].edges)].all()]
    out = []
    if unknown:
        out.append(
            f"{len(unknown)} out-of-gauge train(s) (first: {unknown[0]}) run over line sections of unknown "
            "loading gauge (the network carries no loading_gauge there, as the embedded network never does): "
            "their routes need an exceptional-transport check; add the Infrabel line sections as a "
            "rail_lines overlay to route them by gauge"
        )
    over = sorted({t.destination for t in formed if sites[t.destination].kind == "border_crossing"})
    for sid in over:
        n = sum(t.destination == sid for t in formed)
        out.append(
            f"{n} train(s) to {sid} are handed over there: a border point unloads nothing, so the plan "
            "counts no unloading; their wagons come back after the rail data's handover_return_h. Name "
            "a rail_quay beyond the border as the movement's railhead to unload there"
        )
    return out
