"""BAA coverage scope: every business associate that creates, receives, maintains or transmits PHI needs a BAA
(HIPAA 45 CFR 164.308(b)(1), 164.502(e)), not only the vendor named as a PHI system's supplier: a vendor contracted
for a PHI system, or paid for one, is in scope too. Expectations worked out by hand from the rows below."""

from __future__ import annotations

import pytest

from hitplan.analysis import not_measurable
from hitplan.kpi import runner, vendors
from hitplan.report.areas import area_section
from kpi_fixtures import connect, period, tiny_store

CY2026 = period("2026-01-01", "2027-01-01")
VENDORS = [{"vendor_id": v, "name": n} for v, n in
           [("VS", "Supplier Co"), ("VK", "Managed Hosting Co"), ("VP", "Paid Support Co"), ("VN", "Printer Co"),
            ("VE", "Former Host Co"), ("VX", "Old Consultant Co")]]


def system(sid, vendor, phi):
    return {"system_id": sid, "name": f"System {sid}", "kind": "application", "category": "clinical",
            "vendor_id": vendor, "holds_phi": phi}


def contract(cid, vendor, system_id, baa, start="2025-01-01", end="2027-12-31"):
    return {"contract_id": cid, "vendor_id": vendor, "system_id": system_id, "start_date": start, "end_date": end,
            "baa_signed": baa}


def cost(eid, day, vendor, system_id):
    return {"entry_id": eid, "posting_date": day, "amount": 500, "gl_account": "6100", "cost_center": "IT",
            "vendor_id": vendor, "system_id": system_id}


SYSTEMS = [system("P1", "VS", True), system("P2", "VS", True), system("N1", "VN", False)]
CONTRACTS = [
    contract("KS", "VS", "P1", True),    # the supplier, with a signed BAA
    contract("KK", "VK", "P2", False),   # a hosting vendor contracted for PHI system P2, no BAA
    contract("KN", "VN", "N1", False),   # a printer vendor for a system holding no PHI: out of scope
    contract("KE", "VE", "P1", False, start="2024-01-01", end="2025-06-30"),  # ended before 2026: out of scope
]
COSTS = [
    cost("E1", "2026-03-10", "VP", "P1"),  # paid in 2026 for support of PHI system P1, no contract at all
    cost("E2", "2025-03-10", "VX", "P2"),  # paid, but in 2025: out of scope for 2026
    cost("E3", "2026-04-01", "VN", "N1"),  # paid for a system holding no PHI
]
# By hand, calendar 2026:
#   VS: supplier of P1 and P2, contract KS for P1 -> routes supplier, contract; 2 PHI systems; 1 contract with a
#       signed BAA -> no gap.
#   VK: contract KK for P2 -> route contract; 1 PHI system; 1 contract, BAA not signed -> gap.
#   VP: paid for P1 (E1) -> route paid; 1 PHI system; no contract -> no BAA in force -> gap.
#   VN (no PHI system), VE (contract ended 2025-06-30), VX (paid in 2025) are out of scope.
#   Gaps: VK and VP, 2 vendors. The old definition (suppliers of PHI systems only) saw VS alone: no gap.


@pytest.fixture
def con(tmp_path):
    c = connect(tiny_store(tmp_path / "s.duckdb", vendors=VENDORS, systems=SYSTEMS, contracts=CONTRACTS,
                           costs=COSTS))
    yield c
    c.close()


def test_scope_is_every_vendor_supplying_contracted_for_or_paid_for_a_phi_system(con):
    df = vendors.baa_coverage(con, CY2026).set_index("vendor_id")
    assert sorted(df.index) == ["VK", "VP", "VS"]
    assert df["scope_routes"].to_dict() == {"VK": "contract", "VP": "paid", "VS": "supplier, contract"}
    assert df["phi_systems"].to_dict() == {"VK": 1, "VP": 1, "VS": 2}
    assert df.loc["VS", "phi_system_ids"] == "P1, P2"
    assert df[["contracts", "baa_signed_contracts"]].loc["VP"].tolist() == [0, 0]


def test_a_vendor_only_paid_for_a_phi_system_without_a_baa_is_a_gap(con):
    df = vendors.baa_coverage(con, CY2026)
    assert sorted(df[df["baa_gap"]]["vendor_id"]) == ["VK", "VP"]
    d = next(d for d in vendors.area_status(con, CY2026).drivers if d.kpi == "baa_coverage")
    assert (d.value, d.status, d.detail) == (2.0, "off target", "VK (contract), VP (paid)")
    text = " ".join(area_section(con, "vendors", CY2026).findings)
    assert "2 vendors handling PHI (supplying, contracted for or paid for a system holding it) had no signed" in text
    assert "Managed Hosting Co and Paid Support Co" in text


def test_drill_down_lists_each_vendor_and_phi_system_with_its_routes(con):
    rows = runner.kpi_rows(con, "baa_coverage", CY2026).sort_values(["vendor_id", "system_id"])
    assert rows[["vendor_id", "system_id", "routes"]].values.tolist() == [
        ["VK", "P2", "contract"], ["VP", "P1", "paid"], ["VS", "P1", "supplier, contract"], ["VS", "P2", "supplier"]]


def test_a_contracts_export_without_its_baa_column_is_not_measurable(tmp_path):
    blank = [{k: v for k, v in c.items() if k != "baa_signed"} for c in CONTRACTS]
    c = connect(tiny_store(tmp_path / "s.duckdb", vendors=VENDORS, systems=SYSTEMS, contracts=blank, costs=COSTS))
    try:
        df = vendors.baa_coverage(c, CY2026)
    finally:
        c.close()
    assert not_measurable(df) and "baa_signed" in df.attrs["note"] and df.empty  # not three gaps
