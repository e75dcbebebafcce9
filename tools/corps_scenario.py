"""Write the corps scenario (``scenarios/corps-six-corridors.yaml``) and its smaller cuts.

A corps of four divisions, each of four brigades built like the brigades of
``scenarios/division-four-corridors.yaml`` (three combined-arms battalions split into a tracked
and a wheeled unit, a headquarters, an artillery battalion and a support battalion: 1,504
vehicles, 218 of them tracked), lands over a month at the four Belgian seaports and moves on
to six road border crossings, its tracked vehicles by rail. The figures below are exercise
values, chosen so that a movement control officer would find the flow plausible:

- **Ships.** Each brigade comes in two ro-ro ships at its port (the first with two battalions
  and the headquarters, the second with the third battalion, the artillery and the support
  battalion). Each port takes one ship every ``SHIP_INTERVAL_H`` hours, the ports staggered by
  ``PORT_OFFSET_H`` hours, so that about one ship a day docks somewhere; a port's ships go in
  turn to the divisions (ships 1 and 2 of a port are the first division's, 3 and 4 the
  second's, …). The last ship of the corps docks 30 days after the first.
- **Staging.** Each port's wheeled columns stage at one camp (``PORTS``): Antwerp at
  Brasschaat (800 vehicles), Zeebrugge at Leopoldsburg (1,500), Ghent at Marche-en-Famenne
  (1,000), Ostend at Elsenborn (800). No camp serves two ports, a ship's wheeled load (at most
  760 vehicles) fits its camp, and a port's ships come ``SHIP_INTERVAL_H`` hours apart, enough
  for one ship's columns (two or three nights of movement) to leave the camp before the next
  ship's arrive: no staging area is oversubscribed by design.
- **Corridors.** Each division goes to its own area (``DIVISIONS``): the first and fourth to
  Germany (E40 Lichtenbusch, and E314 to the A76 and E34 to Eindhoven for the fourth), the
  second north through the Netherlands (E19 Meer, E34 Lommel, E314), the third south to
  Lorraine through Luxembourg (E411 Sterpenich) and France (E19/E42 Hensies): six road
  crossings, twelve staging-to-border corridors.
- **Rail.** The tracked units load at their port's quay (Ostend's at Zeebrugge-Vorming, within
  the tracked vehicles' road limit) and go to the division's rail border (Montzen, Essen or
  Athus): 176 trains of at most 16 loaded six-axle wagons (1,600 t gross).
- **RDDs.** One required delivery date per division: ``RDD_AFTER_LAST_SHIP_H`` hours after its
  last ship docks, at 06:00 (the same margin the division scenario gives its last brigade).

The output is deterministic (no randomness: the same arguments give the same file).
``--divisions N`` keeps the first N divisions (the benchmark's two-division scenario is
``--divisions 2``). Run it with the project's Python::

    .venv/bin/python tools/corps_scenario.py                      # scenarios/corps-six-corridors.yaml
    .venv/bin/python tools/corps_scenario.py --divisions 2 --out /tmp/two-divisions.yaml
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

import yaml

OUT = Path(__file__).resolve().parents[1] / "scenarios" / "corps-six-corridors.yaml"

ZONE = dt.timezone(dt.timedelta(hours=2))  # Europe/Brussels in April and May (summer time)
START = dt.datetime(2026, 4, 6, 6, 0, tzinfo=ZONE)
FIRST_SHIP = dt.datetime(2026, 4, 6, 8, 0, tzinfo=ZONE)
SHIP_INTERVAL_H = 94
"""Hours between two ships at one port."""
PORT_OFFSET_H = 24
"""Hours between the first ships of two ports (in the order of ``PORTS``)."""
RDD_AFTER_LAST_SHIP_H = 96
"""A division's RDD: at least this long after its last ship docks, at the next 06:00."""
STAGING_DWELL_H = 8

PORTS: list[tuple[str, str, str]] = [
    # port, its staging camp, the rail quay its tracked units load at
    ("port-antwerp", "staging-brasschaat", "quay-antwerpen-noord"),
    ("port-zeebrugge", "staging-leopoldsburg", "quay-zeebrugge-vorming"),
    ("port-ghent", "staging-marche-en-famenne", "quay-gent-zeehaven"),
    ("port-ostend", "staging-elsenborn", "quay-zeebrugge-vorming"),
]

DIVISIONS: list[dict[str, Any]] = [
    # the road border crossing of each port's brigade (in the order of PORTS), and the rail border
    {
        "area": "Germany (Aachen)",
        "borders": [
            "border-e40-lichtenbusch",
            "border-e314-lanaken",
            "border-e40-lichtenbusch",
            "border-e40-lichtenbusch",
        ],
        "rail": "border-rail-montzen",
    },
    {
        "area": "the Netherlands (Breda, Eindhoven, Limburg)",
        "borders": ["border-e19-meer", "border-e34-lommel", "border-e314-lanaken", "border-e40-lichtenbusch"],
        "rail": "border-rail-essen",
    },
    {
        "area": "Lorraine (through Luxembourg and France)",
        "borders": [
            "border-e42-hensies",
            "border-e411-sterpenich",
            "border-e411-sterpenich",
            "border-e411-sterpenich",
        ],
        "rail": "border-rail-athus",
    },
    {
        "area": "Germany (Rhineland)",
        "borders": [
            "border-e34-lommel",
            "border-e314-lanaken",
            "border-e40-lichtenbusch",
            "border-e40-lichtenbusch",
        ],
        "rail": "border-rail-montzen",
    },
]

# vehicle types of the two brigade families (catalogue ids), as in the division scenario
FAMILIES: dict[str, dict[str, str]] = {
    "us": {
        "mbt": "m1a2_sepv3",
        "ifv": "m2a3_bradley",
        "arv": "m88a2_hercules",
        "sph": "m109a7",
        "light": "jltv",
    },
    "eu": {"mbt": "leopard2a6", "ifv": "cv90", "arv": "bergepanzer3", "sph": "pzh2000", "light": "dingo2"},
}
BRIGADE_FAMILY = ["us", "eu", "eu", "us"]  # by port index, as in the division scenario


def _battalion(prefix: str, n: str, f: dict[str, str]) -> list[dict[str, Any]]:
    trk, whl = f"{prefix}-{n}-TRK", f"{prefix}-{n}-WHL"
    return [
        {"unit": trk, "vehicle": f["mbt"], "count": 22},
        {"unit": trk, "vehicle": f["ifv"], "count": 40},
        {"unit": trk, "vehicle": f["arv"], "count": 4},
        {"unit": whl, "vehicle": "man_hx_8x8", "count": 100},
        {"unit": whl, "vehicle": "m978_hemtt_tanker", "count": 10},
        {"unit": whl, "vehicle": f["light"], "count": 40},
        {"unit": whl, "vehicle": "boxer", "count": 20},
    ]


def _ships(prefix: str, f: dict[str, str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return the equipment of a brigade's two ships."""
    first = _battalion(prefix, "1", f) + _battalion(prefix, "2", f)
    first += [
        {"unit": f"{prefix}-HQ", "vehicle": f["light"], "count": 60},
        {"unit": f"{prefix}-HQ", "vehicle": "man_hx_8x8", "count": 100},
        {"unit": f"{prefix}-HQ", "vehicle": "piranha_v", "count": 10},
        {"unit": f"{prefix}-HQ", "vehicle": "fennek", "count": 16},
    ]
    second = _battalion(prefix, "3", f)
    second += [
        {"unit": f"{prefix}-ART-TRK", "vehicle": f["sph"], "count": 18},
        {"unit": f"{prefix}-ART-TRK", "vehicle": f["arv"], "count": 2},
        {"unit": f"{prefix}-ART-WHL", "vehicle": "man_hx_8x8", "count": 80},
        {"unit": f"{prefix}-ART-WHL", "vehicle": f["light"], "count": 20},
        {"unit": f"{prefix}-SPT", "vehicle": "man_hx_8x8", "count": 400},
        {"unit": f"{prefix}-SPT", "vehicle": "m978_hemtt_tanker", "count": 60},
        {"unit": f"{prefix}-SPT", "vehicle": f["light"], "count": 30},
    ]
    return first, second


_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven"]


def _iso(t: dt.datetime) -> str:
    return t.isoformat()


def ship_time(division: int, ship: int, port: int) -> dt.datetime:
    """When ship ``ship`` (0 or 1) of the brigade of ``division`` landing at ``port`` docks."""
    return FIRST_SHIP + dt.timedelta(hours=(2 * division + ship) * SHIP_INTERVAL_H + port * PORT_OFFSET_H)


def division_rdd(division: int) -> dt.datetime:
    """Return the division's RDD: ``RDD_AFTER_LAST_SHIP_H`` after its last ship, at the next 06:00."""
    last = max(ship_time(division, 1, p) for p in range(len(PORTS)))
    t = last + dt.timedelta(hours=RDD_AFTER_LAST_SHIP_H)
    day = t.replace(hour=6, minute=0, second=0, microsecond=0)
    return day if day >= t else day + dt.timedelta(days=1)


def scenario(divisions: int = len(DIVISIONS)) -> dict[str, Any]:
    """Return the scenario (as the YAML file's mapping) of the first ``divisions`` divisions."""
    if not 1 <= divisions <= len(DIVISIONS):
        msg = f"--divisions must be 1 to {len(DIVISIONS)}, not {divisions}"
        raise ValueError(msg)
    arrivals: list[dict[str, Any]] = []
    movements: list[dict[str, Any]] = []
    for d in range(divisions):
        div = DIVISIONS[d]
        rdd = _iso(division_rdd(d))
        for p, (port, staging, quay) in enumerate(PORTS):
            prefix = f"{d + 1}DIV-{p + 1}BDE"
            loads = _ships(prefix, FAMILIES[BRIGADE_FAMILY[p]])
            for s, equipment in enumerate(loads):
                arrivals.append(
                    {
                        "id": f"{prefix.lower()}-ship-{s + 1}",
                        "kind": "ship",
                        "site": port,
                        "time": _iso(ship_time(d, s, p)),
                        "equipment": equipment,
                    }
                )
            units = dict.fromkeys(e["unit"] for ship in loads for e in ship)
            for unit in units:
                if unit.endswith("-TRK"):
                    movements.append(
                        {"unit": unit, "to": div["rail"], "rdd": rdd, "mode": "rail", "quay": quay}
                    )
                else:
                    movements.append(
                        {
                            "unit": unit,
                            "via": {"site": staging, "dwell_h": STAGING_DWELL_H},
                            "to": div["borders"][p],
                            "rdd": rdd,
                            "mode": "road",
                        }
                    )
    arrivals.sort(key=lambda a: (a["time"], a["site"]))
    vehicles = sum(e["count"] for a in arrivals for e in a["equipment"])
    crossings = sorted({b for div in DIVISIONS[:divisions] for b in div["borders"]})
    first, last = arrivals[0]["time"], arrivals[-1]["time"]
    size = "corps" if divisions == len(DIVISIONS) else f"{divisions}-division"
    title = "Corps" if size == "corps" else f"{_WORDS[divisions].capitalize()} divisions"
    return {
        "version": 1,
        "name": f"{title} through four ports on {_WORDS[len(crossings)]} road crossings",
        "description": (
            f"A {size} flow ({vehicles:,} vehicles in {divisions * len(PORTS)} brigades) lands from "
            f"{len(arrivals)} ro-ro ships at Antwerp, Zeebrugge, Ghent and Ostend between {first[:10]} and "
            f"{last[:10]}. Each port's wheeled columns stage at one camp (Brasschaat, Leopoldsburg, "
            "Marche-en-Famenne, Elsenborn) and drive by night to their division's border crossings "
            f"({', '.join(c.removeprefix('border-') for c in crossings)}); tracked units go by rail from "
            "the port quays to Montzen, Essen or Athus. One RDD per division. Generated by "
            "tools/corps_scenario.py. Exercise data."
        ),
        "start": _iso(START),
        "network": {"source": "embedded"},
        "overlays": ["belgium"],
        "policy": {"movement_window": {"start": "21:00", "end": "05:00"}},
        "arrivals": arrivals,
        "movements": movements,
        "resources": {"hets": 0, "wagons": 300, "locomotives": 12},
        "permissions": {
            "filing_from": "2026-02-16T08:00:00+01:00",
            "regime": "eca-2025",
            "neighbours": {"NL": "cbmp-annual"},
        },
    }


class _Dumper(yaml.SafeDumper):
    """Block-style YAML that keeps clock times and instants quoted."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    quoted = ":" in value or value[:1].isdigit()
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="'" if quoted else None)


_Dumper.add_representer(str, _str)


def write(path: Path, divisions: int = len(DIVISIONS)) -> Path:
    """Write the scenario of the first ``divisions`` divisions to ``path`` (YAML)."""
    header = (
        f"# {'Corps' if divisions == len(DIVISIONS) else f'{divisions}-division'}-size exercise scenario "
        "of enablement. Exercise data.\n"
        "# Generated by tools/corps_scenario.py (edit the figures there and run it again, do not edit "
        "this file).\n"
    )
    text = yaml.dump(scenario(divisions), Dumper=_Dumper, sort_keys=False, width=110, allow_unicode=True)
    path.write_text(header + text, encoding="utf-8")
    return path


def main(argv: list[str]) -> int:
    """Parse the arguments and write the file."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--divisions", type=int, default=len(DIVISIONS), help="keep the first N divisions")
    ap.add_argument("--out", type=Path, default=OUT, help=f"YAML file to write (default: {OUT.name})")
    args = ap.parse_args(argv)
    if not 1 <= args.divisions <= len(DIVISIONS):
        ap.error(f"--divisions must be 1 to {len(DIVISIONS)}")
    path = write(args.out, args.divisions)
    sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
