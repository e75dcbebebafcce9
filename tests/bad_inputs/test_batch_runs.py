"""The bad-input catalogue for ``enablement batch``: options, output folders, schedulers, batch files.

Each case exits 2 with one message naming the file, the field or the option and the
fix, within its time limit and without a traceback. A few controls exit 0: the
inputs the command accepts that look like the bad ones (``--workers 0``, a folder
batch with one broken network).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from tests.bad_inputs.harness import Case, check
from tests.batch.worlds import folder_batch
from tests.small_world import write_world

_SOCKETS: list[socket.socket] = []  # listeners of the scheduler cases, closed after each


@pytest.fixture(autouse=True)
def _close_sockets() -> Iterator[None]:
    yield
    while _SOCKETS:
        _SOCKETS.pop().close()


def _folder_batch(d: Path, files: dict[str, str] | None = None) -> Path:
    """A folder batch whose files are not read before the options are checked (``a.yaml``: not a scenario)."""
    folder = d / "scenarios"
    folder.mkdir()
    for name, text in (files if files is not None else {"a.yaml": "name: [unclosed\n"}).items():
        (folder / name).write_text(text)
    path = d / "batch.yaml"
    path.write_text("name: bad inputs\nscenarios: scenarios\nsolver: {road: greedy}\n")
    return path


def _batch(*options: str) -> Callable[[Path], Sequence[str]]:
    """The folder batch with ``options`` after ``--out``."""
    return lambda d: ["batch", str(_folder_batch(d)), "--out", str(d / "out"), *options]


def _world_batch(d: Path) -> Path:
    """A folder batch of the small world and of the variants that fail (:data:`tests.batch.worlds.BAD`)."""
    return folder_batch(d, write_world(d / "world", solver="greedy"), ("a-world",), bad=True)


def _other_batch_out(d: Path) -> Path:
    out = d / "out"
    out.mkdir()
    (out / "results.jsonl").write_text(json.dumps({"variant": "a", "status": "ok"}) + "\n")
    (out / "batch.json").write_text(json.dumps({"name": "another", "fingerprint": "0" * 64}))
    return out


def _unreadable_meta_out(d: Path) -> Path:
    out = _other_batch_out(d)
    (out / "batch.json").write_text('{"name": "cut sho')
    return out


def _refused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _silent_port() -> int:
    """A port that accepts connections (the kernel's backlog) and never says a word."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    _SOCKETS.append(s)
    return int(s.getsockname()[1])


def _base_batch(d: Path, base: str) -> Path:
    path = d / "batch.yaml"
    path.write_text(
        f"name: b\nbase: {base}\nsolver: {{road: greedy}}\n"
        "changes: [{kind: delay_arrivals, arrivals: [ship-1], hours: [1]}]\n"
    )
    return path


def _corrupt_base(d: Path) -> Sequence[str]:
    world = write_world(d / "world", solver="greedy")
    (d / "world" / "world.gpkg").write_bytes((d / "world" / "world.gpkg").read_bytes()[:4096])
    return ["batch", str(_base_batch(d, str(world))), "--out", str(d / "out")]


def _invalid_base(d: Path) -> Sequence[str]:
    (d / "base.yaml").write_text("version: 1\nname: x\nstart: not a date\n")
    return ["batch", str(_base_batch(d, "base.yaml")), "--out", str(d / "out")]


def _file_out(d: Path) -> Sequence[str]:
    (d / "out").write_text("a file where the folder should go\n")
    return ["batch", str(_folder_batch(d)), "--out", str(d / "out")]


def _under_file_out(d: Path) -> Sequence[str]:
    (d / "out").write_text("a file where the folder should go\n")
    return ["batch", str(_folder_batch(d)), "--out", str(d / "out" / "batch")]


def _no_scenarios(d: Path) -> Sequence[str]:
    (d / "scenarios").mkdir()
    (d / "scenarios" / "notes.txt").write_text("no scenario here\n")
    (d / "batch.yaml").write_text("name: empty\nscenarios: scenarios\n")
    return ["batch", str(d / "batch.yaml"), "--out", str(d / "out")]


def _results_without_resume(d: Path) -> Sequence[str]:
    _other_batch_out(d)
    return ["batch", str(_folder_batch(d)), "--out", str(d / "out")]


def _refusing(d: Path) -> Sequence[str]:
    return _batch("--scheduler", f"tcp://127.0.0.1:{_refused_port()}")(d)


def _silent(d: Path) -> Sequence[str]:
    return _batch("--scheduler", f"tcp://127.0.0.1:{_silent_port()}")(d)


SCHEDULER_S = 30  # a bounded connect: each scheduler case answers in seconds

CASES = [
    # --workers: argparse takes the number; the batch library checks its range
    Case("workers negative", _batch("--workers", "-1"), words=("--workers", "-1 is out of range", "from 0")),
    Case(
        "workers huge",
        _batch("--workers", "1000000"),
        words=("--workers", "1000000 is out of range", "to 256"),
    ),
    Case(
        "workers not a number", _batch("--workers", "two"), words=("--workers", "'two' is not a whole number")
    ),
    Case(
        "workers 0 plans in this process",
        lambda d: ["batch", str(_world_batch(d)), "--out", str(d / "out"), "--workers", "0"],
        code=0,
        words=(
            "1 ok",
            "4 failed",
            "corrupt-network failed: variant corrupt-network: its network cannot be built",
        ),
    ),
    # --timeout and --time-limit: the batch file's schema checks them
    Case("timeout 0", _batch("--timeout", "0"), words=("--timeout", "0 is out of range", "above 0")),
    Case("timeout negative", _batch("--timeout", "-5"), words=("--timeout", "-5 is out of range", "above 0")),
    Case("timeout nan", _batch("--timeout", "nan"), words=("--timeout", "'nan' is not a finite number")),
    Case(
        "timeout inf",
        _batch("--timeout", "inf"),
        words=("--timeout", "'inf' is not a finite number", "at most 604800"),
    ),
    Case("time limit 0", _batch("--time-limit", "0"), words=("--time-limit", "0 is out of range", "above 0")),
    Case(
        "time limit nan",
        _batch("--time-limit", "nan"),
        words=("--time-limit", "'nan' is not a finite number"),
    ),
    # output folders
    Case(
        "resume on another batch's folder",
        lambda d: (
            _other_batch_out(d),
            ["batch", str(_folder_batch(d)), "--out", str(d / "out"), "--resume"],
        )[1],
        words=("holds the results of a different batch", "use another output folder"),
    ),
    Case(
        "resume on a folder whose batch.json is cut short",
        lambda d: (
            _unreadable_meta_out(d),
            ["batch", str(_folder_batch(d)), "--out", str(d / "out"), "--resume"],
        )[1],
        words=("holds results but no readable batch.json", "use another output folder"),
    ),
    Case(
        "results there, no --resume", _results_without_resume, words=("already holds the results", "--resume")
    ),
    Case("out onto a file", _file_out, words=("is a file, not a folder", "choose another --out")),
    Case("out under a file", _under_file_out, words=("cannot write the batch's outputs there", "--out")),
    # Dask schedulers: refused, silent, malformed; none may hang
    Case(
        "scheduler refuses",
        _refusing,
        words=("cannot reach the Dask scheduler", "connection refused", "dask scheduler"),
        timeout_s=SCHEDULER_S,
    ),
    Case(
        "scheduler silent",
        _silent,
        words=("cannot reach the Dask scheduler", "no answer within 5 s"),
        timeout_s=SCHEDULER_S,
    ),
    Case(
        "scheduler without a port",
        _batch("--scheduler", "tcp://scheduler-host"),
        words=("'tcp://scheduler-host' is not a Dask scheduler address", "tcp://host:8786"),
        timeout_s=SCHEDULER_S,
    ),
    Case(
        "scheduler with an unknown scheme",
        _batch("--scheduler", "htp://host:8786"),
        words=("not a Dask scheduler address", "unknown address scheme"),
        timeout_s=SCHEDULER_S,
    ),
    # batch files
    Case(
        "base scenario missing",
        lambda d: ["batch", str(_base_batch(d, "no/such/base.yaml")), "--out", str(d / "out")],
        words=("batch.yaml: base:", "no such scenario file"),
    ),
    Case("base scenario invalid", _invalid_base, words=("base:", "base.yaml", "start")),
    Case(
        "base scenario's network cut short",
        _corrupt_base,
        words=(
            "base: the network of",
            "cannot be built",
            "world.gpkg: not a GeoPackage",
            "fix network.source",
        ),
    ),
    Case(
        "folder batch without scenario files",
        _no_scenarios,
        words=("no *.yaml scenario file in 'scenarios'",),
    ),
    Case(
        "folder batch's folder missing",
        lambda d: (
            (d / "batch.yaml").write_text("name: gone\nscenarios: nowhere\n"),
            ["batch", str(d / "batch.yaml"), "--out", str(d / "out")],
        )[1],
        words=("scenarios: 'nowhere' is not a folder",),
    ),
    Case(
        "batch file missing",
        lambda d: ["batch", str(d / "missing.yaml"), "--out", str(d / "out")],
        words=("missing.yaml: no such batch file",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case, tmp_path: Path) -> None:
    check(case, tmp_path)


def test_the_catalogue_is_large_enough() -> None:
    assert len({c.id for c in CASES}) == len(CASES) >= 15
