"""Ledger lines a finance person should look at: invoices posted twice, invoices far above their vendor's earlier
lines, and postings coded to a cost pool their vendor never posts to; each with the reason in plain words.

- duplicate invoice: the same vendor, invoice number and amount as an earlier line (the later line is flagged).
- spike: the amount is at least ``spike_min_ratio`` times the vendor's median line of the ``history_days``
  before and at least ``spike_over_max`` times the largest line in that time.
- off usual pool: the vendor posted none of its earlier lines in the ``history_days`` before to this cost pool.
A vendor with fewer than ``min_history_lines`` earlier lines, or whose first earlier line is less than
``min_history_days`` before, is not judged on spikes or pools. Credit memos (negative lines) are not flagged as
spikes and not counted in a vendor's history of amounts.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from hitplan.analysis import empty, missing, period_params, run
from hitplan.forecast.common import setting
from hitplan.formatting import cents
from hitplan.periods import Period

COLUMNS = ["entry_id", "posting_date", "vendor_id", "vendor_name", "invoice_number", "amount", "cost_pool",
           "anomaly", "reason", "vendor_lines_before", "vendor_median_before", "vendor_max_before",
           "usual_cost_pool"]
SOURCE = ("int_costs (stg_costs): entry_id, posting_date, vendor_id, invoice_number, amount, cost_pool; "
          "stg_vendors.vendor_name; settings: forecast/config.yaml anomalies")

_SQL = """
with lines as (
    select entry_id, posting_date, vendor_id, invoice_number, amount, cost_pool
    from int_costs where posting_date < $end
),
history as (
    select *,
        count(*) over w as lines_before,
        median(amount) filter (where amount > 0) over w as median_before,
        max(amount) filter (where amount > 0) over w as max_before,
        min(posting_date) over w as first_before,
        count(*) over (partition by vendor_id, cost_pool order by posting_date
                       range between to_days(cast($days as integer)) preceding and interval 1 day preceding)
            as pool_lines_before
    from lines where vendor_id is not null
    window w as (partition by vendor_id order by posting_date
                 range between to_days(cast($days as integer)) preceding and interval 1 day preceding)
),
duplicates as (
    select entry_id,
        first_value(entry_id) over g as first_entry,
        first_value(posting_date) over g as first_posted,
        row_number() over g as nth
    from lines where vendor_id is not null and invoice_number is not null
    window g as (partition by vendor_id, invoice_number, amount order by posting_date, entry_id)
),
flags as (
    select h.*, d.first_entry, d.first_posted,
        coalesce(d.nth > 1, false) as is_duplicate,
        h.lines_before >= $min_lines and h.posting_date - h.first_before >= $min_days as judged,
        judged and h.amount > 0 and h.median_before > 0 and h.amount >= $min_ratio * h.median_before
            and h.amount >= $over_max * h.max_before as is_spike,
        judged and h.pool_lines_before <= $max_share * h.lines_before as is_off_pool
    from history h left join duplicates d using (entry_id)
    where h.posting_date >= $start
),
usual as (
    -- the pool a flagged vendor usually posts to: the most lines in the history window
    select f.entry_id, arg_max(l.cost_pool, l.n) as usual_cost_pool
    from flags f,
        lateral (select cost_pool, count(*) as n from lines l
                 where l.vendor_id = f.vendor_id and l.posting_date < f.posting_date
                   and l.posting_date >= f.posting_date - to_days(cast($days as integer))
                 group by cost_pool) l
    where f.is_off_pool
    group by f.entry_id
)
select f.entry_id, f.posting_date, f.vendor_id, v.vendor_name, f.invoice_number, cast(f.amount as double) as amount,
    f.cost_pool, f.is_duplicate, f.is_spike, f.is_off_pool, f.first_entry, f.first_posted,
    f.lines_before as vendor_lines_before, cast(f.median_before as double) as vendor_median_before,
    cast(f.max_before as double) as vendor_max_before, u.usual_cost_pool
from flags f
left join stg_vendors v using (vendor_id)
left join usual u using (entry_id)
where f.is_duplicate or f.is_spike or f.is_off_pool
order by f.posting_date, f.entry_id
"""


def _reasons(r: Any, days: int) -> tuple[str, str]:
    """(anomaly kinds, the reason in a finance person's words) for one flagged line."""
    who = r.vendor_name if isinstance(r.vendor_name, str) else r.vendor_id
    kinds, why = [], []
    if r.is_duplicate:
        kinds.append("duplicate invoice")
        why.append(f"invoice {r.invoice_number} from {who} for {cents(r.amount)} was already posted as "
                   f"{r.first_entry} on {pd.Timestamp(r.first_posted):%Y-%m-%d}: likely paid twice")
    if r.is_spike:
        kinds.append("spike")
        why.append(f"{cents(r.amount)} is {r.amount / r.vendor_median_before:.1f}x {who}'s median line "
                   f"({cents(r.vendor_median_before)}) over its {r.vendor_lines_before} earlier lines of the {days} "
                   f"days before, and {r.amount / r.vendor_max_before:.1f}x its largest "
                   f"({cents(r.vendor_max_before)})")
    if r.is_off_pool:
        kinds.append("off usual cost pool")
        why.append(f"coded to {r.cost_pool}, where {who} posted none of its {r.vendor_lines_before} earlier lines "
                   f"of the {days} days before (usually {r.usual_cost_pool}): check the cost pool coding")
    return "; ".join(kinds), "; ".join(why)


def cost_anomalies(con: duckdb.DuckDBPyConnection, period: Period, *, cfg: dict | None = None) -> pd.DataFrame:
    """Ledger lines posted in the period that look wrong (duplicate invoice, spike against the vendor's history,
    off the vendor's usual cost pool), one row per line with the reason in plain words (amounts in US$)."""
    if note := missing(con, "stg_costs", "vendor_id"):
        return empty(COLUMNS, note, SOURCE)
    params = {
        **period_params(period),
        "days": int(setting(cfg, "anomalies", "history_days")),
        "min_lines": int(setting(cfg, "anomalies", "min_history_lines")),
        "min_days": int(setting(cfg, "anomalies", "min_history_days")),
        "min_ratio": float(setting(cfg, "anomalies", "spike_min_ratio")),
        "over_max": float(setting(cfg, "anomalies", "spike_over_max")),
        "max_share": float(setting(cfg, "anomalies", "off_pool_max_share")),
    }
    raw = run(con, _SQL, params, source=SOURCE, when_empty="no ledger line in the period looks wrong")
    if raw.empty:
        return empty(COLUMNS, raw.attrs["note"], SOURCE)
    kinds, why = zip(*(_reasons(r, params["days"]) for r in raw.itertuples(index=False)))
    out = raw.assign(anomaly=list(kinds), reason=list(why))[COLUMNS]
    out.attrs["source"] = SOURCE
    return out


def planted_cost_anomalies(truth: Any, period: Period | None = None) -> pd.DataFrame:
    """The cost anomalies planted in a synthetic hospital (one row per planted anomaly and ledger line), from its
    ground truth, optionally only those posted in ``period``."""
    rows = []
    d = truth.duplicate_invoice
    for e, day in zip(d.entry_ids, d.posting_dates):
        rows.append({"planted": "duplicate invoice", "entry_id": e, "posting_date": day})
    c = getattr(truth, "cost_anomalies", None)
    if c is not None:
        rows.append({"planted": "spike", "entry_id": c.spike_entry_id, "posting_date": c.spike_posting_date})
        rows.append({"planted": "off usual cost pool", "entry_id": c.off_pool_entry_id,
                     "posting_date": c.off_pool_posting_date})
    df = pd.DataFrame(rows)
    df["posting_date"] = pd.to_datetime(df["posting_date"]).dt.date
    if period is not None:
        inside = df.groupby("planted")["posting_date"].transform(lambda s: ((s >= period.start) & (s < period.end))
                                                                  .any())
        df = df[inside].reset_index(drop=True)
    return df


def anomaly_precision_recall(flags: pd.DataFrame, planted: pd.DataFrame) -> pd.DataFrame:
    """Per planted kind and overall ('all'): planted anomalies, how many were flagged (recall, percent), lines
    flagged of that kind and how many of them are planted lines (precision, percent)."""
    planted_ids = set(planted["entry_id"])
    flagged = set(flags["entry_id"])
    rows = []
    kinds = sorted(set(planted["planted"]) | {k for a in flags["anomaly"] for k in str(a).split("; ") if k})
    for kind in [*kinds, "all"]:
        p = planted if kind == "all" else planted[planted["planted"] == kind]
        f = flags if kind == "all" else flags[flags["anomaly"].str.contains(kind, regex=False)]
        n_planted = p["planted"].nunique() if kind == "all" else int(len(p) > 0)
        found = sum(1 for _, g in p.groupby("planted") if set(g["entry_id"]) & flagged)
        true_flags = int(f["entry_id"].isin(planted_ids).sum())
        rows.append({
            "kind": kind, "planted": n_planted, "found": found,
            "recall_pct": 100.0 * found / n_planted if n_planted else float("nan"),
            "flagged": len(f), "flagged_planted": true_flags,
            "precision_pct": 100.0 * true_flags / len(f) if len(f) else float("nan"),
        })
    out = pd.DataFrame(rows)
    out.attrs["source"] = "cost_anomalies against the synthetic hospital's ground_truth.json"
    return out
