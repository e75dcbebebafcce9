"""Validation of a large but legal scenario: time and peak memory, and how they scale.

Writes ``validate_large.json`` in ``--out`` (default ``benchmarks/results``). The
scenario is made here: ``arrivals`` ships of 20 equipment items each (one vehicle
per item, two units a ship, one movement a unit), every item with a load-list
comment, so that 10,000 arrivals (200,000 vehicles, 20,000 movements: the limits
of :mod:`enablement.limits` allow it) come to about 50 MB. Each size is validated
by ``load_scenario`` in a fresh process (the packaged ``belgium`` overlay and the
vehicle catalogue are read as in ``enablement validate``); the figures are the
wall-clock seconds and the process's peak resident memory (``VmHWM``), beside the
same for a two-arrival scenario (imports, overlay and catalogue: the fixed cost).
Linear validation shows as a constant number of seconds and megabytes per MB of
scenario across the sizes.

Run with ``python benchmarks/validate_large.py`` (``--arrivals 2500,5000,10000``
for the sizes, ``--keep`` to leave the files in ``--out``).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

PORTS = ("port-antwerp", "port-zeebrugge", "port-ghent", "port-ostend", "airport-melsbroek", "airport-liege")
BORDERS = (
    "border-e40-lichtenbusch",
    "border-e314-lanaken",
    "border-e19-meer",
    "border-e34-lommel",
    "border-e411-sterpenich",
    "border-e42-hensies",
)
VEHICLES = ("man_hx_8x8", "jltv", "boxer", "piranha_v", "m978_hemtt_tanker", "fennek", "dingo2", "caesar_6x6")
ITEMS = 20
UNITS_PER_ARRIVAL = 2


def _unit(u: int) -> str:
    return f"3CORPS-1DIV-2BDE-4BN-C-COY-HEAVY-EQUIPMENT-TRANSPORT-ELEMENT-{u:06d}"


def scenario_text(arrivals: int) -> str:
    """A legal scenario of ``arrivals`` ships (20 vehicles each) on the packaged Belgian overlay."""
    out = [
        "# Large legal scenario made by benchmarks/validate_large.py",
        "version: 1",
        "name: Large legal scenario",
        "start: '2026-03-02T06:00:00+01:00'",
        "overlays: [belgium]",
        "arrivals:",
    ]
    for a in range(arrivals):
        out += [
            f"- id: arrival-{a:06d}",
            "  kind: ship",
            f"  site: {PORTS[a % len(PORTS)]}",
            f"  time: '2026-03-{2 + a % 20:02d}T08:00:00+01:00'",
            "  equipment:",
        ]
        for i in range(ITEMS):
            out += [
                f"  - unit: {_unit(a * UNITS_PER_ARRIVAL + i % UNITS_PER_ARRIVAL)}",
                f"    vehicle: {VEHICLES[i % len(VEHICLES)]}",
                f"    count: 1   # serial {a * ITEMS + i:07d}, load list LL-2026-{a:06d}, hold {i % 4 + 1}, "
                f"deck B, tie-down set 4, lashing plan LP-{i:02d}, cleared by customs at the quay",
            ]
    out.append("movements:")
    for u in range(arrivals * UNITS_PER_ARRIVAL):
        out += [
            f"- unit: {_unit(u)}",
            f"  to: {BORDERS[u % len(BORDERS)]}",
            "  rdd: '2026-04-01T06:00:00+02:00'",
            f"  priority: {u % 10}",
        ]
    return "\n".join(out) + "\n"


CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from enablement.scenario import load_scenario
sc = load_scenario(sys.argv[1])
seconds = time.perf_counter() - t0
peak = float("nan")
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        peak = int(line.split()[1]) / 1024
vehicles = sum(e.count for a in sc.arrivals for e in a.equipment)
fig = {"seconds": seconds, "peak_rss_mb": peak, "arrivals": len(sc.arrivals), "vehicles": vehicles}
print(json.dumps(fig))
"""


def _validate(path: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(path)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Make the scenarios, validate each in a fresh process and write the figures."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="benchmarks/results", help="folder of validate_large.json")
    p.add_argument("--arrivals", default="2500,5000,10000", help="sizes, in arrivals (20 vehicles each)")
    p.add_argument("--keep", action="store_true", help="keep the scenario files in --out")
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.arrivals.split(",")]
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = out if args.keep else Path(tmp)
        for n in [1, *sizes]:
            path = folder / f"large-{n}.yaml"
            path.write_text(scenario_text(n), encoding="utf-8")
            mb = path.stat().st_size / 1e6
            fig = _validate(path)
            runs.append({"file_mb": round(mb, 2), **fig})
            print(f"{mb:8.1f} MB  {fig['seconds']:8.1f} s  peak {fig['peak_rss_mb']:8.0f} MB", flush=True)
    fixed = runs[0]
    for r in runs[1:]:
        r["seconds_per_mb"] = round((r["seconds"] - fixed["seconds"]) / r["file_mb"], 3)
        r["peak_mb_per_mb"] = round((r["peak_rss_mb"] - fixed["peak_rss_mb"]) / r["file_mb"], 2)
    git = ["git", "rev-parse", "--short", "HEAD"]
    commit = subprocess.run(git, check=False, capture_output=True, text=True).stdout
    result = {
        "what": "load_scenario on a large legal scenario, each size in a fresh process",
        "commit": commit.strip(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "runs": runs,
    }
    (out / "validate_large.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written {out / 'validate_large.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
