"""Hand-over at the border: a movement bound abroad ends at a border crossing of the territory.

The plan covers the territory's part of the move (``policy.territory``, default
Belgium). A movement whose destination lies in another country (a site abroad,
not in ``policy.foreign_roads``) is handed over to the next nation at a border
crossing: its march units and trains end there, and the march table's last row
has kind ``handover`` at the crossing's id. A movement that names a crossing as
its destination is handed over there.

When the scenario names no crossing, the planner chooses one among the crossings
open to the movement's mode (``road``, or ``rail`` for a rail movement) that lead
to the destination's country (every crossing of the mode when none does). It takes
the crossing through which the unit **reaches its destination first**: the time to
the crossing inside the territory from where the unit sets off (its staging area,
or where it comes ashore), plus any wait while the crossing is shut (outside its
``hours`` or closed by a disruption), plus the run on from the crossing to the
destination. The whole journey counts, not only its Belgian part: handing over at
the crossing nearest in Belgium may leave the next nation a long detour, and the
crossing nearest the destination may cost a long drive to reach it. The estimate
is the column head's route time for the unit's vehicles (their restrictions and
the convoy speed), as the mode choice estimates; the march then schedules the
columns and may still wait for the crossing to open.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..errors import InfeasibleError, RoutingError
from ..network.model import CRS
from ..network.sites import Site
from ..network.territory import BORDER_CROSSING, Territory, countries_of, crossing_modes
from ..routing import Router, Routers
from ..scenario.schema import Movement, Scenario
from ..timeline import Intervals
from ..vehicles import Profile
from .inputs import PlanningInputs
from .march import territory_of
from .reception import Discharged

__all__ = ["Handover", "resolve_handovers", "site_countries", "stray_site_warnings"]


@dataclass(frozen=True)
class Handover:
    """Where a unit is handed over to the next nation.

    Attributes
    ----------
    unit
        The unit.
    crossing
        The border crossing site id (the movement's destination in the plan).
    destination
        The destination the scenario gives (the crossing itself when it names one).
    neighbour
        The nation that takes over (the crossing's ``neighbour``).
    mode
        ``road`` or ``rail``.
    reason
        Why this crossing, in words (the estimates of the crossings considered).
    """

    unit: str
    crossing: str
    destination: str
    neighbour: str
    mode: str
    reason: str


def site_countries(inputs: PlanningInputs) -> dict[str, str]:
    """Country (ISO code) of every site, from its location (Natural Earth)."""
    sites = inputs.network.sites
    if not len(sites):
        return {}
    pts = sites.geometry
    codes = countries_of(pts.x.to_numpy(float), pts.y.to_numpy(float), CRS)
    return {str(sid): str(c) for sid, c in zip(sites.index, codes, strict=True)}


def _open_at(shut: Intervals | None, t: float) -> float:
    """First instant at or after ``t`` when a crossing is open (inf when closed until further notice)."""
    if shut is None:
        return t
    while (span := shut.overlaps(t, t)) is not None:
        t = span[1]
        if math.isinf(t):
            break
    return t


def _neighbour(site: Site) -> str:
    raw = site.attrs.get("neighbour")
    return str(raw) if isinstance(raw, str) else ""


def _candidates(sites: Mapping[str, Site], mode: str, country: str) -> list[Site]:
    """Crossings open to ``mode``: those to ``country``, or every one of the mode when none leads there."""
    of_mode = [
        s
        for s in sites.values()
        if s.kind == BORDER_CROSSING
        and mode in crossing_modes(s.attrs)
        and (s.node_road if mode == "road" else s.node_rail) >= 0
    ]
    to_country = [s for s in of_mode if _neighbour(s) == country]
    return sorted(to_country or of_mode, key=lambda s: s.id)


def _time(router: Router, a: int, b: int, profile: Profile | None) -> float:
    try:
        return router.route(a, b, profile).time_s
    except RoutingError:
        return math.inf


def _choose(
    inputs: PlanningInputs,
    mv: Movement,
    origin: str,
    ashore: Sequence[Discharged],
    country: str,
    routers: Routers,
    anywhere: Routers,
) -> Handover:
    """Choose the crossing through which ``mv`` reaches its destination abroad first."""
    sites, scenario = inputs.sites, inputs.scenario
    mode = "rail" if mv.mode == "rail" else "road"
    node = "node_road" if mode == "road" else "node_rail"
    vehicles = [inputs.catalogue[d.vehicle] for d in ashore]
    speed = min([scenario.policy.convoy_speed_kmh, *(v.road_speed_kmh for v in vehicles)])
    profile = Profile.of(mv.unit, vehicles, speed) if mode == "road" else None
    # where the unit sets off in the territory, and when (rail: from its quay)
    start = min((d.ready_s for d in ashore), default=0.0)
    here = sites[origin]
    if mode == "rail" and mv.quay is not None:
        here = sites[mv.quay]
    elif mv.via is not None:
        start += _time(routers["road"], here.node_road, sites[mv.via.site].node_road, profile)
        start += mv.via.dwell_h * 3600.0
        here = sites[mv.via.site]
    dest = sites[mv.to]
    tried: list[tuple[float, str, str]] = []
    for c in _candidates(sites, mode, country):
        inside = _time(routers[mode], getattr(here, node), getattr(c, node), profile)
        at = _open_at(inputs.closures.site.get(c.id), start + inside)
        on = _time(anywhere[mode], getattr(c, node), getattr(dest, node), profile)
        total = at + on
        if math.isinf(inside):
            why = f"no {mode} route to it inside {scenario.policy.territory}"
        elif math.isinf(at):
            why = "closed until further notice"
        elif math.isinf(on):
            why = f"no {mode} route on to {mv.to}"
        else:
            wait = at - start - inside
            why = f"~{(total - start) / 3600:.1f} h to {mv.to}" + (
                f" (waits {wait / 3600:.1f} h for it to open)" if wait > 1.0 else ""
            )
        tried.append((total, c.id, why))
    if not tried:
        msg = (
            f"movement of unit '{mv.unit}': '{mv.to}' lies in {country or 'no known country'}, outside "
            f"{inputs.scenario.policy.territory}, and the overlay has no {mode} border crossing to hand it "
            "over at; add one (kind border_crossing with its modes and neighbour), or add the country to "
            "policy.foreign_roads"
        )
        raise InfeasibleError(msg)
    tried.sort()
    best_t, best, _ = tried[0]
    said = "; ".join(f"{cid}: {why}" for _, cid, why in tried)
    if math.isinf(best_t):
        msg = (
            f"movement of unit '{mv.unit}' to '{mv.to}' ({country}): no open {mode} border crossing can be "
            f"reached inside {inputs.scenario.policy.territory} and left towards it ({said}); reopen a "
            "crossing, change the destination, or allow the neighbour's roads (policy.foreign_roads)"
        )
        raise InfeasibleError(msg)
    reason = f"chosen: reaches '{mv.to}' first among {said}"
    return Handover(mv.unit, best, mv.to, _neighbour(sites[best]), mode, reason)


def resolve_handovers(
    inputs: PlanningInputs, ashore: Mapping[str, Sequence[Discharged]], routers: Routers
) -> tuple[Scenario, dict[str, Handover]]:
    """Hand every movement bound abroad over at a border crossing.

    Parameters
    ----------
    inputs
        The scenario on its network, with the closures in force (crossings shut).
    ashore
        Each unit's vehicles as they come ashore (where and when each unit sets off).
    routers
        Routers that keep to the scenario's territory.

    Returns
    -------
    tuple of Scenario and dict
        The scenario with each such movement's ``to`` replaced by its crossing, and the
        hand-over of every unit that ends at a crossing (named or chosen), by unit.

    Raises
    ------
    InfeasibleError
        When a destination abroad has no border crossing of the movement's mode, or none
        that can be reached and is open, naming the unit and the crossings tried.
    """
    scenario, sites = inputs.scenario, inputs.sites
    territory: Territory = territory_of(scenario.policy)
    country = site_countries(inputs)
    anywhere = Routers(inputs.network)
    out: dict[str, Handover] = {}
    moves = []
    for mv in scenario.movements:
        dest = sites.get(mv.to)
        if dest is None:
            moves.append(mv)
            continue
        if dest.kind == BORDER_CROSSING:
            mode = "rail" if mv.mode == "rail" else "road"
            out[mv.unit] = Handover(mv.unit, mv.to, mv.to, _neighbour(dest), mode, "named by the scenario")
            moves.append(mv)
            continue
        where = country.get(mv.to, "")
        if where in territory.allowed:
            moves.append(mv)
            continue
        items = ashore.get(mv.unit, ())
        origin = mv.from_ or (items[0].site if items else mv.to)
        h = _choose(inputs, mv, origin, items, where, routers, anywhere)
        out[mv.unit] = h
        moves.append(mv.model_copy(update={"to": h.crossing}))
    return scenario.model_copy(update={"movements": moves}), out


def stray_site_warnings(inputs: PlanningInputs) -> list[str]:
    """Warn about every site the scenario uses that lies in the territory but snapped to a node abroad.

    Routes reach such a site's node across the border (see
    :meth:`~enablement.network.territory.Territory.stray_sites`); the fix is in the data.
    """
    sc = inputs.scenario
    used = sc.site_ids()
    territory = territory_of(sc.policy)
    countries = inputs.network.node_countries()
    out = []
    for mode in ("road", "rail"):
        for sid, node in sorted(territory.stray_sites(inputs.network, mode).items()):
            if sid in used and inputs.sites[sid].kind != BORDER_CROSSING:
                out.append(
                    f"site '{sid}' lies in {territory.home} but its {mode} node {node} is in "
                    f"{countries[node] or 'no country'}: routes to it run across the border; move the site "
                    f"or add the missing {mode} through an overlay"
                )
    return out
