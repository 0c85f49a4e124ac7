"""Business continuity feeds: yearly disaster-recovery tests and nightly backup jobs."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from hitplan.synth import catalog
from hitplan.synth import output as out
from hitplan.synth.world import DAY, RTO_RPO_BY_TIER, SECOND, Month, Org, Params, rank_within, stream

DR_NOTES_PASS = ("", "", "Completed within objectives", "Runbook updated after test", "Minor DNS delay during cutover")
DR_NOTES_FAIL = (
    "Failover runbook step 7 outdated; manual intervention needed",
    "Database log shipping lag exceeded RPO",
    "Application servers did not re-register with load balancer",
    "Service accounts missing in recovery domain",
)
PACS_NOTE = "Image archive failover stalled: VNA replication 11 h behind; restored from secondary storage"
PACS_RTO_ACHIEVED = 14.5
# A tier-2 application whose yearly DR test of the latest year was postponed: not tested in the last 12 months.
UNTESTED_DR_SYSTEM = "onc_record"
# A tier-1 system whose nightly backup job was dropped from the schedule (after a server move) this many days before
# the window's end: no backup job in the last year.
BACKUP_GAP_SYSTEM = "fetal_surv"
BACKUP_GAP_DAYS = 400
BACKUP_SIZE_GB = {
    "ehr": 18_500.0,
    "pacs": 96_000.0,
    "vna": 310_000.0,
    "cardio_pacs": 42_000.0,
    "onbase": 21_000.0,
    "epic_db_servers": 24_000.0,
    "file_storage": 64_000.0,
    "windows_estate": 12_000.0,
    "ad": 180.0,
    "lis": 900.0,
}


def _dr_systems(org: Org) -> list[int]:
    """Systems that get a yearly DR test: tier 1-2, except end-user fleets and carrier circuits."""
    return [
        i
        for i, s in enumerate(org.systems)
        if s.tier in (1, 2) and s.category != "end_user" and s.key not in ("wan", "internet")
    ]


def dr_tests(params: Params, org: Org) -> tuple[dict[str, pa.Array], str]:
    """DR tests per 12-month period counted back from the window end; returns columns and the planted test id."""
    rng = stream(params, "dr_tests")
    pacs = org.index[catalog.PACS]
    rows = []  # (date, system, type, rto_t, rto_a, rpo_t, rpo_a, passed, note, planted)
    n_periods = max(1, params.n_days // 365)
    for k in range(n_periods):
        hi = params.last_day - np.timedelta64(365 * k, "D")
        lo = max(params.first_day, hi - np.timedelta64(364, "D"))
        span = int((hi - lo) / DAY)
        for i in _dr_systems(org):
            planted = k == 0 and i == pacs
            if not planted and rng.random() < 0.14 and k > 0:
                continue  # in earlier years some systems missed their yearly test; the latest year is complete
            spec = org.systems[i]
            rto_t, rpo_t = RTO_RPO_BY_TIER[spec.tier]
            day = lo + np.timedelta64(int(rng.integers(0, span + 1)), "D")
            if planted:
                day = max(lo, params.last_day - np.timedelta64(150, "D"))
                rows.append(
                    (day, i, "full_failover", rto_t, PACS_RTO_ACHIEVED, rpo_t, rpo_t * 0.8, False, PACS_NOTE, True)
                )
                continue
            kind = (
                "tabletop"
                if spec.hosting == "saas" or spec.kind == "medical_device_network"
                else ("full_failover" if spec.tier == 1 and spec.kind == "application" else "partial")
            )
            if kind == "tabletop":
                rows.append(
                    (day, i, kind, rto_t, np.nan, rpo_t, np.nan, True, "Tabletop walkthrough with vendor", False)
                )
                continue
            fail = rng.random() < 0.08
            rto_a = rto_t * (rng.uniform(1.05, 1.5) if fail and rng.random() < 0.6 else rng.uniform(0.3, 0.92))
            rpo_a = rpo_t * (rng.uniform(1.1, 1.8) if fail and rto_a <= rto_t else rng.uniform(0.2, 0.9))
            passed = rto_a <= rto_t and rpo_a <= rpo_t
            note = (
                DR_NOTES_FAIL[int(rng.integers(0, len(DR_NOTES_FAIL)))]
                if not passed
                else DR_NOTES_PASS[int(rng.integers(0, len(DR_NOTES_PASS)))]
            )
            rows.append((day, i, kind, rto_t, round(rto_a, 1), rpo_t, round(rpo_a, 2), passed, note, False))
    skip, latest = org.index[UNTESTED_DR_SYSTEM], params.last_day - np.timedelta64(364, "D")
    rows = [r for r in rows if not (r[1] == skip and r[0] >= latest)]
    rows.sort(key=lambda r: (r[0], r[1]))
    ids, seq, planted_id = [], {}, ""
    for r in rows:
        y = int(str(r[0])[:4])
        seq[y] = seq.get(y, 0) + 1
        ids.append(f"DR-{y}-{seq[y]:03d}")
        if r[9]:
            planted_id = ids[-1]
    col = list(zip(*rows))
    cols = {
        "test_id": out.text(ids),
        "system_id": out.pick(org.system_ids, np.array(col[1])),
        "test_date": out.dates(np.array(col[0], dtype="datetime64[D]")),
        "test_type": out.text(list(col[2])),
        "rto_target_hours": out.number(np.array(col[3])),
        "rto_achieved_hours": out.number(np.array(col[4], dtype=float)),
        "rpo_target_hours": out.number(np.array(col[5])),
        "rpo_achieved_hours": out.number(np.array(col[6], dtype=float)),
        "passed": out.booleans(np.array(col[7])),
        "notes": out.text([n or None for n in col[8]]),
    }
    return cols, planted_id


class BackupGenerator:
    """Nightly backup jobs for tier 1-3 systems with servers in the hospital's own data centers or IaaS.

    Jobs per system per night: floor(scale) plus one more with probability frac(scale). Below scale 1
    that thins the nights (a sample); above it a system has several jobs a night (databases, volumes).
    """

    def __init__(self, params: Params, org: Org) -> None:
        self.p, self.org = params, org
        # Servers and storage only: SaaS is the vendor's job and network gear has config archives instead.
        self.systems = np.array(
            [
                i
                for i, s in enumerate(org.systems)
                if s.tier in (1, 2, 3)
                and s.hosting != "saas"
                and s.hosts > 0
                and s.category not in ("end_user", "network")
            ]
        )
        rng = stream(params, "backups", "schedule")
        k = len(self.systems)
        self.start_min = rng.integers(20 * 60, 26 * 60, k)  # minutes after midnight of the night's date
        specs = [org.systems[i] for i in self.systems]
        self.size = np.array([BACKUP_SIZE_GB.get(s.key, float(rng.uniform(20, 2500))) for s in specs])
        self.rate = rng.uniform(600, 2400, k)  # GB per hour
        self.gap = int(np.flatnonzero(self.systems == org.index[BACKUP_GAP_SYSTEM])[0])
        self.gap_from = params.last_day - np.timedelta64(BACKUP_GAP_DAYS, "D")
        self.gap_last_job: np.datetime64 | None = None  # the day the planted system's last backup started

    def month(self, month: Month) -> dict[str, pa.Array]:
        """Jobs for the nights of ``month`` (the window's last night is left out: its jobs finish after it)."""
        rng = stream(self.p, "backups", month.index)
        nights = month.days[month.days < self.p.last_day]
        k = len(self.systems)
        whole, frac = int(np.floor(self.p.scale)), self.p.scale - np.floor(self.p.scale)
        counts = whole + (rng.random((len(nights), k)) < frac)
        night = np.repeat(np.repeat(nights, k), counts.ravel())
        sysi = np.repeat(np.tile(np.arange(k), len(nights)), counts.ravel())
        n = len(night)
        # The planted system's jobs stop (rows dropped after every draw was made, so the others' values stay).
        keep = ~((sysi == self.gap) & (night >= self.gap_from))
        years = (night - self.p.first_day).astype(np.int64) / 365.25
        part = 1.0 / max(self.p.scale, 1.0)
        size = self.size[sysi] * 1.15**years * rng.uniform(0.97, 1.03, n) * np.where(self.p.scale > 1, part, 1.0)
        jitter = rng.integers(0, 20, n)
        started = night.astype("datetime64[s]") + ((self.start_min[sysi] + jitter) * 60) * SECOND
        hours = np.clip(size / self.rate[sysi] * 0.12, 0.08, 6.0)  # incrementals move ~12 % of the data
        finished = started + np.rint(hours * 3600).astype(np.int64) * SECOND
        u = rng.random(n)
        status = np.where(u < 0.98, 0, np.where(u < 0.992, 1, 2))
        night, sysi, size, started, finished, status = (a[keep] for a in (night, sysi, size, started, finished, status))
        ran = started[sysi == self.gap]
        if len(ran):
            last = ran.max().astype("datetime64[D]")
            self.gap_last_job = last if self.gap_last_job is None else max(last, self.gap_last_job)
        seq = rank_within(night)
        ymd = pa.compute.replace_substring(out.dates(night), "-", "")
        return {
            "job_id": out.concat("BK-", ymd, "-", out.padded(seq + 1, 4)),
            "system_id": out.pick(self.org.system_ids, self.systems[sysi]),
            "started_at": out.timestamps(started),
            "finished_at": out.timestamps(finished),
            "status": out.pick(("success", "warning", "failed"), status),
            "size_gb": out.number(size, 1, status != 2),
        }


def coverage_since(params: Params) -> dt.date:
    """The first day of the 12 months that end with the window's last day."""
    after = params.end + dt.timedelta(days=1)
    return after.replace(year=after.year - 1, day=min(after.day, 28) if after.month == 2 else after.day)


def dr_coverage(params: Params, org: Org, cols: dict[str, pa.Array]) -> dict[str, list[str]]:
    """Tier-1/2 system ids by what their DR tests of the last 12 months show (the window's end back 12 months):
    'tabletop_only', 'failed_only' (technical tests, none passed), 'untested' (no test at all)."""
    since = coverage_since(params).isoformat()
    day = cols["test_date"].to_pylist()  # the feed's text: ISO dates, 'true' / 'false'
    sid = cols["system_id"].to_pylist()
    kind = cols["test_type"].to_pylist()
    passed = [p == "true" for p in cols["passed"].to_pylist()]
    recent = [(s, k, p) for s, d, k, p in zip(sid, day, kind, passed) if d >= since]
    out: dict[str, list[str]] = {"tabletop_only": [], "failed_only": [], "untested": []}
    for i, spec in enumerate(org.systems):
        if spec.tier not in (1, 2):
            continue
        mine = [(k, p) for s, k, p in recent if s == org.system_ids[i]]
        technical = [p for k, p in mine if k != "tabletop"]
        if any(technical):
            continue
        key = "failed_only" if technical else "tabletop_only" if mine else "untested"
        out[key].append(org.system_ids[i])
    return out
