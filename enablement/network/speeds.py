"""How fast a column may march on each edge: convoy speeds by road class, capped by the road and the column.

This module is the one place that computes a column's speed on an edge. The
router's travel times (:meth:`~enablement.network.arrays.GraphArrays.weights_ms`),
the road march problem that the greedy and CP-SAT schedulers share
(:class:`~enablement.scheduling.march.MarchProblem`) and, through the router, the
schedule checker all read it.

A column's speed on a road edge is the lowest of

1. the **convoy speed of the road's class** (:data:`ROAD_CLASSES`, planning
   figures ``convoy_speed_<class>_kmh``: US Army FM 11-43 §5-2 planning speeds by
   road type, the trunk/primary one illustrative), where the network knows the
   class;
2. the **road's own speed** (its ``speed_kmh``: a signed limit or the default of
   its class, and an overlay's ``maxspeed_kmh``);
3. the **column's speed** (:attr:`~enablement.vehicles.Profile.speed_kmh`: its
   slowest vehicle's road speed and the scenario's policy speed
   ``policy.convoy_speed_kmh``).

The road class comes from the edges' ``highway`` column (OpenStreetMap's tag;
the Wegenregister reader and the overlays' ``roads`` layer write the same
classes). A network without it (the embedded ``scgraph-data`` network has no
road class) keeps the single figure: every road runs at the column's policy
speed, capped by the road's own speed, and :func:`road_class_note` says so.
Rail and transfer edges run at their own speed, capped by the profile.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..defaults import figure

__all__ = [
    "HIGHWAY_CLASS",
    "ROAD_CLASSES",
    "class_speeds_kmh",
    "column_speed_kmh",
    "march_speed_kmh",
    "road_class",
    "road_class_note",
]

ROAD_CLASSES = ("motorway", "trunk_primary", "secondary", "other")
"""Road classes with a convoy speed (planning figure ``convoy_speed_<class>_kmh``)."""

HIGHWAY_CLASS: dict[str, str] = {
    "motorway": "motorway",
    "motorway_link": "trunk_primary",
    "trunk": "trunk_primary",
    "primary": "trunk_primary",
    "trunk_link": "secondary",
    "primary_link": "secondary",
    "secondary": "secondary",
}
"""OSM ``highway`` value → road class; a ramp (``_link``) takes the class below its road's, and every
other ``highway`` value (tertiary, secondary_link, residential, service, …) is ``other``."""


def class_speeds_kmh() -> dict[str, float]:
    """Return the convoy speed of each road class (planning figures ``convoy_speed_<class>_kmh``)."""
    return {c: float(figure(f"convoy_speed_{c}_kmh")) for c in ROAD_CLASSES}


def road_class(edges: pd.DataFrame) -> np.ndarray:
    """Road class of each edge row (:data:`ROAD_CLASSES`), ``None`` where the network has none.

    Parameters
    ----------
    edges
        Network edges; the class is read from their ``highway`` column (absent, empty or
        not text: unknown). Rail and transfer edges have none.

    Returns
    -------
    numpy.ndarray
        Object array, one class or ``None`` per row.
    """
    out: np.ndarray = np.full(len(edges), None, dtype=object)
    if "highway" not in edges.columns or len(edges) == 0:
        return out
    codes, uniques = pd.factorize(edges["highway"], use_na_sentinel=True)
    lut = np.array(
        [HIGHWAY_CLASS.get(u.strip(), "other") if isinstance(u, str) and u.strip() else None for u in uniques]
        + [None],
        dtype=object,
    )
    out = lut[codes]  # the NA sentinel -1 takes the last entry: None
    out[edges["mode"].to_numpy() != "road"] = None
    return out


def march_speed_kmh(edges: pd.DataFrame) -> np.ndarray:
    """Fastest a column may march on each edge row before its own cap (vehicles, policy), km/h.

    Parameters
    ----------
    edges
        Network edges with ``mode`` and ``speed_kmh`` (and ``highway``, ``maxspeed_kmh`` where known).

    Returns
    -------
    numpy.ndarray
        float64 per row: the class's convoy speed where the class is known (road edges),
        never above the edge's own speed; the edge's own speed elsewhere; ``inf`` where
        the edge has no usable speed and no class (then only the column's cap applies).
    """
    speed: np.ndarray = edges["speed_kmh"].to_numpy(np.float64).copy()
    speed[~(np.isfinite(speed) & (speed > 0))] = np.inf
    if "maxspeed_kmh" in edges.columns:
        signed = pd.to_numeric(edges["maxspeed_kmh"], errors="coerce").to_numpy(np.float64)
        ok = np.isfinite(signed) & (signed > 0)
        speed[ok] = np.minimum(speed[ok], signed[ok])
    classes = road_class(edges)
    by_class = class_speeds_kmh()
    for cls, kmh in by_class.items():
        hit = classes == cls
        speed[hit] = np.minimum(speed[hit], kmh)
    return speed


def column_speed_kmh(march_kmh: np.ndarray, cap_kmh: float) -> np.ndarray:
    """Speed of a column on edges of march speed ``march_kmh`` (:func:`march_speed_kmh`) at cap ``cap_kmh``.

    ``cap_kmh`` is the column's own speed (:attr:`~enablement.vehicles.Profile.speed_kmh`: the
    slowest vehicle's and the policy's); the result is the lower of the two, per edge.
    """
    out: np.ndarray = np.minimum(march_kmh, cap_kmh)
    return out


def road_class_note(edges: pd.DataFrame) -> str:
    """Say how much of the road network has a class, and so a convoy speed of its own (for reports)."""
    road = edges["mode"].to_numpy() == "road"
    if "u" in edges.columns and "v" in edges.columns:  # a two-way road is two rows: count it once
        u, v = edges["u"].to_numpy(), edges["v"].to_numpy()
        links = pd.DataFrame(
            {"lo": np.minimum(u, v), "hi": np.maximum(u, v), "m": edges["length_m"].to_numpy().round(1)}
        )
        road &= ~links.duplicated().to_numpy()
    km = edges["length_m"].to_numpy()[road]
    total = float(km.sum())
    classes = road_class(edges)[road]
    known = classes != None  # noqa: E711 - elementwise on an object array
    if total <= 0 or not known.any():
        return (
            "the network has no road class: columns march at their policy speed (policy.convoy_speed_kmh) "
            "on every road, capped by their slowest vehicle and the road's own speed"
        )
    share = float(km[known].sum()) / total
    parts = ", ".join(
        f"{c} {float(km[classes == c].sum()) / 1000.0:.0f} km at {v:g} km/h"
        for c, v in class_speeds_kmh().items()
    )
    return (
        f"{share:.0%} of the road km has a road class with a convoy speed ({parts}); the rest runs "
        "at the policy speed; every speed is capped by the column's slowest vehicle, its policy speed "
        "and the road's own speed"
    )
