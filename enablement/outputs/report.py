"""``report.html``: one self-contained page (no script, no remote file) that works offline.

Sections: key figures, closure per unit against its RDD (chart and table),
bottlenecks (binding rail resource, caution crossings, warnings), the cross-border
permission requests (at-risk ones first, with their filing deadlines), the HET shuttles
(their columns as the road schedule runs them, and the trips), solver status,
utilisation of quays and rail pools (chart), the quay Gantt chart, a
time–distance diagram of the march units, the train timetable and the march
table. Every text from data is escaped for HTML by
:func:`~enablement.outputs.escape.html_text` (the link to the map, an attribute, by
:func:`~enablement.outputs.escape.html_attr`); charts are inline SVG.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from .escape import html_attr, html_text
from .gantt import quay_gantt_svg
from .tables import het_table, permission_table

if TYPE_CHECKING:
    from ..plan import Plan

__all__ = ["report_html"]

_CSS = """
body{font-family:system-ui,sans-serif;margin:16px;color:#222;max-width:1400px}
.chart svg{width:100%;height:auto;display:block}.wide{overflow-x:auto;max-width:100%}
p,li{overflow-wrap:anywhere}.binding{background:#fff4e5;border-left:4px solid #e67e00;padding:6px 10px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:12px;margin:6px 0}
th,td{border:1px solid #ddd;padding:3px 6px;text-align:left}th{background:#f3f3f3}
td.num{text-align:right}.late{color:#b00;font-weight:bold}.ok{color:#060}
.kpi{display:inline-block;margin:4px 14px 4px 0;padding:6px 10px;background:#f6f6f6;border-radius:4px}
.kpi b{display:block;font-size:18px}details{margin:8px 0}
"""
_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def _table(frame: pd.DataFrame, numeric: set[str] | None = None, max_rows: int | None = None) -> str:
    numeric = numeric or set()
    rows = frame if max_rows is None else frame.head(max_rows)
    head = "".join(f"<th>{html_text(c)}</th>" for c in rows.columns)
    body = []
    for rec in rows.itertuples(index=False):
        cells = []
        for col, val in zip(rows.columns, rec, strict=True):
            text = "" if val is None or (isinstance(val, float) and pd.isna(val)) else str(val)
            cls = ' class="num"' if col in numeric else ""
            cells.append(f"<td{cls}>{html_text(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    return f"<div class='wide'>{table}</div>"


def _bars(items: Sequence[tuple[str, float, float | None]], unit: str, width: int = 900) -> str:
    """Horizontal bars ``(label, value, marker)``; the marker (e.g. the RDD) is a red tick."""
    if not items:
        return "<p>None.</p>"
    top = max([v for _, v, _ in items] + [m for *_, m in items if m is not None]) or 1.0
    left, row = 230, 22
    scale = (width - left - 80) / top
    out = [
        f'<div class="chart"><svg xmlns="http://www.w3.org/2000/svg" width="100%" '
        f'viewBox="0 0 {width} {row * len(items) + 30}" font-size="11">'
    ]
    for i, (label, value, marker) in enumerate(items):
        y = 10 + i * row
        out.append(f'<text x="4" y="{y + 13}">{html_text(label)}</text>')
        out.append(
            f'<rect x="{left}" y="{y + 2}" width="{max(1.0, value * scale):.1f}" height="{row - 6}" '
            'fill="#4c78a8">'
            f"<title>{html_text(label)}: {value:.2f} {html_text(unit)}</title></rect>"
        )
        out.append(
            f'<text x="{left + value * scale + 4:.1f}" y="{y + 13}">{value:.1f} {html_text(unit)}</text>'
        )
        if marker is not None:
            x = left + marker * scale
            out.append(
                f'<line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{y + row - 2}" stroke="#d62728" '
                'stroke-width="2"/>'
            )
    out.append("</svg></div>")
    return "\n".join(out)


def _time_distance(march: pd.DataFrame, start: dt.datetime, width: int = 1100, height: int = 420) -> str:
    """Time–distance diagram: one line per march unit and leg, km from its start against time."""
    if march.empty:
        return "<p>No road movement.</p>"
    t = pd.to_datetime(march["arrive"], format="ISO8601", utc=True)
    d = pd.to_datetime(march["depart"], format="ISO8601", utc=True)
    t0 = pd.Timestamp(start).tz_convert("UTC")
    hours_a = (t - t0).dt.total_seconds() / 3600.0
    hours_d = (d - t0).dt.total_seconds() / 3600.0
    t_max = float(max(hours_a.max(), hours_d.max())) or 1.0
    km_max = float(march["km"].max()) or 1.0
    left, bottom = 50, 30
    sx = (width - left - 20) / t_max
    sy = (height - bottom - 20) / km_max
    out = [
        f'<div class="chart"><svg xmlns="http://www.w3.org/2000/svg" width="100%" '
        f'viewBox="0 0 {width} {height}" font-size="10">'
    ]
    for h in range(0, int(t_max) + 1, 6):
        x = left + h * sx
        out.append(f'<line x1="{x:.1f}" y1="10" x2="{x:.1f}" y2="{height - bottom}" stroke="#eee"/>')
        out.append(f'<text x="{x:.1f}" y="{height - 12}">+{h} h</text>')
    out.append(f'<text x="4" y="14">km</text><text x="4" y="{height - bottom}">0</text>')
    out.append(f'<text x="4" y="24">{km_max:.0f}</text>')
    units = sorted(march["unit"].unique())
    colour = {u: _COLOURS[i % len(_COLOURS)] for i, u in enumerate(units)}
    frame = march.assign(t_arr=hours_a, t_dep=hours_d)
    for (mu, _leg), g in frame.groupby(["march_unit", "leg"], sort=True):
        pts = []
        for r in g.sort_values("seq").itertuples():
            y = height - bottom - r.km * sy
            pts.append(f"{left + r.t_arr * sx:.1f},{y:.1f}")
            pts.append(f"{left + r.t_dep * sx:.1f},{y:.1f}")
        out.append(
            f'<polyline points="{" ".join(pts)}" fill="none" stroke="{colour[g["unit"].iloc[0]]}" '
            f'stroke-width="1"><title>{html_text(mu)}</title></polyline>'
        )
    for i, u in enumerate(units):
        out.append(f'<rect x="{width - 170}" y="{14 + 14 * i}" width="10" height="10" fill="{colour[u]}"/>')
        out.append(f'<text x="{width - 155}" y="{23 + 14 * i}">{html_text(u)}</text>')
    out.append("</svg></div>")
    return "\n".join(out)


def _reception(summary: dict[str, Any]) -> list[str]:
    """Render the reception section: each arrival's berths and times, each marshalling area's peak."""
    rec = summary["reception"]
    parts = [
        "<h2>Reception</h2>",
        "<p>Each berth (or stand) discharges one vehicle at a time at the site's rate; a ship is worked "
        "at every berth free at its port. Times are as discharged, before any pause for a full "
        "marshalling area.</p>",
    ]
    if rec["arrivals"]:
        arrivals = pd.DataFrame(rec["arrivals"])
        arrivals["berths_used"] = [", ".join(str(b) for b in bs) for bs in arrivals["berths_used"]]
        parts.append(_table(arrivals, {"vehicles"}))
    if rec["marshalling"]:
        parts.append(
            "<p>Marshalling areas: the most room taken at once (vehicles, or m² of parked vehicles) "
            "against the capacity, and the longest pause of the discharge while the area was full.</p>"
        )
        parts.append(_table(pd.DataFrame(rec["marshalling"]), {"capacity", "peak"}))
    return parts


def _permissions(summary: dict[str, Any], permissions: pd.DataFrame) -> list[str]:
    """Render the permission requests: what is in force, then the table (at-risk requests first)."""
    p = summary["permissions"]
    by = ", ".join(f"{k}: {v}" for k, v in sorted(p["regime_by_neighbour"].items()))
    parts = [
        "<h2>Cross-border permission requests</h2>",
        f"<p>{html_text(p['requests'])} requests, {html_text(p['at_risk'])} at risk "
        f"({html_text(p['past_deadline'])} past their deadline); regime {html_text(p['regime'])}"
        + (f" ({html_text(by)})" if by else "")
        + f"; requests filed from {html_text(p['filing_from'])}. At risk: <i>past</i>, the deadline is "
        "before requests can be filed; <i>tight</i>, less than "
        f"{html_text(format(p['at_risk_margin_h'], 'g'))} h to spare (the crossing waits for its "
        "permission).</p>",
    ]
    if permissions.empty:
        parts.append("<p>No movement crosses a border.</p>")
        return parts
    shown = permissions.drop(columns=["filing_from"])
    parts.append(_table(shown, {"vehicles", "heaviest_mlc"}))
    return parts


def _ranges(numbers: Sequence[int]) -> str:
    """Write HET numbers compactly: ``1-20, 23``."""
    out: list[str] = []
    for n in sorted(set(numbers)):
        if out and out[-1].split("-")[-1] == str(n - 1):
            out[-1] = f"{out[-1].split('-')[0]}-{n}"
        else:
            out.append(str(n))
    return ", ".join(out)


def _solver_row(part: str, solved: dict[str, Any]) -> dict[str, Any]:
    """One row of the solver status table: a part's method, status, and its bound and gap (or why none)."""
    ran = solved.get("status") not in (None, "not used")
    if not ran:
        optimality = ""
    elif "bound_hours" in solved:
        optimality = f"bound {solved['bound_hours']} h, gap {solved.get('gap')}"
    else:
        optimality = str(solved.get("optimality", ""))
    return {
        "part": part,
        "status": solved.get("status"),
        "optimality": optimality,
        "closure_hours": solved.get("closure_hours", ""),
        "solve_seconds": solved.get("solve_seconds", ""),
        "method": solved.get("method"),
    }


def _bottlenecks(s: dict[str, Any], permissions: pd.DataFrame) -> list[str]:
    """Render what holds the force's closure back, then every other limit the plan names."""
    k = s["kpis"]
    road: dict[str, Any] = s["solver"]["road"]
    rail: dict[str, Any] = s["solver"]["rail"]
    b = s.get("bottleneck") or {}
    parts = ["<h2>Bottlenecks</h2>"]
    if b:
        parts.append(
            f"<p class='binding'><b>Force closure {html_text(b['closure'])}, "
            f"held by {html_text(b['part'])}</b> "
            f"at <b>{html_text(b['where'])}</b>, {html_text(b['at'])} (unit {html_text(b['unit'])}): "
            f"{html_text(b['what'])}.</p>"
        )
    items = []
    if road.get("binding"):
        items.append(f"<li>Road solver's binding constraint: {html_text(road['binding'])}.</li>")
    if rail.get("binding_resource"):
        items.append(
            f"<li>Rail solver's largest lower bound: {html_text(rail['binding_resource'])} "
            f"(bound {html_text(rail.get('bound_hours'))} h against a rail closure of "
            f"{html_text(rail.get('closure_hours'))} h).</li>"
        )
    items += _caution(k)
    changed = [d for d in s.get("disruptions", []) if d["rerouted_march_units"]]
    for d in changed:
        items.append(
            f"<li>Disruption {html_text(d['label'])}: {len(d['rerouted_march_units'])} march units rerouted "
            f"(+{html_text(d['detour_column_hours'])} column-hours of driving; see Disruptions).</li>"
        )
    risky = permissions[permissions["at_risk"]] if "at_risk" in permissions.columns else permissions.iloc[:0]
    p = s["permissions"]
    if len(risky):
        items.append(
            f"<li>Permissions at risk: {html_text(p['at_risk'])} of {html_text(p['requests'])} "
            f"({html_text(p['past_deadline'])} past their deadline):<ul>"
            + "".join(
                f"<li>{html_text(r.movement)} at {html_text(r.crossing)}: file by "
                f"{html_text(r.filing_deadline)} ({html_text(r.risk)})</li>"
                for r in risky.head(10).itertuples()
            )
            + ("<li>… (all in the permission table)</li>" if len(risky) > 10 else "")
            + "</ul></li>"
        )
    else:
        items.append(f"<li>Permissions at risk: none of {html_text(p['requests'])} requests.</li>")
    items += [f"<li>{html_text(w)}</li>" for w in s["warnings"]]
    parts.append("<ul>" + "".join(items) + "</ul>")
    return parts


def _disruptions(s: dict[str, Any]) -> list[str]:
    """Render each closure in force and what it changed: the march units sent round, and their detours."""
    parts = ["<h2>Disruptions and their effect</h2>"]
    ds = s.get("disruptions", [])
    if not ds:
        parts.append("<p>No disruption, restriction or overlay closure is in force.</p>")
        return parts
    parts.append(
        "<p>A march unit is <i>rerouted</i> by a closure when its fastest route for its own vehicles, "
        "with no closure, runs through it while the unit is on the road and the closure in force, "
        "and its planned route does not; the detour is the planned route over that fastest one.</p>"
    )
    cost = s.get("disruption_cost")
    if cost:
        delay = float(cost["delay_hours"])
        effect = f"{delay:+.2f} h" if delay else "no change"
        parts.append(
            "<p>Road closure before and after the scenario's disruptions, both by the greedy baseline "
            "(scheduled a second time without them; restrictions and overlay closures kept): "
            f"<b>{html_text(cost['greedy_closure_without'])}</b> without, "
            f"<b>{html_text(cost['greedy_closure_with'])}</b> with them ({html_text(effect)}). "
            f"The plan's road closure, with them: <b>{html_text(cost['plan_road_closure'])}</b>.</p>"
        )
    else:
        parts.append(
            "<p>The scenario has no disruption: the closures listed are restrictions and overlay closures, "
            "in force in every plan of it, so no schedule without them is made.</p>"
        )
    rows = [
        {
            "closure": d["label"],
            "from": d["start"],
            "until": d["end"],
            "march_units_rerouted": len(d["rerouted_march_units"]),
            "units_rerouted": ", ".join(d["rerouted_units"]) or "none",
            "detour_column_hours": d["detour_column_hours"],
            "crossed_outside_closure": len(d["crossed_outside_closure"]),
        }
        for d in ds
    ]
    parts.append(_table(pd.DataFrame(rows), {"march_units_rerouted", "detour_column_hours"}))
    for d in ds:
        if d["rerouted_march_units"]:
            parts.append(
                f"<details><summary>{html_text(d['label'])}: {len(d['rerouted_march_units'])} march units "
                "rerouted (click to open)</summary>"
            )
            parts.append(_table(pd.DataFrame(d["rerouted_march_units"]), {"leg", "extra_km", "extra_min"}))
            parts.append("</details>")
    return parts


def _march_tables(march: pd.DataFrame) -> list[str]:
    """Render the march table split per unit, each in its own collapsible block."""
    parts = []
    numeric = {"km", "pass_min", "halt_min", "wait_min", "vehicles"}
    for unit, rows in march.groupby("unit", sort=True):
        mus = rows["march_unit"].nunique()
        parts.append(
            f"<details><summary>{html_text(unit)}: {mus} march units, {len(rows)} rows</summary>"
            f"{_table(rows, numeric)}</details>"
        )
    return parts


def _shuttles(plan: Plan, summary: dict[str, Any], het_trips: pd.DataFrame) -> list[str]:
    """Render the HET shuttles: what they carry, their columns as the road schedule runs them, the trips."""
    het = summary["solver"]["het"]
    parts = ["<h2>HET shuttles</h2>"]
    if plan.hets is None:
        parts.append("<p>No vehicle rides a heavy equipment transporter.</p>")
        return parts
    columns = [m for m in plan.march_units if m.purpose == "het"]
    res = plan.scenario.resources
    park = plan.het_places[0] if plan.het_places else ""
    parts.append(
        f"<p>{html_text(het['vehicles_carried'])} vehicles ride {html_text(res.hets)} HETs "
        f"({html_text(res.het_type)}, park {html_text(park)}) in {len(columns)} road columns over "
        f"{html_text(het['shifts'])} shifts ({html_text(het['het_hours'])} HET-hours); the last is off its "
        f"HET {html_text(plan.clock.iso(plan.hets.closure_s))} "
        f"({html_text(het['closure_hours'])} h from the start; the shuttle plan had "
        f"{html_text(het.get('planned_closure_hours', ''))} h). A loaded run keeps to the movement window; "
        "a HET's next column leaves only once it has unloaded, driven back and loaded again "
        "(the <code>hets</code> column of the march table names each column's HETs).</p>"
    )
    if het.get("over_payload"):
        parts.append(
            f"<p class='late'>Heavier than the HET's payload (carried, check the HET unit's rating): "
            f"{html_text(', '.join(het['over_payload']))}.</p>"
        )
    first: dict[str, float] = {}
    for r in plan.march.rows:
        first.setdefault(r.march_unit, r.depart_s)
    loads: dict[str, list[str]] = {}
    for task, mu in plan.het_columns.items():
        loads.setdefault(mu, []).append(task)
    vehicle = {t.task: t.vehicle for t in plan.hets.trips}
    rows = []
    iso = plan.clock.iso
    for m in sorted(columns, key=lambda m: (first.get(m.id, m.release_s), m.id)):
        carried = [vehicle[t] for t in loads.get(m.id, [])]
        leave = first.get(m.id, m.release_s)
        rows.append(
            {
                "column": m.id,
                "unit": m.unit,
                "hets": len(m.hets),
                "het_numbers": _ranges(m.hets),
                "loads": ";".join(f"{v}x{carried.count(v)}" for v in dict.fromkeys(carried)),
                "from": m.sites[0],
                "to": m.sites[-1],
                "planned_depart": iso(m.release_s),
                "depart": iso(leave),
                "tail_in": iso(plan.march.closure_s[m.id]),
                "held_h": round((leave - m.release_s) / 3600.0, 2),
            }
        )
    parts.append(_table(pd.DataFrame(rows), {"hets", "held_h"}))
    parts.append(f"<details><summary>{len(het_trips)} HET trips (click to open)</summary>")
    parts.append(_table(het_trips, {"het", "shift"}))
    parts.append("</details>")
    return parts


def _caution(k: dict[str, Any]) -> list[str]:
    """Bottleneck items of the caution crossings: each bridge, and the column-minutes they take."""
    out = [
        f"<li>Caution crossing: {html_text(c)}, crossed one vehicle at a time "
        "(the bridge is held for each column's crossing, in both directions)</li>"
        for c in k["caution_crossings"]
    ]
    if out:
        total = html_text(f"{k['caution_crossing_column_minutes']:g}")
        out.append(f"<li>Caution crossings take {total} column-minutes in all.</li>")
    return out


def _check_section(check: Mapping[str, Any] | None) -> list[str]:
    """Show the checker's verdict on the written march table: valid, or each broken rule by group."""
    if check is None:
        return []
    if not check["violations"]:
        return ["<p class='valid'>Checked as written against its own rules: no violation.</p>"]
    head = (
        "Checked as written against its own rules: "
        + ("valid, but " if check["valid"] else "<b>NOT VALID</b>: ")
        + f"{check['violations']} violation(s)"
        + (f", {check['hard']} of a hard rule" if check["hard"] else " (late deliveries only)")
        + "."
    )
    rows = "".join(
        f"<li>{html_text(g['kind'])} at {html_text(g['place'])} from {html_text(g['first'])}: "
        f"{html_text(g['describe'])}</li>"
        for g in check["groups"][:20]
    )
    more = len(check["groups"]) - 20
    tail = f"<li>and {more} more group(s): run enablement check --detail</li>" if more > 0 else ""
    css = "valid" if check["valid"] else "invalid"
    return [f"<h2>Check</h2><p class='{css}'>{head}</p><ul>{rows}{tail}</ul>"]


def report_html(
    plan: Plan,
    march: pd.DataFrame,
    trains: pd.DataFrame,
    map_file: str = "map.html",
    permissions: pd.DataFrame | None = None,
    het_trips: pd.DataFrame | None = None,
    check: Mapping[str, Any] | None = None,
) -> str:
    """Render the report of a plan as one HTML page.

    Parameters
    ----------
    plan
        The plan.
    march, trains
        Its march table and train table (as written to CSV).
    map_file
        Relative link to the map.
    permissions
        Its permission requests (as written to CSV; made from the plan when not given).
    het_trips
        Its HET trips (as written to CSV; made from the plan when not given).
    check
        The checker's verdict on the march table as written (:func:`.write.self_check`), shown
        first; none when not given.
    """
    if permissions is None:
        permissions = permission_table(plan)
    if het_trips is None:
        het_trips = het_table(plan)
    s = plan.summary()
    k = s["kpis"]
    rail: dict[str, Any] = s["solver"]["rail"]
    road: dict[str, Any] = s["solver"]["road"]
    het: dict[str, Any] = s["solver"]["het"]
    units = pd.DataFrame(s["units"])
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html_text(plan.scenario.name)}: RSOM plan report</title><style>{_CSS}</style></head><body>",
        f"<h1>{html_text(plan.scenario.name)}</h1>",
        f"<p>{html_text(plan.scenario.description or '')}</p>",
        f"<p>Start {html_text(s['start'])} · times are local time in {html_text(s['timezone'])}, with their "
        f"offset · enablement {html_text(s['enablement_version'])} · "
        f"<a href='{html_attr(map_file)}'>open the map</a></p>",
        *_check_section(check),
        "<h2>Key figures</h2>",
    ]
    for label, value in (
        ("force closure", k["closure"]),
        ("hours from start", k["closure_hours_from_start"]),
        ("vehicles", k["vehicles"]),
        ("march units", k["march_units"]),
        ("trains", k["trains"]),
        ("units late", k["units_late"]),
        ("road km (march units)", k["march_unit_route_km"]),
        ("tracked vehicles over the road distance", k["tracked_over_road_limit"]),
    ):
        parts.append(f"<span class='kpi'>{html_text(label)}<b>{html_text(value)}</b></span>")
    parts.append("<h2>Closure per unit against its required delivery date</h2>")
    start = plan.clock.start
    items = []
    for u in plan.units:
        items.append((f"{u.unit} ({u.mode})", u.closure_s / 3600.0, u.rdd_s / 3600.0))
    parts.append(_bars(items, "h"))
    parts.append("<p>Bars: closure in hours from the start; red tick: RDD.</p>")
    shown = units.copy()
    shown["status"] = ["late" if x > 0 else "on time" for x in shown["lateness_hours"]]
    parts.append(_table(shown, {"vehicles", "march_units", "trains", "lateness_hours"}))
    territory = s["territory"]
    foreign = ", ".join(territory["foreign_roads"]) or "none"
    parts.append(
        "<h2>Hand-over at the border</h2>"
        f"<p>Routes stay in {html_text(territory['country'])} (foreign roads allowed: {html_text(foreign)}) "
        "and leave it only at a border crossing, where each unit is handed over to the next nation.</p>"
    )
    if territory["handovers"]:
        parts.append(_table(pd.DataFrame(territory["handovers"])))
    parts += _bottlenecks(s, permissions)
    parts += _disruptions(s)
    parts += _reception(s)
    parts += _permissions(s, permissions)
    parts += _shuttles(plan, s, het_trips)
    parts.append("<h2>Solver status</h2>")
    status = pd.DataFrame(
        [
            _solver_row("road", road),
            _solver_row("rail", rail),
            _solver_row("HET shuttles", het),
            _solver_row("reception", s["solver"]["reception"]),
        ]
    )
    parts.append(_table(status))
    util = rail.get("utilisation") or {}
    if util:
        parts.append("<h2>Utilisation of quays and rail pools</h2>")
        parts.append(_bars([(name, 100.0 * v, None) for name, v in util.items()], "%"))
    parts.append("<h2>Loading at the quays</h2>")
    parts.append(f"<div class='chart'>{quay_gantt_svg(plan.trains, plan.clock)}</div>")
    parts.append("<h2>Time–distance diagrams (movement graphs), one per corridor</h2>")
    if march.empty:
        parts.append("<p>No road movement.</p>")
    else:
        # a corridor: the march units heading for the same final control point
        last = march.sort_values(["march_unit", "leg", "seq"]).groupby("march_unit")["control_point"].last()
        for dest, mus in sorted(last.groupby(last).groups.items()):
            legs = march[march["march_unit"].isin(list(mus))]
            units = ", ".join(sorted(legs["unit"].unique()))
            parts.append(f"<h3>to {html_text(dest)} ({len(mus)} march units: {html_text(units)})</h3>")
            parts.append(_time_distance(legs, start, height=300))
    parts.append("<h2>Train timetable</h2>")
    if len(trains):
        parts.append(f"<details><summary>{len(trains)} trains (click to open)</summary>")
        parts.append(_table(trains, {"wagons", "length_m", "gross_t", "vehicles", "route_km"}))
        parts.append("</details>")
    else:
        parts.append("<p>No trains.</p>")
    parts.append("<h2>March table</h2>")
    speeds = html_text(s["network"]["road_speeds"])
    parts.append(f"<p>Speeds (<code>speed_kmh</code>, to the next control point): {speeds}.</p>")
    parts.append(f"<p>{len(march)} rows, one block per unit (click a unit to open).</p>")
    parts += _march_tables(march)
    parts.append("<h2>Sources</h2><ul>")
    for a in s["attribution"]:
        if a:
            parts.append(f"<li>{html_text(a)}</li>")
    parts.append("</ul></body></html>")
    return "\n".join(parts)
