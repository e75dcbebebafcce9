"""Shortest-path kernels on CSR arrays with integer (millisecond) weights.

All kernels take plain arrays and internal node indices:

- ``offsets`` (int64, n+1) and ``heads`` (int32/int64, m): the forward CSR;
  edge ``k`` of node ``u`` goes to ``heads[k]`` for ``offsets[u] <= k < offsets[u+1]``;
- ``weights`` (int64, m): edge costs in milliseconds, ≥ 0;
- ``allowed`` (bool, m): the restriction mask, checked inside the search loop
  (one graph serves every vehicle and every closure);
- ``penalty`` (int64, m): extra cost added to an allowed edge (caution crossings).

The priority queue is a 4-ary heap of packed 64-bit keys ``dist << NODE_BITS | node``
with lazy deletion (stale entries are skipped when popped).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

NODE_BITS = 26
NODE_MASK = (1 << NODE_BITS) - 1
INF = np.iinfo(np.int64).max
MAX_DIST = (1 << (63 - NODE_BITS)) - 1
"""Largest distance a heap key can hold (about 4.4 years in ms)."""


@njit(cache=True, inline="always")
def _push(heap: np.ndarray, size: int, key: np.int64) -> int:  # pragma: no cover - jitted
    i = size
    heap[i] = key
    while i > 0:
        parent = (i - 1) >> 2
        if heap[parent] <= key:
            break
        heap[i] = heap[parent]
        i = parent
    heap[i] = key
    return size + 1


@njit(cache=True, inline="always")
def _pop(heap: np.ndarray, size: int) -> tuple[np.int64, int]:  # pragma: no cover - jitted
    top = heap[0]
    size -= 1
    last = heap[size]
    i = 0
    while True:
        first = 4 * i + 1
        if first >= size:
            break
        best = first
        end = min(first + 4, size)
        for c in range(first + 1, end):
            if heap[c] < heap[best]:
                best = c
        if heap[best] >= last:
            break
        heap[i] = heap[best]
        i = best
    if size > 0:
        heap[i] = last
    return top, size


@njit(cache=True)
def dijkstra(
    offsets, heads, weights, allowed, penalty, source, target, limit, dist, pred, heap
):  # pragma: no cover
    """One-to-all (``target < 0``) or one-to-one Dijkstra with early exit.

    ``dist`` (int64, n), ``pred`` (int64, n: predecessor edge, -1 none) and ``heap``
    (int64, ≥ m + 1) are work arrays; ``dist`` must be INF and ``pred`` -1 on entry.
    Nodes farther than ``limit`` ms are not settled. Returns the number of nodes settled.
    """
    size = 0
    dist[source] = 0
    size = _push(heap, size, np.int64(source))
    settled = 0
    while size > 0:
        key, size = _pop(heap, size)
        u = key & NODE_MASK
        d = key >> NODE_BITS
        if d != dist[u]:
            continue  # stale entry
        settled += 1
        if u == target:
            break
        for k in range(offsets[u], offsets[u + 1]):
            if not allowed[k]:
                continue
            v = heads[k]
            nd = d + weights[k] + penalty[k]
            if nd < dist[v] and nd <= limit:
                dist[v] = nd
                pred[v] = k
                size = _push(heap, size, (nd << NODE_BITS) | v)
    return settled


@njit(cache=True)
def astar(
    offsets, heads, weights, allowed, penalty, x, y, inv_speed, source, target, dist, pred, heap
):  # pragma: no cover
    """One-to-one A* with the straight-line bound ``hypot(dx, dy) * inv_speed`` (ms per metre).

    ``inv_speed`` must not exceed the true cost per metre of any edge (use the
    network's top speed) so that the bound is admissible. Returns nodes settled.
    """
    size = 0
    dist[source] = 0
    tx = x[target]
    ty = y[target]
    h0 = np.int64(np.hypot(x[source] - tx, y[source] - ty) * inv_speed)
    size = _push(heap, size, (h0 << NODE_BITS) | source)
    settled = 0
    while size > 0:
        key, size = _pop(heap, size)
        u = key & NODE_MASK
        f = key >> NODE_BITS
        hu = np.int64(np.hypot(x[u] - tx, y[u] - ty) * inv_speed)
        if f != dist[u] + hu:
            continue
        settled += 1
        if u == target:
            break
        d = dist[u]
        for k in range(offsets[u], offsets[u + 1]):
            if not allowed[k]:
                continue
            v = heads[k]
            nd = d + weights[k] + penalty[k]
            if nd < dist[v]:
                dist[v] = nd
                pred[v] = k
                hv = np.int64(np.hypot(x[v] - tx, y[v] - ty) * inv_speed)
                size = _push(heap, size, ((nd + hv) << NODE_BITS) | v)
    return settled


@njit(cache=True)
def bidirectional(
    offsets,
    heads,
    weights,
    allowed,
    penalty,
    r_offsets,
    r_heads,
    r_edge,
    source,
    target,
    dist_f,
    pred_f,
    dist_b,
    pred_b,
    heap_f,
    heap_b,
):  # pragma: no cover
    """Bidirectional Dijkstra; returns ``(cost, meeting node)`` (INF, -1 when unreachable).

    ``r_offsets``/``r_heads`` is the reverse CSR and ``r_edge`` maps each reverse
    entry to its forward edge (whose weight, mask and penalty apply).
    """
    if source == target:
        dist_f[source] = 0
        return np.int64(0), source
    dist_f[source] = 0
    dist_b[target] = 0
    sf = _push(heap_f, 0, np.int64(source))
    sb = _push(heap_b, 0, np.int64(target))
    best = INF
    meet = -1
    while sf > 0 and sb > 0:
        top_f = heap_f[0] >> NODE_BITS
        top_b = heap_b[0] >> NODE_BITS
        if top_f + top_b >= best:
            break
        if top_f <= top_b:
            key, sf = _pop(heap_f, sf)
            u = key & NODE_MASK
            d = key >> NODE_BITS
            if d != dist_f[u]:
                continue
            for k in range(offsets[u], offsets[u + 1]):
                if not allowed[k]:
                    continue
                v = heads[k]
                nd = d + weights[k] + penalty[k]
                if nd < dist_f[v]:
                    dist_f[v] = nd
                    pred_f[v] = k
                    sf = _push(heap_f, sf, (nd << NODE_BITS) | v)
                if dist_b[v] != INF and nd + dist_b[v] < best:
                    best = nd + dist_b[v]
                    meet = v
        else:
            key, sb = _pop(heap_b, sb)
            u = key & NODE_MASK
            d = key >> NODE_BITS
            if d != dist_b[u]:
                continue
            for j in range(r_offsets[u], r_offsets[u + 1]):
                k = r_edge[j]
                if not allowed[k]:
                    continue
                v = r_heads[j]
                nd = d + weights[k] + penalty[k]
                if nd < dist_b[v]:
                    dist_b[v] = nd
                    pred_b[v] = k
                    sb = _push(heap_b, sb, (nd << NODE_BITS) | v)
                if dist_f[v] != INF and nd + dist_f[v] < best:
                    best = nd + dist_f[v]
                    meet = v
    return best, meet


@njit(cache=True, parallel=True)
def many_to_many(
    offsets, heads, weights, allowed, penalty, lengths, sources, targets, n_nodes
):  # pragma: no cover
    """Travel-time (ms) and length (m) matrices ``len(sources) × len(targets)`` (INF/NaN unreachable).

    Rows run in parallel (``prange``), each thread with its own work arrays; a row
    stops once every target is settled. Lengths follow the fastest path.
    """
    ns = sources.shape[0]
    nt = targets.shape[0]
    out_t = np.full((ns, nt), INF, dtype=np.int64)
    out_l = np.full((ns, nt), np.nan, dtype=np.float64)
    m = heads.shape[0]
    for i in prange(ns):
        dist = np.full(n_nodes, INF, dtype=np.int64)
        pred = np.full(n_nodes, -1, dtype=np.int64)
        length = np.zeros(n_nodes, dtype=np.float64)
        heap = np.empty(m + 1, dtype=np.int64)
        is_target = np.zeros(n_nodes, dtype=np.int64)
        for j in range(nt):
            is_target[targets[j]] += 1
        remaining = 0
        for j in range(n_nodes):
            if is_target[j] > 0:
                remaining += 1
        s = sources[i]
        dist[s] = 0
        size = _push(heap, 0, np.int64(s))
        while size > 0 and remaining > 0:
            key, size = _pop(heap, size)
            u = key & NODE_MASK
            d = key >> NODE_BITS
            if d != dist[u]:
                continue
            if is_target[u] > 0:
                remaining -= 1
            for k in range(offsets[u], offsets[u + 1]):
                if not allowed[k]:
                    continue
                v = heads[k]
                nd = d + weights[k] + penalty[k]
                if nd < dist[v]:
                    dist[v] = nd
                    pred[v] = k
                    length[v] = length[u] + lengths[k]
                    size = _push(heap, size, (nd << NODE_BITS) | v)
        for j in range(nt):
            t = targets[j]
            out_t[i, j] = dist[t]
            if dist[t] != INF:
                out_l[i, j] = length[t]
    return out_t, out_l


@njit(cache=True)
def unpack_path(pred, tails, target):  # pragma: no cover - jitted
    """Edge ids from the source to ``target`` (``pred`` holds predecessor edges, ``tails`` edge tails)."""
    count = 0
    v = target
    while pred[v] >= 0:
        count += 1
        v = tails[pred[v]]
    out = np.empty(count, dtype=np.int64)
    v = target
    for i in range(count - 1, -1, -1):
        out[i] = pred[v]
        v = tails[pred[v]]
    return out
