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
    assert main(["plan", str(sc), "--out", str(tmp_path / "c"), "--time-limit", "10", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    # the optimiser ran: its plan, or the baseline when its plan was worse, with the proven gap
    assert ("road solver        cp-sat" in out or "road solver        greedy (cp-sat" in out) and "gap" in out
    road = json.loads((tmp_path / "c" / "summary.json").read_text())["solver"]["road"]
    assert road["bound_hours"] <= road["closure_hours"] <= road["baseline_closure_hours"]


def test_a_plan_that_breaks_its_own_rules_exits_1_and_is_marked_invalid(tmp_path, capsys, monkeypatch):
    import dataclasses

    import enablement.plan

    sc = tmp_path / "small.yaml"
    sc.write_text(
        "name: a small road move\nstart: 2026-03-02T06:00:00+01:00\n"
        "arrivals: [{id: s, kind: ship, site: port-antwerp, time: 2026-03-02T06:00:00+01:00,"
        " equipment: [{unit: A, vehicle: boxer, count: 45}]}]\n"
        "movements: [{unit: A, to: border-e40-lichtenbusch, rdd: 2026-03-09T00:00:00+01:00}]\n"
        "solver: {road: greedy}\n"
    )
    made = enablement.plan.make_plan

    def broken(*args, **kwargs):  # a planner that keeps a shorter headway than its rules say
        plan = made(*args, **kwargs)
        return dataclasses.replace(plan, rules=dataclasses.replace(plan.rules, headway_s=1e6))

    monkeypatch.setattr(enablement.plan, "make_plan", broken)
    assert main(["plan", str(sc), "--out", str(tmp_path / "b")]) == 1
    err = capsys.readouterr().err
    assert "breaks" in err and "overlap" in err and "Traceback" not in err
    summary = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert summary["check"]["valid"] is False and summary["check"]["by_kind"]["overlap"] > 0


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


# --- route --close / --overlay, matrix, isochrone -------------------------------------------------------

# the small world (tests/small_world.py): a 5 x 3 grid of roads about 2.1 km (0.03° lon) by 2.2 km
# (0.02° lat) apart; row 1 is a trunk road with a bridge between columns 2 and 3; P is row 1, column 0
P, X = "4.30,50.82", "4.42,50.82"  # the port's and the border crossing's corners, as points
BRIDGE_POINT = "4.375,50.82"


@pytest.fixture
def small(tmp_path):
    from tests.bad_inputs.test_network_files import world

    net = world(tmp_path)
    return net, net.parent / "overlay"


def _figures(text):
    """Distance (km) and time (h) printed by ``route``."""
    km = float(text.split("distance")[1].split("km")[0])
    hours = float(text.split("  time")[1].split("h")[0])
    return km, hours


def test_route_overlay_none_routes_between_points_on_a_gpkg_network(small, tmp_path, capsys):
    from enablement.network.io import load_network

    net_path, _ = small
    args = ["route", P, X, "--vehicle", "boxer", "--network", str(net_path), "--overlay", "none"]
    assert main([*args, "--alternatives", "1", "--map", str(tmp_path / "r.html")]) == 0
    km, _ = _figures(capsys.readouterr().out)
    net = load_network(net_path)
    trunk = net.edges[net.edges["highway"] == "trunk"]
    straight = trunk.drop_duplicates(["length_m"])["length_m"].sum() / 1000  # the four trunk spans
    assert km == pytest.approx(straight, abs=0.06)
    # closing the road at the bridge: the detour leaves the trunk for a parallel road and comes back
    capsys.readouterr()
    close = ["--close", BRIDGE_POINT, "--alternatives", "1", "--map", str(tmp_path / "r2.html")]
    assert main([*args, *close]) == 0
    out = capsys.readouterr().out
    assert "closed     road at 4.3750,50.8200" in out
    detour_km, _ = _figures(out)
    vertical = net.edges[(net.edges["highway"] == "secondary") & (net.edges["geometry"].length > 2150)]
    step = float(vertical["length_m"].min()) / 1000  # a north-south step (0.02° lat ≈ 2.22 km)
    assert detour_km == pytest.approx(straight + 2 * step, abs=0.06)


def test_route_refuses_the_embedded_overlay_on_another_area_and_names_the_fix(small, tmp_path, capsys):
    net_path, _ = small
    code = main(
        ["route", P, X, "--vehicle", "boxer", "--network", str(net_path), "--map", str(tmp_path / "r.html")]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "--overlay embedded:" in err and "give --overlay none" in err
    assert "Traceback" not in err


def test_route_close_bridge_by_id_on_the_embedded_network(tmp_path, capsys, embedded):
    args = ["route", "port-ghent", "staging-brasschaat", "--vehicle", "boxer", "--alternatives", "1"]
    assert main([*args, "--map", str(tmp_path / "a.html")]) == 0
    first = capsys.readouterr().out
    assert "bridge-e19-merksem" in first.split("bridges")[1].splitlines()[0]
    assert main([*args, "--close", "bridge-e19-merksem", "--map", str(tmp_path / "b.html")]) == 0
    second = capsys.readouterr().out
    assert "closed     bridge bridge-e19-merksem" in second
    assert "bridge-e19-merksem" not in second.split("bridges")[1].splitlines()[0]
    assert _figures(second)[1] > _figures(first)[1]  # the detour takes longer


def test_matrix_from_flags_and_csv_with_unreachable_pairs(small, tmp_path, capsys):
    import pandas as pd

    net_path, overlay = small
    out = tmp_path / "m.csv"
    base = ["matrix", "--vehicle", "boxer", "--network", str(net_path), "--out", str(out)]
    # sites from a CSV file with names, to a point
    places = tmp_path / "from.csv"
    places.write_text("name,place\nthe port,port-w\nstaging,staging-m\n")
    assert main([*base, "--overlay", str(overlay), "--from-csv", str(places), "--to", X]) == 0
    table = pd.read_csv(out)
    assert list(table.columns) == ["origin", "destination", "time_s", "km", "reachable"]
    assert table["origin"].tolist() == ["the port", "staging"] and table["reachable"].all()
    port_km, staging_km = table["km"].tolist()
    assert port_km == pytest.approx(2 * staging_km, rel=0.02)  # four spans of the trunk, and two
    assert "pairs      2 (2 reachable, 0 not)" in capsys.readouterr().out
    # the border corner cut off by closing its three roads: unreachable, empty time and km
    cut = ["--close", "4.405,50.82", "--close", "4.42,50.81", "--close", "4.42,50.83"]
    assert main([*base, "--overlay", "none", "--from", P, "--from", X, *cut]) == 0
    table = pd.read_csv(out, keep_default_na=False)
    got = {
        (o, d): r for o, d, r in zip(table["origin"], table["destination"], table["reachable"], strict=True)
    }
    assert got == {(P, P): True, (P, X): False, (X, P): False, (X, X): True}
    assert table.loc[~table["reachable"], "time_s"].eq("").all()


def test_isochrone_nodes_and_hull(small, tmp_path, capsys):
    net_path, _ = small
    out = tmp_path / "iso.geojson"
    args = ["isochrone", P, "--minutes", "3.5", "--vehicle", "boxer", "--network", str(net_path)]
    assert main([*args, "--overlay", "none", "--shape", "nodes", "--out", str(out)]) == 0
    features = json.loads(out.read_text())["features"]
    # a column takes 159 s a trunk span and 200 s a secondary one (convoy speeds by road class): in
    # 210 s the port corner and its three neighbours, none of the nodes two spans away
    assert len(features) == 4
    assert {f["properties"]["limit_min"] for f in features} == {3.5}
    assert {f["properties"]["vehicle"] for f in features} == {"boxer"}
    times = sorted(f["properties"]["time_s"] for f in features)
    assert times[0] == 0.0 and times[1] == pytest.approx(158.5, abs=1) and times[3] <= 210
    lons = sorted(round(f["geometry"]["coordinates"][0], 2) for f in features)
    assert lons == [4.30, 4.30, 4.30, 4.33]
    assert main([*args, "--overlay", "none", "--out", str(out)]) == 0
    (hull,) = json.loads(out.read_text())["features"]
    assert hull["geometry"]["type"] == "Polygon" and hull["properties"]["nodes"] == 4
    assert capsys.readouterr().out.count("reached    4 nodes") == 2
