"""Bad output paths: ``plan --out`` and ``route --map`` refused at once, with the path and the fix.

Every case fails before any work: ``make_plan`` and the network loader are replaced
by functions that raise, so a case that reached them would crash.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from tests.bad_inputs.harness import Case, check

SCENARIO = "enablement:brigade-antwerp-aachen"
ROUTE = ["route", "port-ghent", "staging-brasschaat", "--vehicle", "boxer", "--map"]
_held: list[int] = []  # lock files held by a case (another run, as the command sees it)


@pytest.fixture(autouse=True)
def _nothing_is_computed(monkeypatch):
    def never(*_args, **_kwargs):
        raise AssertionError("the command started its work before checking where it writes")

    monkeypatch.setattr("enablement.plan.make_plan", never)
    monkeypatch.setattr("enablement.network.embedded.load_embedded_network", never)
    yield
    while _held:
        os.close(_held.pop())


def _read_only(path: Path) -> Path:
    path.chmod(0o555)
    if os.access(path, os.W_OK):
        path.chmod(0o755)
        pytest.skip("chmod does not stop this user from writing (root)")
    return path


def _file(path: Path, text: str = "the user's") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _folder(path: Path, *names: str) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name in names:
        (path / name).write_text("the user's")
    return path


def _another_run(d: Path) -> list[str]:
    fd = os.open(d / ".plan-out.lock", os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.write(fd, b"4242\n")
    _held.append(fd)
    return ["plan", SCENARIO, "--out", str(d / "plan-out")]


CASES = [
    Case(
        "plan: --out onto a file",
        lambda d: ["plan", SCENARIO, "--out", str(_file(d / "plan-out"))],
        words=("plan-out", "is a file, not a folder", "choose another output folder (--out)"),
    ),
    Case(
        "plan: --out onto a folder of the user's files",
        lambda d: ["plan", SCENARIO, "--out", str(_folder(d / "holiday", "photo.jpg", "map.html"))],
        words=("holiday", "photo.jpg", "enablement did not write", "nothing was deleted", "--out"),
    ),
    Case(
        "plan: --out under a file",
        lambda d: ["plan", SCENARIO, "--out", str(_file(d / "notes.txt") / "plans" / "today")],
        words=("cannot create", "notes.txt/plans", "not a directory", "--out"),
    ),
    Case(
        "plan: --out onto a read-only folder",
        lambda d: ["plan", SCENARIO, "--out", str(_read_only(_folder(d / "plan-out")))],
        words=("plan-out", "is read-only", "chmod u+w", "--out"),
    ),
    Case(
        "plan: --out in a read-only folder",
        lambda d: ["plan", SCENARIO, "--out", str(_read_only(_folder(d / "shared")) / "plan-out")],
        words=("cannot write beside", "shared is read-only", "make it writable", "--out"),
    ),
    Case(
        "plan: --out that another run is writing",
        _another_run,
        words=("another run (pid 4242)", "is writing the output folder", "plan-out", "wait for it to finish"),
    ),
    Case(
        "route: --map onto a folder",
        lambda d: [*ROUTE, str(_folder(d / "maps"))],
        words=("--map", "maps' is not a .html or .htm file name", "e.g. out.html"),
    ),
    Case(
        "route: --map onto a folder named like a map",
        lambda d: [*ROUTE, str(_folder(d / "maps.html"))],
        words=("maps.html is a folder", "maps.html/route.html"),
    ),
    Case(
        "route: --map under a file",
        lambda d: [*ROUTE, str(_file(d / "notes.txt") / "route.html")],
        words=("cannot write", "notes.txt is a file", "choose another place"),
    ),
    Case(
        "route: --map in a read-only folder",
        lambda d: [*ROUTE, str(_read_only(_folder(d / "maps")) / "route.html")],
        words=("cannot write", "maps is read-only", "make it writable"),
    ),
    Case(
        "route: --map onto a read-only file",
        lambda d: [*ROUTE, str(_read_only(_file(d / "route.html")))],
        words=("route.html", "the file is read-only"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case, tmp_path):
    check(case, tmp_path)


def test_nothing_of_the_users_is_touched(tmp_path):
    user = _folder(tmp_path / "holiday", "photo.jpg", "map.html")
    check(CASES[1], tmp_path)
    assert sorted(p.name for p in user.iterdir()) == ["map.html", "photo.jpg"]
    assert (user / "map.html").read_text() == "the user's"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["holiday"]  # no lock file, no staging left
