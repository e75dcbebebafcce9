"""Session fixtures: an isolated cache, the embedded network and the default plan (built once)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
    from enablement.kernels import hilbert_codes

    hilbert_codes(np.zeros(2), np.ones(2), 4)


@pytest.fixture(scope="session")
def embedded():
    from enablement.network.embedded import load_embedded_network

    return load_embedded_network()


@pytest.fixture(scope="session")
def belgium_network(embedded):
    from enablement.network.overlays import apply_overlay, read_overlay

    return apply_overlay(embedded, read_overlay("belgium"))


@pytest.fixture(scope="session")
def default_plan(belgium_network):
    from enablement.plan import make_plan
    from enablement.scenario import load_scenario

    return make_plan(load_scenario("enablement:brigade-antwerp-aachen"), network=belgium_network)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"real data not found at {SHARED} (it sits beside the project in CI only)")
    return SHARED
