"""The command line: version, network info, exit codes and messages."""

import json
import subprocess
import sys

import pytest

from enablement import __version__
from enablement.cli import main


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"enablement {__version__}"


def test_python_dash_m_runs_the_command():
    out = subprocess.run(
        [sys.executable, "-m", "enablement", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"enablement {__version__}"


def test_network_info_json(capsys, embedded):
    assert main(["network", "info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["nodes"] == embedded.n_nodes
    assert info["km_by_mode"]["road"] > 0 and info["km_by_mode"]["rail"] > 0
    assert info["attribution"].startswith("© OpenStreetMap contributors")


def test_bad_scenario_exit_2_without_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nstart: 2026-03-02T06:00:00+01:00\narrivals: []\nmovements: []\n")
    out = subprocess.run(
        [sys.executable, "-m", "enablement", "plan", str(bad), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert "bad.yaml: arrivals: List should have at least 1 item" in out.stderr
    assert "bad.yaml: movements: List should have at least 1 item" in out.stderr
    assert not (tmp_path / "o").exists()


def test_validate_refuses_an_unknown_time_zone_with_exit_2(tmp_path, capsys):
    sc = tmp_path / "zone.yaml"
    sc.write_text(
        "name: a zone mistyped\nstart: 2026-03-28T06:00:00+01:00\ntimezone: Europe/Bruxelles\n"
        "arrivals: [{id: s, kind: ship, site: port-antwerp, time: 2026-03-28T06:00:00+01:00,"
        " equipment: [{unit: A, vehicle: boxer, count: 5}]}]\n"
        "movements: [{unit: A, to: border-e40-lichtenbusch, rdd: 2026-03-31T00:00:00+02:00}]\n"
    )
    assert main(["validate", str(sc)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"{sc}: timezone: 'Europe/Bruxelles' is not an IANA time zone" in err
    assert "give an IANA time zone name such as Europe/Brussels" in err


def test_validate_packaged(capsys):
    assert main(["validate", "enablement:brigade-antwerp-aachen"]) == 0
    assert "valid" in capsys.readouterr().out


def test_infeasible_plan_exit_1(tmp_path, capsys):
    sc = tmp_path / "night.yaml"
    sc.write_text(
        "name: too short a window\nstart: 2026-03-02T06:00:00+01:00\n"
        "policy: {movement_window: {start: '21:00', end: '21:01'}}\n"
        "arrivals: [{id: s, kind: ship, site: port-antwerp, time: 2026-03-02T06:00:00+01:00,"
        " equipment: [{unit: A, vehicle: boxer, count: 5}]}]\n"
        "movements: [{unit: A, to: border-e40-lichtenbusch, rdd: 2026-03-09T00:00:00+01:00}]\n"
    )
    out = tmp_path / "out"
    out.mkdir()
    (out / "map.html").write_text("previous map")
    assert main(["plan", str(sc), "--out", str(out)]) == 1
    assert "longer than the movement window" in capsys.readouterr().err
    assert (out / "map.html").read_text() == "previous map"  # nothing overwritten


def test_plan_flags_choose_the_road_solver_and_its_limit(tmp_path, capsys):
    sc = tmp_path / "small.yaml"
    sc.write_text(
        "name: a small road move\nstart: 2026-03-02T06:00:00+01:00\n"
        "arrivals: [{id: s, kind: ship, site: port-antwerp, time: 2026-03-02T06:00:00+01:00,"
        " equipment: [{unit: A, vehicle: boxer, count: 45}]}]\n"
        "movements: [{unit: A, to: border-e40-lichtenbusch, rdd: 2026-03-09T00:00:00+01:00}]\n"
    )
    assert main(["plan", str(sc), "--out", str(tmp_path / "g"), "--road-solver", "greedy"]) == 0
    assert "road solver        greedy" in capsys.readouterr().out
    assert main(["plan", str(sc), "--out", str(tmp_path / "c"), "--time-limit", "2", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "road solver        cp-sat" in out and "gap" in out
    import json

    road = json.loads((tmp_path / "c" / "summary.json").read_text())["solver"]["road"]
    assert road["method"].startswith("cp-sat") and road["bound_hours"] <= road["closure_hours"]


def test_route_command_prints_figures_and_writes_a_map(tmp_path, capsys, embedded):
    out = tmp_path / "route.html"
    code = main(["route", "port-ghent", "staging-brasschaat", "--vehicle", "m1a2_sepv3", "--map", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "M1A2 SEPv3 Abrams (tracked MLC 80" in text
    assert "distance" in text and " km" in text and "time" in text
    assert "bridge-e19-merksem" in text  # crossed within its class (tracked two-way 80)
    assert "no caution crossing" in text
    assert "route 2" in text  # an alternative corridor
    html = out.read_text()
    assert "route 1:" in html and "OpenStreetMap contributors" in html


def test_route_command_caution_crossing(tmp_path, capsys, embedded):
    # a Leopard 2A6 (tracked MLC 70) on the E40 Meuse bridge at Cheratte (tracked 60 two-way, 80 one-way)
    code = main(
        [
            "route",
            "5.62,50.66",
            "5.70,50.70",
            "--vehicle",
            "leopard2a6",
            "--alternatives",
            "1",
            "--map",
            str(tmp_path / "r.html"),
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "caution    bridge-e40-cheratte" in text


def test_route_command_bad_place(tmp_path, capsys):
    assert (
        main(
            ["route", "port-atlantis", "port-ghent", "--vehicle", "boxer", "--map", str(tmp_path / "r.html")]
        )
        == 2
    )
    assert "'port-atlantis' is neither a site id nor 'lon,lat'; sites:" in capsys.readouterr().err
    assert (
        main(
            ["route", "port-ghent", "port-antwerp", "--vehicle", "tiger2", "--map", str(tmp_path / "r.html")]
        )
        == 2
    )
    assert "unknown vehicle type 'tiger2'" in capsys.readouterr().err


def test_network_build_from_infrabel_and_info(tmp_path, capsys):
    from tests.network.test_infrabel import section, write

    layer = write(
        tmp_path,
        [
            section("1", "A", "B", [[5.9, 50.7], [6.0, 50.72]]),
            section("2", "B", "C", [[6.0, 50.72], [6.05, 50.73]]),
        ],
    )
    out = tmp_path / "rail.gpkg"
    assert main(["network", "build", "--infrabel", str(layer), "--out", str(out)]) == 0
    assert "built 3 operational points, 4 directed edges" in capsys.readouterr().out
    assert main(["network", "info", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["nodes_by_mode"] == {"road": 0, "rail": 3} and info["source"] == "infrabel"
