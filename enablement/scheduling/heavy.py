"""Heavy equipment rules of the road march: how far tracked vehicles may drive on their own tracks.

Tracked vehicles make long moves by rail or on heavy equipment transporters (HETs);
on their tracks they drive at most ``policy.tracked_road_max_km`` (default: the
planning figure ``tracked_road_max_km``, an illustrative value, see its source). The
limit is data of the road march rules (:attr:`~.march.MarchRules.tracked_road_max_m`),
read here for the plan and by the checker for any march table
(:func:`~.checks.check_march_table`, from the table's ``tracked`` column).

Where the limit is decided: :func:`rides_het`, called as march units are formed
(:func:`~.units.form_march_units`), puts the vehicles that do not drive long
distances (:func:`needs_carriage`) on HETs when the scenario has HETs and

- the unit moves by road (to its destination), or
- the unit moves by rail and its road route to its quay (from where it sets off,
  through its staging area) is longer than the limit (to its quay; the trains load
  them once they are off the HETs).

``mode: auto`` sends tracked units by rail unless HETs carry them to their destination
(:func:`~.mode.choose_mode`). What is left (a movement without HETs, or a rail unit's
drive within the limit as routed here but longer as scheduled) is measured on the route
the schedule gives each march unit; beyond the limit it is a violation that names the unit.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..errors import RoutingError
from ..network.sites import Site
from ..routing import Router
from ..scenario.schema import Policy
from ..vehicles import Profile, Vehicle
from .march import MarchRules, MarchSchedule, MarchUnit

__all__ = [
    "TrackedExcess",
    "excess_warnings",
    "needs_carriage",
    "rides_het",
    "road_length_m",
    "tracked_excess",
    "tracked_on_tracks",
]

_FIXES = (
    "carry them by HET (give the scenario resources.hets: HETs carry them to their destination by road, "
    "or to their quay by rail when it lies beyond the limit), load them by rail at a nearer quay, "
    "or set a larger limit in the scenario's policy"
)
"""The ways to fix an excess, for the messages."""

_EPS_KM = 0.05
"""Tolerance (km): the march table rounds distances to 10 m."""


@dataclass(frozen=True)
class TrackedExcess:
    """A march unit whose tracked vehicles drive farther on their tracks than the policy allows.

    Attributes
    ----------
    unit, march_unit
        The unit and its march unit.
    tracked
        Tracked vehicles in the march unit.
    km
        Road distance the march unit drives.
    limit_km
        The policy limit.
    start, end
        Where the drive starts and ends (site ids).
    """

    unit: str
    march_unit: str
    tracked: int
    km: float
    limit_km: float
    start: str
    end: str

    @property
    def message(self) -> str:
        """The violation in words, with the ways to fix it."""
        return (
            f"unit {self.unit}: march unit {self.march_unit} drives {self.tracked} tracked vehicles "
            f"{self.km:.1f} km on their tracks from {self.start} to {self.end}, over the "
            f"{self.limit_km:g} km limit (policy.tracked_road_max_km); "
            f"{_FIXES}"
        )


def needs_carriage(vehicle: Vehicle) -> bool:
    """Whether a vehicle makes long moves carried (``long_move`` other than ``own`` in the catalogue)."""
    return vehicle.long_move != "own"


def road_length_m(
    stops: Sequence[str], profile: Profile, sites: Mapping[str, Site], router: Router
) -> float | None:
    """Road distance (m) of the fastest route through ``stops`` in turn, for ``profile``.

    Parameters
    ----------
    stops
        Site ids, in the order they are visited.
    profile
        The vehicles' needs.
    sites
        The network's sites.
    router
        Road router (the plan's keeps to the territory).

    Returns
    -------
    float or None
        The sum of the legs' lengths; None when a stop is not on the road network or no
        road route joins two of them (the march problem then reports it).
    """
    nodes = []
    for sid in stops:
        site = sites.get(sid)
        if site is None or not site.on_road:
            return None
        nodes.append(site.node_road)
    total = 0.0
    for a, b in itertools.pairwise(nodes):
        if a == b:
            continue
        try:
            total += router.route(a, b, profile).length_m
        except RoutingError:
            return None
    return total


def rides_het(
    unit: str,
    mode: str,
    stops: Sequence[str],
    vehicles: Sequence[Vehicle],
    policy: Policy,
    hets: int,
    sites: Mapping[str, Site],
    router: Router | None,
) -> bool:
    """Whether a unit's vehicles that need carriage (:func:`needs_carriage`) ride HETs.

    With HETs in the scenario they do for a road movement (to its destination) and
    for a rail movement whose road route to its quay is longer than the tracked
    road distance (``policy.tracked_road_max_km``, with the checker's tolerance); the
    route is the fastest through ``stops`` for the profile of all the unit's vehicles.

    Parameters
    ----------
    unit
        The unit (names the profile).
    mode
        The unit's mode, ``road`` or ``rail``.
    stops
        Where the unit's march goes: its origin, its staging area if any, and its
        destination (road) or quay (rail).
    vehicles
        The unit's vehicles.
    policy
        The scenario's policy (the limit, the convoy speed).
    hets
        HETs in the scenario (``resources.hets``).
    sites
        The network's sites.
    router
        Road router for the drive to the quay; without one, rail units never ride HETs.

    Returns
    -------
    bool
        True when the vehicles that need carriage ride HETs, the others march.
    """
    if hets <= 0 or not any(needs_carriage(v) for v in vehicles):
        return False
    if mode == "road":
        return True
    if mode != "rail" or router is None:
        return False
    profile = Profile.of(unit, vehicles, policy.convoy_speed_kmh)
    length = road_length_m(stops, profile, sites, router)
    return length is not None and length / 1000.0 > policy.tracked_road_max_km + _EPS_KM


def excess_warnings(excess: Sequence[TrackedExcess]) -> list[str]:
    """One violation per unit, in words: its tracked vehicles, march units, farthest drive and the fixes."""
    out = []
    for unit in dict.fromkeys(x.unit for x in excess):
        xs = [x for x in excess if x.unit == unit]
        far = max(xs, key=lambda x: x.km)
        out.append(
            f"unit {unit}: {sum(x.tracked for x in xs)} tracked vehicles in {len(xs)} march unit(s) drive "
            f"up to {far.km:.1f} km on their tracks from {far.start} to {far.end}, over the "
            f"{far.limit_km:g} km limit (policy.tracked_road_max_km); "
            f"{_FIXES}"
        )
    return out


def tracked_on_tracks(mu: MarchUnit, catalogue: Mapping[str, Vehicle]) -> int:
    """Tracked vehicles that drive on their own tracks in a march unit (none in a HET column).

    A type the catalogue does not know (a hand-made test unit) counts as wheeled.
    """
    if mu.purpose == "het":
        return 0
    return sum(v in catalogue and catalogue[v].tracked for v in mu.vehicles)


def tracked_excess(
    march_units: Sequence[MarchUnit],
    march: MarchSchedule,
    catalogue: Mapping[str, Vehicle],
    rules: MarchRules,
) -> list[TrackedExcess]:
    """March units whose tracked vehicles drive beyond the policy's road distance, on their scheduled routes.

    Parameters
    ----------
    march_units
        The plan's march units.
    march
        The road schedule (each march unit's route, leg by leg).
    catalogue
        The vehicle catalogue (which vehicles are tracked).
    rules
        The road march rules (the limit).

    Returns
    -------
    list of TrackedExcess
        In march-unit order; empty when every tracked vehicle keeps within the limit.
    """
    limit_km = rules.tracked_road_max_m / 1000.0
    out = []
    for mu in march_units:
        n = tracked_on_tracks(mu, catalogue)
        if n == 0:
            continue
        km = sum(r.length_m for (mid, _leg), r in march.routes.items() if mid == mu.id) / 1000.0
        if km > limit_km + _EPS_KM:
            out.append(TrackedExcess(mu.unit, mu.id, n, round(km, 1), limit_km, mu.sites[0], mu.sites[-1]))
    return out
