"""The built wheel carries every module and data file and imports on its own."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds and installs the wheel

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"wheel build failed:\n{proc.stderr[-2000:]}")
    return next(out.glob("enablement-*.whl"))


def test_wheel_contents(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for f in (
        "enablement/__init__.py",
        "enablement/kernels/__init__.py",
        "enablement/kernels/spatial.py",
        "enablement/data/vehicles.yaml",
        "enablement/data/planning.yaml",
        "enablement/data/belgium-outline.geojson",
        "enablement/data/countries.geojson",
        "enablement/geodata/belgium/sites.geojson",
        "enablement/geodata/belgium/bridges.geojson",
        "enablement/scenarios/brigade-antwerp-aachen.yaml",
        "enablement/py.typed",
    ):
        assert f in names, f
    assert not any(n.startswith("kernels/") for n in names)  # no top-level `kernels` package
    assert not any(n.startswith("docs/") or "/docs/" in n for n in names)  # the docs stay in the repository


def test_wheel_imports_outside_the_checkout(wheel, tmp_path):
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    code = (
        "import enablement, enablement.kernels as k;"
        "from enablement.scenario import load_scenario;"
        "from enablement.network.embedded import clip_area;"
        f"assert enablement.__file__.startswith({str(target)!r}), enablement.__file__;"
        "print(load_scenario('enablement:brigade-antwerp-aachen').name, clip_area().area > 0)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "Armoured brigade: Antwerp and Zeebrugge to Aachen True"
