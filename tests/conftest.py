"""Session fixtures: an isolated cache, the embedded network and the default plan (built once)."""

from __future__ import annotations

import fcntl
import os
import pickle
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

# CI runs the property tests on fixed examples (HYPOTHESIS_PROFILE=ci in .ci/run), so that a run there
# is reproducible; a developer's run draws new ones each time and may find what CI never tried
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
hypothesis_settings.register_profile("dev", print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def _cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Point the cache at a session folder unless ENABLEMENT_TEST_CACHE names one."""
    from enablement import settings

    folder = os.environ.get("ENABLEMENT_TEST_CACHE")
    settings.cache_folder = Path(folder) if folder else tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session", autouse=True)
def _warm_kernels() -> None:
    """Compile (or load from numba's cache) the kernels once per session."""
    import numpy as np

    from enablement import kernels as kn

    offsets = np.array([0, 1, 1], np.int64)
    heads = np.array([1], np.int32)
    w = np.array([5], np.int32)
    ok = np.ones(1, bool)
    dist = np.full(2, kn.INF, np.int64)
    work = (np.full(2, -1, np.int32), np.full(2, -1, np.int32), np.empty(2, np.int64))
    kn.dijkstra(offsets, heads, w, ok, 0, -1, kn.MAX_DIST, dist, *work)
    kn.many_to_many(offsets, heads, w, ok, np.ones(1), np.array([0]), np.array([1]), 2, kn.blocks())


@pytest.fixture(scope="session")
def embedded():
    from enablement.network.embedded import load_embedded_network

    return load_embedded_network()


@pytest.fixture(scope="session")
def belgium_network(embedded):
    from enablement.network.overlays import apply_overlay, read_overlay

    return apply_overlay(embedded, read_overlay("belgium"))


@pytest.fixture(scope="session")
def default_plan(belgium_network, tmp_path_factory, worker_id):
    """The default scenario's plan, made once per test session (shared by pytest-xdist's workers)."""
    from enablement.plan import make_plan
    from enablement.scenario import load_scenario

    def build():
        return make_plan(load_scenario("enablement:brigade-antwerp-aachen"), network=belgium_network)

    if worker_id == "master":  # not under xdist
        return build()
    root = tmp_path_factory.getbasetemp().parent  # shared by the workers of this session
    path = root / "default_plan.pickle"
    with (root / "default_plan.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.is_file():
            return pickle.loads(path.read_bytes())
        plan = build()
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(plan))
        tmp.replace(path)
        return plan


@pytest.fixture(scope="session")
def bridge_closure_plan(belgium_network):
    """The bridge-closure scenario's plan on the greedy road schedule (seconds), made once per session."""
    from enablement.plan import make_plan
    from enablement.scenario import load_scenario

    scenario = load_scenario("enablement:bridge-closure")
    return make_plan(scenario, network=belgium_network, solver={"road": "greedy"})


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"real data not found at {SHARED} (it sits beside the project in CI only)")
    return SHARED


SLOW_FIXTURES = {
    "default_plan": "plans the default scenario on the embedded network",
    "pool_run": "runs a batch of the default scenario in a process pool",
    "bridge_closure_plan": "plans the bridge-closure scenario on the embedded network",
}
"""Fixtures that make a test slow: every test that uses one is marked ``slow`` (left out of the fast lane)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that use a slow fixture as ``slow``."""
    for item in items:
        if SLOW_FIXTURES.keys() & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
