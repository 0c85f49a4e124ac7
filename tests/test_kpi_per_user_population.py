"""Incidents per 1,000 active users over one population (issue 16): the tickets counted are those raised by the
departments the usage covers; where those departments raise too few of the system's tickets (< 80 %, the shipped
setting), the ratio is not measurable for that system, with the reason, instead of a huge number.

The store, worked out by hand (period: January 2026). System S1 has 102 tickets opened in January: ED 40, ICU 20,
LAB 15, RAD 15, PHARM 10, and 2 with no department. Usage is on 2026-01-05 and 2026-01-06, the same each day:
ED 200, ICU 100, LAB 50, RAD 50, PHARM 100 active users.

- usage for ED only: 200 users a day; ED raises 40 of 102 tickets = 39.2 % < 80 %: not comparable, no
  rate (the old definition: 102 / 200 * 1,000 = 510 per 1,000).
- usage for all five: 500 users a day; 100 tickets from them (the 2 with no department cannot be placed):
  100 / 500 * 1,000 = 200 per 1,000; 100 of 102 = 98.04 % (the old definition: 102 / 500 * 1,000 = 204).
- usage for all but PHARM: 400 users a day; 90 tickets: 90 / 400 * 1,000 = 225 per 1,000; 90 of 102 = 88.24 %.
S2 has usage (10 users a day, ED) and no ticket: 0 per 1,000, comparable (nothing raised by anyone).
"""

from __future__ import annotations

import pandas as pd
import pytest

from hitplan.kpi import support
from kpi_fixtures import connect, period, tiny_store, ts

SYSTEMS = [
    {"system_id": "S1", "name": "EHR", "kind": "application", "category": "ehr", "criticality_tier": 1},
    {"system_id": "S2", "name": "Portal", "kind": "application", "category": "patient_portal"},
]
TICKETS = {"ED": 40, "ICU": 20, "LAB": 15, "RAD": 15, "PHARM": 10, None: 2}
USERS = {"ED": 200, "ICU": 100, "LAB": 50, "RAD": 50, "PHARM": 100}
JAN = period("2026-01-01", "2026-02-01")


def incidents() -> list[dict]:
    rows, n = [], 0
    for dept, count in TICKETS.items():
        for _ in range(count):
            n += 1
            rows.append({"number": f"I{n}", "system_id": "S1", "opened_at": ts(f"2026-01-{1 + n % 28:02d} 08:00:00"),
                         "priority": 3, "state": "new", "department": dept})
    return rows


def usage(depts) -> list[dict]:
    rows = [{"day": day, "system_id": "S1", "department": d, "active_users": USERS[d], "sessions": 1}
            for day in ("2026-01-05", "2026-01-06") for d in depts]
    return rows + [{"day": day, "system_id": "S2", "department": "ED", "active_users": 10, "sessions": 1}
                   for day in ("2026-01-05", "2026-01-06")]


def per_1000(tmp_path, depts) -> pd.DataFrame:
    c = connect(tiny_store(tmp_path / "s.duckdb", systems=SYSTEMS, incidents=incidents(), usage=usage(depts)))
    try:
        return support.incidents_per_1000_users_by_system(c, JAN)
    finally:
        c.close()


def test_usage_for_one_department_of_five_is_not_measurable_with_the_reason(tmp_path):
    df = per_1000(tmp_path, ["ED"]).set_index("system_id")
    s1 = df.loc["S1"]
    assert pd.isna(s1["incidents_per_1000_active_users"])  # not 510 per 1,000
    assert not s1["comparable"]
    assert (s1["incidents"], s1["system_incidents"], s1["incidents_no_department"]) == (40, 102, 2)
    assert s1["usage_departments"] == 1 and s1["avg_daily_active_users"] == pytest.approx(200.0)
    assert s1["population_share_pct"] == pytest.approx(100 * 40 / 102)
    assert "39.2 %" in s1["reason"] and "80 %" in s1["reason"]
    assert "not comparable" in df.attrs["note"]


def test_usage_for_every_department_gives_the_ratio_over_their_tickets(tmp_path):
    df = per_1000(tmp_path, list(USERS)).set_index("system_id")
    s1 = df.loc["S1"]
    assert s1["comparable"] and pd.isna(s1["reason"])
    assert s1["avg_daily_active_users"] == pytest.approx(500.0)
    assert (s1["incidents"], s1["incidents_no_department"]) == (100, 2)
    assert s1["incidents_per_1000_active_users"] == pytest.approx(200.0)  # 100 / 500 * 1,000, not 204
    assert s1["population_share_pct"] == pytest.approx(100 * 100 / 102)
    s2 = df.loc["S2"]
    assert s2["comparable"] and s2["incidents_per_1000_active_users"] == pytest.approx(0.0)


def test_usage_for_most_departments_counts_only_their_tickets(tmp_path):
    df = per_1000(tmp_path, ["ED", "ICU", "LAB", "RAD"]).set_index("system_id")
    s1 = df.loc["S1"]
    assert s1["comparable"] and s1["usage_departments"] == 4
    assert s1["incidents_per_1000_active_users"] == pytest.approx(225.0)  # 90 / 400 * 1,000
    assert s1["population_share_pct"] == pytest.approx(100 * 90 / 102)
