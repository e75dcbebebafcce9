import numpy as np
from enablement.kernels import hilbert_codes
from hypothesis import given, settings
from hypothesis import strategies as st


def test_hilbert_visits_every_cell_once_and_steps_to_neighbours():
    order = 4
    side = 1 << order
    xs, ys = np.meshgrid(np.arange(side, dtype=float), np.arange(side, dtype=float))
    codes = hilbert_codes(xs.ravel(), ys.ravel(), order)
    assert sorted(codes.tolist()) == list(range(side * side))
    path = np.argsort(codes)
    steps = np.abs(np.diff(xs.ravel()[path])) + np.abs(np.diff(ys.ravel()[path]))
    assert np.all(steps == 1)  # consecutive codes are adjacent cells


def test_hilbert_order_1_hand_solved():
    # the order-1 curve visits (0,0), (0,1), (1,1), (1,0)
    codes = hilbert_codes(np.array([0.0, 0.0, 1.0, 1.0]), np.array([0.0, 1.0, 1.0, 0.0]), 1)
    assert codes.tolist() == [0, 1, 2, 3]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6)), min_size=1, max_size=50))
def test_hilbert_codes_in_range(points):
    xy = np.array(points, dtype=float)
    codes = hilbert_codes(xy[:, 0].copy(), xy[:, 1].copy(), 16)
    assert codes.min() >= 0
    assert codes.max() < (1 << 32)
    # identical points get identical codes
    same = hilbert_codes(np.repeat(xy[:1, 0], 3), np.repeat(xy[:1, 1], 3), 16)
    assert len(set(same.tolist())) == 1


def _reference(order, xi, yi):
    """The textbook per-cell Hilbert distance (rotate-and-flip), one point at a time."""
    n = 1 << order
    d, s = 0, n >> 1
    while s > 0:
        rx = 1 if xi & s else 0
        ry = 1 if yi & s else 0
        d += s * s * ((3 * rx) ^ ry)
        if ry == 0:
            if rx == 1:
                xi, yi = n - 1 - xi, n - 1 - yi
            xi, yi = yi, xi
        s >>= 1
    return d


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 20), st.integers(0, 2**31 - 1))
def test_hilbert_codes_match_the_scalar_reference(order, seed):
    rng = np.random.default_rng(seed)
    side = (1 << order) - 1
    cells = rng.integers(0, side + 1, size=(40, 2))
    cells[0] = (0, 0)
    cells[1] = (side, side)  # pin the bounding box to the grid
    codes = hilbert_codes(cells[:, 0].astype(float), cells[:, 1].astype(float), order)
    assert codes.tolist() == [_reference(order, int(a), int(b)) for a, b in cells]
