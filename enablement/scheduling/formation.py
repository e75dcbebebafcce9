"""Train formation: vehicles onto heavy flat wagons, wagons into trains.

Rules (figures in ``enablement/data/rail.yaml``, each with its source):

- **Vehicles to wagons**, per unit and in order of arrival at the quay (the first
  to arrive load first): a vehicle joins the current wagon when the deck still has
  room for its length (plus a gap between vehicles), the payload for its mass, and
  the axle load stays within the line limit ``(tare + load) / axles``; otherwise it
  opens a new wagon. A vehicle heavier than the wagon's payload, or longer than its
  deck, cannot go by rail: :class:`~enablement.errors.InfeasibleError` names it.
- **Out-of-gauge**: a vehicle wider than the wagon's deck width (the static gauge
  width) is flagged; its wagon and train are out-of-gauge (exceptional
  consignments, which need a permitted route).
- **Wagons to trains**, per unit: a train holds at most as many wagons as fit in
  the maximum train length less the locomotive, on the quay's usable length, and
  within the gross mass its locomotive may haul. A unit's wagons are split into
  the fewest trains, balanced, in arrival order, so a unit (and within it the
  vehicles that arrive together) stays on as few trains as possible.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..errors import InfeasibleError
from ..rolling_stock import RailData, WagonType, rail_data

__all__ = [
    "FormedTrain",
    "Load",
    "Wagon",
    "assign_wagon_types",
    "form_trains",
    "load_wagons",
]


@dataclass(frozen=True)
class Load:
    """One vehicle to carry: its type, dimensions and when it is ready at the quay (s)."""

    vehicle: str
    mass_t: float
    length_m: float
    width_m: float
    ready_s: float


@dataclass(frozen=True)
class Wagon:
    """A loaded wagon: positions of its loads in the group, mass and deck length used."""

    type: str
    loads: tuple[int, ...]
    load_t: float
    deck_used_m: float
    out_of_gauge: bool


@dataclass(frozen=True)
class FormedTrain:
    """A formed train, before scheduling.

    Attributes
    ----------
    id
        ``<unit>/<k>``.
    unit, quay, destination
        Unit and site ids.
    wagons
        Its wagons, each with its loads.
    vehicles
        Vehicle types, in loading order.
    ready_s
        When its last vehicle is at the quay (s since the scenario start).
    length_m, gross_t
        Train length (wagons and locomotive) and gross mass (tare and loads).
    out_of_gauge
        True when a load is wider than the wagon's gauge width.
    """

    id: str
    unit: str
    quay: str
    destination: str
    wagons: tuple[Wagon, ...]
    vehicles: tuple[str, ...]
    ready_s: float
    length_m: float
    gross_t: float
    out_of_gauge: bool

    @property
    def n_wagons(self) -> int:
        """Number of wagons."""
        return len(self.wagons)


def load_wagons(loads: Sequence[Load], wagon: WagonType, data: RailData | None = None) -> list[Wagon]:
    """Put vehicles onto wagons of one type, in the order given (next fit).

    Raises
    ------
    InfeasibleError
        Naming the first vehicle that no wagon of this type can carry.
    """
    data = data or rail_data()
    axle_cap = data.max_axle_load_t * wagon.axles - wagon.tare_t
    payload = min(wagon.payload_t, axle_cap)
    out: list[Wagon] = []
    cur: list[int] = []
    mass = deck = 0.0
    wide = False
    for i, ld in enumerate(loads):
        if ld.mass_t > payload:
            why = "its payload" if payload == wagon.payload_t else f"{data.max_axle_load_t:g} t per axle"
            msg = (
                f"a {ld.vehicle} ({ld.mass_t:g} t) is too heavy for every {wagon.name} "
                f"({payload:g} t within {why}); it cannot go by rail on this wagon type"
            )
            raise InfeasibleError(msg)
        if ld.length_m > wagon.deck_length_m:
            msg = (
                f"a {ld.vehicle} ({ld.length_m:g} m) is longer than the {wagon.deck_length_m:g} m deck "
                f"of a {wagon.name}"
            )
            raise InfeasibleError(msg)
        need = ld.length_m + (data.loading_gap_m if cur else 0.0)
        if cur and (deck + need > wagon.deck_length_m or mass + ld.mass_t > payload):
            out.append(Wagon(wagon.id, tuple(cur), mass, deck, wide))
            cur, mass, deck, wide = [], 0.0, 0.0, False
            need = ld.length_m
        cur.append(i)
        mass += ld.mass_t
        deck += need
        wide = wide or ld.width_m > wagon.deck_width_m
    if cur:
        out.append(Wagon(wagon.id, tuple(cur), mass, deck, wide))
    return out


def form_trains(
    unit: str,
    quay: str,
    destination: str,
    loads: Sequence[Load],
    *,
    usable_length_m: float = math.inf,
    wagon_type: str = "heavy_flat_6axle",
    locomotive: str = "multi_system",
    data: RailData | None = None,
    first: int = 1,
) -> list[FormedTrain]:
    """Form the trains of one unit's rail move.

    Parameters
    ----------
    unit, quay, destination
        Unit and site ids.
    loads
        The unit's vehicles at the quay.
    usable_length_m
        The quay's usable length: a train's wagons must stand along it.
    wagon_type, locomotive
        Types from the rail data file.
    data
        Rail figures (default: the packaged ones).
    first
        Number of the first train (ids are ``<unit>/<number>``).

    Returns
    -------
    list of FormedTrain
        In order of readiness.

    Raises
    ------
    InfeasibleError
        Naming the cause: a vehicle no wagon carries, a quay too short for one
        wagon, an unknown wagon or locomotive type.
    """
    data = data or rail_data()
    if wagon_type not in data.wagons:
        msg = f"unknown wagon type '{wagon_type}'; known: {', '.join(data.wagons)}"
        raise InfeasibleError(msg)
    if locomotive not in data.locomotives:
        msg = f"unknown locomotive type '{locomotive}'; known: {', '.join(data.locomotives)}"
        raise InfeasibleError(msg)
    wt = data.wagons[wagon_type]
    loco = data.locomotives[locomotive]
    if not loads:
        return []
    order = sorted(range(len(loads)), key=lambda i: (loads[i].ready_s, i))
    ordered = [loads[i] for i in order]
    wagons = load_wagons(ordered, wt, data)
    by_length = int((data.max_length_m - loco.length_m) // wt.length_m)
    by_quay = by_length if math.isinf(usable_length_m) else int(usable_length_m // wt.length_m)
    if by_quay < 1:
        msg = (
            f"quay '{quay}' ({usable_length_m:.0f} m usable) is too short for one {wt.length_m:g} m "
            f"{wt.name}; unit '{unit}' cannot load there"
        )
        raise InfeasibleError(msg)
    gross_cap = min(data.max_gross_t, loco.max_train_t)
    heaviest = max(wt.tare_t + w.load_t for w in wagons)
    by_mass = int(gross_cap // heaviest)
    cap = max(1, min(by_length, by_quay, by_mass))
    n_trains = math.ceil(len(wagons) / cap)
    base, extra = divmod(len(wagons), n_trains)
    trains = []
    start = 0
    for k in range(n_trains):
        size = base + (1 if k < extra else 0)
        chunk = wagons[start : start + size]
        start += size
        idx = [i for w in chunk for i in w.loads]
        trains.append(
            FormedTrain(
                id=f"{unit}/{first + k}",
                unit=unit,
                quay=quay,
                destination=destination,
                wagons=tuple(chunk),
                vehicles=tuple(ordered[i].vehicle for i in idx),
                ready_s=max(ordered[i].ready_s for i in idx),
                length_m=len(chunk) * wt.length_m + loco.length_m,
                gross_t=sum(wt.tare_t + w.load_t for w in chunk),
                out_of_gauge=any(w.out_of_gauge for w in chunk),
            )
        )
    return trains


def assign_wagon_types(
    loads: Sequence[Load], pools: Mapping[str, int], data: RailData | None = None
) -> dict[str, list[Load]]:
    """Give each vehicle the lightest wagon type (with a pool) that carries it.

    Heavy vehicles go to the heavy wagons and the rest to lighter ones, so the
    scarce heavy flats are kept for the loads that need them.

    Raises
    ------
    InfeasibleError
        Naming a vehicle that no wagon type of the pools carries.
    """
    data = data or rail_data()
    types = sorted(
        (data.wagons[k] for k, n in pools.items() if n > 0), key=lambda w: (w.payload_t, w.deck_length_m)
    )
    if not types:
        msg = "rail movements need wagons (resources.wagons or resources.wagon_pools)"
        raise InfeasibleError(msg)
    out: dict[str, list[Load]] = {}
    for ld in loads:
        for w in types:
            payload = min(w.payload_t, data.max_axle_load_t * w.axles - w.tare_t)
            if ld.mass_t <= payload and ld.length_m <= w.deck_length_m:
                out.setdefault(w.id, []).append(ld)
                break
        else:
            load_wagons([ld], types[-1], data)  # raises with the cause (mass or length)
    return out
