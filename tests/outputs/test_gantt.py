"""The quay Gantt chart: valid SVG, one bar per train on its ramp track, text escaped."""

import datetime as dt
import xml.etree.ElementTree as ET

from enablement.outputs.gantt import quay_gantt_svg
from enablement.scheduling.rail import Train
from enablement.timeline import Clock

NS = {"s": "http://www.w3.org/2000/svg"}


def _train(tid, unit, track, start_h):
    s = start_h * 3600.0
    return Train(
        tid,
        unit,
        "quay-a",
        "rh",
        ("leopard2a6",) * 3,
        3,
        s,
        s,
        s + 3600,
        s + 5400,
        s + 9000,
        s + 12600,
        100.0,
        80.0,
        track,
    )


def test_one_bar_per_train_and_escaped_text():
    clock = Clock(dt.datetime(2026, 3, 2, 6, tzinfo=dt.UTC), dt.UTC)
    trains = [
        _train("T1", "<script>alert(1)</script>", 1, 0),
        _train("T2", "B", 2, 1),
        _train("T3", "B", 1, 2),
    ]
    svg = quay_gantt_svg(trains, clock)
    root = ET.fromstring(svg)  # well-formed XML: the unit name did not break out
    bars = [r for r in root.findall("s:rect", NS) if r.find("s:title", NS) is not None]
    assert len(bars) == 3
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    labels = [t.text for t in root.findall("s:text", NS)]
    assert "quay-a · track 1" in labels and "quay-a · track 2" in labels
    # a wait for a path (load end 1 h, departure 1.5 h) is drawn as a tail
    assert len(root.findall("s:line", NS)) >= 3
    # bars on the same track do not overlap (T1 ends at 1 h, T3 starts at 2 h)
    x = {b.find("s:title", NS).text.split(":")[0]: float(b.get("x")) for b in bars}
    w = {b.find("s:title", NS).text.split(":")[0]: float(b.get("width")) for b in bars}
    assert x["T1"] + w["T1"] <= x["T3"]


def test_empty_plan_says_so():
    svg = quay_gantt_svg([], Clock(dt.datetime(2026, 3, 2, tzinfo=dt.UTC), dt.UTC))
    assert "No trains" in ET.fromstring(svg).find("s:text", NS).text


def test_the_grid_follows_local_time_and_shows_the_offset_where_it_changes():
    from tests.helpers import BRUSSELS

    clock = Clock(dt.datetime(2026, 3, 28, 6, tzinfo=BRUSSELS), BRUSSELS)
    trains = [_train("T1", "A", 1, 0), _train("T2", "A", 1, 30)]  # loading from 06:00 CET to 13:30 CEST
    root = ET.fromstring(quay_gantt_svg(trains, clock))
    grid = [t.text for t in root.findall("s:text", NS) if t.get("y") == "33"]
    assert grid == ["03-28 12:00 +01:00", "03-28 18:00", "03-29 00:00", "03-29 06:00 +02:00", "03-29 12:00"]
