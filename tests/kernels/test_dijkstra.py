"""Every shortest-path kernel against scipy.sparse.csgraph, on hand-solved and random graphs."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra as sp_dijkstra

from enablement import kernels as kn

INF = kn.INF


def csr(n, u, v):
    """CSR arrays (offsets, heads, tails, order) of edges u->v sorted by tail."""
    u = np.asarray(u, np.int64)
    v = np.asarray(v, np.int64)
    order = np.lexsort((np.arange(u.size), v, u))
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(u, minlength=n), out=offsets[1:])
    r_order = np.lexsort((np.arange(u.size), u[order], v[order]))
    r_offsets = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(v, minlength=n), out=r_offsets[1:])
    return offsets, v[order], u[order], order, r_offsets, u[order][r_order], r_order.astype(np.int64)


def reference(n, u, v, w, allowed, penalty, source):
    """scipy distances with parallel edges reduced to their cheapest allowed one."""
    cost = {}
    for a, b, c, ok, p in zip(u, v, w, allowed, penalty, strict=True):
        if ok and a != b:
            cost[(a, b)] = min(cost.get((a, b), np.inf), c + p)
    if not cost:
        d = np.full(n, np.inf)
        d[source] = 0
        return d
    keys = list(cost)
    # scipy ignores explicit zeros in sparse input: shift every weight by +1 and count hops separately
    data = np.array([cost[k] for k in keys], dtype=float)
    g = coo_matrix((data + 1e-9, ([k[0] for k in keys], [k[1] for k in keys])), shape=(n, n)).tocsr()
    d = sp_dijkstra(g, indices=source)
    return np.rint(d - 0)  # the 1e-9 shift vanishes in rounding


def work(n):
    """Fresh ``pos`` and ``heap`` work arrays."""
    return np.full(n, -1, np.int64), np.empty(n, np.int64)


def run_sssp(n, u, v, w, allowed=None, penalty=None, source=0, target=-1):
    offsets, heads, tails, order, *_ = csr(n, u, v)
    w = np.asarray(w, np.int64)[order]
    allowed = np.ones(len(order), bool) if allowed is None else np.asarray(allowed, bool)[order]
    penalty = np.zeros(len(order), np.int64) if penalty is None else np.asarray(penalty, np.int64)[order]
    dist = np.full(n, INF, np.int64)
    pred = np.full(n, -1, np.int64)
    # the caller adds per-vehicle penalties to the weights, as the Router does
    kn.dijkstra(offsets, heads, w + penalty, allowed, source, target, kn.MAX_DIST, dist, pred, *work(n))
    return dist, pred, tails, heads, w, penalty


def test_hand_solved_diamond():
    #   0 -> 1 (4), 0 -> 2 (1), 2 -> 1 (2), 1 -> 3 (1), 2 -> 3 (7): shortest 0-2-1-3 = 4
    u, v, w = [0, 0, 2, 1, 2], [1, 2, 1, 3, 3], [4, 1, 2, 1, 7]
    dist, pred, tails, heads, *_ = run_sssp(4, u, v, w)
    assert dist.tolist() == [0, 3, 1, 4]
    path = kn.unpack_path(pred, tails, 3)
    assert [int(tails[path[0]]), *[int(heads[k]) for k in path]] == [0, 2, 1, 3]
    # masking edge 2->1 forces 0-1-3 = 5
    dist, *_ = run_sssp(4, u, v, w, allowed=[1, 1, 0, 1, 1])
    assert dist.tolist() == [0, 4, 1, 5]
    # a penalty on 0->2 (caution crossing) makes 0-1-3 cheaper
    dist, *_ = run_sssp(4, u, v, w, penalty=[0, 10, 0, 0, 0])
    assert dist[3] == 5


def test_early_exit_settles_fewer_nodes():
    n = 200
    u = np.arange(n - 1)
    v = u + 1
    offsets, heads, _tails, _order, *_ = csr(n, u, v)
    w = np.ones(n - 1, np.int64)
    ok = np.ones(n - 1, bool)
    dist = np.full(n, INF, np.int64)
    pred = np.full(n, -1, np.int64)
    settled = kn.dijkstra(offsets, heads, w, ok, 0, 10, kn.MAX_DIST, dist, pred, *work(n))
    assert settled == 11 and dist[10] == 10


def graphs():
    return st.integers(1, 30).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(
                st.tuples(
                    st.integers(0, n - 1),
                    st.integers(0, n - 1),
                    st.integers(0, 50),
                    st.booleans(),
                    st.sampled_from([0, 0, 0, 25]),
                ),
                max_size=4 * n,
            ),
            st.integers(0, n - 1),
            st.integers(0, n - 1),
        )
    )


@settings(max_examples=150, deadline=None)
@given(graphs())
def test_kernels_match_scipy(g):
    n, edges, s, t = g
    u = [e[0] for e in edges]
    v = [e[1] for e in edges]
    w = [e[2] for e in edges]  # zero weights, self-loops and parallel edges included
    allowed = [e[3] or i % 3 == 0 for i, e in enumerate(edges)]
    penalty = [e[4] for e in edges]
    ref = reference(n, u, v, w, allowed, penalty, s)
    dist, pred, tails, _heads, wo, po = run_sssp(n, u, v, w, allowed, penalty, source=s)
    got = np.where(dist == INF, np.inf, dist.astype(float))
    assert np.array_equal(got, ref)
    # every path unpacked costs its distance and never uses a masked edge
    offsets, heads2, _tails2, order, r_off, r_heads, r_edge = csr(n, u, v)
    allowed_o = np.asarray(allowed, bool)[order] if edges else np.zeros(0, bool)
    for node in range(n):
        if dist[node] != INF:
            path = kn.unpack_path(pred, tails, node)
            assert all(allowed_o[k] for k in path)
            assert sum(int(wo[k]) + int(po[k]) for k in path) == dist[node]
    # one-to-one with early exit, A* (zero heuristic is admissible) and bidirectional agree
    d1, *_ = run_sssp(n, u, v, w, allowed, penalty, source=s, target=t)
    assert d1[t] == dist[t]
    m = len(order)
    wo_ = np.asarray(w, np.int64)[order] if edges else np.zeros(0, np.int64)
    po_ = np.asarray(penalty, np.int64)[order] if edges else np.zeros(0, np.int64)
    wo_ = wo_ + po_  # penalties folded into the weights by the caller
    xy = np.zeros(n)
    da = np.full(n, INF, np.int64)
    kn.astar(
        offsets,
        heads2,
        wo_,
        allowed_o,
        xy,
        xy,
        0.0,
        s,
        t,
        da,
        np.full(n, -1, np.int64),
        *work(n),
    )
    assert da[t] == dist[t]
    df, db = np.full(n, INF, np.int64), np.full(n, INF, np.int64)
    best, meet = kn.bidirectional(
        offsets,
        heads2,
        wo_,
        allowed_o,
        r_off,
        r_heads,
        r_edge,
        s,
        t,
        df,
        np.full(n, -1, np.int64),
        *work(n),
        db,
        np.full(n, -1, np.int64),
        *work(n),
    )
    assert best == dist[t]
    assert (meet == -1) == (dist[t] == INF)
    # many-to-many row equals the single-source distances
    lengths = np.ones(m)
    tm, _lm = kn.many_to_many(
        offsets, heads2, wo_, allowed_o, lengths, np.array([s]), np.arange(n, dtype=np.int64), n, kn.blocks()
    )
    assert np.array_equal(tm[0], dist)


def test_astar_with_geometric_bound_matches_dijkstra():
    rng = np.random.default_rng(3)
    n = 400
    xy = rng.uniform(0, 10_000, size=(n, 2))
    # connect each node to its 4 nearest neighbours, weight = ms at 100 km/h (rounded up)
    d2 = ((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1)
    nbr = np.argsort(d2, axis=1)[:, 1:5]
    u = np.repeat(np.arange(n), 4)
    v = nbr.ravel()
    length = np.sqrt(d2[u, v])
    w = np.ceil(length / (100 / 3.6) * 1000).astype(np.int64)
    offsets, heads, _tails, order, *_ = csr(n, u, v)
    w = w[order]
    ok = np.ones(len(order), bool)
    inv_speed = 1000 / (100 / 3.6)  # ms per metre at the top speed: admissible
    for s, t in rng.integers(0, n, size=(20, 2)):
        dd = np.full(n, INF, np.int64)
        kn.dijkstra(
            offsets,
            heads,
            w,
            ok,
            s,
            -1,
            kn.MAX_DIST,
            dd,
            np.full(n, -1, np.int64),
            *work(n),
        )
        da = np.full(n, INF, np.int64)
        settled = kn.astar(
            offsets,
            heads,
            w,
            ok,
            xy[:, 0].copy(),
            xy[:, 1].copy(),
            inv_speed,
            s,
            t,
            da,
            np.full(n, -1, np.int64),
            *work(n),
        )
        assert da[t] == dd[t]
        assert settled <= n


def test_limit_bounds_the_search():
    dist, *_ = run_sssp(5, [0, 1, 2, 3], [1, 2, 3, 4], [10, 10, 10, 10])
    offsets, heads, _tails, _order, *_ = csr(5, [0, 1, 2, 3], [1, 2, 3, 4])
    d = np.full(5, INF, np.int64)
    kn.dijkstra(
        offsets,
        heads,
        np.full(4, 10, np.int64),
        np.ones(4, bool),
        0,
        -1,
        25,
        d,
        np.full(5, -1, np.int64),
        *work(5),
    )
    assert d.tolist() == [0, 10, 20, INF, INF]
    assert dist.tolist() == [0, 10, 20, 30, 40]


@pytest.mark.parametrize("n", [1, 2])
def test_tiny_graphs(n):
    dist, *_ = run_sssp(n, [], [], [])
    assert dist[0] == 0 and (n == 1 or dist[1] == INF)


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=2**31 - 1))
def test_many_to_many_blocks_reuse_work_arrays_correctly(seed):
    # more sources than blocks (4 per thread), so every block runs several searches on
    # the same work arrays and must reset exactly what the previous search touched
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 60))
    m = int(rng.integers(0, 4 * n))
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    w = rng.integers(0, 50, m)
    allowed = rng.random(m) > 0.2
    offsets, heads, _tails, order, *_ = csr(n, u, v)
    wo, ao = w[order].astype(np.int64), allowed[order]
    lengths = rng.uniform(1, 100, m)[order]
    sources = rng.integers(0, n, int(rng.integers(1, 40)))
    targets = rng.choice(n, int(rng.integers(1, n + 1)), replace=False)
    tm, lm = kn.many_to_many(offsets, heads, wo, ao, lengths, sources, targets, n, kn.blocks())
    for i, s in enumerate(sources):
        ref = reference(n, u, v, w, allowed, np.zeros(m), int(s))[targets]
        got = np.where(tm[i] == INF, np.inf, tm[i]).astype(float)
        assert np.array_equal(got, ref)
        assert np.array_equal(np.isnan(lm[i]), np.isinf(ref))


def test_removal_costs_match_one_search_per_closed_edge():
    rng = np.random.default_rng(11)
    n, m = 80, 320
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    w = rng.integers(1, 100, m)
    allowed = rng.random(m) > 0.1
    offsets, heads, _tails, order, *_ = csr(n, u, v)
    wo, ao = w[order].astype(np.int64), allowed[order]
    removed = np.arange(0, m, 3, dtype=np.int64)  # includes edges already closed by the mask
    got = kn.removal_costs(offsets, heads, wo, ao, 0, n - 1, removed, n, kn.blocks())
    for r, k in enumerate(removed):
        mask = ao.copy()
        mask[k] = False
        dist = np.full(n, INF, np.int64)
        kn.dijkstra(offsets, heads, wo, mask, 0, n - 1, kn.MAX_DIST, dist, np.full(n, -1, np.int64), *work(n))
        assert got[r] == dist[n - 1]
