"""Batch runs: variants, one table from the process pool and from Dask, interruption and resume, failures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

import enablement.scenario.load as scenario_load
from enablement.batch import (
    BatchError,
    Change,
    apply_changes,
    critical_bridges,
    expand,
    load_batch,
    read_results,
    run_batch,
)
from enablement.cli import main
from enablement.scenario.load import load_scenario, resolve_scenario_path
from enablement.scenario.schema import Scenario

BASE = "enablement:brigade-antwerp-aachen"
PART = 5
"""The batch tests' base is the brigade with a fifth of its vehicles (every equipment line cut to a
fifth, at least one): the same sites, ships, quays, trains and movements, planned in a second or two.
The batch machinery under test does not depend on the flow's size; the packaged brigade's own plan is
tested end to end elsewhere."""
EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "batches" / "brigade-disruptions.yaml"

# base + 4 variants on the greedy road scheduler (about a second each): v002 closes a quay for good
# (infeasible), v003 names a site that does not exist (failed)
SMALL = """\
version: 1
name: small batch <test>
base: {base}
solver: {road: greedy}
timeout_s: 600
changes:
  - kind: close_sites
    sites: [quay-zeebrugge-vorming]
    windows: [{start_h: 12, hours: 24}, {start_h: 12}]
  - kind: close_sites
    sites: [no-such-site]
  - kind: delay_arrivals
    arrivals: [ship-3-zeebrugge]
    hours: [12]
"""


class OperatorStopError(Exception):
    """Stands for an operator stopping a batch."""


def _stop_after_two(ev) -> None:
    if ev.row is not None and ev.done == 2:
        raise OperatorStopError


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Tables equal but for the wall-clock solve time."""
    pd.testing.assert_frame_equal(a.drop(columns="solve_s"), b.drop(columns="solve_s"))


@pytest.fixture(scope="module")
def base_file(tmp_path_factory) -> Path:
    """The brigade with a fifth of its vehicles (:data:`PART`), as a scenario file."""
    data = yaml.safe_load(resolve_scenario_path(BASE).read_text())
    for arrival in data["arrivals"]:
        for line in arrival["equipment"]:
            line["count"] = max(1, line["count"] // PART)
    path = tmp_path_factory.mktemp("base") / "brigade-fifth.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def base_scenario(base_file):
    return load_scenario(base_file)


@pytest.fixture(scope="module")
def base_network(base_scenario, base_file):
    from enablement.plan import build_network

    return build_network(base_scenario, base_file.parent)


@pytest.fixture(scope="module")
def small_batch(tmp_path_factory, base_file) -> Path:
    path = tmp_path_factory.mktemp("batch") / "small.yaml"
    path.write_text(SMALL.replace("{base}", str(base_file)))
    return path


@pytest.fixture(scope="module")
def pool_run(small_batch, base_network, tmp_path_factory):
    """The small batch on the local process pool (2 workers)."""
    return run_batch(
        load_batch(small_batch), tmp_path_factory.mktemp("pool"), workers=2, network=base_network
    )


def test_bad_batch_file_reports_every_problem_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "version: 1\nname: bad\nbase: enablement:brigade-antwerp-aachen\nseed: -1\n"
        "changes:\n  - kind: close_sites\n    sites: []\n  - kind: flood\n"
        "  - kind: delay_arrivals\n    hours: [1]\n    minutes: 5\n"
    )
    with pytest.raises(BatchError) as exc:
        load_batch(bad)
    text = str(exc.value)
    assert text.startswith("4 problems in the batch")
    assert f"{bad}: seed: Input should be greater than or equal to 0" in text
    assert f"{bad}: changes[0].close_sites.sites: List should have at least 1 item" in text
    assert "changes[1]: Input tag 'flood' found using 'kind' does not match" in text
    assert f"{bad}: changes[2].delay_arrivals.minutes: unknown field" in text
    assert main(["batch", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "seed: Input should be greater than or equal to 0" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()
    missing = tmp_path / "missing.yaml"
    missing.write_text("name: m\nbase: no/such/scenario.yaml\nchanges: [{kind: close_sites, sites: [x]}]\n")
    with pytest.raises(BatchError, match=r"missing.yaml: base: .*no such scenario file"):
        load_batch(missing)


def test_expand_is_deterministic(tmp_path, base_scenario):
    path = tmp_path / "grid.yaml"
    path.write_text(
        "name: grid\nbase: enablement:brigade-antwerp-aachen\ndesign: grid\n"
        "changes:\n"
        "  - {kind: close_sites, sites: [port-zeebrugge, quay-antwerpen-noord], windows: [{start_h: 6}]}\n"
        "  - {kind: delay_arrivals, hours: [6, 12]}\n"  # every ship: 3 ships x 2 delays
        "  - {kind: scale_resources, resources: [wagons], factors: [0.5]}\n"
    )
    grid = load_batch(path)
    variants = expand(grid, base=base_scenario)
    assert variants == expand(grid, base=base_scenario)
    assert len(variants) == 3 * 7 * 2  # each change also at its unchanged level; the base once
    assert variants[0].id == "base" and variants[0].label == "base scenario"
    assert [v.id for v in variants[1:3]] == ["v001", "v002"]
    assert variants[1].label == "wagons x0.5"
    assert variants[-1].label == (
        "close site quay-antwerpen-noord from +6 h; delay ship-3-zeebrugge by 12 h; wagons x0.5"
    )
    one = expand(grid.model_copy(update={"design": "one_at_a_time"}), base=base_scenario)
    assert [len(v.changes) for v in one] == [0] + [1] * 9
    sample = grid.model_copy(update={"design": "sample", "samples": 5, "seed": 1})
    drawn = expand(sample, base=base_scenario)
    assert drawn == expand(sample, base=base_scenario)
    assert len(drawn) == 6 and {v.key for v in drawn} <= {v.key for v in variants}
    other = expand(sample.model_copy(update={"seed": 2}), base=base_scenario)
    assert [v.key for v in other] != [v.key for v in drawn]


def test_apply_changes(base_scenario):
    changed = apply_changes(
        base_scenario,
        [
            Change("close_site", "quay-antwerpen-noord", 12.0, 24.0),
            Change("delay_arrival", "ship-3-zeebrugge", hours=12.0),
            Change("scale_resource", "wagons", factor=0.5),
        ],
    )
    (dis,) = changed.disruptions
    assert (dis.kind, dis.target) == ("close_site", "quay-antwerpen-noord")
    assert (dis.start - base_scenario.start).total_seconds() == 12 * 3600
    assert (dis.end - dis.start).total_seconds() == 24 * 3600
    ship = {a.id: a for a in changed.arrivals}["ship-3-zeebrugge"]
    before = {a.id: a for a in base_scenario.arrivals}["ship-3-zeebrugge"]
    assert (ship.time - before.time).total_seconds() == 12 * 3600
    assert changed.resources.wagons == 60
    with pytest.raises(Exception, match=r"v9: arrivals\[2\].time: .* is before the scenario start"):
        apply_changes(base_scenario, [Change("delay_arrival", "ship-3-zeebrugge", hours=-48)], fname="v9")


def test_top_critical_bridges(base_scenario, base_network):
    ranked = critical_bridges(base_scenario, base_network, 3)
    assert ranked and ranked[0].bridge_id == "bridge-e19-merksem"
    assert ranked[0].legs > 0 and (ranked[0].cut > 0 or ranked[0].extra_s > 0)
    example = load_batch(EXAMPLE)  # top: 3, but the base plan's routes cross one bridge with a class
    variants = expand(example, network=base_network, base=base_scenario)
    assert [v.id for v in variants] == ["base"] + [f"v{i:03d}" for i in range(1, 9)]
    assert variants[1].label == "close bridge bridge-e19-merksem for 36 h from +12 h"
    assert variants[-1].label == "locomotives x0.5"


def test_failing_variant_is_recorded_and_the_rest_go_on(pool_run):
    t = pool_run.table.set_index("variant")
    assert list(t.index) == ["base", "v001", "v002", "v003", "v004"]
    assert pool_run.counts == {"ok": 3, "infeasible": 1, "failed": 1, "timed out": 0}
    assert t.loc["v003", "status"] == "failed"
    assert (
        "small.yaml variant v003: disruptions[0].target: unknown site 'no-such-site'"
        in t.loc["v003", "message"]
    )
    assert t.loc["v002", "status"] == "infeasible"  # the quay closed for good: with the reason
    assert "closed until further notice" in t.loc["v002", "message"]
    assert t.loc["v001", "changes"] == "close site quay-zeebrugge-vorming for 24 h from +12 h"
    ok = t[t["status"] == "ok"]
    assert ok["closure_h"].notna().all() and ok["binding"].str.len().gt(0).all()
    assert t.loc["base", "closure_delta_h"] == 0.0
    assert t.loc["v004", "closure_delta_h"] >= 0.0  # a late ship does not speed the move up
    # the journal has one line per variant; CSV and Parquet hold the same table
    assert sorted(r["variant"] for r in read_results(pool_run.out_dir)) == list(t.index)
    _same(pd.read_parquet(pool_run.paths["parquet"]), pool_run.table)
    csv = pd.read_csv(pool_run.paths["csv"])
    assert list(csv.columns) == list(pool_run.table.columns)
    assert csv["closure_h"].equals(pool_run.table["closure_h"])


def test_summary_html_ranks_variants_offline(pool_run):
    text = pool_run.paths["html"].read_text()
    assert "<svg" in text and "Variants ranked by impact" in text
    assert "small batch &lt;test&gt;" in text and "small batch <test>" not in text
    assert "<script" not in text and "src=" not in text and "https://" not in text
    assert (
        "Single closure that hurts most:</strong> close site quay-zeebrugge-vorming from +12 h (v002) "
        "makes the move infeasible" in text
    )
    ranked = text.split("Variants ranked by impact")[1]
    # the infeasible variant first, then the feasible ones by extra closure, extra lateness, id
    t = pool_run.table.set_index("variant")
    key = {
        v: (-float(t.loc[v, "closure_delta_h"]), -float(t.loc[v, "lateness_delta_h"]), v)
        for v in ("v001", "v004")
    }
    worse, milder = sorted(key, key=key.__getitem__)
    assert (
        ranked.index("<td>v002</td>") < ranked.index(f"<td>{worse}</td>") < ranked.index(f"<td>{milder}</td>")
    )
    assert "unknown site &#x27;no-such-site&#x27;" in text  # the failure, with its reason


def test_dask_cluster_gives_the_same_table(pool_run, small_batch, base_network, tmp_path):
    """Stopped on the cluster by its address, resumed through a client: the pool's table."""
    from distributed import Client, LocalCluster

    batch = load_batch(small_batch)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with pytest.raises(OperatorStopError):
            run_batch(
                batch,
                tmp_path,
                scheduler=cluster.scheduler_address,
                network=base_network,
                progress=_stop_after_two,
            )
        assert len(read_results(tmp_path)) == 2
        with Client(cluster) as client:
            result = run_batch(batch, tmp_path, client=client, resume=True, network=base_network)
    assert (result.skipped, result.ran) == (2, 3)
    _same(result.table, pool_run.table)
    assert (tmp_path / "results.csv").read_text().count("\n") == pool_run.paths["csv"].read_text().count("\n")


def test_interrupted_batch_resumes_where_it_stopped(pool_run, small_batch, base_network, tmp_path):
    batch = load_batch(small_batch)
    with pytest.raises(OperatorStopError):
        run_batch(batch, tmp_path, workers=0, progress=_stop_after_two, network=base_network)
    assert [r["variant"] for r in read_results(tmp_path)] == ["base", "v001"]
    assert not (tmp_path / "results.csv").exists()
    with (tmp_path / "results.jsonl").open("a") as f:
        f.write('{"variant": "v002", "stat')  # a line cut short by the interruption
    with pytest.raises(BatchError, match="--resume"):
        run_batch(batch, tmp_path, workers=0, network=base_network)
    ran = []
    result = run_batch(
        batch,
        tmp_path,
        workers=0,
        resume=True,
        network=base_network,
        progress=lambda ev: ev.row is not None and ran.append(ev.row["variant"]),
    )
    assert ran == ["v002", "v003", "v004"]
    assert (result.skipped, result.ran) == (2, 3)
    _same(result.table, pool_run.table)
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    assert [json.loads(x)["variant"] for x in lines] == ["base", "v001", "v002", "v003", "v004"]


def test_resume_refuses_another_batch(pool_run, small_batch, base_network, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(pool_run.out_dir, out)
    other = tmp_path / "other.yaml"
    other.write_text(small_batch.read_text().replace("hours: [12]", "hours: [6]"))
    with pytest.raises(BatchError, match="different batch"):
        run_batch(load_batch(other), out, workers=0, resume=True, network=base_network)


def test_cli_resume_of_a_finished_batch_rewrites_the_outputs(pool_run, small_batch, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(pool_run.out_dir, out)
    for name in ("results.csv", "results.parquet", "summary.html"):
        (out / name).unlink()
    assert main(["batch", str(small_batch), "--out", str(out), "--resume"]) == 0
    text = capsys.readouterr().out
    assert "variants           5: 3 ok, 1 infeasible, 1 failed, 0 timed out" in text
    assert "0 planned now, 5 recorded before" in text
    assert "1 variant(s) failed or timed out: v003" in text
    assert "worst closure      close site quay-zeebrugge-vorming from +12 h (v002): infeasible" in text
    assert (out / "results.csv").read_text() == pool_run.paths["csv"].read_text()


def test_folder_batch_bad_file_and_a_variant_over_its_time_limit(tmp_path):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    shutil.copy(resolve_scenario_path(BASE), folder / "a-brigade.yaml")
    (folder / "b-broken.yaml").write_text("name: [unclosed\n")
    path = tmp_path / "folder.yaml"
    path.write_text("name: folder\nscenarios: scenarios\nsolver: {road: greedy}\ntimeout_s: 0.01\n")
    result = run_batch(load_batch(path), tmp_path / "out", workers=1)
    t = result.table.set_index("variant")
    assert list(t.index) == ["a-brigade", "b-broken"]
    assert t.loc["a-brigade", "status"] == "timed out"  # its worker was killed; the batch went on
    assert "no result within 0.01 s" in t.loc["a-brigade", "message"]
    assert t.loc["b-broken", "status"] == "failed"
    assert "b-broken.yaml: line 2, column 1: YAML syntax error" in t.loc["b-broken", "message"]


def test_a_batch_loads_and_validates_its_base_scenario_once(
    small_batch, base_file, base_network, tmp_path, monkeypatch
):
    """Base and four variants in this process: the base file is read and validated once, each variant once."""
    loads, validations, parsed = [], [], []
    load, validate, model_validate = (
        scenario_load.load_scenario,
        scenario_load.validate_scenario,
        Scenario.model_validate.__func__,
    )

    def counted_load(spec):
        loads.append(str(spec))
        return load(spec)

    def counted_validate(data, fname="<scenario>", base=None):
        validations.append(fname)
        return validate(data, fname, base)

    def counted_parse(cls, *args, **kwargs):
        parsed.append(cls)
        return model_validate(cls, *args, **kwargs)

    # the batch package imports the loaders where it calls them, so the counters see every call
    monkeypatch.setattr(scenario_load, "load_scenario", counted_load)
    monkeypatch.setattr(scenario_load, "validate_scenario", counted_validate)
    monkeypatch.setattr(Scenario, "model_validate", classmethod(counted_parse))
    result = run_batch(load_batch(small_batch), tmp_path, workers=0, network=base_network)
    assert len(result.variants) == 5 and result.ran == 5
    assert loads == [str(base_file)]
    # the base inside its one load (no worker checks it again), then each variant once
    variants = [f"{small_batch} variant v{i:03d}" for i in range(1, 5)]
    assert validations == [str(resolve_scenario_path(str(base_file))), *variants]
    assert len(parsed) == 1 + 4  # the base, then each variant made by apply_changes
