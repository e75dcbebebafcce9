"""No worker outlives its batch: SIGTERM, SIGINT and SIGKILL of the main process; resume after SIGKILL.

The batch runs as a user runs it, ``python -m enablement batch … --workers 2`` in a
process of its own, with a marker in its environment that its worker processes
inherit: after the main process is killed, no process with the marker may be left.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import psutil
import pytest

from enablement import settings
from enablement.batch import load_batch, read_results, run_batch
from tests.batch.worlds import folder_batch

MARK = "ENABLEMENT_BATCH_TEST_MARK"
NAMES = tuple(f"s{i}" for i in range(8))  # 2 workers, a second or two each: a batch of some seconds

posix = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def _marked(marker: str) -> list[psutil.Process]:
    """Live processes (zombies aside) whose environment holds the marker."""
    found = []
    for p in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if p.environ().get(MARK) == marker and p.status() != psutil.STATUS_ZOMBIE:
                found.append(p)
    return found


def _left(marker: str, within_s: float) -> list[psutil.Process]:
    """The marked processes still alive after ``within_s`` (sooner when none is)."""
    deadline = time.monotonic() + within_s
    while (alive := _marked(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive


@contextlib.contextmanager
def _batch(path: Path, out: Path, tmp: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """Run the batch command in a process of its own; on the way out, kill whatever of it is left."""
    marker = uuid.uuid4().hex
    env = {**os.environ, MARK: marker, "ENABLEMENT_CACHE": str(settings.cache_folder)}
    cmd = [sys.executable, "-m", "enablement", "batch", str(path), "--out", str(out), "--workers", "2"]
    # output to files: a pipe held open by a worker left behind would block the test
    with (tmp / "stdout").open("wb") as o, (tmp / "stderr").open("wb") as e:
        proc = subprocess.Popen(cmd, env=env, stdout=o, stderr=e)
    try:
        yield proc, marker
    finally:
        for p in _marked(marker):
            with contextlib.suppress(psutil.Error):
                p.kill()
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def _wait_for_rows(out: Path, n: int, proc: subprocess.Popen[bytes], tmp: Path) -> None:
    deadline = time.monotonic() + 300
    while len(read_results(out)) < n:
        assert proc.poll() is None, f"the batch ended early:\n{(tmp / 'stderr').read_text()}"
        assert time.monotonic() < deadline, "no variant recorded within 300 s"
        time.sleep(0.1)


def _workers(marker: str, main: int) -> list[psutil.Process]:
    return [p for p in _marked(marker) if p.pid != main and "spawn_main" in " ".join(p.cmdline())]


@posix
@pytest.mark.slow
@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT", "SIGKILL"])
def test_killing_the_batch_stops_its_workers(sig, world, tmp_path):
    path = folder_batch(tmp_path, world, NAMES)
    out = tmp_path / "out"
    with _batch(path, out, tmp_path) as (proc, marker):
        _wait_for_rows(out, 1, proc, tmp_path)
        workers = _workers(marker, proc.pid)
        assert workers, "the pool's workers were not found"
        proc.send_signal(getattr(signal, sig))
        code = proc.wait(timeout=60)
        assert not _left(marker, 5.0), f"left running after {sig}: {_marked(marker)}"
    err = (tmp_path / "stderr").read_text()
    if sig == "SIGKILL":
        assert code == -signal.SIGKILL
    else:  # stopped as Ctrl-C stops it: the count recorded and how to go on
        assert code == 130, err
        assert "interrupted:" in err and "run again with --resume to finish" in err
        assert "Traceback" not in err
    assert 1 <= len(read_results(out)) < len(NAMES)


@posix
@pytest.mark.slow
def test_resume_after_sigkill_records_every_variant_once(world, tmp_path):
    path = folder_batch(tmp_path, world, NAMES)
    out = tmp_path / "out"
    with _batch(path, out, tmp_path) as (proc, marker):
        _wait_for_rows(out, 2, proc, tmp_path)
        proc.kill()
        proc.wait(timeout=60)
        assert not _left(marker, 5.0)
    before = [r["variant"] for r in read_results(out)]
    assert 2 <= len(before) < len(NAMES)
    result = run_batch(load_batch(path), out, workers=0, resume=True)
    assert (result.skipped, result.ran) == (len(before), len(NAMES) - len(before))
    journal = [r["variant"] for r in read_results(out)]
    assert sorted(journal) == sorted(NAMES)  # each exactly once
    assert journal[: len(before)] == before
    csv = pd.read_csv(out / "results.csv")
    assert csv["variant"].tolist() == sorted(NAMES)
    assert (csv["status"] == "ok").all()


CHILD = """
import sys, time
from enablement.batch import worker
if sys.argv[2] == "watchdog":  # as where the kernel cannot tell a worker
    worker.sys.platform, worker._WATCH_S = "elsewhere", 0.1
worker._die_with_parent(int(sys.argv[1]))
print("ready", flush=True)
time.sleep(120)
"""

PARENT = """
import os, subprocess, sys
cmd = [sys.executable, "-c", sys.argv[1], str(os.getpid()), sys.argv[2]]
child = subprocess.Popen(cmd, stdout=subprocess.PIPE)
assert child.stdout.readline() == b"ready\\n"
print(child.pid, flush=True)
child.wait()
"""


@posix
@pytest.mark.parametrize(
    "how",
    [
        pytest.param(
            "kernel",
            marks=pytest.mark.skipif(
                not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's"
            ),
        ),
        "watchdog",
    ],
)
def test_a_worker_dies_with_its_parent_killed_outright(how, tmp_path):
    """The mechanism alone, in a process that is not a pool's: SIGKILL the parent, the child follows."""
    child = None
    with subprocess.Popen([sys.executable, "-c", PARENT, CHILD, how], stdout=subprocess.PIPE) as parent:
        try:
            assert parent.stdout is not None
            child = psutil.Process(int(parent.stdout.readline()))
            parent.kill()
            parent.wait()
            deadline = time.monotonic() + 5.0
            while _alive(child) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not _alive(child), f"the child outlived its parent ({how})"
        finally:
            if parent.poll() is None:
                parent.kill()
            if child is not None and _alive(child):
                child.kill()


def _alive(p: psutil.Process) -> bool:
    try:
        return p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
