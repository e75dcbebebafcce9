"""Scale benchmark: brigade, division, two divisions and corps planned and checked, each in a fresh process.

For each size, ``enablement plan SCENARIO --out TMP`` runs in a fresh process, then
``enablement check SCENARIO TMP/march_table.csv`` in another. The figures of a row are the
plan's wall-clock and CPU seconds and peak resident memory (the ``ru_maxrss`` of that one child,
started from a small wrapper process so that it does not inherit this one's), and, from the
plan's ``summary.json``: the plan's closure (hours from the start), the road solver's
closure, proven bound, gap and greedy baseline closure, the trains, the march units and the
units late; from the checker: its violations (0 for a plan the tool writes). Seconds per
march unit show how the cost grows from the brigade to the corps (the ratio, and the
exponent of wall time in march units).

The sizes: ``brigade`` (``enablement:brigade-antwerp-aachen``), ``division``
(``enablement:division-four-corridors``), ``two-divisions`` (the first two divisions of the
corps, written by ``tools/corps_scenario.py --divisions 2`` into the temporary folder) and
``corps`` (``enablement:corps-six-corridors``). The targets of issue #20 are shown beside
them: brigade ≤ 30 s, division ≤ 2 min, corps ≤ 10 min and ≤ 4 GB with a gap ≤ 5 %
(wall time on the machine of the run; a shared machine makes them noisy).

Writes ``scale.json`` in ``--out`` (default ``benchmarks/results``) and prints a markdown
table. Run with ``python benchmarks/scale.py`` (``--sizes brigade,division`` for a subset,
``--keep`` to leave the plan folders in ``--out``, ``--timeout`` in seconds per plan).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT / "tools" / "corps_scenario.py"
SIZES: dict[str, str] = {
    "brigade": "enablement:brigade-antwerp-aachen",
    "division": "enablement:division-four-corridors",
    "two-divisions": "two-divisions.yaml",  # written into the temporary folder
    "corps": "enablement:corps-six-corridors",
}
TARGETS: dict[str, dict[str, float]] = {
    # issue #20 item 4: wall seconds, peak MB, road gap
    "brigade": {"wall_s": 30},
    "division": {"wall_s": 120},
    "corps": {"wall_s": 600, "peak_rss_mb": 4096, "gap": 0.05},
}
_VIOLATIONS = re.compile(r"(\d+) violation\(s\) in")


# A small process between this one and the child: a child forked from this (large) process would
# report this process's peak as its own (Linux keeps the peak across exec), the child of a small one
# starts small. It writes the peak RSS (KiB) and the CPU seconds (user + system) of its child to the
# file it is given.
_WRAPPER = r"""
import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
u = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as f:
    f.write(f"{u.ru_maxrss} {u.ru_utime + u.ru_stime}")
sys.exit(rc if rc >= 0 else 128 - rc)
"""


def run_child(cmd: list[str], log: Path, timeout_s: float) -> dict[str, Any]:
    """Run ``cmd`` in a fresh process: exit code, wall and CPU seconds, and its own peak RSS (MB).

    Its output goes to ``log`` (stdout and stderr together). A run longer than ``timeout_s``
    is killed and reported with exit code ``None``.
    """
    env = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1"}
    peak = log.with_suffix(".peak")
    peak.unlink(missing_ok=True)
    with log.open("w", encoding="utf-8") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", _WRAPPER, str(peak), *cmd],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        try:
            rc: int | None = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            rc = None
        wall = time.perf_counter() - t0
    if rc is None or not peak.is_file():
        return {"rc": rc, "wall_s": round(wall, 1), "cpu_s": None, "peak_rss_mb": None}
    kib, cpu = peak.read_text().split()
    return {
        "rc": rc,
        "wall_s": round(wall, 1),
        "cpu_s": round(float(cpu), 1),
        "peak_rss_mb": round(int(kib) / 1024),
    }


def _tail(log: Path, lines: int = 6) -> str:
    text = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return " | ".join(s.strip() for s in text[-lines:])


def read_summary(folder: Path) -> dict[str, Any]:
    """Return the figures of a row from a plan folder's ``summary.json``."""
    s = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    k, road, rail = s["kpis"], s["solver"]["road"], s["solver"]["rail"]
    return {
        "vehicles": k["vehicles"],
        "march_units": k["march_units"],
        "trains": k["trains"],
        "units_late": k["units_late"],
        "closure_h": k["closure_hours_from_start"],
        "road_status": road.get("status"),
        "road_closure_h": road.get("closure_hours"),
        "road_bound_h": road.get("bound_hours"),
        "road_gap": road.get("gap"),
        "baseline_closure_h": road.get("baseline_closure_hours"),
        "road_solve_s": road.get("solve_seconds"),
        "rail_status": rail.get("status"),
        "rail_gap": rail.get("gap"),
        "steps_s": s.get("timings_s", {}),
    }


def check_violations(rc: int | None, log: Path) -> int | None:
    """Return the checker's violations from its exit code and output (None: it failed)."""
    if rc == 0:
        return 0
    if rc == 1:
        found = _VIOLATIONS.findall(log.read_text(encoding="utf-8", errors="replace"))
        return int(found[-1]) if found else None
    return None


def meets(size: str, row: dict[str, Any]) -> str:
    """Say whether a row meets its size's target (``-`` for a size without one)."""
    target = TARGETS.get(size)
    if target is None:
        return "-"
    if row.get("plan_rc") != 0:
        return "no (no plan)"
    misses = []
    for key, limit in target.items():
        value = row.get(key)
        if value is None or value > limit:
            misses.append(f"{key} {value} > {limit:g}")
    return "yes" if not misses else "no (" + ", ".join(misses) + ")"


def bench_size(size: str, folder: Path, timeout_s: float) -> dict[str, Any]:
    """Plan and check one size in fresh processes; return its row."""
    scenario = SIZES[size]
    if size == "two-divisions":
        path = folder / scenario
        cmd = [sys.executable, str(GENERATOR), "--divisions", "2", "--out", str(path)]
        subprocess.run(cmd, check=True, capture_output=True)
        scenario = str(path)
    out = folder / size
    plan = run_child(
        [sys.executable, "-m", "enablement", "plan", scenario, "--out", str(out)],
        folder / f"{size}-plan.log",
        timeout_s,
    )
    row: dict[str, Any] = {
        "size": size,
        "scenario": SIZES[size],
        "plan_rc": plan["rc"],
        "wall_s": plan["wall_s"],
        "cpu_s": plan["cpu_s"],
        "peak_rss_mb": plan["peak_rss_mb"],
    }
    if plan["rc"] != 0 or not (out / "summary.json").is_file():
        row["error"] = (
            f"timed out after {timeout_s:g} s" if plan["rc"] is None else _tail(folder / f"{size}-plan.log")
        )
        return row
    row.update(read_summary(out))
    row["gap"] = row["road_gap"]
    check = run_child(
        [sys.executable, "-m", "enablement", "check", scenario, str(out / "march_table.csv")],
        folder / f"{size}-check.log",
        timeout_s,
    )
    row["check_wall_s"] = check["wall_s"]
    row["violations"] = check_violations(check["rc"], folder / f"{size}-check.log")
    if row["violations"] is None:
        row["check_error"] = _tail(folder / f"{size}-check.log")
    row["s_per_march_unit"] = round(row["wall_s"] / row["march_units"], 3) if row["march_units"] else None
    return row


def growth(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """How the cost grows from the smallest to the largest size planned (seconds per march unit)."""
    done = [r for r in rows if r.get("s_per_march_unit")]
    if len(done) < 2:
        return {}
    a, b = done[0], done[-1]
    ratio = b["march_units"] / a["march_units"]
    return {
        "from": a["size"],
        "to": b["size"],
        "march_units_ratio": round(ratio, 2),
        "wall_ratio": round(b["wall_s"] / a["wall_s"], 2),
        "s_per_march_unit_ratio": round(b["s_per_march_unit"] / a["s_per_march_unit"], 2),
        # wall ∝ march_units ** exponent between the two sizes (1: linear)
        "exponent": round(math.log(b["wall_s"] / a["wall_s"]) / math.log(ratio), 2) if ratio > 1 else None,
    }


def _cell(value: Any, fmt: str = "{}") -> str:
    if value is None:
        return "-"
    return fmt.format(value)


def markdown(rows: list[dict[str, Any]], grow: dict[str, Any]) -> str:
    """Return the scale table (markdown) and the growth line."""
    head = (
        "| size | vehicles | march units | trains | wall s | CPU s | peak RSS MB | closure h "
        "| road closure h | bound h | gap | baseline h | late units | violations | s / march unit | target |"
    )
    lines = [head, "|" + "---|" * head.count(" | ") + "---|"]
    for r in rows:
        if r.get("plan_rc") != 0:
            lines.append(
                f"| {r['size']} | | | | {_cell(r['wall_s'])} | {_cell(r.get('cpu_s'))} "
                f"| {_cell(r['peak_rss_mb'])} | plan failed: "
                f"{r.get('error', '')} | | | | | | | | {meets(r['size'], r)} |"
            )
            continue
        # no gap: the road solver's status says why (``timed out``: CP-SAT found nothing, greedy kept)
        gap = _cell(r.get("road_status")) if r["road_gap"] is None else f"{r['road_gap']:.2%}"
        lines.append(
            f"| {r['size']} | {r['vehicles']:,} | {r['march_units']} | {r['trains']} | {r['wall_s']:.1f} "
            f"| {_cell(r.get('cpu_s'))} | {r['peak_rss_mb']} | {r['closure_h']} "
            f"| {_cell(r['road_closure_h'])} "
            f"| {_cell(r['road_bound_h'])} | {gap} "
            f"| {_cell(r['baseline_closure_h'])} | {r['units_late']} | {_cell(r['violations'])} "
            f"| {_cell(r['s_per_march_unit'])} | {meets(r['size'], r)} |"
        )
    if grow:
        lines.append("")
        lines.append(
            f"Growth {grow['from']} → {grow['to']}: {grow['march_units_ratio']}× the march units, "
            f"{grow['wall_ratio']}× the wall time, {grow['s_per_march_unit_ratio']}× the seconds per "
            f"march unit (wall ∝ march units^{grow['exponent']})."
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Plan and check the sizes asked for, write ``scale.json`` and print the table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="benchmarks/results", help="folder of scale.json")
    p.add_argument("--sizes", default=",".join(SIZES), help=f"comma-separated subset of {', '.join(SIZES)}")
    p.add_argument(
        "--timeout", type=float, default=3600.0, help="seconds a plan may take before it is killed"
    )
    p.add_argument("--keep", action="store_true", help="plan into --out/scale and keep the folders and logs")
    args = p.parse_args(argv)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        p.error(f"unknown size(s) {', '.join(unknown)}; known: {', '.join(SIZES)}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = out / "scale" if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for size in sizes:
            row = bench_size(size, folder, args.timeout)
            rows.append(row)
            print(
                f"{size:>14}: {row['wall_s']:.1f} s, peak {row['peak_rss_mb']} MB, "
                f"violations {row.get('violations', '-')}",
                flush=True,
            )
            result = _write(out, rows)  # after each size: a long run stopped halfway keeps its rows
    print(result["table"])
    print(f"written {out / 'scale.json'}")
    return result


def _write(out: Path, rows: list[dict[str, Any]]) -> dict[str, Any]:
    grow = growth(rows)
    git = ["git", "rev-parse", "--short", "HEAD"]
    commit = subprocess.run(git, check=False, capture_output=True, text=True, cwd=ROOT).stdout.strip()
    result = {
        "what": "enablement plan then enablement check, each size in a fresh process",
        "commit": commit,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "rows": rows,
        "growth": grow,
        "table": markdown(rows, grow),
    }
    (out / "scale.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
