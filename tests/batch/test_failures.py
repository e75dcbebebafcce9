"""A variant that fails at any stage is recorded with its reason, and the others are planned.

The stages: loading its scenario file, building its network (missing, corrupt, or
not fitting the overlay), planning, and its worker process dying.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

import pandas as pd
import pytest

from enablement.batch import BatchError, load_batch, read_results, run_batch, runners
from tests.batch.worlds import BAD, folder_batch

OK = ("ok-1", "ok-2")


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Tables equal but for the wall-clock solve time."""
    pd.testing.assert_frame_equal(a.drop(columns="solve_s"), b.drop(columns="solve_s"))


@pytest.fixture(scope="module")
def here(world, tmp_path_factory):
    """The folder batch with its bad variants, planned in this process."""
    root = tmp_path_factory.mktemp("here")
    return run_batch(load_batch(folder_batch(root, world, OK, bad=True)), root / "out", workers=0)


def test_each_bad_variant_fails_alone_naming_itself_its_file_and_the_fix(here):
    t = here.table.set_index("variant")
    assert list(t.index) == sorted([*OK, *BAD])
    assert here.counts == {"ok": 2, "infeasible": 0, "failed": 4, "timed out": 0}
    assert (t.loc[list(OK), "status"] == "ok").all()
    assert t.loc[list(OK), "closure_h"].notna().all()
    msg = t["message"]
    # loading: the scenario's own checks, with the file and the field
    assert "bad-scenario.yaml: movements[0].to: unknown site 'no-such-site'" in msg["bad-scenario"]
    assert "missing-network.yaml: network.source:" in msg["missing-network"]
    assert "nosuch.gpkg' is neither 'embedded' nor an existing network file" in msg["missing-network"]
    # building the network: the variant, the network file, the scenario file and the fix
    for name, words in {
        "corrupt-network": ("corrupt.gpkg: not a GeoPackage",),
        "unfit-network": ("sites 'quay-q' is unmatched", "(network.snap_tolerance_m", "raise it"),
    }.items():
        assert msg[name].startswith(f"variant {name}: its network cannot be built: "), msg[name]
        assert all(w in msg[name] for w in words), msg[name]
        assert (
            f"fix network.source (or the overlays) in {here.out_dir.parent / 'scenarios' / name}.yaml"
            in msg[name]
        )
    assert sorted(r["variant"] for r in read_results(here.out_dir)) == list(t.index)


def test_resuming_a_batch_with_failures_runs_nothing_again(here, tmp_path):
    import shutil

    out = tmp_path / "out"
    shutil.copytree(here.out_dir, out)
    again = run_batch(here.batch, out, workers=0, resume=True)
    assert (again.ran, again.skipped) == (0, 6)
    _same(again.table, here.table)
    assert len(read_results(out)) == 6


@pytest.mark.slow
def test_the_pool_records_the_same_failures(here, world, tmp_path):
    pooled = run_batch(load_batch(folder_batch(tmp_path, world, OK, bad=True)), tmp_path / "out", workers=2)
    _same(pooled.table.assign(message=""), here.table.assign(message=""))  # the messages name their folder
    assert pooled.table["message"].str.len().gt(0).tolist() == here.table["message"].str.len().gt(0).tolist()


def test_the_base_scenarios_network_stops_the_batch_naming_it(world, tmp_path):
    bad = tmp_path / "base.yaml"
    (tmp_path / "corrupt.gpkg").write_bytes(b"not a GeoPackage")
    bad.write_text(
        world.read_text()
        .replace("source: world.gpkg", f"source: {tmp_path / 'corrupt.gpkg'}")
        .replace("overlays: [overlay]", f"overlays: [{world.parent / 'overlay'}]")
    )
    batch = tmp_path / "batch.yaml"
    batch.write_text(
        "name: b\nbase: base.yaml\nsolver: {road: greedy}\n"
        "changes: [{kind: delay_arrivals, arrivals: [ship-1], hours: [1]}]\n"
    )
    with pytest.raises(BatchError) as exc:
        run_batch(load_batch(batch), tmp_path / "out", workers=0)
    text = str(exc.value)
    assert f"batch.yaml: base: the network of {bad} cannot be built, and every variant needs it" in text
    assert "corrupt.gpkg: not a GeoPackage" in text and "fix network.source" in text
    assert read_results(tmp_path / "out") == []


@pytest.mark.parametrize(
    ("workers", "timeout_s", "words"),
    [
        (-1, None, "workers must be 0 or more (got -1)"),
        (10**6, None, "workers: at most"),
        (2.5, None, "workers must be a whole number"),
        (1, 0, "timeout_s must be a number of seconds above 0 (got 0)"),
        (1, -3.0, "timeout_s must be a number of seconds above 0"),
        (1, float("nan"), "(got nan)"),
        (1, float("inf"), "(got inf)"),
    ],
)
def test_run_batch_refuses_options_that_cannot_be_meant(world, tmp_path, workers, timeout_s, words):
    path = folder_batch(tmp_path, world, OK)
    with pytest.raises(BatchError) as exc:
        run_batch(load_batch(path), tmp_path / "out", workers=workers, timeout_s=timeout_s)
    assert words in str(exc.value)
    assert not (tmp_path / "out").exists()


def _kill_worker_of(variant: str, times: int, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """SIGKILL the worker process of ``variant`` as soon as it starts, the first ``times`` times.

    The variant must be the first its worker plans: a fresh worker takes a second or
    so for its first plan (a warm one a few hundredths), long enough to be caught.
    """
    monkeypatch.setattr(runners, "_POLL_S", 0.05)
    killed: list[int] = []
    collect = runners._Flight.collect

    def collect_and_kill(self, done):
        broken = collect(self, done)
        started = self.running.get(variant)
        if started is not None and len(killed) < times and started[0] not in killed:
            os.kill(started[0], signal.SIGKILL)
            killed.append(started[0])
        return broken

    monkeypatch.setattr(runners._Flight, "collect", collect_and_kill)
    return killed


@pytest.mark.slow
def test_a_variant_whose_worker_is_killed_is_run_again_alone(world, tmp_path, monkeypatch):
    """Killed once: run again on its own, planned; the others are planned too, each recorded once."""
    killed = _kill_worker_of("a-target", 1, monkeypatch)
    path = folder_batch(tmp_path, world, ("a-target", "b-ok", "c-ok"))
    result = run_batch(load_batch(path), tmp_path / "out", workers=2)
    assert len(killed) == 1
    assert result.counts["ok"] == 3
    assert sorted(r["variant"] for r in read_results(tmp_path / "out")) == ["a-target", "b-ok", "c-ok"]


@pytest.mark.slow
def test_a_variant_whose_worker_is_killed_twice_fails_and_the_rest_go_on(world, tmp_path, monkeypatch):
    """Killed, then again when run alone: recorded as failed, with the reason.

    One worker: each time the variant runs it is the first of a fresh worker (with two,
    its lone run could follow another variant's in a warm worker, too fast to catch).
    """
    killed = _kill_worker_of("a-target", 2, monkeypatch)
    path = folder_batch(tmp_path, world, ("a-target", "b-ok", "c-ok"))
    result = run_batch(load_batch(path), tmp_path / "out", workers=1)
    assert len(killed) == 2
    t = result.table.set_index("variant")
    assert t.loc["a-target", "status"] == "failed"
    assert t.loc["a-target", "message"] == (
        "variant a-target: its worker process died while planning it, and again when it ran alone "
        "(killed by a signal, or out of memory: fewer --workers leave each more)"
    )
    assert (t.loc[["b-ok", "c-ok"], "status"] == "ok").all()
    assert sorted(r["variant"] for r in read_results(tmp_path / "out")) == ["a-target", "b-ok", "c-ok"]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM cannot be caught on Windows")
def test_sigterm_stops_a_batch_like_ctrl_c(world, tmp_path):
    """The signal raises KeyboardInterrupt in the batch: what was recorded stays; the handler is put back."""

    def terminate(ev) -> None:
        if ev.row is not None:
            os.kill(os.getpid(), signal.SIGTERM)

    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    path = folder_batch(tmp_path, world, ("a", "b", "c"))
    with pytest.raises(KeyboardInterrupt):
        run_batch(load_batch(path), tmp_path / "out", workers=0, progress=terminate)
    assert [r["variant"] for r in read_results(tmp_path / "out")] == ["a"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    resumed = run_batch(load_batch(path), tmp_path / "out", workers=0, resume=True)
    assert (resumed.ran, resumed.skipped, resumed.counts["ok"]) == (2, 1, 3)


def test_a_batch_runs_outside_the_main_thread_and_leaves_sigterm_alone(world, tmp_path):
    path = folder_batch(tmp_path, world, ("a",))
    handlers, results = [], []

    def run() -> None:
        progress = lambda ev: handlers.append(signal.getsignal(signal.SIGTERM))  # noqa: E731
        results.append(run_batch(load_batch(path), tmp_path / "out", workers=0, progress=progress))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(120)
    assert results and results[0].counts["ok"] == 1
    assert handlers and all(h is signal.SIG_DFL for h in handlers)
