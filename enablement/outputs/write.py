"""Write a plan's files: march table, trains, units, HET trips, map, quay Gantt chart, report, summary."""

from __future__ import annotations

import json
from pathlib import Path

from .._io import write_text_atomic, write_with_atomic
from ..plan import Plan
from .gantt import quay_gantt_svg
from .maps import write_map
from .report import report_html
from .tables import het_table, march_table, train_table, unit_table

__all__ = ["write_outputs"]


def write_outputs(plan: Plan, out: str | Path) -> dict[str, Path]:
    """Write the march table, trains, units, summary, map, quay Gantt chart and ``report.html``.

    Each file is written to a temporary name and moved into place, so a failure
    never leaves a half-written file and earlier outputs stay until replaced.

    Parameters
    ----------
    plan
        The plan.
    out
        Output folder (created when missing).

    Returns
    -------
    dict
        Path of each file by short name.
    """
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    march, trains = march_table(plan), train_table(plan)  # each used twice: CSV and report
    paths = {
        "march_table": write_with_atomic(folder / "march_table.csv", lambda p: march.to_csv(p, index=False)),
        "trains": write_with_atomic(folder / "trains.csv", lambda p: trains.to_csv(p, index=False)),
        "units": write_with_atomic(folder / "units.csv", lambda p: unit_table(plan).to_csv(p, index=False)),
        "map": write_map(plan, folder / "map.html"),
        "quay_gantt": write_text_atomic(folder / "quay_gantt.svg", quay_gantt_svg(plan.trains, plan.clock)),
    }
    if plan.hets is not None:
        hets = het_table(plan)
        paths["het_trips"] = write_with_atomic(
            folder / "het_trips.csv", lambda p: hets.to_csv(p, index=False)
        )
    paths["report"] = write_text_atomic(
        folder / "report.html", report_html(plan, march, trains, paths["map"].name)
    )
    summary = plan.summary()
    summary["files"] = {k: p.name for k, p in paths.items()} | {"summary": "summary.json"}
    paths["summary"] = write_text_atomic(
        folder / "summary.json", json.dumps(summary, indent=2, ensure_ascii=False)
    )
    return paths
