"""Network simplification that keeps attribute changes, and consolidation of complex junctions.

- :func:`merge_chains` joins consecutive edges through a node that only links
  them (two neighbours, same mode) when every attribute but the way id, length,
  time and geometry is the same on both sides, in both directions. Where anything
  changes — a bridge with its own MLC, a new speed limit, a different road number —
  the node stays, so an attribute never spreads beyond where the source set it.
  A named motorway junction (node columns ``junction_ref``/``junction_name``)
  always stays.
- :func:`consolidate_junctions` collapses a complex junction (the several nodes of
  a dual-carriageway crossing or a roundabout's entries) into one node: road
  junction nodes (three or more neighbours) joined by a road edge no longer than
  the tolerance form a cluster, which becomes one node at their centroid; the
  short internal edges go, and the edges leaving the cluster are re-attached with
  their first or last vertex moved. A junction with an internal edge carrying a
  restriction (a bridge, a limit) is left as it is. The node kept carries the
  junction name of the first of its nodes that has one.

Both renumber nodes in spatial (Hilbert) order and record their counts in
``meta["report"]``.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .model import EDGE_RESTRICTION_COLUMNS, Network, renumber_spatially
from .places import junction_nodes

__all__ = ["consolidate_junctions", "merge_chains"]

logger = logging.getLogger(__name__)

_VARYING = {"u", "v", "geometry", "length_m", "time_s", "osm_way"}


def _signature(edges: pd.DataFrame) -> np.ndarray:
    """One hash per edge over every column that must match for a merge (vectorised)."""
    cols = [c for c in edges.columns if c not in _VARYING]
    hashes: np.ndarray = pd.util.hash_pandas_object(pd.DataFrame(edges[cols]), index=False).to_numpy()
    return hashes


def merge_chains(network: Network) -> Network:
    """Join chains of edges through pass-through nodes where no attribute changes.

    Returns
    -------
    Network
        A new network (``network`` is not modified); ``meta["report"]["merged_nodes"]``
        counts the nodes removed.
    """
    nodes, edges = network.nodes, network.edges.reset_index(drop=True)
    if edges.empty:
        return network.copy()
    # plain Python lists: the walks below index one element at a time
    u = edges["u"].to_numpy(np.int64).tolist()
    v = edges["v"].to_numpy(np.int64).tolist()
    n = len(nodes)
    removable, out_of = _pass_through_nodes(u, v, _signature(edges).tolist(), n)
    for x in junction_nodes(network):
        removable[x] = False  # a named junction stays a node (a control point of march tables)
    if not any(removable):
        return network.copy()
    chains, used = _walk_chains(u, v, removable, out_of)
    keep_node = ~np.asarray(removable, bool)
    # cycles made only of removable nodes (an isolated ring) keep their edges as they are
    for k in [j for j in range(len(u)) if not used[j]]:
        chains.append([k])
        keep_node[u[k]] = keep_node[v[k]] = True
    out = _chain_edges(edges, chains, u, v)
    kept = np.flatnonzero(keep_node)
    remap = np.full(n, -1, np.int64)
    remap[kept] = np.arange(kept.size)
    out["u"] = remap[out["u"].to_numpy(np.int64)]
    out["v"] = remap[out["v"].to_numpy(np.int64)]
    new_nodes = nodes.iloc[kept].reset_index(drop=True).rename_axis(nodes.index.name)
    new_nodes, out = renumber_spatially(gpd.GeoDataFrame(new_nodes, crs=nodes.crs), out)
    net = Network(new_nodes, out, network.sites.copy(), dict(network.meta), network.features.copy())
    report = dict(net.meta.get("report", {}))
    report["merged_nodes"] = int(n - kept.size)
    net.meta["report"] = report
    logger.info("merged %d pass-through nodes", n - kept.size)
    return net


def _pass_through_nodes(
    u: list[int], v: list[int], sig: list[int], n: int
) -> tuple[list[bool], list[list[int]]]:
    """Nodes a chain may pass through, and the edges leaving each node.

    A node is removable when it links exactly two neighbours and its in- and
    out-edges pair up (through traffic one way or both) with equal signatures;
    parallel edges through it keep it.
    """
    nb: list[set[int]] = [set() for _ in range(n)]  # undirected neighbours
    out_of: list[list[int]] = [[] for _ in range(n)]
    in_of: list[list[int]] = [[] for _ in range(n)]
    for k, (a, b) in enumerate(zip(u, v, strict=True)):
        if a != b:
            nb[a].add(b)
            nb[b].add(a)
        out_of[a].append(k)
        in_of[b].append(k)
    removable = [False] * n
    for x in range(n):
        if len(nb[x]) != 2:
            continue
        ins, outs = in_of[x], out_of[x]
        if len(ins) != len(outs) or len(ins) not in (1, 2):
            continue
        if len({u[k] for k in ins}) != len(ins) or len({v[j] for j in outs}) != len(outs):
            continue  # parallel edges through x: keep it
        ok = True
        for k in ins:
            nxt = [j for j in outs if v[j] != u[k]]
            if len(nxt) != 1 or sig[nxt[0]] != sig[k]:
                ok = False
                break
        removable[x] = ok
    return removable, out_of


def _walk_chains(
    u: list[int], v: list[int], removable: list[bool], out_of: list[list[int]]
) -> tuple[list[list[int]], list[bool]]:
    """Walk each chain from an edge leaving a kept node through removable nodes.

    Returns
    -------
    chains, used
        The edges of each chain in order, and which edges a chain took (those of
        rings made only of removable nodes are left).
    """
    chains: list[list[int]] = []
    used = [False] * len(u)
    for k in range(len(u)):
        if used[k] or removable[u[k]]:
            continue
        chain = [k]
        used[k] = True
        cur = k
        while removable[v[cur]]:
            nxt = [j for j in out_of[v[cur]] if v[j] != u[cur] and not used[j]]
            if not nxt:
                break
            cur = nxt[0]
            used[cur] = True
            chain.append(cur)
        chains.append(chain)
    return chains, used


def _chain_edges(
    edges: gpd.GeoDataFrame, chains: list[list[int]], u: list[int], v: list[int]
) -> gpd.GeoDataFrame:
    """One edge per chain: the first edge's attributes, summed length and time, joined geometry.

    Node ids are still the old ones.
    """
    geoms = edges.geometry.to_numpy()
    length = edges["length_m"].to_numpy(float).tolist()
    time_s = edges["time_s"].to_numpy(float).tolist()
    new_geom = []
    for chain in chains:
        if len(chain) == 1:
            new_geom.append(geoms[chain[0]])
        else:
            coords = [shapely.get_coordinates(geoms[chain[0]])]
            coords += [shapely.get_coordinates(geoms[j])[1:] for j in chain[1:]]
            new_geom.append(shapely.LineString(np.concatenate(coords)))
    out = edges.iloc[[c[0] for c in chains]].reset_index(drop=True).copy()
    out["u"], out["v"] = [u[c[0]] for c in chains], [v[c[-1]] for c in chains]
    out["length_m"] = [sum(length[j] for j in c) for c in chains]
    out["time_s"] = [sum(time_s[j] for j in c) for c in chains]
    return gpd.GeoDataFrame(out.drop(columns="geometry"), geometry=new_geom, crs=edges.crs)


_JUNCTION_COLUMNS = ("junction_ref", "junction_name")


def _carry_junction_names(
    new_nodes: pd.DataFrame, nodes: pd.DataFrame, clusters: dict[int, list[int]], named: frozenset[int]
) -> None:
    """Give each cluster's kept node the junction name of its first named member (when it has none).

    ``new_nodes`` holds the kept rows of ``nodes`` (cluster roots among them) under
    their old index labels; it is changed in place.
    """
    cols = [c for c in _JUNCTION_COLUMNS if c in nodes.columns]
    if not cols or not named:
        return
    for root, members in clusters.items():
        if root in named:
            continue
        donor = next((m for m in members if m in named), None)
        if donor is not None:
            new_nodes.loc[nodes.index[root], cols] = nodes[cols].iloc[donor].to_numpy(object)


def consolidate_junctions(network: Network, tolerance_m: float = 12.0) -> Network:
    """Collapse complex road junctions (junction nodes joined by short edges) into one node each.

    Parameters
    ----------
    network
        The network (not modified).
    tolerance_m
        Longest internal edge of a junction.

    Returns
    -------
    Network
        With ``meta["report"]["consolidated_junctions"]`` and ``["consolidated_nodes"]``.
    """
    nodes, edges = network.nodes, network.edges.reset_index(drop=True)
    n = len(nodes)
    u = edges["u"].to_numpy(np.int64)
    v = edges["v"].to_numpy(np.int64)
    road = (edges["mode"] == "road").to_numpy()
    nb: list[set[int]] = [set() for _ in range(n)]
    for a, b, r in zip(u.tolist(), v.tolist(), road.tolist(), strict=True):
        if r and a != b:
            nb[a].add(b)
            nb[b].add(a)
    junction = np.array([len(s) >= 3 for s in nb])
    restricted = np.zeros(len(edges), bool)
    for col in (*EDGE_RESTRICTION_COLUMNS, "bridge_id"):
        if col in edges.columns:
            restricted |= edges[col].notna().to_numpy()
    short = road & (edges["length_m"].to_numpy(float) <= tolerance_m) & ~restricted & (u != v)
    parent = np.arange(n)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for k in np.flatnonzero(short & junction[u] & junction[v]).tolist():
        ra, rb = find(int(u[k])), find(int(v[k]))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    roots = np.array([find(x) for x in range(n)])
    # a cluster that would swallow a restricted edge (a short bridge between its nodes) is left alone
    blocked = set(roots[u[restricted & (u != v) & (roots[u] == roots[v])]].tolist())
    if blocked:
        roots = np.where(np.isin(roots, list(blocked)), np.arange(n), roots)
    members = pd.Series(np.arange(n)).groupby(roots).apply(list)
    clusters = {int(r): m for r, m in members.items() if len(m) > 1}
    if not clusters:
        return network.copy()
    xy = nodes[["x", "y"]].to_numpy(float).copy()
    for r, m in clusters.items():
        xy[r] = xy[m].mean(axis=0)
    nu, nv = roots[u], roots[v]
    internal = (nu == nv) & (u != v) & np.isin(nu, list(clusters))
    keep = ~internal
    geoms = edges.geometry.to_numpy().copy()
    moved = np.flatnonzero(
        keep & ((nu != u) | (nv != v) | np.isin(nu, list(clusters)) | np.isin(nv, list(clusters)))
    )
    for k in moved.tolist():
        c = shapely.get_coordinates(geoms[k]).copy()
        c[0] = xy[nu[k]]
        c[-1] = xy[nv[k]]
        geoms[k] = shapely.LineString(c)
    out = edges.copy()
    out["u"], out["v"] = nu, nv
    out = gpd.GeoDataFrame(out.drop(columns="geometry"), geometry=geoms, crs=edges.crs)
    old_len = out["length_m"].to_numpy(float)
    new_len = shapely.length(out.geometry.to_numpy())
    out["time_s"] = out["time_s"].to_numpy(float) * np.where(
        old_len > 0, new_len / np.maximum(old_len, 1e-9), 1.0
    )
    out["length_m"] = new_len
    out = out[keep].reset_index(drop=True)
    kept = np.flatnonzero(roots == np.arange(n))
    remap = np.full(n, -1, np.int64)
    remap[kept] = np.arange(kept.size)
    out["u"] = remap[out["u"].to_numpy(np.int64)]
    out["v"] = remap[out["v"].to_numpy(np.int64)]
    new_nodes = nodes.iloc[kept].copy()
    new_nodes["x"], new_nodes["y"] = xy[kept, 0], xy[kept, 1]
    _carry_junction_names(new_nodes, nodes, clusters, junction_nodes(network))
    new_nodes = gpd.GeoDataFrame(
        new_nodes.drop(columns="geometry").reset_index(drop=True).rename_axis(nodes.index.name),
        geometry=shapely.points(xy[kept]),
        crs=nodes.crs,
    )
    new_nodes, out = renumber_spatially(new_nodes, out)
    net = Network(new_nodes, out, network.sites.copy(), dict(network.meta), network.features.copy())
    report = dict(net.meta.get("report", {}))
    report["consolidated_junctions"] = len(clusters)
    report["consolidated_nodes"] = int(sum(len(m) for m in clusters.values()) - len(clusters))
    report["consolidation_tolerance_m"] = tolerance_m
    net.meta["report"] = report
    logger.info("consolidated %d junctions (%d nodes)", len(clusters), report["consolidated_nodes"])
    return net
