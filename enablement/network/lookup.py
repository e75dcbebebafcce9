"""What a user names on a network: a place (a site or a ``lon,lat`` point) and what to close.

The command line and the scenario's disruptions name places and closures the same
way, and this module turns each into network elements:

- a *place* is a site id (its road or rail node) or a ``lon,lat`` point in the
  network's area (:meth:`~enablement.network.model.Network.nearest_node`);
- a *closure* is a site (its road and rail nodes: nothing enters or leaves them), a
  bridge id (every edge row that carries it), an edge row (``edge:N`` or ``N``, the
  row in ``network.edges`` that :class:`~enablement.routing.Router` counts; both
  directions of that road), or a ``lon,lat`` point (both directions of the road edge
  nearest it, as a scenario's ``close_road`` disruption).

Every failure is a :class:`~enablement.errors.NetworkError` naming the input
(``what``: a flag such as ``--close``, or a scenario field) and the fix.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import NetworkError
from ..limits import MATRIX_PLACES
from .model import CRS, Network

__all__ = [
    "Closed",
    "bridge_rows",
    "parse_lonlat",
    "read_places_csv",
    "resolve_closure",
    "resolve_place",
    "road_rows_near",
    "site_nodes",
    "twin_rows",
]

_EDGE = re.compile(r"(?:edge:)?(\d+)")


@dataclass(frozen=True)
class Closed:
    """Network elements one closure shuts.

    Attributes
    ----------
    label
        What was closed, in words (``bridge bridge-e40-cheratte``, ``edge 12``).
    edges
        Edge rows closed.
    nodes
        Nodes closed (nothing may enter or leave them).
    """

    label: str
    edges: tuple[int, ...] = ()
    nodes: tuple[int, ...] = ()


def parse_lonlat(spec: str) -> tuple[float, float] | None:
    """``(lon, lat)`` of a ``"lon,lat"`` text, or None when the text is not two numbers."""
    parts = spec.split(",")
    if len(parts) != 2:
        return None
    try:
        lon, lat = (float(p) for p in parts)
    except ValueError:
        return None
    return lon, lat


def _site_list(network: Network) -> str:
    if not len(network.sites):
        return "the network has no sites (no overlay applied): give lon,lat points"
    return "sites: " + ", ".join(sorted(str(s) for s in network.sites.index))


def site_nodes(network: Network, site: str) -> tuple[int, ...]:
    """Return the road and rail nodes of a site (those it has), as a closure of the site shuts them."""
    row = network.sites.loc[site]
    return tuple(int(row[c]) for c in ("node_road", "node_rail") if c in row.index and int(row[c]) >= 0)


def bridge_rows(network: Network, bridge: str) -> tuple[int, ...]:
    """Every edge row carrying the bridge id ``bridge`` (empty when none does)."""
    return tuple(int(e) for e in np.flatnonzero((network.edges["bridge_id"] == bridge).to_numpy()))


def twin_rows(network: Network, row: int) -> tuple[int, ...]:
    """Return an edge row and the rows joining its nodes either way in its mode (the road both ways)."""
    e = network.edges
    u, v, mode = int(e["u"].iat[row]), int(e["v"].iat[row]), e["mode"].iat[row]
    both = (((e["u"] == u) & (e["v"] == v)) | ((e["u"] == v) & (e["v"] == u))) & (e["mode"] == mode)
    return tuple(int(i) for i in np.flatnonzero(both.to_numpy()))


def road_rows_near(network: Network, lon: float, lat: float) -> tuple[tuple[int, ...], shapely.Point]:
    """Both directions of the road edge nearest a WGS84 point, and the point in EPSG:3812.

    The caller checks first that the point is in the network's area
    (:meth:`~enablement.network.model.Network.nearest_node`).
    """
    edges = network.edges
    pt = gpd.GeoSeries([shapely.Point(lon, lat)], crs=4326).to_crs(CRS).iloc[0]
    road = np.flatnonzero((edges["mode"] == "road").to_numpy())
    if not road.size:
        msg = f"the point {lon:g},{lat:g}: the network has no road edges to close"
        raise NetworkError(msg)
    near = int(road[int(np.argmin(edges.geometry.iloc[road].distance(pt).to_numpy()))])
    return twin_rows(network, near), pt


def resolve_place(
    network: Network, spec: str, what: str, *, mode: str = "road", tolerance_m: float | None = None
) -> tuple[int, str]:
    """Find the node of ``mode`` a user names: a site id or a ``lon,lat`` point in the network's area.

    Parameters
    ----------
    network
        The network (with its overlay's sites, if any).
    spec
        A site id, or ``lon,lat`` in degrees.
    what
        The input, as the message names it (``"route origin"``, ``"--from"``).
    mode
        ``"road"`` or ``"rail"``.
    tolerance_m
        How far from a node a point may be (default: the network's ``point`` tolerance).

    Returns
    -------
    tuple of (int, str)
        The node, and the place's name (the site id, or ``lon,lat`` rounded to 4 decimals).

    Raises
    ------
    NetworkError
        An unknown site, a site off the ``mode`` network, text that is no place, or a
        point outside the network's area.
    """
    if spec in network.sites.index:
        column = f"node_{mode}"
        node = network.sites.loc[spec, column] if column in network.sites.columns else -1
        if not int(node) >= 0:
            other = "rail" if mode == "road" else "road"
            msg = (
                f"{what} '{spec}' is a site off the {mode} network ({other} only); route between {mode} sites"
            )
            raise NetworkError(msg)
        return int(node), spec
    point = parse_lonlat(spec)
    if point is None:
        msg = f"{what} '{spec}' is neither a site id nor 'lon,lat'; {_site_list(network)}"
        raise NetworkError(msg)
    lon, lat = point
    node, _ = network.nearest_node(
        lon,
        lat,
        mode=mode,
        tolerance_m=tolerance_m,
        what=what,
        fix="give a lon,lat inside it or a site id of the overlay",
    )
    return node, f"{lon:.4f},{lat:.4f}"


def resolve_closure(network: Network, spec: str, what: str = "--close") -> Closed:
    """Find the edges and nodes one closure names: a site, a bridge, an edge row or a ``lon,lat`` point.

    See the module docstring for the forms. A point must lie in the network's road area.

    Raises
    ------
    NetworkError
        Naming ``what``, the text, and the forms it may take.
    """
    text = spec.strip()
    if text in network.sites.index:
        return Closed(f"site {text}", nodes=site_nodes(network, text))
    if "bridge_id" in network.edges.columns and (rows := bridge_rows(network, text)):
        return Closed(f"bridge {text}", edges=rows)
    if (m := _EDGE.fullmatch(text)) is not None:
        row = int(m.group(1))
        if row >= network.n_edges:
            msg = (
                f"{what} '{spec}': the network has edge rows 0 to {network.n_edges - 1}; give one of them, "
                "a site or bridge id, or a lon,lat point"
            )
            raise NetworkError(msg)
        return Closed(f"edge {row}", edges=twin_rows(network, row))
    point = parse_lonlat(text)
    if point is None:
        bridges = sorted({str(b) for b in network.edges["bridge_id"].dropna()})
        known = f"bridges: {', '.join(bridges)}" if bridges else "the network has no bridge ids"
        msg = (
            f"{what} '{spec}' is not a site id, a bridge id, an edge row (edge:N) or a lon,lat point; "
            f"{_site_list(network)}; {known}"
        )
        raise NetworkError(msg)
    lon, lat = point
    network.nearest_node(
        lon, lat, mode="road", what=what, fix="give a point on a road of the network, or a site or bridge id"
    )
    rows, _ = road_rows_near(network, lon, lat)
    return Closed(f"road at {lon:.4f},{lat:.4f}", edges=rows)


_CSV_FORMS = (
    "a column 'place' (a site id or lon,lat) or columns 'lon' and 'lat' (degrees), and optionally 'name'"
)


def read_places_csv(path: str | os.PathLike[str], what: str) -> tuple[list[str], list[str]]:
    """Places listed in a CSV file: their specs (for :func:`resolve_place`) and names.

    The file (UTF-8, with a header) has a column ``place`` (a site id or ``lon,lat``), or
    columns ``lon`` and ``lat`` in degrees; a ``name`` column, when present, names each
    place in the outputs (default: the place itself). At most
    :data:`~enablement.limits.MATRIX_PLACES` rows.

    Raises
    ------
    NetworkError
        Naming ``what`` (the flag), the file, the row and column, and the fix.
    """
    p = Path(path)
    where = f"{what} {p}"
    if not p.is_file():
        msg = f"{where}: no such file; give a CSV file with {_CSV_FORMS}"
        raise NetworkError(msg)
    if p.stat().st_size > MATRIX_PLACES * 1024:
        msg = (
            f"{where}: the file is over {MATRIX_PLACES * 1024:,} bytes; give at most {MATRIX_PLACES:,} places"
        )
        raise NetworkError(msg)
    try:
        frame = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8", skipinitialspace=True)
    except UnicodeDecodeError:
        msg = f"{where}: the file is not UTF-8 text; save it as UTF-8 CSV"
        raise NetworkError(msg) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        msg = f"{where}: cannot be read as CSV ({reason}); give a CSV file with {_CSV_FORMS}"
        raise NetworkError(msg) from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if len(frame) > MATRIX_PLACES:
        msg = f"{where}: {len(frame):,} rows, over the limit of {MATRIX_PLACES:,}; split it"
        raise NetworkError(msg)
    if not len(frame):
        msg = f"{where}: no rows; list at least one place ({_CSV_FORMS})"
        raise NetworkError(msg)
    if "place" in frame.columns:
        specs = [v.strip() for v in frame["place"]]
        bad = [i for i, v in enumerate(specs) if not v]
        if bad:
            msg = f"{where}: row {bad[0] + 2}, column 'place' is empty; give a site id or lon,lat"
            raise NetworkError(msg)
    elif {"lon", "lat"} <= set(frame.columns):
        specs = []
        for i, (lon, lat) in enumerate(zip(frame["lon"], frame["lat"], strict=True)):
            point = parse_lonlat(f"{lon},{lat}")
            if point is None:
                msg = (
                    f"{where}: row {i + 2}: lon {lon!r}, lat {lat!r} are not two numbers; give degrees "
                    "(e.g. lon 4.40, lat 51.22)"
                )
                raise NetworkError(msg)
            specs.append(f"{point[0]!r},{point[1]!r}")
    else:
        shown = ", ".join(repr(c) for c in frame.columns)
        msg = f"{where}: its columns are {shown}; give {_CSV_FORMS}"
        raise NetworkError(msg)
    names = [n.strip() for n in frame["name"]] if "name" in frame.columns else list(specs)
    return specs, [n or s for n, s in zip(names, specs, strict=True)]
