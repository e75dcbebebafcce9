"""The results table (CSV, Parquet) and the HTML summary that ranks the variants by impact.

Text from the batch file, its variants and their results reaches the summary through
:func:`~enablement.outputs.escape.html_text` (the chart is SVG inline in the page).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .. import __version__
from .._io import write_text_atomic, write_with_atomic
from ..outputs.escape import html_text
from .journal import RESULTS
from .spec import Batch
from .variants import BASE_ID, Variant
from .worker import STATUSES

COLUMNS = (
    "variant",
    "changes",
    "n_changes",
    "status",
    "closure",
    "closure_h",
    "closure_delta_h",
    "total_lateness_h",
    "lateness_delta_h",
    "max_lateness_h",
    "units_late",
    "binding",
    "road_status",
    "rail_status",
    "message",
    "solve_s",
)
"""Columns of the results table; ``solve_s`` (wall clock) is the only one that depends on the machine."""

_DTYPES = {
    "n_changes": "Int64",
    "units_late": "Int64",
    "closure_h": "float64",
    "closure_delta_h": "float64",
    "total_lateness_h": "float64",
    "lateness_delta_h": "float64",
    "max_lateness_h": "float64",
    "solve_s": "float64",
}


def _order(variant: str) -> tuple[bool, str]:
    return (variant != BASE_ID, variant)


def results_table(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Build the results table: a row per variant sorted by id (``base`` first), impact against ``base``.

    Parameters
    ----------
    rows
        Recorded rows (the last one of a variant wins).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`; ``closure_delta_h`` and ``lateness_delta_h`` are the
        differences to the base scenario (NaN without a planned base).
    """
    latest = {r["variant"]: r for r in rows}
    ordered = [latest[v] for v in sorted(latest, key=_order)]
    df = pd.DataFrame([{c: r.get(c) for c in COLUMNS} for r in ordered], columns=list(COLUMNS))
    df = df.astype(_DTYPES)
    base = latest.get(BASE_ID)
    if base is not None and base.get("status") == "ok":
        df["closure_delta_h"] = (df["closure_h"] - float(base["closure_h"])).round(4)
        df["lateness_delta_h"] = (df["total_lateness_h"] - float(base["total_lateness_h"])).round(4)
    for col in ("changes", "status", "binding", "road_status", "rail_status", "message"):
        df[col] = df[col].fillna("").astype(str)
    df["closure"] = df["closure"].astype("string")
    df["variant"] = df["variant"].astype(str)
    return df


def _ranked(table: pd.DataFrame) -> pd.DataFrame:
    """Variants by impact: infeasible first, then by extra closure and extra lateness (base left out)."""
    t = table[(table["variant"] != BASE_ID) & table["status"].isin(("ok", "infeasible"))].copy()
    t["_inf"] = t["status"] == "infeasible"
    t["_c"] = t["closure_delta_h"].fillna(t["closure_h"]).fillna(0.0)
    t["_l"] = t["lateness_delta_h"].fillna(t["total_lateness_h"]).fillna(0.0)
    t = t.sort_values(["_inf", "_c", "_l", "variant"], ascending=[False, False, False, True], kind="stable")
    return t.drop(columns=["_inf", "_c", "_l"])


def _fmt(x: Any, digits: int = 2, sign: bool = False) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return "–"
    return f"{float(x):+.{digits}f}" if sign else f"{float(x):.{digits}f}"


def _chart(ranked: pd.DataFrame, limit: int = 30) -> str:
    """Inline SVG: extra closure hours per variant (infeasible ones as a full red bar)."""
    rows = ranked.head(limit)
    if rows.empty:
        return "<p>No variant was planned.</p>"
    deltas = [0.0 if pd.isna(d) else float(d) for d in rows["closure_delta_h"]]
    span = max([abs(d) for d in deltas] + [1e-9])
    left, width, bar_h, gap = 330, 520, 16, 6
    has_neg = any(d < 0 for d in deltas)
    zero = left + (width / 2 if has_neg else 0)
    scale = (width / 2 if has_neg else width) / span
    height = (bar_h + gap) * len(rows) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 90}" height="{height}" '
        'role="img" aria-label="extra closure hours per variant" font-family="sans-serif" font-size="11">',
        f'<line x1="{zero:.1f}" y1="0" x2="{zero:.1f}" y2="{height - 24}" stroke="#444"/>',
    ]
    for i, (row, d) in enumerate(zip(rows.itertuples(index=False), deltas, strict=True)):
        y = i * (bar_h + gap) + 4
        name = f"{row.variant}: {row.changes}"
        name = name if len(name) <= 52 else name[:51] + "…"
        parts.append(
            f'<text x="{left - 6}" y="{y + bar_h - 4}" text-anchor="end">'
            f"<title>{html_text(row.changes)}</title>{html_text(name)}</text>"
        )
        if row.status == "infeasible":
            parts.append(
                f'<rect x="{zero:.1f}" y="{y}" width="{left + width - zero:.1f}" height="{bar_h}" '
                'fill="#b2182b" opacity="0.85"/>'
                f'<text x="{left + width + 4}" y="{y + bar_h - 4}">infeasible</text>'
            )
            continue
        w = abs(d) * scale
        x = zero if d >= 0 else zero - w
        colour = "#d6604d" if d > 0 else "#4393c3"
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="{max(w, 0.5):.1f}" height="{bar_h}" fill="{colour}"/>'
            f'<text x="{left + width + 4}" y="{y + bar_h - 4}">{html_text(_fmt(d, 2, True))} h</text>'
        )
    parts.append(
        f'<text x="{zero:.1f}" y="{height - 8}" text-anchor="middle">0 h (base closure); '
        f"bar length up to {span:.2f} h</text></svg>"
    )
    return "".join(parts)


def worst_single_closure(table: pd.DataFrame, variants: Sequence[Variant]) -> dict[str, Any] | None:
    """Find the single closure (one bridge or one site, alone) that delays the closure most.

    Parameters
    ----------
    table
        The results table (:func:`results_table`).
    variants
        The batch's variants (to tell single closures from other changes).

    Returns
    -------
    dict or None
        ``variant``, ``changes``, ``status`` (an infeasible variant ranks first), and
        ``closure_delta_h`` and ``lateness_delta_h`` (None when not planned); None when
        no single closure was planned.
    """
    single = {
        v.id for v in variants if len(v.changes) == 1 and v.changes[0].kind in ("close_bridge", "close_site")
    }
    ranked = _ranked(table)
    ranked = ranked[ranked["variant"].isin(single)]
    if ranked.empty:
        return None
    r = ranked.iloc[0]
    return {
        "variant": str(r["variant"]),
        "changes": str(r["changes"]),
        "status": str(r["status"]),
        "closure_delta_h": None if pd.isna(r["closure_delta_h"]) else float(r["closure_delta_h"]),
        "lateness_delta_h": None if pd.isna(r["lateness_delta_h"]) else float(r["lateness_delta_h"]),
    }


def _html(batch: Batch, table: pd.DataFrame, variants: Sequence[Variant], meta: Mapping[str, Any]) -> str:
    e = html_text  # every text from the batch, its variants and their results is HTML text
    ranked = _ranked(table)
    counts = Counter(table["status"])
    base = table[table["variant"] == BASE_ID]
    lines = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(batch.name)}: batch summary</title>",
        "<style>body{font-family:sans-serif;margin:1.5em;max-width:1200px}"
        "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;"
        "text-align:left;vertical-align:top}th{background:#eee}td.n{text-align:right}"
        ".infeasible{color:#b2182b}.failed,.timed{color:#8c510a}</style></head><body>",
        f"<h1>{e(batch.name)}</h1>",
    ]
    if batch.description:
        lines.append(f"<p>{e(batch.description)}</p>")
    solver = ", ".join(f"{k} {v}" for k, v in batch.solver.overrides().items())
    source = f"base scenario {batch.base}" if batch.base else f"scenario folder {batch.scenarios}"
    status_text = ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES)
    lines.append(
        f"<p>{e(source)}; design {e(batch.design)}; {len(table)} variants ({e(status_text)}); "
        f"solver: {e(solver)}; enablement {e(__version__)}.</p>"
    )
    if not base.empty:
        b = base.iloc[0]
        if b["status"] == "ok":
            lines.append(
                f"<p>Base scenario: closure {e(str(b['closure']))} "
                f"({_fmt(b['closure_h'])} h after the start), "
                f"total lateness {_fmt(b['total_lateness_h'])} h; {e(str(b['binding']))}.</p>"
            )
        else:
            lines.append(
                f"<p class='failed'>The base scenario is {e(str(b['status']))}: {e(str(b['message']))}; "
                "impacts are not computed.</p>"
            )
    worst = worst_single_closure(table, variants)
    if worst is not None:
        what = (
            "makes the move infeasible"
            if worst["status"] == "infeasible"
            else f"delays the closure by {_fmt(worst['closure_delta_h'], 2, True)} h "
            f"(lateness {_fmt(worst['lateness_delta_h'], 2, True)} h)"
        )
        lines.append(
            f"<p><strong>Single closure that hurts most:</strong> {e(worst['changes'])} "
            f"({e(worst['variant'])}) {e(what)}.</p>"
        )
    lines += ["<h2>Impact on the force closure</h2>", _chart(ranked)]
    lines += [
        "<h2>Variants ranked by impact</h2>",
        "<table><tr><th>#</th><th>variant</th><th>changes</th><th>status</th><th>closure (h)</th>"
        "<th>Δ closure (h)</th><th>lateness (h)</th><th>Δ lateness (h)</th><th>units late</th>"
        "<th>binding</th><th>solve (s)</th></tr>",
    ]
    for i, r in enumerate(ranked.itertuples(index=False), start=1):
        cls = "infeasible" if r.status == "infeasible" else ""
        detail = r.binding if r.status == "ok" else r.message
        late = "–" if pd.isna(r.units_late) else str(int(r.units_late))
        lines.append(
            f"<tr class='{cls}'><td class='n'>{i}</td><td>{e(r.variant)}</td><td>{e(r.changes)}</td>"
            f"<td>{e(r.status)}</td><td class='n'>{_fmt(r.closure_h)}</td>"
            f"<td class='n'>{_fmt(r.closure_delta_h, 2, True)}</td>"
            f"<td class='n'>{_fmt(r.total_lateness_h)}</td>"
            f"<td class='n'>{_fmt(r.lateness_delta_h, 2, True)}</td><td class='n'>{late}</td>"
            f"<td>{e(str(detail))}</td><td class='n'>{_fmt(r.solve_s, 1)}</td></tr>"
        )
    lines.append("</table>")
    bad = table[table["status"].isin(("failed", "timed out"))]
    if not bad.empty:
        lines += [
            "<h2>Variants without a result</h2>",
            "<table><tr><th>variant</th><th>changes</th><th>status</th><th>reason</th></tr>",
        ]
        for r in bad.itertuples(index=False):
            cls = "timed" if r.status == "timed out" else "failed"
            message = e(r.message).replace("\n", "<br>")
            lines.append(
                f"<tr class='{cls}'><td>{e(r.variant)}</td><td>{e(r.changes)}</td><td>{e(r.status)}</td>"
                f"<td>{message}</td></tr>"
            )
        lines.append("</table>")
    lines.append(
        f"<p>Batch fingerprint {e(str(meta.get('fingerprint', ''))[:16])}. Rows: results.csv and "
        "results.parquet beside this file.</p></body></html>"
    )
    return "\n".join(lines) + "\n"


def _write_outputs(
    out: Path,
    batch: Batch,
    rows: Sequence[Mapping[str, Any]],
    variants: Sequence[Variant],
    meta: Mapping[str, Any],
) -> tuple[pd.DataFrame, dict[str, Path]]:
    ids = {v.id for v in variants}
    table = results_table([r for r in rows if r["variant"] in ids])
    paths = {
        "csv": write_with_atomic(
            out / "results.csv", lambda p: table.to_csv(p, index=False, lineterminator="\n")
        ),
        "parquet": write_with_atomic(
            out / "results.parquet", lambda p: table.to_parquet(p, index=False, engine="pyarrow")
        ),
        "html": write_text_atomic(out / "summary.html", _html(batch, table, variants, meta)),
        "jsonl": out / RESULTS,
    }
    return table, paths
