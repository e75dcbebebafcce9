"""The output folder holds one complete plan at every instant: kills, concurrent runs, leftovers, refusals.

The command runs as ``python -m enablement plan`` in a subprocess whose write phase
stops itself at a named checkpoint (``enablement.outputs.folder._checkpoint``): a
``kill -9`` of itself there, or a pause until the test lets it go on. The points
are named, not timed, so every run stops at the same place.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from enablement import settings
from enablement.cli import main
from enablement.outputs import folder as output_folder
from enablement.outputs.folder import OutputError, file_manifest, verify_manifest
from enablement.outputs.tables import march_table, train_table, unit_table
from enablement.outputs.write import prepare_output, write_outputs
from enablement.plan import make_plan
from tests.small_world import write_world

# python -c DRIVER ARGS…: `python -m enablement ARGS…`, with the checkpoint hook set from the environment
DRIVER = r"""
import os, runpy, signal, sys, time
from pathlib import Path
from enablement.outputs import folder

stop = os.environ.get("STOP_AT")
pauses = set(filter(None, os.environ.get("PAUSE_AT", "").split(",")))
gate = Path(os.environ.get("GATE", "."))

def hook(stage):
    if stage == stop:
        os.kill(os.getpid(), signal.SIGKILL)
    if stage in pauses:
        (gate / f"paused {stage}").touch()
        deadline = time.monotonic() + 120
        while not (gate / f"go {stage}").exists():
            if time.monotonic() > deadline:
                sys.exit(99)
            time.sleep(0.01)

folder._checkpoint = hook
if os.environ.get("NO_EXCHANGE"):
    folder.exchange_paths = lambda a, b: False
sys.argv = ["enablement", *sys.argv[1:]]
runpy.run_module("enablement", run_name="__main__")
"""

# the stages of the write phase, in order, and which plan DIR holds after a kill at each
BEFORE_SWAP = [
    "locked",  # solving
    "staging",  # no file written yet
    "file march_table.csv",  # one file
    "file units.csv",  # three files
    "file report.html",  # every file but the manifest
    "file summary.json",  # manifest written, not yet flushed
    "complete",  # flushed, not yet swapped
]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The small world's scenario, a previous scenario (other counts), and a plan of each written once."""
    root = tmp_path_factory.mktemp("atomic")
    scenario = write_world(root / "in", solver="greedy")  # the fastest plan
    previous = scenario.with_name("previous.yaml")
    text = scenario.read_text().replace("count: 14", "count: 12")
    previous.write_text(text.replace("name: Small world", "name: Previous world"))
    write_outputs(make_plan(previous), root / "previous")
    write_outputs(make_plan(scenario), root / "new")
    return {"scenario": scenario, "previous": root / "previous", "new": root / "new"}


def _plan_cmd(scenario: Path, out: Path) -> list[str]:
    return [sys.executable, "-c", DRIVER, "plan", str(scenario), "--out", str(out)]


def _env(**extra: str) -> dict[str, str]:
    return os.environ | {"ENABLEMENT_CACHE": str(settings.cache_folder)} | extra


def _run(scenario: Path, out: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _plan_cmd(scenario, out), env=_env(**extra), capture_output=True, text=True, timeout=300, check=False
    )


def _with_previous(world, tmp_path: Path) -> Path:
    out = tmp_path / "plan"
    shutil.copytree(world["previous"], out)
    return out


def _which(out: Path, world) -> str:
    """Say which plan ``out`` holds, after checking that it is one complete plan."""
    assert out.is_dir(), f"{out} is missing"
    assert verify_manifest(out) == [], verify_manifest(out)
    if file_manifest(out) == file_manifest(world["previous"]):  # every byte, the summary too
        return "previous"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == "Small world", summary["scenario"]
    for name in ("march_table.csv", "trains.csv", "units.csv"):
        assert (out / name).read_bytes() == (world["new"] / name).read_bytes(), name
    return "new"


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def _wait_for(path: Path, proc: subprocess.Popen[str], timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        assert proc.poll() is None, f"the run ended (exit {proc.returncode}) before {path.name}"
        assert time.monotonic() < deadline, f"{path.name} never came"
        time.sleep(0.01)


# --- kill -9 during the write phase ---------------------------------------------------------------


@pytest.mark.parametrize("stage", [*BEFORE_SWAP, "swapped"])
def test_a_kill_leaves_the_previous_plan_or_the_new_one(world, tmp_path, stage):
    out = _with_previous(world, tmp_path)
    done = _run(world["scenario"], out, STOP_AT=stage)
    assert done.returncode == -9, done.stderr  # the run reached the point and died there
    assert _which(out, world) == ("new" if stage == "swapped" else "previous")
    # the next run's first step removes what the killed one left (the whole next run: below)
    prepare_output(out).close()
    assert _which(out, world) == ("new" if stage == "swapped" else "previous")
    assert _leftovers(out) == []


@pytest.mark.parametrize("stage", ["aside", "swapped"])
def test_a_kill_where_folders_cannot_be_exchanged(world, tmp_path, stage):
    out = _with_previous(world, tmp_path)
    done = _run(world["scenario"], out, STOP_AT=stage, NO_EXCHANGE="1")
    assert done.returncode == -9, done.stderr
    if stage == "aside":  # killed between the two renames: no folder until the next run puts it back
        assert not out.exists()
        prepare_output(out).close()
        assert _which(out, world) == "previous"
    else:
        prepare_output(out).close()
        assert _which(out, world) == "new"
    assert _leftovers(out) == []


def test_a_reader_sees_one_complete_plan_at_every_checkpoint(world, tmp_path):
    out = _with_previous(world, tmp_path)
    gate = tmp_path / "gate"
    gate.mkdir()
    stages = [*BEFORE_SWAP, "swapped"]
    proc = subprocess.Popen(
        _plan_cmd(world["scenario"], out),
        env=_env(PAUSE_AT=",".join(stages), GATE=str(gate)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for stage in stages:
            _wait_for(gate / f"paused {stage}", proc)
            assert _which(out, world) == ("new" if stage == "swapped" else "previous"), stage
            (gate / f"go {stage}").touch()
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert _which(out, world) == "new"
    assert _leftovers(out) == []


# --- concurrent runs ------------------------------------------------------------------------------


def test_a_second_run_on_the_folder_is_refused_before_solving(world, tmp_path, monkeypatch, capsys):
    out = _with_previous(world, tmp_path)
    gate = tmp_path / "gate"
    gate.mkdir()
    stage = "file units.csv"  # the first run is in the middle of writing
    proc = subprocess.Popen(
        _plan_cmd(world["scenario"], out),
        env=_env(PAUSE_AT=stage, GATE=str(gate)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(gate / f"paused {stage}", proc)

        def never(*_args, **_kwargs):
            raise AssertionError("the second run started solving")

        monkeypatch.setattr("enablement.plan.make_plan", never)
        assert main(["plan", str(world["scenario"]), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert f"another run (pid {proc.pid}) is writing the output folder {out}" in err
        assert _which(out, world) == "previous"
        (gate / f"go {stage}").touch()
        _, first_err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0, first_err
    assert _which(out, world) == "new"
    assert _leftovers(out) == []


def test_two_runs_started_together_one_plan_results(world, tmp_path):
    out = _with_previous(world, tmp_path)
    procs = [
        subprocess.Popen(
            _plan_cmd(world["scenario"], out),
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [(p.wait(timeout=300), p.communicate()[1]) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes in ([0, 0], [0, 2]), results  # both 0 only when one ended before the other locked
    for code, err in results:
        if code == 2:
            assert "is writing the output folder" in err and str(out) in err, err
    assert _which(out, world) == "new"
    assert _leftovers(out) == []


def test_the_lock_is_held_from_before_solving_to_after_the_swap(world, tmp_path, monkeypatch):
    out = tmp_path / "plan"
    seen = []

    def hook(stage):
        lock = out.parent / ".plan.lock"
        with lock.open("a") as f:  # another open file: a second run's view of the lock
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                seen.append(stage)

    monkeypatch.setattr(output_folder, "_checkpoint", hook)
    assert main(["plan", str(world["scenario"]), "--out", str(out)]) == 0
    assert seen[0] == "locked" and seen[-1] == "swapped" and "complete" in seen
    assert _leftovers(out) == []  # the lock file goes with the run


# --- leftovers ------------------------------------------------------------------------------------


def test_leftovers_of_a_killed_run_are_removed_by_the_next_run(world, tmp_path):
    out = _with_previous(world, tmp_path)
    assert _run(world["scenario"], out, STOP_AT="file units.csv").returncode == -9
    left = _leftovers(out)
    assert any(n.startswith(".plan.tmp-") for n in left) and ".plan.lock" in left, left
    assert main(["plan", str(world["scenario"]), "--out", str(out)]) == 0
    assert _which(out, world) == "new"
    assert _leftovers(out) == []


def test_leftovers_of_dead_runs_are_removed_and_nothing_else(world, tmp_path):
    out = _with_previous(world, tmp_path)
    for name in (".plan.tmp-999999-0badcafe", ".plan.old-1-abcdef01"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "map.html").write_text("half a map")
    (tmp_path / ".plan.lock").write_text("999999\n")  # left by a kill: no one holds it
    (tmp_path / ".map.x1y2z3.tmp.html").write_text("")  # not a part of ours (not of .plan)
    (out / ".report.k3j4l5m6.tmp.html").write_text("")  # an earlier version's leftover inside
    keep = ["notes.txt", ".plan.tmp", ".other.tmp-1-ab", ".plan.tmp-x-ab"]
    for name in keep:
        (tmp_path / name).write_text("the user's")
    assert main(["plan", str(world["scenario"]), "--out", str(out)]) == 0
    assert _which(out, world) == "new"
    assert _leftovers(out) == sorted([".plan.tmp", ".plan.tmp-x-ab"])  # not of our pattern: kept
    for name in keep:
        assert (tmp_path / name).read_text() == "the user's"
    assert (tmp_path / ".map.x1y2z3.tmp.html").exists()


def test_a_plan_left_aside_is_put_back_when_the_folder_is_missing(world, tmp_path):
    aside = tmp_path / ".plan.old-12345-abcd"
    shutil.copytree(world["previous"], aside)
    (tmp_path / ".plan.tmp-12345-abcd").mkdir()  # the new plan that never got in
    out = tmp_path / "plan"
    with prepare_output(out):
        assert _which(out, world) == "previous"
    assert _leftovers(out) == []


# --- refusals before solving ----------------------------------------------------------------------


def _no_solve(monkeypatch):
    def never(*_args, **_kwargs):
        raise AssertionError("the scenario was planned")

    monkeypatch.setattr("enablement.plan.make_plan", never)


def _read_only(path: Path) -> None:
    path.chmod(0o555)
    if os.access(path, os.W_OK):
        path.chmod(0o755)
        pytest.skip("chmod does not stop this user from writing (root)")


def test_out_onto_a_file(world, tmp_path, monkeypatch, capsys):
    _no_solve(monkeypatch)
    out = tmp_path / "plan"
    out.write_text("a file of the user's")
    assert main(["plan", str(world["scenario"]), "--out", str(out)]) == 2
    assert f"the output folder {out} is a file, not a folder" in capsys.readouterr().err
    assert out.read_text() == "a file of the user's"


def test_out_onto_a_folder_of_the_users_files(world, tmp_path, monkeypatch, capsys):
    _no_solve(monkeypatch)
    out = tmp_path / "photos"
    out.mkdir()
    for name in ("holiday.jpg", "map.html"):
        (out / name).write_text("the user's")
    assert main(["plan", str(world["scenario"]), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"the output folder {out} holds files that enablement did not write (holiday.jpg)" in err
    assert "nothing was deleted" in err
    assert sorted(p.name for p in out.iterdir()) == ["holiday.jpg", "map.html"]
    assert _leftovers(out) == []


def test_a_previous_plan_with_a_file_added_is_refused(world, tmp_path, monkeypatch):
    _no_solve(monkeypatch)
    out = _with_previous(world, tmp_path)
    (out / "notes.txt").write_text("my notes on the plan")
    with pytest.raises(OutputError, match=r"did not write \(notes.txt\)"):
        prepare_output(out)
    assert (out / "notes.txt").exists()


def test_out_onto_a_read_only_folder(world, tmp_path, monkeypatch, capsys):
    _no_solve(monkeypatch)
    out = _with_previous(world, tmp_path)
    _read_only(out)
    try:
        assert main(["plan", str(world["scenario"]), "--out", str(out)]) == 2
    finally:
        out.chmod(0o755)
    assert f"the output folder {out} is read-only" in capsys.readouterr().err
    assert _which(out, world) == "previous"


def test_out_beside_a_read_only_parent(world, tmp_path, monkeypatch, capsys):
    _no_solve(monkeypatch)
    parent = tmp_path / "locked"
    parent.mkdir()
    _read_only(parent)
    try:
        assert main(["plan", str(world["scenario"]), "--out", str(parent / "plan")]) == 2
    finally:
        parent.chmod(0o755)
    assert f"{parent} is read-only" in capsys.readouterr().err


def test_out_under_a_file(world, tmp_path, monkeypatch, capsys):
    _no_solve(monkeypatch)
    (tmp_path / "notes.txt").write_text("")
    out = tmp_path / "notes.txt" / "plans" / "today"
    assert main(["plan", str(world["scenario"]), "--out", str(out)]) == 2
    assert f"cannot create {out.parent}, the folder that holds {out}" in capsys.readouterr().err


def test_out_onto_a_mount_point(world, tmp_path, monkeypatch, capsys):
    _no_solve(monkeypatch)
    out = tmp_path / "volume"
    out.mkdir()
    real = os.path.ismount
    monkeypatch.setattr(os.path, "ismount", lambda p: Path(p) == out or real(p))
    assert main(["plan", str(world["scenario"]), "--out", str(out)]) == 2
    assert f"{out} is a mount point" in capsys.readouterr().err


def test_the_checks_come_before_the_solve_in_time(world, tmp_path):
    out = tmp_path / "plan"
    out.write_text("")
    t0 = time.perf_counter()
    done = _run(Path("enablement:division-four-corridors"), out)  # minutes to solve, were it solved
    assert done.returncode == 2 and "is a file, not a folder" in done.stderr, done.stderr
    assert time.perf_counter() - t0 < 60


# --- the Python API -------------------------------------------------------------------------------


def test_write_outputs_returns_the_paths_and_writes_the_same_files(world, tmp_path):
    plan = make_plan(world["scenario"])
    out = tmp_path / "plan"
    paths = write_outputs(plan, out)
    assert list(paths) == [
        "march_table",
        "trains",
        "units",
        "permissions",
        "map",
        "quay_gantt",
        "report",
        "march_workbook",
        "geopackage",
        "kml",
        "gpx",
        "summary",
    ]
    assert paths == {k: out / p.name for k, p in paths.items()}
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths.values())
    assert paths["march_table"].read_text() == march_table(plan).to_csv(index=False)
    assert paths["trains"].read_text() == train_table(plan).to_csv(index=False)
    assert paths["units"].read_text() == unit_table(plan).to_csv(index=False)
    summary = json.loads(paths["summary"].read_text())
    assert summary["files"] == {k: p.name for k, p in paths.items()}
    assert set(summary["manifest"]) == {p.name for p in paths.values()} - {"summary.json"}
    assert verify_manifest(out) == []
    # again into the same folder: replaced whole, nothing left beside it
    before = out.stat().st_ino
    assert write_outputs(plan, str(out)) == paths
    assert out.stat().st_ino != before and verify_manifest(out) == []
    assert _leftovers(out) == []


def test_write_outputs_into_a_prepared_folder_and_a_symbolic_link(world, tmp_path):
    plan = make_plan(world["scenario"])
    real = _with_previous(world, tmp_path)
    link = tmp_path / "latest"
    link.symlink_to(real, target_is_directory=True)
    with prepare_output(link) as prepared:
        paths = write_outputs(plan, prepared)
    assert paths["map"] == link / "map.html"
    assert link.is_symlink() and _which(real, world) == "new"
    assert _leftovers(real) == [] and _leftovers(link) == []


def test_write_outputs_where_folders_cannot_be_exchanged(world, tmp_path, monkeypatch):
    monkeypatch.setattr(output_folder, "exchange_paths", lambda _a, _b: False)
    out = _with_previous(world, tmp_path)
    write_outputs(make_plan(world["scenario"]), out)
    assert _which(out, world) == "new"
    assert _leftovers(out) == []


def test_a_failure_while_writing_leaves_the_previous_plan(world, tmp_path, monkeypatch):
    plan = make_plan(world["scenario"])
    out = _with_previous(world, tmp_path)

    def full(_plan, _path):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "map.html")

    monkeypatch.setattr("enablement.outputs.write.write_map", full)
    with pytest.raises(OutputError, match="No space left on device"):
        write_outputs(plan, out)
    assert _which(out, world) == "previous"
    assert _leftovers(out) == []


@pytest.mark.parametrize(
    ("stage", "exchange"), [("file map.html", True), ("complete", True), ("aside", False)]
)
def test_an_interrupt_while_writing_leaves_the_previous_plan(world, tmp_path, monkeypatch, stage, exchange):
    plan = make_plan(world["scenario"])
    out = _with_previous(world, tmp_path)

    def hook(at):
        if at == stage:
            raise KeyboardInterrupt

    monkeypatch.setattr(output_folder, "_checkpoint", hook)
    if not exchange:
        monkeypatch.setattr(output_folder, "exchange_paths", lambda _a, _b: False)
    with pytest.raises(KeyboardInterrupt):
        write_outputs(plan, out)
    assert _which(out, world) == "previous"
    assert _leftovers(out) == []


def test_a_closed_folder_cannot_be_written(world, tmp_path):
    prepared = prepare_output(tmp_path / "plan")
    prepared.close()
    prepared.close()  # twice: nothing
    with pytest.raises(RuntimeError, match="was closed"):
        write_outputs(make_plan(world["scenario"]), prepared)
