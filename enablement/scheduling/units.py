"""March units: each unit's vehicles, once ashore, cut into columns of at most the policy size."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from ..network.sites import Site
from ..routing import Router
from ..scenario.schema import Movement
from ..vehicles import Profile, Vehicle
from .heavy import needs_carriage, rides_het
from .inputs import PlanningInputs
from .march import MarchUnit
from .reception import Discharged

__all__ = ["Carried", "Formation", "balanced_chunks", "column_length", "form_march_units"]

_T = TypeVar("_T")


def column_length(vehicles: Sequence[Vehicle], gap_m: float) -> float:
    """Length of a column: its vehicles' lengths plus the gaps between them."""
    return sum(v.length_m for v in vehicles) + gap_m * (len(vehicles) - 1)


def balanced_chunks(items: Sequence[_T], size: int) -> list[list[_T]]:
    """``items`` in order, cut into the fewest chunks of at most ``size``, balanced in length."""
    n = max(1, math.ceil(len(items) / size))
    base, extra = divmod(len(items), n)
    out, i = [], 0
    for k in range(n):
        step = base + (1 if k < extra else 0)
        out.append(list(items[i : i + step]))
        i += step
    return out


@dataclass(frozen=True)
class Carried:
    """A vehicle that rides a heavy equipment transporter.

    Attributes
    ----------
    movement
        Its unit's movement.
    origin
        Where the HET picks it up (the site the unit sets off from).
    to
        Where the HET delivers it: the movement's destination (road) or its loading
        quay (rail, where its train loads it).
    vehicle
        The vehicle as it came ashore.
    """

    movement: Movement
    origin: str
    to: str
    vehicle: Discharged


@dataclass
class Formation:
    """The march units formed, and the vehicles left to the HET shuttles."""

    march_units: list[MarchUnit] = field(default_factory=list)
    carried: list[Carried] = field(default_factory=list)


def form_march_units(
    inputs: PlanningInputs,
    ashore: Mapping[str, Sequence[Discharged]],
    modes: Mapping[str, str],
    router: Router | None = None,
) -> Formation:
    """Form the march units of every movement.

    A road unit marches from its origin (through its staging area) to its
    destination; a rail unit marches to its quay, unless it is there already.
    With HETs in the scenario, the vehicles that do not drive long distances
    (``long_move`` other than ``own``) are left to the shuttles: a road unit's to
    its destination, a rail unit's to its quay when the road there is longer than
    the tracked road distance (:func:`~.heavy.rides_het`); the others march.
    A unit's vehicles are cut, in the order they come ashore, into the fewest
    balanced march units of at most ``policy.march_unit_max_vehicles``; five
    march units make a serial.

    Parameters
    ----------
    inputs
        The scenario (movements, policy, resources) on its network.
    ashore
        Vehicles of each unit as they come ashore (reception).
    modes
        Each unit's mode.
    router
        Road router that measures a rail unit's drive to its quay (the plan's keeps to
        the territory); without one, no rail unit rides HETs.

    Returns
    -------
    Formation
        March units in movement order, and the vehicles carried by HET.
    """
    scenario, sites, catalogue, clock = inputs.scenario, inputs.sites, inputs.catalogue, inputs.clock
    pol = scenario.policy
    out = Formation()
    for mv in scenario.movements:
        items = list(ashore[mv.unit])
        origin = mv.from_ or items[0].site
        sites_seq: list[str] = [origin]
        dwell: list[float] = []
        if mv.via is not None:
            sites_seq.append(mv.via.site)
            dwell.append(mv.via.dwell_h * 3600.0)
        mode = modes[mv.unit]
        end = mv.quay if mode == "rail" else mv.to
        assert end is not None
        sites_seq.append(end)
        if len(sites_seq) == 2 and _road_node(sites, origin) == _road_node(sites, end):
            continue  # rail unit already at its quay
        vehicles = [catalogue[d.vehicle] for d in items]
        if rides_het(mv.unit, mode, sites_seq, vehicles, pol, scenario.resources.hets, sites, router):
            # vehicles that do not drive long distances go by HET, the others march
            by_het = [needs_carriage(catalogue[d.vehicle]) for d in items]
            out.carried += [Carried(mv, origin, end, d) for d, c in zip(items, by_het, strict=True) if c]
            items = [d for d, c in zip(items, by_het, strict=True) if not c]
            if not items:
                continue
        for k, chunk in enumerate(balanced_chunks(items, pol.march_unit_max_vehicles), start=1):
            vs = [catalogue[d.vehicle] for d in chunk]
            out.march_units.append(
                MarchUnit(
                    id=f"{mv.unit}/{k:02d}",
                    unit=mv.unit,
                    index=k,
                    serial=(k - 1) // 5 + 1,
                    vehicles=tuple(d.vehicle for d in chunk),
                    release_s=max(d.ready_s for d in chunk),
                    ashore_s=min(d.ready_s if d.start_s is None else d.start_s for d in chunk),
                    sites=tuple(sites_seq),
                    dwell_s=tuple(dwell),
                    rdd_s=clock.seconds(mv.rdd),
                    profile=Profile.of(mv.unit, vs, pol.convoy_speed_kmh),
                    length_m=column_length(vs, pol.vehicle_gap_m),
                    priority=mv.priority,
                    purpose="to_quay" if mode == "rail" else "road",
                )
            )
    return out


def _road_node(sites: Mapping[str, Site], sid: str) -> int | None:
    """Road node of a site, or None when it is not on the road network (or unknown)."""
    site = sites.get(sid)
    return site.node_road if site is not None and site.on_road else None
