"""Mode choice: whether each unit moves on by road or by rail."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..errors import InfeasibleError
from ..network.sites import Site
from ..rolling_stock import rail_data
from ..routing import Routers
from ..scenario.schema import Movement, Scenario
from ..vehicles import Profile, Vehicle
from .formation import Load, form_trains
from .heavy import needs_carriage
from .inputs import PlanningInputs
from .rail import QuaySpec, loading_minutes
from .units import column_length

__all__ = ["ModeChoice", "choose_mode"]


@dataclass(frozen=True)
class ModeChoice:
    """A unit's mode (``road`` or ``rail``) and why it was chosen."""

    mode: str
    reason: str


def _options(
    mv: Movement, vehicles: Sequence[Vehicle], scenario: Scenario, dest: Site
) -> tuple[bool, bool, int]:
    """Whether rail and road are options for a movement, and how many vehicles need carriage."""
    res = scenario.resources
    carried = sum(needs_carriage(v) for v in vehicles)
    rail_ok = bool(mv.quay) and res.any_wagons and res.any_locomotives and dest.on_rail
    road_ok = carried <= res.hets and dest.on_road
    if not rail_ok and not road_ok and not dest.on_road and mv.quay:
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
    return rail_ok, road_ok, carried


def _estimates(
    mv: Movement,
    vehicles: Sequence[Vehicle],
    scenario: Scenario,
    origin: str,
    sites: Mapping[str, Site],
    routers: Routers,
) -> tuple[float, float]:
    """Estimated closure (s) of a movement by rail and by road, from the start of its move."""
    assert mv.quay is not None
    speed = min([scenario.policy.convoy_speed_kmh, *(v.road_speed_kmh for v in vehicles)])
    profile = Profile.of(mv.unit, vehicles, speed)
    road = routers["road"]
    road_t = road.route(sites[origin].node_road, sites[mv.to].node_road, profile).time_s
    pass_t = column_length(vehicles, scenario.policy.vehicle_gap_m) / (speed / 3.6)
    data = rail_data()
    quay = sites[mv.quay]
    to_quay = (
        0.0
        if sites[origin].node_road == quay.node_road
        else road.route(sites[origin].node_road, quay.node_road, profile).time_s
    )
    loads = [Load(v.id, v.mass_t, v.length_m, v.width_m, 0.0) for v in vehicles]
    trains = form_trains(mv.unit, mv.quay, mv.to, loads, data=data)
    spec = QuaySpec.from_site(quay, None, data)
    per_train = [60.0 * loading_minutes(t, spec, data) for t in trains]
    rounds = math.ceil(len(trains) / spec.ramp_tracks)
    rail_run = routers["rail"].route(quay.node_rail, sites[mv.to].node_rail).time_s
    # a train handed over at a border point unloads nowhere in the plan
    unload = (
        0.0 if sites[mv.to].kind == "border_crossing" and mv.railhead is None else data.unloading_time_min
    )
    rail_t = to_quay + pass_t + rounds * max(per_train) + rail_run + unload * 60
    return rail_t, road_t + pass_t


def choose_mode(
    inputs: PlanningInputs, mv: Movement, vehicles: Sequence[Vehicle], origin: str, routers: Routers
) -> ModeChoice:
    """Mode of a movement and the reason; ``auto`` is decided by estimated closure and resource use.

    The rule for ``auto`` (per unit):

    1. Vehicles that make long moves by rail or HET (``long_move`` in the catalogue)
       cannot drive themselves: by road they need one HET each. Without enough HETs
       the road is not an option; without a quay, wagons or locomotives rail is not.
    2. Where both are options, each is estimated: road = the column's route time at
       the convoy speed from origin to destination plus the time for the column to
       pass; rail = road to the quay, loading its trains on the quay's ramp tracks
       (setup plus wagons over the loading rate, trains in turn per track), the
       rail run and unloading. The earlier estimate wins. (The road to the quay is
       estimated at the column's speed even when HETs carry the unit's vehicles there,
       beyond the tracked road distance: :func:`~.heavy.rides_het`.)
    3. Within 10 % of each other, tracked units take rail (it spares HETs, roads and
       bridges) and wheeled units take the road (it spares the wagon pool).

    Parameters
    ----------
    inputs
        The scenario (resources, policy) on its network.
    mv
        The movement.
    vehicles
        Its vehicles, in the order they come ashore.
    origin
        The site the unit starts from.
    routers
        Road and rail routers of the network.

    Returns
    -------
    ModeChoice
        ``road`` or ``rail`` with the reason in words.
    """
    if mv.mode != "auto":
        return ModeChoice(mv.mode, "set in the scenario")
    scenario, sites = inputs.scenario, inputs.sites
    dest = sites[mv.to]
    rail_ok, road_ok, carried = _options(mv, vehicles, scenario, dest)
    if not rail_ok:
        return ModeChoice("road", "auto: no quay, wagons or locomotives for rail")
    if not road_ok:
        if not dest.on_road:
            return ModeChoice("rail", f"auto: '{mv.to}' is on the rail network only")
        return ModeChoice(
            "rail", f"auto: {carried} vehicles need carriage and only {scenario.resources.hets} HETs"
        )
    rail_t, road_total = _estimates(mv, vehicles, scenario, origin, sites, routers)
    tracked = any(v.tracked for v in vehicles)
    if abs(rail_t - road_total) <= 0.1 * min(rail_t, road_total):
        mode = "rail" if tracked else "road"
        why = "tracked units go by rail" if tracked else "wheeled units drive"
    else:
        mode = "rail" if rail_t < road_total else "road"
        why = "earlier"
    return ModeChoice(
        mode, f"auto: rail ~{rail_t / 3600:.1f} h, road ~{road_total / 3600:.1f} h; {mode} ({why})"
    )
