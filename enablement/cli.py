"""The ``enablement`` command: parse, call the public API, print, exit.

Exit codes: 0 success, 1 infeasible plan (with the reason), 2 bad input (one clear
message, no traceback).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from . import __version__
from .errors import EnablementError
from .network.model import Network
from .network.osm import DEFAULT_HIGHWAYS

if TYPE_CHECKING:
    from .vehicles import Profile, Vehicle

__all__ = ["main"]

console = Console(stderr=False, highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)


def _cmd_plan(args: argparse.Namespace) -> int:
    from .outputs.write import prepare_output, write_outputs
    from .plan import make_plan

    t0 = time.perf_counter()
    # the output folder is checked and locked before solving, and stays locked until the plan is in it
    with prepare_output(args.out) as out, errors.status("planning…") as status:
        solver = {
            k: v
            for k, v in (("road", args.road_solver), ("time_limit_s", args.time_limit), ("seed", args.seed))
            if v is not None
        }
        plan = make_plan(args.scenario, progress=lambda step: status.update(f"{step}…"), solver=solver)
        status.update("writing outputs…")
        t1 = time.perf_counter()
        paths = write_outputs(plan, out)
        plan.timings["write outputs"] = time.perf_counter() - t1
    k = plan.kpis()
    console.print(f"[bold]{plan.scenario.name}[/bold]")
    console.print(f"  closure            {k['closure']} ({k['closure_hours_from_start']} h after start)")
    console.print(
        f"  vehicles           {k['vehicles']} in {k['march_units']} march units, {k['trains']} trains"
    )
    console.print(f"  units late         {k['units_late']} (total {k['total_lateness_hours']} h)")
    road = plan.summary()["solver"]["road"]
    line = f"  road solver        {plan.march.method}: {road['status']}"
    if road.get("gap") is not None:
        base = road["baseline_closure_hours"]
        line += f", gap {100 * road['gap']:.2f} % to the bound, greedy baseline {base} h"
    console.print(line)
    if k["caution_crossings"]:
        console.print(f"  caution crossings  {', '.join(k['caution_crossings'])}")
    for w in plan.warnings:
        console.print(f"  [yellow]warning[/yellow] {w}")
    steps = ", ".join(f"{name} {sec:.1f} s" for name, sec in plan.timings.items())
    console.print(f"  steps              {steps}")
    console.print(f"  total              {time.perf_counter() - t0:.1f} s")
    for name, p in paths.items():
        console.print(f"  {name:<18} {p}")
    console.print(f"Open the map: {Path(paths['map']).resolve()}")
    # the march table as written, checked against the plan's own rules (summary.json "check")
    check = json.loads(Path(paths["summary"]).read_text(encoding="utf-8"))["check"]
    if check["valid"]:
        late = f"; {check['violations']} late deliveries (rdd)" if check["violations"] else ""
        console.print(f"  check              no violation of a hard rule{late}")
        return 0
    for g in check["groups"]:
        errors.print(f"  {g['kind']:<12} {g['place']:<40} {g['first']}  {g['describe']}", markup=False)
    errors.print(
        f"error: the plan breaks {check['hard']} of its own rules (by kind: {check['by_kind']}); "
        f'it is written to {args.out} for inspection and marked "valid": false in summary.json',
        markup=False,
    )
    return 1


def _cmd_validate(args: argparse.Namespace) -> int:
    from .scenario import load_scenario

    sc = load_scenario(args.scenario)
    n = sum(e.count for a in sc.arrivals for e in a.equipment)
    console.print(
        f"{args.scenario}: valid ({sc.name}: {len(sc.arrivals)} arrivals, {n} vehicles, "
        f"{len(sc.movements)} movements)"
    )
    return 0


def _cmd_network_build(args: argparse.Namespace) -> int:
    from .network.io import save_network
    from .network.osm import build_network

    t0 = time.perf_counter()
    if args.infrabel:
        from .network.infrabel import read_infrabel_sections

        with errors.status("building the rail network from Infrabel line sections…"):
            net = read_infrabel_sections(args.infrabel)
            path = save_network(net, args.out)
        info = net.summary()
        console.print(
            f"built {info['nodes']} operational points, {info['edges']} directed edges, "
            f"rail {info['km_by_mode']['rail']:.0f} km in {time.perf_counter() - t0:.1f} s"
        )
        console.print(f"report {net.meta['report']}")
        console.print(f"written {path}")
        return 0
    with errors.status("building the network…"):
        net = build_network(
            osm_file=args.osm_file,
            place=args.place,
            bbox=args.bbox,
            polygon=args.polygon,
            highways=args.highways,
            rail=not args.no_rail,
            simplify=not args.no_simplify,
            consolidate_m=args.consolidate,
        )
        path = save_network(net, args.out)
    rep = net.meta["report"]
    info = net.summary()
    console.print(
        f"built {info['nodes']} nodes, {info['edges']} edges (road {info['km_by_mode']['road']:.0f} km, "
        f"rail {info['km_by_mode']['rail']:.0f} km) in {time.perf_counter() - t0:.1f} s"
    )
    console.print(
        f"ways read {rep['ways_read']}; missing nodes trimmed {rep['missing_nodes']} "
        f"({rep['ways_trimmed']} ways trimmed, {rep['ways_dropped']} dropped)"
    )
    console.print(f"unparsed tag values {rep['unparsed'] or 'none'}; features {rep['features']}")
    console.print(
        f"simplified: {rep.get('merged_nodes', 0)} pass-through nodes merged, "
        f"{rep.get('consolidated_junctions', 0)} junctions consolidated "
        f"({rep.get('consolidated_nodes', 0)} nodes)"
    )
    console.print(f"largest strongly connected component {net.meta['largest_strong_component']}")
    console.print(f"written {path}")
    return 0


def _cmd_network_info(args: argparse.Namespace) -> int:
    from .network.embedded import load_embedded_network
    from .network.io import load_network

    net = (
        load_embedded_network(refresh=args.refresh)
        if args.source == "embedded"
        else load_network(args.source)
    )
    info = net.summary() | {
        "counts": net.meta.get("counts") or net.meta.get("report"),
        "source_detail": net.meta.get("source_detail"),
    }
    if args.json:
        console.print_json(json.dumps(info))
        return 0
    console.print(f"source        {info['source']} ({info['source_detail']})")
    console.print(
        f"nodes         {info['nodes']} (road {info['nodes_by_mode']['road']}, "
        f"rail {info['nodes_by_mode']['rail']})"
    )
    console.print(
        f"edges         {info['edges']} directed (road {info['edges_by_mode']['road']}, "
        f"rail {info['edges_by_mode']['rail']})"
    )
    console.print(
        f"km by mode    road {info['km_by_mode']['road']:.0f} km, rail {info['km_by_mode']['rail']:.0f} km"
    )
    console.print(f"bbox (WGS84)  {info['bbox_wgs84']}")
    console.print(f"attribution   {info['attribution']}")
    return 0


OVERLAY_NONE = "none"
"""``--overlay none``: the network as it is, without sites or bridges (points are ``lon,lat``)."""


def _routing_network(args: argparse.Namespace) -> Network:
    """Load the network of ``--network`` with the overlay of ``--overlay`` (none, embedded or a name)."""
    from .errors import NetworkError
    from .network.embedded import load_embedded_network
    from .network.io import load_network
    from .network.overlays import apply_overlay, read_overlay

    net = load_embedded_network() if args.network == "embedded" else load_network(args.network)
    if args.overlay == OVERLAY_NONE:
        return net
    name = "belgium" if args.overlay == "embedded" else args.overlay
    try:
        return apply_overlay(net, read_overlay(name))
    except NetworkError as exc:
        msg = (
            f"--overlay {args.overlay}: {exc}\nfix: on a network of another area (--network {args.network}) "
            "give --overlay none and name places as lon,lat, or an overlay made for that network"
        )
        raise NetworkError(msg) from None


def _profile(args: argparse.Namespace) -> tuple[Vehicle, Profile]:
    """Return the vehicle of ``--vehicle`` and its routing profile at ``--speed``."""
    from .errors import UnknownVehicleError
    from .vehicles import Profile, get_vehicle

    try:
        vehicle = get_vehicle(args.vehicle)
    except UnknownVehicleError as exc:
        msg = f"--vehicle: {exc.problems[0]}; give one of them"
        raise EnablementError(msg) from None
    return vehicle, Profile.of(vehicle.id, [vehicle], args.speed)


def _closed(network: Network, specs: Sequence[str]) -> tuple[list[int], list[int], list[str]]:
    """Edge rows, nodes and labels of every ``--close``."""
    from .network.lookup import resolve_closure

    edges: list[int] = []
    nodes: list[int] = []
    labels: list[str] = []
    for spec in specs:
        c = resolve_closure(network, spec, "--close")
        edges += c.edges
        nodes += c.nodes
        labels.append(c.label)
    return edges, nodes, labels


def _describe(vehicle: Vehicle) -> str:
    return (
        f"{vehicle.name} ({vehicle.mlc_kind} MLC {vehicle.mlc:g}, {vehicle.mass_t:g} t, "
        f"{vehicle.height_m:g} m high, {vehicle.width_m:g} m wide)"
    )


def _cmd_route(args: argparse.Namespace) -> int:
    from .network.lookup import resolve_place
    from .outputs import write_route_map
    from .outputs.folder import check_output_file
    from .routing import Router

    check_output_file(args.map)  # before routing: a map that cannot be written fails at once
    vehicle, profile = _profile(args)
    net = _routing_network(args)
    a, a_name = resolve_place(net, args.origin, "route origin")
    b, b_name = resolve_place(net, args.target, "route target")
    closed, closed_nodes, labels = _closed(net, args.close or ())
    router = Router(net, "road")
    alts = router.alternatives(
        a, b, k=args.alternatives, profile=profile, closed=closed, closed_nodes=closed_nodes
    )
    best = alts[0].route
    e = net.edges
    console.print(f"{_describe(vehicle)} from {a_name} to {b_name}")
    if labels:
        console.print(f"  closed     {', '.join(labels)}", markup=False)
    console.print(f"  distance   {best.length_m / 1000:.1f} km")
    console.print(f"  time       {best.time_s / 3600:.2f} h at up to {profile.speed_kmh:g} km/h")
    crossed = sorted(
        {
            str(e["bridge_id"].iat[i])
            for i in best.edges
            if e["bridge_id"].iat[i] is not None and e["bridge_id"].iat[i] == e["bridge_id"].iat[i]
        }
    )
    console.print(
        f"  bridges    {', '.join(crossed) if crossed else 'none with a known class'} "
        "(all within the vehicle's limits)"
    )
    caution = sorted({str(e["bridge_id"].iat[i]) for i in best.caution_edges})
    console.print(f"  caution    {', '.join(caution) if caution else 'no caution crossing'}")
    for i, alt in enumerate(alts[1:], start=2):
        console.print(
            f"  route {i}    {alt.route.length_m / 1000:.1f} km, {alt.route.time_s / 3600:.2f} h, "
            f"detour x{alt.detour:.2f}, overlap {alt.overlap:.0%}"
        )
    labels = [
        f"route {i + 1}: {r.route.length_m / 1000:.1f} km, {r.route.time_s / 3600:.2f} h"
        for i, r in enumerate(alts)
    ]
    path = write_route_map(
        net, [r.route for r in alts], labels, args.map, f"{vehicle.name}: {a_name} to {b_name}"
    )
    console.print(f"  map        {path}")
    return 0


def _places(
    network: Network, flags: Sequence[str] | None, csv: str | None, flag: str
) -> tuple[list[int], list[str]]:
    """Resolve a matrix's places: ``--from``/``--to`` values, then a ``--from-csv``/``--to-csv`` file."""
    from .limits import MATRIX_PLACES
    from .network.lookup import read_places_csv, resolve_place

    specs = list(flags or ())
    names = list(specs)
    what = [flag] * len(specs)
    if csv is not None:
        more, more_names = read_places_csv(csv, f"{flag}-csv")
        specs += more
        names += more_names
        what += [f"{flag}-csv {csv}: row {i + 2}: the place" for i in range(len(more))]
    if len(specs) > MATRIX_PLACES:
        msg = f"{flag}: {len(specs):,} places, over the limit of {MATRIX_PLACES:,}; split the matrix"
        raise EnablementError(msg)
    nodes = [resolve_place(network, spec, w)[0] for spec, w in zip(specs, what, strict=True)]
    return nodes, names


def _cmd_matrix(args: argparse.Namespace) -> int:
    from .limits import MATRIX_PAIRS
    from .outputs import write_matrix_csv
    from .outputs.folder import check_output_file
    from .routing import Router

    if not args.origins and not args.from_csv:
        msg = "give the origins: --from PLACE (repeat it) or --from-csv FILE (site ids or lon,lat)"
        raise EnablementError(msg)
    check_output_file(args.out)
    vehicle, profile = _profile(args)
    net = _routing_network(args)
    sources, source_names = _places(net, args.origins, args.from_csv, "--from")
    if args.destinations or args.to_csv:
        targets, target_names = _places(net, args.destinations, args.to_csv, "--to")
    else:  # every origin to every other
        targets, target_names = sources, source_names
    if len(sources) * len(targets) > MATRIX_PAIRS:
        msg = (
            f"{len(sources):,} origins by {len(targets):,} destinations is over the limit of "
            f"{MATRIX_PAIRS:,} pairs; split the matrix (fewer --from or --to places)"
        )
        raise EnablementError(msg)
    closed, closed_nodes, labels = _closed(net, args.close or ())
    router = Router(net, "road")
    with errors.status("routing…"):
        table = router.matrix_frame(
            sources,
            targets,
            profile,
            source_names=source_names,
            target_names=target_names,
            closed=closed,
            closed_nodes=closed_nodes,
        )
    path = write_matrix_csv(table, args.out)
    n_ok = int(table["reachable"].sum())
    console.print(f"{_describe(vehicle)} at up to {profile.speed_kmh:g} km/h")
    if labels:
        console.print(f"  closed     {', '.join(labels)}", markup=False)
    console.print(f"  pairs      {len(table)} ({n_ok} reachable, {len(table) - n_ok} not)")
    if n_ok:
        console.print(f"  longest    {table['time_s'].max() / 3600:.2f} h, {table['km'].max():.1f} km")
    console.print(f"  written    {path}")
    return 0


def _cmd_isochrone(args: argparse.Namespace) -> int:
    from .network.lookup import resolve_place
    from .outputs import write_geojson
    from .outputs.folder import check_output_file
    from .routing import Router

    check_output_file(args.out)
    vehicle, profile = _profile(args)
    net = _routing_network(args)
    origin, name = resolve_place(net, args.origin, "isochrone origin")
    closed, closed_nodes, labels = _closed(net, args.close or ())
    router = Router(net, "road")
    iso = router.isochrone(origin, args.minutes * 60.0, profile, closed=closed, closed_nodes=closed_nodes)
    properties = {
        "origin": name,
        "limit_min": args.minutes,
        "vehicle": vehicle.id,
        "speed_kmh": profile.speed_kmh,
        "closed": "; ".join(labels),
    }
    frame = router.isochrone_frame(iso, shape=args.shape, properties=properties)
    path = write_geojson(frame, args.out)
    console.print(f"{_describe(vehicle)} from {name} within {args.minutes:g} min")
    if labels:
        console.print(f"  closed     {', '.join(labels)}", markup=False)
    console.print(f"  reached    {iso.nodes.size} nodes, {iso.edges.size} edges driven whole")
    console.print(f"  area       {iso.polygon.area / 1e6:.1f} km² (concave hull)")
    console.print(f"  written    {path} ({args.shape})")
    return 0


def _cmd_overlay(args: argparse.Namespace) -> int:
    from .errors import NetworkError
    from .network.embedded import load_embedded_network
    from .network.io import load_network, save_network
    from .network.overlays import Overlay, conflate, read_overlay

    if not args.overlay and not args.wegenregister and not args.infrabel:
        msg = (
            "name at least one overlay (folder, GeoPackage, packaged name or SCHEME:PATH such as "
            "infrabel:sections.geojson), --wegenregister or --infrabel"
        )
        raise NetworkError(msg)
    # --wegenregister and --infrabel are shorthands for the wegenregister: and infrabel: sources
    sources = [f"wegenregister:{z}" for z in args.wegenregister or ()]
    sources += [f"infrabel:{args.infrabel}"] if args.infrabel else []
    t0 = time.perf_counter()
    with errors.status("reading overlays…"):
        overlays = [read_overlay(name, mapping=args.mapping) for name in args.overlay]
        overlays += [read_overlay(name) for name in sources]
        overlay = Overlay.merge(overlays)
    with errors.status("conflating…"):
        base = load_embedded_network() if args.network == "embedded" else load_network(args.network)
        net, report = conflate(
            base,
            overlay,
            tolerance_m=args.snap_tolerance,
            point_tolerance_m=args.point_tolerance,
            line_tolerance_m=args.line_tolerance,
        )
    out = Path(args.out)
    report_dir = Path(args.report) if args.report else out.with_name(f"{out.stem}-conflation")
    paths = report.write(report_dir)
    for layer, counts in sorted(report.counts().items()):
        shown = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        console.print(f"  {layer:<20} {shown}")
    problems = report.problems(("links", "sites", "bridges", "clearances", "width_restrictions", "closures"))
    for p in problems:
        console.print(f"  [yellow]warning[/yellow] {p}", markup=True)
    console.print(f"report {paths['conflation_csv']} and {paths['conflation_geojson']}")
    if problems and args.strict:
        msg = (
            f"{len(problems)} restriction or site feature(s) do not fit the network (--strict); "
            f"see {paths['conflation_csv']}; the network was not written"
        )
        raise NetworkError(msg)
    path = save_network(net, out)
    info = net.summary()
    console.print(
        f"network {info['nodes']} nodes, {info['edges']} edges after splitting "
        f"({len(net.edges) - len(base.edges):+d} edges) in {time.perf_counter() - t0:.1f} s"
    )
    console.print(f"written {path}")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from .plan import build_network
    from .scenario.load import load_scenario, resolve_scenario_path
    from .scheduling.checks import check_march_table, group_violations, march_unit_vehicles, read_march_table
    from .scheduling.march import march_rules

    scenario = load_scenario(args.scenario)
    table = read_march_table(args.table, scenario.zone)
    with errors.status("checking…"):
        network = build_network(scenario, resolve_scenario_path(args.scenario).parent)
        vehicles = march_unit_vehicles(table, scenario, network)
        found = check_march_table(table, march_rules(scenario, network), network, vehicles)
    if not found:
        console.print(
            f"{args.table}: no violation ({len(table)} rows, {table['march_unit'].nunique()} march units)"
        )
        return 0
    groups = group_violations(found)
    for g in groups:
        console.print(f"{g.kind:<12} {g.place:<40} {g.first}  {g.describe()}", markup=False)
        if args.detail and len(g.violations) > 1:
            for v in g.violations:
                console.print(f"    {v.march_unit:<18} {v.time}  {v.message}", markup=False)
    console.print(
        f"{len(found)} violation(s) in {len(groups)} group(s) in {args.table}"
        + ("" if args.detail else " (--detail lists every one)"),
        markup=False,
    )
    return 1


def _cmd_batch(args: argparse.Namespace) -> int:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from .batch import BatchEvent, load_batch, read_results, run_batch

    batch = load_batch(args.batch, time_limit_s=args.time_limit, timeout_s=args.timeout)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    try:
        with Progress(*columns, console=errors, transient=True) as bar:
            ids: dict[str, TaskID] = {}

            def on_event(ev: BatchEvent) -> None:
                if ev.stage == "prepare":
                    if "prepare" not in ids:
                        ids["prepare"] = bar.add_task("", total=None)
                    bar.update(ids["prepare"], description=f"{ev.message}…")
                    return
                if "prepare" in ids:
                    bar.remove_task(ids.pop("prepare"))
                if "run" not in ids:  # the first count: variants recorded before (resume) are not speed
                    ids["run"] = bar.add_task("variants", total=ev.total, completed=ev.done)
                what = "writing…" if ev.stage == "write" else "variants"
                bar.update(ids["run"], completed=ev.done, description=what)
                row = ev.row
                if row is not None and row["status"] in ("failed", "timed out"):
                    reason = (row["message"].splitlines() or [""])[-1].strip().removeprefix("- ")
                    bar.console.print(f"  {row['variant']} {row['status']}: {reason[:160]}", markup=False)

            result = run_batch(
                batch,
                args.out,
                workers=args.workers,
                scheduler=args.scheduler,
                resume=args.resume,
                progress=on_event,
            )
    except KeyboardInterrupt:
        n = len(read_results(args.out))
        errors.print(
            f"interrupted: {n} variant(s) recorded in {Path(args.out) / 'results.jsonl'}; "
            "run again with --resume to finish",
            markup=False,
        )
        return 130
    c = result.counts
    console.print(f"[bold]{batch.name}[/bold]")
    console.print(
        f"  variants           {len(result.table)}: {c['ok']} ok, {c['infeasible']} infeasible, "
        f"{c['failed']} failed, {c['timed out']} timed out"
    )
    console.print(
        f"  run                {result.ran} planned now, {result.skipped} recorded before, "
        f"{result.elapsed_s:.1f} s"
    )
    worst = result.worst_single_closure()
    if worst is not None:
        hit = (
            "infeasible"
            if worst["status"] == "infeasible"
            else f"closure {worst['closure_delta_h']:+.2f} h, lateness {worst['lateness_delta_h']:+.2f} h"
        )
        console.print(f"  worst closure      {worst['changes']} ({worst['variant']}): {hit}", markup=False)
    if result.unsuccessful:
        bad = result.table[result.table["status"].isin(("failed", "timed out"))]["variant"]
        console.print(
            f"  [yellow]{result.unsuccessful} variant(s) failed or timed out[/yellow]: {', '.join(bad)} "
            "(reasons in the message column)"
        )
    for name, p in result.paths.items():
        console.print(f"  {name:<18} {p}")
    console.print(f"Open the summary: {Path(result.paths['html']).resolve()}")
    return 0


SEED_MAX = 2**31 - 1
"""Largest solver seed: CP-SAT's ``random_seed`` is a signed 32-bit integer."""


def _bounded(
    cast: type[int] | type[float], low: float, high: float, what: str, *, above: bool = False
) -> Callable[[str], Any]:
    """Make an argparse ``type=``: a finite number from ``low`` (excluded when ``above``) to ``high``.

    ``what`` completes "give …" in the message (the unit and the range).
    """

    def parse(text: str) -> int | float:
        try:
            value = cast(text)
        except ValueError:
            kind = "a whole number" if cast is int else "a number"
            msg = f"{text!r} is not {kind}; give {what}"
            raise argparse.ArgumentTypeError(msg) from None
        if not math.isfinite(value):
            msg = f"{text!r} is not a finite number; give {what}"
            raise argparse.ArgumentTypeError(msg)
        if value < low or (above and value == low) or value > high:
            msg = f"{text} is out of range; give {what}"
            raise argparse.ArgumentTypeError(msg)
        return value

    parse.__name__ = cast.__name__  # argparse names the type in its own messages
    return parse


def _degrees(text: str) -> float:
    """Read a finite number of degrees (an argparse ``type=``; ``--bbox`` checks the ranges)."""
    return float(_bounded(float, -math.inf, math.inf, "W S E N in degrees, e.g. 4.3 50.8 4.5 50.9")(text))


def _suffix(*suffixes: str, what: str) -> Callable[[str], str]:
    """Make an argparse ``type=``: a file name ending in one of ``suffixes`` (``what``: the file)."""

    def parse(text: str) -> str:
        if not text.strip() or Path(text).suffix.lower() not in suffixes:
            msg = (
                f"{text!r} is not a {' or '.join(suffixes)} file name; "
                f"give the {what} to write, e.g. out{suffixes[0]}"
            )
            raise argparse.ArgumentTypeError(msg)
        return text

    return parse


def _highways(text: str) -> list[str]:
    """Read road classes, comma-separated (an argparse ``type=``)."""
    classes = [c.strip() for c in text.split(",")]
    if not all(classes):
        msg = f"{text!r}: give road classes separated by commas, e.g. motorway,trunk,primary"
        raise argparse.ArgumentTypeError(msg)
    return classes


class _BBox(argparse.Action):
    """``--bbox W S E N``: degrees, west < east, south < north, within ±180/±90, at most 10° a side."""

    MAX_SIDE_DEG = 10.0

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        assert isinstance(values, list)
        west, south, east, north = values
        problems = []
        if not all(-180.0 <= v <= 180.0 for v in (west, east)):
            problems.append("west and east must be longitudes within ±180")
        if not all(-90.0 <= v <= 90.0 for v in (south, north)):
            problems.append("south and north must be latitudes within ±90")
        if not (west < east and south < north):
            problems.append("west must be below east and south below north")
        elif not problems and max(east - west, north - south) > self.MAX_SIDE_DEG:
            problems.append(
                f"a side is over {self.MAX_SIDE_DEG:g}° (Belgium spans about 4° by 2°); "
                "build a large area from a local extract (--osm-file)"
            )
        if problems:
            shown = " ".join(f"{v:g}" for v in values)
            msg = f"{shown}: {'; '.join(problems)} (give W S E N in degrees, e.g. 4.3 50.8 4.5 50.9)"
            raise argparse.ArgumentError(self, msg)
        setattr(namespace, self.dest, values)


def _query_flags(p: argparse.ArgumentParser) -> None:
    """Add the flags route, matrix and isochrone share: vehicle profile, network, overlay, closures."""
    p.add_argument("--vehicle", required=True, help="vehicle type id, e.g. leopard2a6")
    p.add_argument(
        "--speed",
        type=_bounded(float, 1, 160, "a speed in km/h from 1 to 160"),
        default=50.0,
        help="column speed cap in km/h (default 50)",
    )
    p.add_argument("--network", default="embedded", help="'embedded' or a .gpkg network file")
    p.add_argument(
        "--overlay",
        default="embedded",
        help="'embedded' (the packaged Belgian overlay: sites and bridges, default), 'none' "
        "(the network alone: places as lon,lat), or an overlay name or folder",
    )
    p.add_argument(
        "--close",
        action="append",
        metavar="WHAT",
        help="close a site, a bridge, an edge row (edge:N) or the road nearest lon,lat (repeat it)",
    )


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="enablement", description=__doc__.splitlines()[0])
    time_limit = _bounded(float, 0, 3600, "seconds above 0, at most 3600", above=True)
    gpkg = _suffix(".gpkg", what="GeoPackage")
    p.add_argument("--version", action="version", version=f"enablement {__version__}")
    p.add_argument("-v", "--verbose", action="count", default=0, help="log more (-v info, -vv debug)")
    sub = p.add_subparsers(dest="command", required=True)
    pl = sub.add_parser("plan", help="plan a scenario and write the map and tables")
    pl.add_argument("scenario", help="scenario file, or enablement:NAME for a packaged one")
    pl.add_argument("--out", default="out", help="output folder (default: out)")
    pl.add_argument(
        "--road-solver", choices=("cp-sat", "greedy"), help="road optimiser (default: the scenario's)"
    )
    pl.add_argument(
        "--time-limit",
        type=time_limit,
        help="wall time of the road step in seconds (default 30; its solves stop on deterministic "
        "limits sized from it, so the same limit and seed give the same plan)",
    )
    pl.add_argument(
        "--seed",
        type=_bounded(int, 0, SEED_MAX, f"a whole number from 0 to {SEED_MAX}"),
        help="solver seed (same seed and time limit, same plan)",
    )
    pl.set_defaults(func=_cmd_plan)
    va = sub.add_parser("validate", help="check a scenario file and report every problem")
    va.add_argument("scenario")
    va.set_defaults(func=_cmd_validate)
    ro = sub.add_parser("route", help="route one vehicle between two sites or lon,lat points")
    ro.add_argument("origin", help="site id (e.g. port-antwerp) or lon,lat")
    ro.add_argument("target", help="site id (e.g. border-e40-lichtenbusch) or lon,lat")
    _query_flags(ro)
    ro.add_argument(
        "--alternatives",
        type=_bounded(int, 1, 10, "a whole number of corridors from 1 to 10"),
        default=2,
        help="number of corridors to show (default 2)",
    )
    ro.add_argument(
        "--map", type=_suffix(".html", ".htm", what="map"), default="route.html", help="map to write"
    )
    ro.set_defaults(func=_cmd_route)
    mx = sub.add_parser("matrix", help="travel times and distances between places for one vehicle (CSV)")
    mx.add_argument("--from", dest="origins", action="append", metavar="PLACE", help="origin (repeat it)")
    mx.add_argument(
        "--to", dest="destinations", action="append", metavar="PLACE", help="destination (repeat)"
    )
    mx.add_argument(
        "--from-csv", metavar="FILE", help="origins from a CSV file (column place, or lon and lat)"
    )
    mx.add_argument("--to-csv", metavar="FILE", help="destinations from a CSV file (default: the origins)")
    _query_flags(mx)
    mx.add_argument(
        "--out", type=_suffix(".csv", what="table"), default="matrix.csv", help="CSV to write (matrix.csv)"
    )
    mx.set_defaults(func=_cmd_matrix)
    io = sub.add_parser("isochrone", help="where one vehicle gets within a time limit (GeoJSON)")
    io.add_argument("origin", help="site id or lon,lat")
    io.add_argument(
        "--minutes",
        type=_bounded(float, 0, 7 * 24 * 60, "minutes above 0, at most 10080 (a week)", above=True),
        required=True,
        help="time limit in minutes",
    )
    _query_flags(io)
    io.add_argument(
        "--shape",
        choices=("hull", "nodes", "edges"),
        default="hull",
        help="hull (one polygon, default), the nodes reached or the edges driven",
    )
    io.add_argument(
        "--out",
        type=_suffix(".geojson", ".json", what="GeoJSON file"),
        default="isochrone.geojson",
        help="GeoJSON to write (isochrone.geojson)",
    )
    io.set_defaults(func=_cmd_isochrone)
    ck = sub.add_parser("check", help="check a march table (CSV) against a scenario's network and policy")
    ck.add_argument("scenario", help="scenario file, or enablement:NAME for a packaged one")
    ck.add_argument("table", help="march table CSV (the format enablement plan writes)")
    ck.add_argument(
        "--detail", action="store_true", help="list every violation of a group (one line per march unit)"
    )
    ck.set_defaults(func=_cmd_check)
    ba = sub.add_parser("batch", help="plan many scenario variants (a batch file) and rank them by impact")
    ba.add_argument("batch", help="batch file (YAML): a base scenario and its changes, or a scenario folder")
    ba.add_argument("--out", required=True, help="output folder (results.csv/.parquet, summary.html)")
    ba.add_argument(
        "--workers",
        type=_bounded(int, 0, 256, "a whole number of worker processes from 0 (in this process) to 256"),
        default=1,
        help="local worker processes (default 1; 0: in this process)",
    )
    ba.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786 (instead of local)")
    ba.add_argument("--resume", action="store_true", help="continue a batch in --out: skip finished variants")
    ba.add_argument("--time-limit", type=time_limit, help="wall time of each variant's road step (s)")
    ba.add_argument(
        "--timeout",
        type=_bounded(float, 0, 7 * 86400, "seconds above 0, at most 604800 (a week)", above=True),
        help="wall-clock limit per variant (s); over it: timed out",
    )
    ba.set_defaults(func=_cmd_batch)
    ov = sub.add_parser(
        "overlay", help="conflate IGN-style overlay layers onto a network and report every feature"
    )
    ov.add_argument("overlay", nargs="*", help="overlay folders, GeoPackages or packaged names")
    ov.add_argument("--network", default="embedded", help="'embedded' or a .gpkg network file")
    ov.add_argument("--mapping", help="field-mapping file (default: overlay.yaml in each overlay folder)")
    ov.add_argument(
        "--wegenregister", action="append", help="Wegenregister extract (.zip or folder) as road attributes"
    )
    ov.add_argument("--infrabel", help="Infrabel line sections: rail attributes for the network's rail lines")
    ov.add_argument("--out", required=True, type=gpkg, help="GeoPackage to write (.gpkg)")
    ov.add_argument("--report", help="folder for conflation.csv/.geojson (default: beside --out)")
    ov.add_argument(
        "--snap-tolerance",
        type=_bounded(float, 0, 100_000, "metres above 0, at most 100000", above=True),
        help="one site-to-node tolerance for every site kind (m; default: per kind and network grain)",
    )
    ov.add_argument(
        "--point-tolerance",
        type=_bounded(float, 0, 50_000, "metres above 0, at most 50000", above=True),
        help="largest point-feature-to-road distance (m)",
    )
    ov.add_argument(
        "--line-tolerance",
        type=_bounded(float, 0, 5_000, "metres above 0, at most 5000", above=True),
        help="buffer half-width for line features (m)",
    )
    ov.add_argument(
        "--strict", action="store_true", help="fail (and write no network) when a restriction does not match"
    )
    ov.set_defaults(func=_cmd_overlay)
    net = sub.add_parser("network", help="network commands")
    nsub = net.add_subparsers(dest="network_command", required=True)
    build = nsub.add_parser("build", help="build a road and rail network from OpenStreetMap")
    src = build.add_mutually_exclusive_group(required=True)
    src.add_argument("--osm-file", help="local .osm, .osm.bz2 or .osm.pbf extract")
    src.add_argument("--place", help="place name for Overpass, e.g. 'Provincie Antwerpen'")
    src.add_argument(
        "--bbox",
        nargs=4,
        type=_degrees,
        action=_BBox,
        metavar=("W", "S", "E", "N"),
        help="bounding box (degrees)",
    )
    src.add_argument("--polygon", help="polygon file (any vector format with a CRS)")
    src.add_argument("--infrabel", help="Infrabel line-section layer: the national rail network on its own")
    build.add_argument(
        "--highways", type=_highways, default=list(DEFAULT_HIGHWAYS), help="road classes, comma-separated"
    )
    build.add_argument("--no-rail", action="store_true", help="leave railways out")
    build.add_argument(
        "--no-simplify",
        action="store_true",
        help="keep every way boundary (no merging of pass-through nodes)",
    )
    build.add_argument(
        "--consolidate",
        type=_bounded(float, 0, 1000, "metres above 0, at most 1000", above=True),
        metavar="M",
        help="collapse complex junctions whose nodes are joined by road edges of at most M metres",
    )
    build.add_argument("--out", required=True, type=gpkg, help="GeoPackage to write (.gpkg)")
    build.set_defaults(func=_cmd_network_build)
    info = nsub.add_parser("info", help="counts, km by mode, bounding box and sources")
    info.add_argument("source", nargs="?", default="embedded", help="'embedded' or a .gpkg network file")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.add_argument("--refresh", action="store_true", help="rebuild the cached network")
    info.set_defaults(func=_cmd_network_info)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except EnablementError as exc:
        errors.print(f"error: {exc}", markup=False)
        return exc.exit_code
    except KeyboardInterrupt:
        errors.print("interrupted", markup=False)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
