"""The small world, written once per session, for the batch tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.small_world import write_world


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small world's scenario (greedy road scheduler), beside its network file and overlay."""
    return write_world(tmp_path_factory.mktemp("world"), solver="greedy")
