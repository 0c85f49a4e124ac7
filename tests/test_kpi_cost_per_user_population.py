"""Cost per active user divides a system's costs (all its users, the whole period) by its active users: both sides
must cover the same population. Usage that covers only part of the system's licensed users (e.g. one department
exported) or only some months of the period makes the row not measurable, with the reason. Worked out by hand."""

from __future__ import annotations

import pytest

from hitplan.kpi import costs, runner
from kpi_fixtures import connect, period, tiny_store

Q = period("2026-01-01", "2026-04-01")  # January-March: 3 months


def system(sid, licensed=None):
    return {"system_id": sid, "name": f"System {sid}", "kind": "application", "category": "clinical",
            "licensed_users": licensed}


def cost(entry, sid, amount):
    return {"entry_id": entry, "posting_date": "2026-02-10", "amount": amount, "gl_account": "6000",
            "cost_center": "IT", "system_id": sid}


def use(day, sid, users, dept="ED"):
    return {"day": day, "system_id": sid, "department": dept, "active_users": users}


SYSTEMS = [system("A", 1000), system("B", 1000), system("C")]
COSTS = [cost("E1", "A", 120_000), cost("E2", "B", 60_000), cost("E3", "C", 30_000)]
USAGE = (
    # A: all users, every month: 400 a day -> 40 % of its 1,000 licensed users; 120,000 / 400 = 300 per user
    [use(f"2026-0{m}-10", "A", 400, "ALL") for m in (1, 2, 3)]
    # B: one department's usage only, every month: 20 a day = 2 % of 1,000 licensed (below the 5 % floor); the
    #    old definition gave 60,000 / 20 = 3,000 per user, a figure for the whole system over one ward's users
    + [use(f"2026-0{m}-10", "B", 20, "Ward 5") for m in (1, 2, 3)]
    # C: no licensed count; usage for January only while the usage feed covers all three months: 1 of 3 months.
    #    The old definition gave 30,000 / 100 = 300 per user, three months of cost over one month of users
    + [use("2026-01-10", "C", 100)]
)


@pytest.fixture
def con(tmp_path):
    c = connect(tiny_store(tmp_path / "s.duckdb", systems=SYSTEMS, costs=COSTS, usage=USAGE))
    yield c
    c.close()


def test_only_a_system_whose_usage_covers_its_users_and_the_period_gets_a_figure(con):
    df = costs.cost_per_active_user_by_system(con, Q).set_index("system_id")
    assert df.loc["A", "usd_per_active_user"] == pytest.approx(300.0)
    assert df.loc["A", "active_share_of_licensed_pct"] == pytest.approx(40.0)
    assert df.loc["A", "note"] is None or df.loc["A", "note"] != df.loc["A", "note"]
    assert df.loc[["B", "C"], "usd_per_active_user"].isna().all()  # not 3,000 and 300
    assert df.attrs["note"].startswith("not measurable for some systems")


def test_the_reason_is_beside_each_row_it_refuses(con):
    df = costs.cost_per_active_user_by_system(con, Q).set_index("system_id")
    assert df.loc["B", "avg_daily_active_users"] == pytest.approx(20.0)
    assert df.loc["B", "note"] == ("average daily active users are 2.0 % of its 1000 licensed users (below 5 %): "
                                   "usage covers only part of its users")
    assert (df.loc["C", "usage_months"], df.loc["C", "period_usage_months"]) == (1, 3)
    assert df.loc["C", "note"] == "usage in 1 of the 3 months the usage feed covers in the period"


def test_usage_outside_the_period_does_not_make_it_measurable(con):
    # no usage in April at all: the KPI cannot be measured, it is not a cost per user of infinity or zero
    df = costs.cost_per_active_user_by_system(con, period("2026-04-01", "2026-05-01"))
    assert df.empty and "usage" in df.attrs["not_measurable"]


def test_population_is_stated():
    d = runner.definition("cost_per_active_user_by_system")
    assert d.population and "licensed" in d.population and d.standard
