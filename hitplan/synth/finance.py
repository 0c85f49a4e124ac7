"""The IT general ledger and the budget workbook.

Spend is designed top-down: an annual IT total of about 3.5 % of hospital operating expense, split
into TBM cost pools, budgeted by month and cost center. Each pool-month's actual total is the budget
times a ratio (a little under budget, except the planted pool that climbs over it), and is then cut
into ledger lines. ``scale`` changes only how many lines a total is cut into, so totals, pools and
budget ratios are the same at every scale.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pyarrow as pa

from hitplan.synth import catalog
from hitplan.synth import output as out
from hitplan.synth.contracts import Contract
from hitplan.synth.world import Month, Org, Params, add_months, fiscal_year, fiscal_year_start, stream, window_months

POOLS = (
    "internal_labor",
    "external_labor",
    "outside_services",
    "hardware",
    "software",
    "cloud",
    "telecom",
    "facilities_power",
    "other",
)
POOL_SHARE = {
    "internal_labor": 0.40,
    "external_labor": 0.05,
    "outside_services": 0.07,
    "hardware": 0.11,
    "software": 0.17,
    "cloud": 0.12,
    "telecom": 0.04,
    "facilities_power": 0.025,
    "other": 0.015,
}
LINES_PER_MONTH = {
    "internal_labor": 26,
    "external_labor": 22,
    "outside_services": 20,
    "hardware": 70,
    "software": 60,
    "cloud": 45,
    "telecom": 18,
    "facilities_power": 4,
    "other": 35,
}
IT_SHARE_OF_OPEX = 0.034
GROWTH = 0.04
OVER_BUDGET_POOL = "cloud"
WHOLE_POOL_BUDGETS = ("facilities_power", "other")  # budgeted without a cost center
DUPLICATE_AMOUNT_CENTS = 1_874_050
TELECOM_VENDORS = ("att", "midwest_fiber", "verizon")
SERVICE_POOLS = {
    "lakeshore": "outside_services",
    "summit": "external_labor",
    "heartland": "facilities_power",
    "riverbend": "outside_services",
    "beacon": "other",
}
GROWTH_SYSTEMS = (
    "telehealth",
    "virtual_nursing",
    "rpm",
    "data_platform",
    "prior_auth",
    "econsult",
    "mfa",
    "edr",
    "siem",
    "teams",
)
INVOICE_PREFIX = ("INV-", "SI-", "IN", "", "AR-", "BL")
# Planted cost anomalies beside the duplicate invoice (planted codes: 1/2 the duplicate, 3 the spike, 4 off-pool).
SPIKE_VENDOR, SPIKE_POOL = "dell", "hardware"  # one invoice far above the vendor's earlier lines
OFF_POOL_VENDOR, OFF_POOL_FROM, OFF_POOL_TO = "pure", "hardware", "software"  # coded to a pool it never uses
SPIKE, OFF_POOL = 3, 4


@dataclass(frozen=True)
class Stream:
    """A kind of spend inside a pool: who is paid, for what, and how it is classified."""

    pool: str
    weight: float
    cost_center: str
    vendor: str | None
    system: str | None
    gl: str
    tower: str
    capex: bool
    rgt: str
    text: str


def _tower(spec: catalog.SystemSpec) -> str:
    """TBM tower of a system."""
    return {
        "network": "network",
        "compute": "compute",
        "storage": "storage",
        "end_user": "end_user",
        "medical_device": "network",
        "security": "security_compliance",
        "collaboration": "end_user",
    }.get(spec.category, "application")


def _cost_center(spec: catalog.SystemSpec) -> str:
    """Cost center that pays for a system."""
    if spec.category == "security":
        return "IT-SEC"
    if spec.kind == "application" and spec.category != "collaboration":
        return "IT-APPS"
    if spec.category == "end_user":
        return "IT-SERVICE-DESK"
    return "IT-INFRA"


def contract_pool(org: Org, c: Contract) -> str:
    """Cost pool a contract's invoices land in (SaaS is cloud services in the TBM taxonomy)."""
    if c.system is None:
        return SERVICE_POOLS[c.vendor]
    spec = org.spec(c.system)
    if c.vendor in TELECOM_VENDORS:
        return "telecom"
    if spec.hosting == "saas":
        return "cloud"
    return "software" if spec.kind == "application" else "hardware"


# fmt: off
# Internal labor by cost center: (share of the pool, TBM tower, share spent on "grow" work).
LABOR = {
    "IT-APPS": (0.34, "application", 0.55),
    "IT-INFRA": (0.24, "compute", 0.3),
    "IT-SERVICE-DESK": (0.16, "end_user", 0.0),
    "IT-SEC": (0.09, "security_compliance", 0.3),
    "IT-ADMIN": (0.09, "it_management", 0.0),
}
CONTRACT_GL = {"cloud": "6430", "software": "6420", "hardware": "6440", "telecom": "6610"}
CONTRACT_TEXT = {
    "cloud": "{sysname} subscription - {mon}",
    "software": "{vendor} maintenance - {sysname} - {q}",
    "hardware": "{vendor} support - {sysname} - {q}",
    "telecom": "{vendor} services - {mon}",
}


def streams(org: Org, contracts: list[Contract]) -> list[Stream]:
    """Every spend stream with its weight inside its pool."""
    s = _labor_streams()
    for c in contracts:
        pool = contract_pool(org, c)
        if c.system is None:
            s.extend(_service_streams(c, pool))
            continue
        spec = org.spec(c.system)
        rgt = "grow" if c.system in GROWTH_SYSTEMS else "run"
        if pool == "telecom":
            tower = "end_user" if c.vendor == "verizon" else "network"
        else:
            tower = _tower(spec)
        s.append(Stream(pool, c.annual_value, _cost_center(spec), c.vendor, c.system, CONTRACT_GL[pool], tower,
                        False, rgt, CONTRACT_TEXT[pool]))
    by_pool = {p: sum(c.annual_value for c in contracts if contract_pool(org, c) == p) for p in POOLS}
    return s + _purchase_streams(by_pool["hardware"], by_pool["software"], by_pool["cloud"])


def _labor_streams() -> list[Stream]:
    """Payroll and benefits per cost center, and capitalized project labor."""
    s = [
        Stream("internal_labor", 0.08 * 0.7, "IT-PMO", None, None, "6010", "delivery", True, "transform",
               "Capitalized project labor - {cc} - PP{pp}"),
        Stream("internal_labor", 0.08 * 0.3, "IT-PMO", None, None, "6010", "delivery", False, "grow",
               "Salaries and wages - {cc} - PP{pp}"),
    ]
    for cc, (w, tower, grow) in LABOR.items():
        for rgt, part in (("run", 1 - grow), ("grow", grow)):
            if part > 0:
                s.append(Stream("internal_labor", w * part * 0.78, cc, None, None, "6010", tower, False, rgt,
                                "Salaries and wages - {cc} - PP{pp}"))
                s.append(Stream("internal_labor", w * part * 0.22, cc, None, None, "6050", tower, False, rgt,
                                "Benefits allocation - {cc} - {mon}"))
    return s


def _service_streams(c: Contract, pool: str) -> list[Stream]:
    """Streams for the service vendors (no system)."""
    v, k = c.annual_value, c.vendor
    if k == "summit":
        return [Stream(pool, v * 0.6, "IT-APPS", k, None, "6210", "application", False, "grow",
                       "Contract analysts - {mon}"),
                Stream(pool, v * 0.25, "IT-INFRA", k, None, "6210", "compute", False, "run",
                       "Contract engineers - {mon}"),
                Stream(pool, v * 0.15, "IT-PMO", k, None, "6210", "delivery", True, "transform",
                       "Contract project managers - {mon}")]
    if k == "lakeshore":
        return [Stream(pool, v * 0.7, "IT-SERVICE-DESK", k, None, "6310", "end_user", False, "run",
                       "After-hours service desk - {mon}"),
                Stream(pool, v * 0.3, "IT-INFRA", k, None, "6310", "network", False, "run",
                       "Managed network monitoring - {mon}")]
    if k == "riverbend":
        return [Stream(pool, v, "IT-ADMIN", k, None, "6310", "it_management", False, "grow", "Advisory services - {q}")]
    if k == "heartland":
        return [Stream(pool, v, "IT-INFRA", k, None, "6710", "data_center", False, "run",
                       "Colocation space and power - {mon}")]
    return [Stream(pool, v, "IT-ADMIN", k, None, "6990", "it_management", False, "run", "Research subscription - {q}")]


def _purchase_streams(hw: float, sw: float, saas: float) -> list[Stream]:
    """Spend outside contracts (sized against contract spend): refresh, licenses, cloud use, overheads."""
    S = Stream  # noqa: N806 - a table reads better with a short constructor name
    return [
        S("hardware", hw * 0.45, "IT-INFRA", "dell", "windows_estate", "1720", "compute", True, "run",
          "Server refresh - PO {po}"),
        S("hardware", hw * 0.40, "IT-SERVICE-DESK", "dell", "desktops", "1720", "end_user", True, "run",
          "PC refresh - PO {po}"),
        S("hardware", hw * 0.25, "IT-INFRA", "cisco", "access_clinics", "1720", "network", True, "grow",
          "Network equipment - PO {po}"),
        S("hardware", hw * 0.30, "IT-INFRA", "pure", "storage_dc1", "1720", "storage", True, "grow",
          "Storage expansion - PO {po}"),
        S("hardware", hw * 0.12, "IT-SERVICE-DESK", "zebra", "label_printers", "6510", "end_user", False, "run",
          "Label printers and scanners - PO {po}"),
        S("hardware", hw * 0.08, "IT-SERVICE-DESK", "hp", None, "6510", "output", False, "run",
          "Printer supplies - {mon}"),
        S("hardware", hw * 0.10, "IT-SERVICE-DESK", "dell", None, "6510", "end_user", False, "run",
          "Monitors and peripherals - PO {po}"),
        S("software", sw * 0.20, "IT-PMO", "epic", "ehr", "1730", "application", True, "transform",
          "Epic module licenses - PO {po}"),
        S("software", sw * 0.06, "IT-PMO", "microsoft", None, "1730", "platform", True, "transform",
          "Microsoft license true-up - {q}"),
        S("software", sw * 0.04, "IT-APPS", "intersystems", "interface_engine", "6420", "platform", False, "grow",
          "Interface adapter licenses - PO {po}"),
        S("cloud", saas * 0.18, "IT-INFRA", "microsoft", "azure", "6620", "compute", False, "grow",
          "Azure consumption - {mon}"),
        S("cloud", saas * 0.10, "IT-INFRA", "aws", "aws", "6620", "storage", False, "transform",
          "AWS consumption - {mon}"),
        S("facilities_power", 180_000, "IT-INFRA", None, None, "6710", "data_center", False, "run",
          "Data center power allocation - {mon}"),
        S("other", 90_000, "IT-ADMIN", None, None, "6990", "it_management", False, "run",
          "Training and conferences - {mon}"),
        S("other", 40_000, "IT-ADMIN", None, None, "6990", "it_management", False, "run", "Travel - {mon}"),
        S("other", 45_000, "IT-ADMIN", None, None, "6990", "it_management", False, "run", "Memberships and dues - {q}"),
        S("outside_services", 150_000, "IT-PMO", "epic", "ehr", "6310", "application", False, "transform",
          "Epic implementation services - {mon}"),
        S("outside_services", 80_000, "IT-INFRA", "keystone", "pm_network", "6310", "network", False, "run",
          "Medical device network support - {mon}"),
    ]
# fmt: on


def fiscal_years(params: Params) -> list[int]:
    """Fiscal years the window touches, then the one being planned."""
    first, last = fiscal_year(params.start), fiscal_year(params.end)
    return list(range(first, last + 2))


def latest_complete_fiscal_year(params: Params) -> int:
    """The newest fiscal year whose every month is inside the window (or the window's last one)."""
    fy = fiscal_year(params.end)
    if add_months(fiscal_year_start(fy), 12) - dt.timedelta(days=1) > params.end:
        fy -= 1
    return max(fy, fiscal_year(params.start))


class Ledger:
    """Budgets and actuals: designs every pool-month, then cuts actuals into ledger lines."""

    def __init__(self, params: Params, org: Org, contracts: list[Contract]) -> None:
        self.p, self.org = params, org
        self.streams = streams(org, contracts)
        self.pool_streams = {p: [s for s in self.streams if s.pool == p] for p in POOLS}
        self.pool_index = {p: np.array([i for i, s in enumerate(self.streams) if s.pool == p]) for p in POOLS}
        self.pool_has_vendor = {p: np.array([s.vendor is not None for s in self.pool_streams[p]]) for p in POOLS}
        self.ramp_start = fiscal_year_start(latest_complete_fiscal_year(params))
        self.first_fy = fiscal_year(params.start)
        self.seq = {"AP": 0, "JE": 0}
        self.vendor_count: dict[int, int] = {}
        self.duplicate_month = _duplicate_month(params)
        self.duplicate_entries: list[tuple[str, str, str]] = []  # (entry_id, posting date, invoice)
        self.spike_month, self.off_pool_month = _anomaly_months(params)
        self.vendor_cents: dict[str, list[int]] = {}  # every earlier positive line per vendor, for the planted amounts
        self.planted_lines: dict[int, tuple[str, str, int]] = {}  # planted code -> (entry_id, posting date, cents)
        self.ratios: dict[tuple[str, str], float] = {}

    # ---- budgets --------------------------------------------------------------------------------

    def annual_total(self, fy: int) -> float:
        """Planned IT spend for a fiscal year."""
        base = catalog.HOSPITAL["operating_expense"] * IT_SHARE_OF_OPEX
        return base * (1 + GROWTH) ** (fy - self.first_fy)

    def cc_shares(self, pool: str) -> dict[str, float]:
        """How a pool's budget divides over cost centers ('' = the whole pool)."""
        if pool in WHOLE_POOL_BUDGETS:
            return {"": 1.0}
        shares: dict[str, float] = {}
        for s in self.pool_streams[pool]:
            shares[s.cost_center] = shares.get(s.cost_center, 0.0) + s.weight
        total = sum(shares.values())
        return {cc: w / total for cc, w in sorted(shares.items())}

    def budget(self, month_first: dt.date, pool: str) -> dict[str, int]:
        """Budget in whole dollars per cost center for a pool in a month."""
        fy = fiscal_year(month_first)
        monthly = self.annual_total(fy) * POOL_SHARE[pool] / 12
        return {cc: int(round(monthly * share)) for cc, share in self.cc_shares(pool).items()}

    def budget_rows(self) -> list[tuple[int, dt.date, str, str | None, float]]:
        """Every budget row: fiscal year, month, pool, cost center, amount."""
        rows = []
        for fy in fiscal_years(self.p):
            for k in range(12):
                first = add_months(fiscal_year_start(fy), k)
                for pool in POOLS:
                    for cc, amount in self.budget(first, pool).items():
                        rows.append((fy, first, pool, cc or None, float(amount)))
        return rows

    # ---- actuals --------------------------------------------------------------------------------

    def ratio(self, rng: np.random.Generator, month: Month, pool: str) -> float:
        """Actual over budget for a pool-month: slightly under, except the planted pool's climb."""
        if pool == OVER_BUDGET_POOL and month.first >= self.ramp_start:
            i = (month.first.year - self.ramp_start.year) * 12 + month.first.month - self.ramp_start.month
            return 1.01 + 0.011 * i
        if pool == "software" and month.label == self.duplicate_month:
            return 0.955  # keeps the month with the duplicated invoice unremarkable
        return float(np.clip(rng.normal(0.975, 0.018), 0.93, 1.03))

    def month(self, month: Month) -> dict[str, pa.Array]:
        """Ledger lines posted in ``month``."""
        rng = stream(self.p, "costs", month.index)
        blocks = []
        for pool in POOLS:
            budget_cents = sum(self.budget(month.first, pool).values()) * 100
            r = self.ratio(rng, month, pool)
            self.ratios[(pool, month.label)] = r
            total = int(round(budget_cents * r * len(month.days) / month.full_days))
            blocks.append(self._pool_lines(rng, month, pool, total))
        lines = {k: np.concatenate([b[k] for b in blocks]) for k in blocks[0]}
        order = np.lexsort((lines["stream"], lines["day"]))
        lines = {k: v[order] for k, v in lines.items()}
        return self._render(month, lines)

    def _pool_lines(self, rng: np.random.Generator, month: Month, pool: str, total: int) -> dict[str, np.ndarray]:
        """Cut a pool-month total (cents) into lines; a few are vendor credits."""
        ss = self.pool_streams[pool]
        w = np.array([s.weight for s in ss])
        lam = LINES_PER_MONTH[pool] * self.p.scale * len(month.days) / month.full_days
        n = max(1, int(rng.poisson(lam)))
        idx = rng.choice(len(ss), size=n, p=w / w.sum())
        size = rng.gamma(2.0, 1.0, n) * (w[idx] / w.sum()) ** 0.5
        has_vendor = self.pool_has_vendor[pool][idx]
        credit = has_vendor & (rng.random(n) < 0.015) & (n > 1)
        if credit.all():
            credit[0] = False
        planted = np.zeros(n, dtype=np.int64)
        if pool == "software" and month.label == self.duplicate_month:
            idx, size, credit, planted = self._add_duplicate(idx, size, credit, planted)
        extra = self._planted_cents(pool, month, total)
        foreign = {}  # planted code -> global stream index, for a line of another pool's stream posted here
        for code, (vendor, cents, home) in extra.items():
            j = next(i for i, s in enumerate(self.pool_streams[home]) if s.vendor == vendor)
            if home != pool:
                foreign[code], j = int(self.pool_index[home][j]), 0
            idx, size = np.append(idx, j), np.append(size, 0.0)
            credit, planted = np.append(credit, False), np.append(planted, code)
        mean_line = total / max(1, int((~credit).sum()))
        credit_cents = -np.rint(mean_line * rng.uniform(0.02, 0.15, len(idx)) * credit).astype(np.int64)
        fixed = planted > 0
        fixed_cents = np.where(planted == 1, DUPLICATE_AMOUNT_CENTS, 0)
        for code, (_, cents, _) in extra.items():
            fixed_cents = np.where(planted == code, cents, fixed_cents)
        free = ~credit & ~fixed
        remaining = total - int(credit_cents.sum()) - int(fixed_cents.sum())
        cents = credit_cents + fixed_cents
        cents[free] = _split_cents(remaining, size[free])
        if (planted == 2).any():
            cents[planted == 2] = DUPLICATE_AMOUNT_CENTS  # the second posting: spend on top of the total
        day = _posting_days(rng, month, len(idx))
        if (planted > 0).any():
            days = month.days
            day[planted == 1] = days[min(7, len(days) - 1)]
            day[planted == 2] = days[min(13, len(days) - 1)]
            day[planted == SPIKE] = days[min(19, len(days) - 1)]
            day[planted == OFF_POOL] = days[min(9, len(days) - 1)]
        stream_index = self.pool_index[pool][idx]
        for code, g in foreign.items():
            stream_index[planted == code] = g
        return {"stream": stream_index, "cents": cents, "credit": credit, "day": day, "planted": planted}

    def _planted_cents(self, pool: str, month: Month, total: int) -> dict[int, tuple[str, int, str]]:
        """The planted spike or off-pool line in this pool-month: {code: (vendor, cents, the vendor stream's pool)},
        inside the pool-month's total so every pool's actual-to-budget ratio stays as designed."""
        out = {}
        if pool == SPIKE_POOL and month.label == self.spike_month:
            before = np.array(self.vendor_cents.get(SPIKE_VENDOR, [1]))
            # well above the vendor's largest earlier line, yet leaving most of the month's total to the rest
            cents = int(max(1.5 * before.max(), 8 * np.median(before)))
            out[SPIKE] = (SPIKE_VENDOR, min(cents // 100 * 100, int(0.8 * total) // 100 * 100), SPIKE_POOL)
        if pool == OFF_POOL_TO and month.label == self.off_pool_month:
            before = np.array(self.vendor_cents.get(OFF_POOL_VENDOR, [100_000]))
            # an ordinary amount of the vendor's usual stream, counted in (and coded to) the wrong pool
            out[OFF_POOL] = (OFF_POOL_VENDOR, min(int(np.median(before)), int(0.3 * total)), OFF_POOL_FROM)
        return out

    def _add_duplicate(
        self, idx: np.ndarray, size: np.ndarray, credit: np.ndarray, planted: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Append the duplicated invoice: one line inside the total (planted 1), its twin on top (planted 2)."""
        ss = self.pool_streams["software"]
        j = next(i for i, s in enumerate(ss) if s.vendor == catalog.DUPLICATE_INVOICE_VENDOR)
        return (
            np.append(idx, [j, j]),
            np.append(size, [0.0, 0.0]),
            np.append(credit, [False, False]),
            np.append(planted, [1, 2]),
        )

    def _render(self, month: Month, lines: dict[str, np.ndarray]) -> dict[str, pa.Array]:
        """The ledger columns for a month's lines."""
        si = lines["stream"]
        t = self.tables
        vendor = t["vendor"][si]
        credit = lines["credit"]
        entry = self._entry_ids(lines["day"], vendor >= 0)
        invoice = self._invoices(vendor, credit, lines["planted"])
        text = self._texts(month, si, lines["day"])
        text = pa.compute.if_else(pa.array(credit), out.concat("Credit memo - ", text), text)
        for k in np.flatnonzero((lines["planted"] == 1) | (lines["planted"] == 2)):
            self.duplicate_entries.append((entry[k].as_py(), str(lines["day"][k]), invoice[k].as_py()))
        for k in np.flatnonzero(lines["planted"] >= SPIKE):
            self.planted_lines[int(lines["planted"][k])] = (entry[k].as_py(), str(lines["day"][k]),
                                                             int(lines["cents"][k]))
        for k in np.flatnonzero((vendor >= 0) & (lines["cents"] > 0)):
            self.vendor_cents.setdefault(t["vendor_keys"][vendor[k]], []).append(int(lines["cents"][k]))
        pool_index = t["pool"][si].copy()
        pool_index[lines["planted"] == OFF_POOL] = POOLS.index(OFF_POOL_TO)
        n = len(si)
        return {
            "entry_id": entry,
            "posting_date": out.dates(lines["day"]),
            "amount": out.money(lines["cents"]),
            "currency": out.pick(["USD"], np.zeros(n, dtype=np.int64)),
            "gl_account": out.pick(t["gl"], si),
            "cost_center": out.pick(t["cc"], si),
            "vendor_id": out.pick(t["vendor_ids"], np.maximum(vendor, 0), vendor >= 0),
            "invoice_number": invoice,
            "system_id": out.pick(t["system_ids"], np.maximum(t["system"][si], 0), t["system"][si] >= 0),
            "cost_pool": out.pick(POOLS, pool_index),
            "tower": out.pick(t["tower"], si),
            "capex_opex": out.pick(["opex", "capex"], t["capex"][si]),
            "rgt": out.pick(t["rgt"], si),
            "description": text,
        }

    def _entry_ids(self, day: np.ndarray, ap: np.ndarray) -> pa.Array:
        """Journal ids: AP-<year>-<seq>-1 for invoices, JE-<year>-<seq>-1 for journals."""
        seq = np.zeros(len(day), dtype=np.int64)
        for kind, mask in (("AP", ap), ("JE", ~ap)):
            k = int(mask.sum())
            seq[mask] = self.seq[kind] + np.arange(1, k + 1)
            self.seq[kind] += k
        year = day.astype("datetime64[Y]").astype(np.int64) + 1970
        return out.concat(
            out.pick(["JE-", "AP-"], ap.astype(np.int64)), out.integers(year), "-", out.padded(seq, 6), "-1"
        )

    def _invoices(self, vendor: np.ndarray, credit: np.ndarray, planted: np.ndarray) -> pa.Array:
        """Invoice numbers, unique per vendor (credit memos in their own series); the planted twin repeats one."""
        n = len(vendor)
        key = np.where(vendor >= 0, vendor * 2 + credit, -1)
        count = np.zeros(n, dtype=np.int64)
        twin = planted == 2
        for k in np.unique(key[(key >= 0) & ~twin]):
            rows = np.flatnonzero((key == k) & ~twin)
            count[rows] = self.vendor_count.get(int(k), 0) + np.arange(1, len(rows) + 1)
            self.vendor_count[int(k)] = int(count[rows[-1]])
        if twin.any():
            count[twin] = count[planted == 1][0]
        v = np.maximum(vendor, 0)
        number = out.integers(100_000 + 7_919 * v + count)
        prefix = out.pick(
            list(INVOICE_PREFIX) + ["CM-"], np.where(credit, len(INVOICE_PREFIX), v % len(INVOICE_PREFIX))
        )
        inv = out.concat(prefix, number)
        return pa.compute.if_else(pa.array(vendor >= 0), inv, out.blank(n))

    def _texts(self, month: Month, si: np.ndarray, day: np.ndarray) -> pa.Array:
        """Line descriptions: each stream's template filled for the month, plus a per-line pay period or PO."""
        q = f"FY{fiscal_year(month.first) % 100:02d} Q{((month.first.month - catalog.FY_START_MONTH) % 12) // 3 + 1}"
        pre, post, slot = [], [], []
        for s in self.streams:
            spec = self.org.spec(s.system) if s.system else None
            filled = s.text.format(
                cc=s.cost_center,
                mon=month.first.strftime("%b %Y"),
                q=q,
                sysname=spec.name if spec else "",
                vendor=VENDOR_NAMES.get(s.vendor or "", ""),
                pp="{pp}",
                po="{po}",
            )
            kind = 1 if "{pp}" in filled else 2 if "{po}" in filled else 0
            a, _, b = filled.partition("{pp}" if kind == 1 else "{po}")
            pre.append(a)
            post.append(b)
            slot.append(kind)
        yday = (day - day.astype("datetime64[Y]")).astype(np.int64)
        pp = out.padded(yday // 14 + 1, 2)
        po = out.integers(4_500_000_000 + self.seq["AP"] * 13 + np.arange(len(si)) * 7)
        kinds = np.array(slot)[si]
        middle = pa.compute.choose(pa.array(kinds.astype(np.int8)), out.blank(len(si)).fill_null(""), pp, po)
        return out.concat(out.pick(pre, si), middle, out.pick(post, si))

    @cached_property
    def tables(self) -> dict[str, Any]:
        """Per-stream attributes as arrays and lists for vectorized rendering."""
        vkeys = list(self.org.vendor_ids)
        skeys = [s.key for s in self.org.systems]
        return {
            "vendor": np.array([vkeys.index(s.vendor) if s.vendor else -1 for s in self.streams]),
            "vendor_ids": [self.org.vendor_ids[k] for k in vkeys],
            "vendor_keys": vkeys,
            "system": np.array([skeys.index(s.system) if s.system else -1 for s in self.streams]),
            "system_ids": self.org.system_ids,
            "gl": [s.gl for s in self.streams],
            "cc": [s.cost_center for s in self.streams],
            "pool": np.array([POOLS.index(s.pool) for s in self.streams]),
            "tower": [s.tower for s in self.streams],
            "capex": np.array([int(s.capex) for s in self.streams]),
            "rgt": [s.rgt for s in self.streams],
        }


VENDOR_NAMES = {v.key: v.name for v in catalog.VENDORS}


def _split_cents(total: int, size: np.ndarray) -> np.ndarray:
    """Whole cents summing exactly to ``total`` in proportion to ``size``."""
    if len(size) == 0:
        return np.zeros(0, dtype=np.int64)
    w = size / size.sum() if size.sum() > 0 else np.full(len(size), 1.0 / len(size))
    exact = total * w
    base = np.floor(exact).astype(np.int64)
    rest = total - int(base.sum())
    if rest:
        base[np.argsort(-(exact - base), kind="stable")[:rest]] += 1
    return base


def _posting_days(rng: np.random.Generator, month: Month, n: int) -> np.ndarray:
    """Business days in the month; a tenth of lines are month-end accruals."""
    days = month.days
    weekday = ((days.astype(np.int64) + 3) % 7) < 5
    business = days[weekday] if weekday.any() else days
    pick = business[rng.integers(0, len(business), n)]
    accrual = rng.random(n) < 0.1
    return np.where(accrual, business[-1], pick).astype("datetime64[D]")


def _duplicate_month(params: Params) -> str:
    """The month the duplicated invoice is posted in: a third of the way into the window."""
    months = [m for m in window_months(params) if len(m.days) == m.full_days]
    return months[len(months) // 3].label


def _anomaly_months(params: Params) -> tuple[str, str]:
    """The months of the planted spike and off-pool posting: two thirds and half of the way into the window."""
    months = [m for m in window_months(params) if len(m.days) == m.full_days]
    return months[(2 * len(months)) // 3].label, months[len(months) // 2].label


def budget_header_rows(ledger: Ledger) -> tuple[list[str], list[list[object]]]:
    """Header and rows of the budget workbook."""
    rows = [[fy, first, pool, cc, amount] for fy, first, pool, cc, amount in ledger.budget_rows()]
    return ["fiscal_year", "month", "cost_pool", "cost_center", "amount"], rows
