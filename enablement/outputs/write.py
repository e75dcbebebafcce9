"""Write a plan's files: tables, map, Gantt, report, GIS files (GeoPackage, KML, GPX) and the summary.

The files are written into a staging folder beside the output folder, with
``summary.json`` last (its ``manifest`` key gives the size and SHA-256 of every
other file), and the staging folder is then swapped in for the output folder in
one step: the output folder holds one complete plan at every instant. How, and
the lock that keeps two runs apart, are in :mod:`enablement.outputs.folder`.

Every plan is checked as written: the march table is read back from its CSV and checked
against the plan's own rules (:func:`~enablement.scheduling.checks.check_march_table`, the
checker of ``enablement check``); the verdict is ``summary.json``'s ``check`` (``valid`` is
false when any rule but an RDD is broken) and the report's first section. A plan that
breaks a rule is still written, for inspection, but never as if it were valid.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .._io import write_text_atomic, write_with_atomic
from ..plan import Plan
from ..scheduling.checks import check_march_table, check_summary, march_unit_vehicles, read_march_table
from . import folder as _folder
from .folder import OutputError, OutputFolder, file_manifest, open_output_folder
from .gantt import quay_gantt_svg
from .gis import plan_gpx, plan_kml, plan_layers, plan_metadata, write_geopackage, write_xml
from .maps import write_map
from .report import report_html
from .tables import het_table, march_table, permission_table, train_table, unit_table
from .workbook import write_workbook

__all__ = ["PLAN_FILES", "prepare_output", "self_check", "write_outputs"]

PLAN_FILES = (
    "march_table.csv",
    "march_table.xlsx",
    "trains.csv",
    "units.csv",
    "het_trips.csv",
    "permissions.csv",
    "map.html",
    "quay_gantt.svg",
    "report.html",
    "plan.gpkg",
    "plan.kml",
    "routes.gpx",
    "summary.json",
)
"""Every name a plan's file may have (``het_trips.csv`` only with HET shuttles)."""


def prepare_output(folder: str | os.PathLike[str]) -> OutputFolder:
    """Check that a plan can be written to ``folder`` and lock it for this run: call it before solving.

    Parameters
    ----------
    folder
        The output folder: missing, empty, or holding a plan written by
        ``enablement`` (which the new plan replaces).

    Returns
    -------
    OutputFolder
        The locked folder, to pass to :func:`write_outputs`; use it as a context
        manager (leaving it releases the lock and removes what was not committed).

    Raises
    ------
    OutputError
        ``folder`` is a file, read-only or a mount point, holds files that are not a
        plan's, another run is writing it, or its parent cannot be created or written.

    Examples
    --------
    >>> with prepare_output("out/demo") as out:  # doctest: +SKIP
    ...     plan = make_plan("enablement:brigade-antwerp-aachen")
    ...     paths = write_outputs(plan, out)
    """
    return open_output_folder(folder, manifest="summary.json", known=PLAN_FILES)


def write_outputs(plan: Plan, out: str | os.PathLike[str] | OutputFolder) -> dict[str, Path]:
    """Write the march table, trains, units, summary, map, quay Gantt chart, ``report.html`` and GIS files.

    The files replace the folder's previous plan as a whole and at once, so a
    failure (or a kill) leaves the previous plan complete, and two runs on one
    folder never mix their files (the second is refused).

    Parameters
    ----------
    plan
        The plan.
    out
        Output folder (created when missing), or one locked by :func:`prepare_output`.

    Returns
    -------
    dict
        Path of each file by short name.

    Raises
    ------
    OutputError
        The folder cannot take the plan (see :func:`prepare_output`), or writing failed
        (e.g. the disk is full); the previous plan is then left as it was.
    """
    if isinstance(out, OutputFolder):
        return _write(plan, out)
    with prepare_output(out) as folder:
        return _write(plan, folder)


def _write(plan: Plan, out: OutputFolder) -> dict[str, Path]:
    """Write the plan's files into a staging folder, the manifest last, and swap it in."""
    try:
        names = _write_files(plan, out.stage())
        out.commit()
    except OSError as exc:
        out.discard()
        msg = (
            f"could not write the plan to {out.path}: {exc.strerror or exc}"
            f"{f' ({exc.filename})' if exc.filename else ''}; the folder was left as it was"
        )
        raise OutputError(msg) from exc
    return {key: out.path / name for key, name in names.items()}


def _write_files(plan: Plan, folder: Path) -> dict[str, str]:
    """Write every file of the plan into ``folder``; return each file's name by short name."""

    def done(path: Path) -> str:
        _folder._checkpoint(f"file {path.name}")
        return path.name

    march, trains = march_table(plan), train_table(plan)  # each used twice: CSV and report
    permits = permission_table(plan)
    names = {
        "march_table": done(
            write_with_atomic(folder / "march_table.csv", lambda p: march.to_csv(p, index=False))
        ),
        "trains": done(write_with_atomic(folder / "trains.csv", lambda p: trains.to_csv(p, index=False))),
        "units": done(
            write_with_atomic(folder / "units.csv", lambda p: unit_table(plan).to_csv(p, index=False))
        ),
        "permissions": done(
            write_with_atomic(folder / "permissions.csv", lambda p: permits.to_csv(p, index=False))
        ),
        "map": done(write_map(plan, folder / "map.html")),
        "quay_gantt": done(
            write_text_atomic(folder / "quay_gantt.svg", quay_gantt_svg(plan.trains, plan.clock))
        ),
    }
    hets = het_table(plan)
    if plan.hets is not None:
        names["het_trips"] = done(
            write_with_atomic(folder / "het_trips.csv", lambda p: hets.to_csv(p, index=False))
        )
    check = self_check(plan, folder / names["march_table"])
    page = report_html(plan, march, trains, names["map"], permits, hets, check)
    names["report"] = done(write_text_atomic(folder / "report.html", page))
    names["march_workbook"] = done(write_workbook(march, folder / "march_table.xlsx"))
    layers = plan_layers(plan, march, trains)
    names["geopackage"] = done(write_geopackage(layers, folder / "plan.gpkg", plan_metadata(plan)))
    names["kml"] = done(write_xml(plan_kml(plan, layers, march), folder / "plan.kml"))
    names["gpx"] = done(write_xml(plan_gpx(plan, march), folder / "routes.gpx"))
    summary = plan.summary()
    summary["check"] = check
    summary["files"] = names | {"summary": "summary.json"}
    summary[_folder.MANIFEST_KEY] = file_manifest(folder)  # written last: the plan is complete with it
    names["summary"] = done(
        write_text_atomic(folder / "summary.json", json.dumps(summary, indent=2, ensure_ascii=False))
    )
    return names


def self_check(plan: Plan, march_csv: Path) -> dict[str, object]:
    """Check the march table as written (read back from ``march_csv``) against the plan's own rules.

    Returns
    -------
    dict
        :func:`~enablement.scheduling.checks.check_summary` of the violations found.
    """
    if plan.rules is None:  # no road march: nothing to check
        return check_summary([])
    table = read_march_table(march_csv, plan.scenario.zone)
    vehicles = march_unit_vehicles(table, plan.scenario, plan.network)
    return check_summary(check_march_table(table, plan.rules, plan.network, vehicles))
