"""Quay Gantt chart: loading of every train on its quay's ramp tracks, as a self-contained SVG."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

from ..scheduling.rail import Train
from ..timeline import Clock
from ..zones import local_time
from .escape import xml_text

__all__ = ["quay_gantt_svg"]

_ROW = 26
_LEFT = 230
_WIDTH = 1100
_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def _local_ticks(clock: Clock, t0: float, t1: float, every_h: int) -> list[float]:
    """Return the instants (s since the start) in ``(t0, t1)`` when the local hour is 0, ``every_h``, …."""
    day = dt.datetime.combine(clock.at(t0).date(), dt.time())
    out: list[float] = []
    for k in itertools.count():
        s = clock.seconds(local_time(day + dt.timedelta(hours=every_h * k), clock.zone))
        if s >= t1:
            return out
        if s > t0 and (not out or s > out[-1]):
            out.append(s)
    return out


def quay_gantt_svg(trains: Sequence[Train], clock: Clock, title: str = "Loading at the quays") -> str:
    """SVG Gantt chart: one row per quay ramp track, one bar per train (loading start to end).

    Bars are coloured by unit and labelled with the train id; a thin tail shows the
    wait for a path (loading end to departure). Grid lines fall every 6 h of local time
    in the clock's zone, the first and any after a daylight-saving change labelled with
    the offset. Text from data (quay, train and unit
    ids) is escaped by :func:`~enablement.outputs.escape.xml_text`: the chart is a
    standalone SVG file and is inlined in the report.
    """
    rows = sorted({(t.quay, t.track) for t in trains})
    if not rows:
        return (
            '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="40" viewBox="0 0 400 40">'
            '<text x="10" y="25" font-family="sans-serif" font-size="13">No trains in this plan</text></svg>'
        )
    t0 = min(t.load_start_s for t in trains)
    t1 = max(t.depart_s for t in trains)
    span = max(t1 - t0, 3600.0)
    scale = _WIDTH / span
    units = sorted({t.unit for t in trains})
    colour = {u: _COLOURS[i % len(_COLOURS)] for i, u in enumerate(units)}
    height = 60 + _ROW * len(rows) + 40 + 18 * len(units)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_LEFT + _WIDTH + 20}" height="{height}" '
        f'viewBox="0 0 {_LEFT + _WIDTH + 20} {height}" font-family="sans-serif" font-size="11">',
        f'<text x="10" y="20" font-size="15" font-weight="bold">{xml_text(title)}</text>',
    ]
    # hour grid at 00:00, 06:00, 12:00 and 18:00 local time; the offset on the first line and where it changes
    shown = ""
    for tick in _local_ticks(clock, t0, t1, 6):
        x = _LEFT + (tick - t0) * scale
        when = clock.at(tick)
        offset = when.isoformat()[-6:]
        label = f"{when:%m-%d %H:%M}" + (f" {offset}" if offset != shown else "")
        shown = offset
        out.append(f'<line x1="{x:.1f}" y1="35" x2="{x:.1f}" y2="{40 + _ROW * len(rows)}" stroke="#ddd"/>')
        out.append(f'<text x="{x + 2:.1f}" y="33" fill="#555">{xml_text(label)}</text>')
    index = {r: i for i, r in enumerate(rows)}
    for (quay, track), i in index.items():
        y = 40 + _ROW * i
        out.append(f'<text x="10" y="{y + 17}">{xml_text(quay)} · track {track}</text>')
        out.append(
            f'<line x1="{_LEFT}" y1="{y + _ROW}" x2="{_LEFT + _WIDTH}" y2="{y + _ROW}" stroke="#eee"/>'
        )
    for t in trains:
        y = 40 + _ROW * index[(t.quay, t.track)]
        x = _LEFT + (t.load_start_s - t0) * scale
        w = max(2.0, (t.load_end_s - t.load_start_s) * scale)
        tip = (
            f"{t.id}: {t.wagons} wagons, {len(t.vehicles)} vehicles, loading "
            f"{clock.iso(t.load_start_s)} – {clock.iso(t.load_end_s)}, departs {clock.iso(t.depart_s)}"
        )
        out.append(
            f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{_ROW - 8}" fill="{colour[t.unit]}">'
            f"<title>{xml_text(tip)}</title></rect>"
        )
        if t.depart_s > t.load_end_s:
            xe = _LEFT + (t.load_end_s - t0) * scale
            xd = _LEFT + (t.depart_s - t0) * scale
            out.append(f'<line x1="{xe:.1f}" y1="{y + 13}" x2="{xd:.1f}" y2="{y + 13}" stroke="#999"/>')
        out.append(f'<text x="{x + 2:.1f}" y="{y + 17}" fill="#fff" font-size="9">{xml_text(t.id)}</text>')
    y = 60 + _ROW * len(rows)
    for i, u in enumerate(units):
        out.append(f'<rect x="10" y="{y + 18 * i}" width="12" height="12" fill="{colour[u]}"/>')
        out.append(f'<text x="28" y="{y + 18 * i + 10}">{xml_text(u)}</text>')
    out.append("</svg>")
    return "\n".join(out)
