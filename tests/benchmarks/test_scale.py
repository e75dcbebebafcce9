"""The scale benchmark's parts: a child's own peak memory, the summary's figures, the table."""

import json
import sys

import pytest

from benchmarks.scale import check_violations, growth, markdown, meets, read_summary, run_child


def _summary(tmp_path, **road):
    s = {
        "kpis": {
            "vehicles": 1486,
            "march_units": 79,
            "trains": 16,
            "units_late": 0,
            "closure_hours_from_start": 79.6,
        },
        "solver": {
            "road": {"status": "feasible", "closure_hours": 68.3, "bound_hours": 67.8, "gap": 0.0076, **road},
            "rail": {"status": "feasible", "gap": 0.14},
        },
        "timings_s": {"road schedule": 74.7},
    }
    (tmp_path / "summary.json").write_text(json.dumps(s))
    return tmp_path


def test_a_child_reports_its_own_peak_memory_and_a_slow_one_is_killed(tmp_path):
    big = run_child(
        [sys.executable, "-c", "b = bytearray(300 * 2**20); b[::4096] = b'x' * len(b[::4096])"],
        tmp_path / "a.log",
        60,
    )
    small = run_child([sys.executable, "-c", "pass"], tmp_path / "b.log", 60)
    assert big["rc"] == small["rc"] == 0
    assert small["peak_rss_mb"] < 100  # its own peak, not the parent's (this pytest process)
    assert big["peak_rss_mb"] - small["peak_rss_mb"] >= 290
    failed = run_child(
        [sys.executable, "-c", "import sys; print('bad input'); sys.exit(2)"], tmp_path / "c.log", 60
    )
    assert failed["rc"] == 2 and "bad input" in (tmp_path / "c.log").read_text()
    spin = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.6: pass"
    busy = run_child([sys.executable, "-c", spin], tmp_path / "e.log", 60)
    idle = run_child([sys.executable, "-c", "import time; time.sleep(0.6)"], tmp_path / "f.log", 60)
    assert busy["cpu_s"] >= 0.6 > idle["cpu_s"]  # the child's CPU seconds, not its wall time
    slow = run_child([sys.executable, "-c", "import time; time.sleep(30)"], tmp_path / "d.log", 1)
    assert slow["rc"] is None and slow["wall_s"] < 10 and slow["peak_rss_mb"] is None


def test_the_row_reads_the_summary_and_the_checker(tmp_path):
    row = read_summary(_summary(tmp_path, baseline_closure_hours=68.31))
    assert row["march_units"] == 79 and row["trains"] == 16 and row["closure_h"] == 79.6
    assert (row["road_closure_h"], row["road_bound_h"], row["road_gap"], row["baseline_closure_h"]) == (
        68.3,
        67.8,
        0.0076,
        68.31,
    )
    assert read_summary(_summary(tmp_path))["baseline_closure_h"] is None  # a summary without a baseline
    log = tmp_path / "check.log"
    log.write_text("overlap   x   2026-03-02  two columns\n3 violation(s) in 1 group(s) in t.csv\n")
    assert check_violations(1, log) == 3
    assert check_violations(0, log) == 0
    assert check_violations(2, log) is None  # the checker failed: no count


def test_targets_growth_and_table():
    brigade = {"size": "brigade", "plan_rc": 0, "wall_s": 40.0, "march_units": 80, "s_per_march_unit": 0.5}
    corps = {"size": "corps", "plan_rc": 0, "wall_s": 640.0, "march_units": 1280, "s_per_march_unit": 0.5}
    corps |= {"peak_rss_mb": 3000, "gap": 0.02}
    assert meets("brigade", brigade) == "no (wall_s 40.0 > 30)"
    assert meets("corps", corps) == "no (wall_s 640.0 > 600)"
    assert meets("corps", {**corps, "wall_s": 500.0}) == "yes"
    assert meets("two-divisions", corps) == "-"
    assert meets("corps", {"size": "corps", "plan_rc": 1}) == "no (no plan)"
    g = growth([brigade, corps])
    assert g["march_units_ratio"] == 16 and g["wall_ratio"] == 16 and g["exponent"] == 1.0
    planned = {
        **corps,
        "vehicles": 24064,
        "trains": 176,
        "units_late": 0,
        "closure_h": 811.2,
        "violations": 0,
    }
    planned |= {"road_closure_h": None, "road_bound_h": None, "road_gap": None, "baseline_closure_h": None}
    assert "| - | - | timed out | - |" in markdown([{**planned, "road_status": "timed out"}], {})
    assert "| 2.00% |" in markdown([{**planned, "road_gap": 0.02}], {})
    failed = {"size": "corps", "plan_rc": 1, "wall_s": 12.0, "peak_rss_mb": 900, "error": "no route"}
    table = markdown([failed], {})
    assert "plan failed: no route" in table and table.count("\n") == 2


def test_main_writes_the_rows_of_the_sizes_asked_for(tmp_path, monkeypatch, capsys):
    from benchmarks import scale

    def fake(size, folder, timeout_s):
        mus = {"brigade": 80, "division": 320}[size]
        wall = {"brigade": 40.0, "division": 320.0}[size]
        return {
            "size": size,
            "plan_rc": 1,
            "wall_s": wall,
            "peak_rss_mb": 900,
            "march_units": mus,
            "error": "x",
        }

    monkeypatch.setattr(scale, "bench_size", fake)
    result = scale.main(["--out", str(tmp_path), "--sizes", "brigade,division"])
    written = json.loads((tmp_path / "scale.json").read_text())
    assert (
        [r["size"] for r in written["rows"]] == ["brigade", "division"] == [r["size"] for r in result["rows"]]
    )
    assert "| division |" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        scale.main(["--out", str(tmp_path), "--sizes", "brigade,army"])
