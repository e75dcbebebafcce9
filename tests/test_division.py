"""End-to-end: the division scenario (four corridors, ~6,000 vehicles) planned on the embedded network.

A module of its own, so that the test runner can plan it beside the default scenario's tests.
"""

import pytest

from enablement.scheduling.march import HALT_PLACE_KINDS
from tests.helpers import halt_violations, overlap_violations, seconds, window_violations

pytestmark = pytest.mark.slow  # the largest packaged scenario, planned whole


def test_division_plan_respects_the_rules(belgium_network, tmp_path):
    from enablement.outputs import march_table
    from enablement.plan import make_plan
    from enablement.scenario import load_scenario

    plan = make_plan(
        load_scenario("enablement:division-four-corridors"),
        network=belgium_network,
        solver={"time_limit_s": 2},
    )
    k = plan.kpis()
    assert k["vehicles"] == 6016 and k["march_units"] >= 280
    assert len({m.sites[-1] for m in plan.march_units}) >= 3  # several road corridors
    # trains to Montzen are handed over there, never unloaded at the border point
    assert plan.trains and all(t.handover for t in plan.trains if t.destination == "border-rail-montzen")
    # the brigade landing at Ostend loads its tracked vehicles at Zeebrugge-Vorming, within the road limit
    assert plan.tracked_excess == []
    table = march_table(plan)
    # one movement number per march unit (1BDE-ART-TRK and -WHL shared theirs)
    assert table.groupby("movement_number")["march_unit"].nunique().max() == 1
    t = seconds(table, plan.scenario.start)
    pol = plan.scenario.policy
    assert overlap_violations(t, headway_s=pol.headway_min * 60) == []
    places = set(plan.network.sites.loc[plan.network.sites["kind"].isin(HALT_PLACE_KINDS), "id"])
    assert halt_violations(t, late=pol.halts.late_max_min, places=places) == []
    spans = plan.clock.daily(pol.movement_window.start, pol.movement_window.end).spans
    assert window_violations(t, spans) == []
    # the map of a division stays within its size budget (25 MB)
    from enablement.outputs.maps import write_map

    path = write_map(plan, tmp_path / "division-map.html")
    assert path.stat().st_size <= 25 * 2**20
