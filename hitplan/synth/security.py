"""Security feeds: scanner findings per host, the CISA KEV snapshot, and phishing simulations."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from hitplan.synth import catalog
from hitplan.synth import output as out
from hitplan.synth.world import DAY, SECOND, Org, Params, stream, window_months

REFERENCE = Path(__file__).resolve().parent.parent / "reference"
KEV_FILE = REFERENCE / "kev_snapshot.csv"
PLANTED_KEV_PER_SYSTEM = (2, 3, 2)  # findings on one host of each KEV system
NON_PLANTED_KEV = 40
# A KEV finding under risk acceptance, past CISA's due day (BOD 22-01 allows no such acceptance): on a modality
# workstation whose vendor has not validated the Windows patch. Due at least this many days before the window ends.
ACCEPTED_KEV_SYSTEM = "modalities"
ACCEPTED_KEV_DUE_DAYS_BEFORE_END = 90
# CISA BOD 19-02: a critical finding is remediated within 15 days of detection.
CRITICAL_POLICY_DAYS = 15

# Which KEV vendors a host platform is exposed to.
PLATFORM_KEV = {
    "windows": ("Microsoft",),
    "linux": ("Linux", "Apache", "Oracle"),
    "cisco": ("Cisco",),
    "panos": ("Palo Alto Networks",),
    "esxi": ("VMware",),
    "citrix": ("Citrix",),
    "f5": ("F5",),
    "fortinet": ("Fortinet",),
    "aruba": (),
    "appliance": (),
    "apple": ("Apple",),
}
ROLES = {
    "windows": ("app", "db", "web", "int"),
    "linux": ("app", "db"),
    "cisco": ("sw",),
    "panos": ("fw",),
    "esxi": ("esx",),
    "citrix": ("ctx",),
    "f5": ("lb",),
    "fortinet": ("fgt",),
    "aruba": ("wlc",),
    "appliance": ("node",),
    "apple": ("dev",),
}
FINDING_TITLES = {
    "windows": (
        "Microsoft Windows Security Update",
        "Microsoft .NET Framework Security Update",
        "Microsoft SQL Server Security Update",
        "OpenSSL Multiple Vulnerabilities",
        "Oracle Java SE Critical Patch Update",
        "Google Chrome Multiple Vulnerabilities",
        "Microsoft Edge (Chromium) Security Update",
        "7-Zip Code Execution",
        "Notepad++ Buffer Overflow",
        "Adobe Acrobat Reader Security Update",
        "VMware Tools Security Update",
        "Microsoft Visual C++ Redistributable Unsupported",
    ),
    "linux": (
        "Linux Kernel Privilege Escalation",
        "OpenSSH Multiple Vulnerabilities",
        "OpenSSL Multiple Vulnerabilities",
        "Apache Tomcat Multiple Vulnerabilities",
        "sudo Heap Overflow",
        "glibc Buffer Overflow",
        "curl Multiple Vulnerabilities",
        "PostgreSQL Security Update",
        "Python Multiple Vulnerabilities",
        "Oracle Java SE Critical Patch Update",
    ),
    "network": (
        "Cisco IOS XE Software Security Advisory",
        "SNMP Agent Default Community Name",
        "SSH Weak Algorithms Supported",
        "NTP Mode 6 Query Amplification",
        "TLS Version 1.0 Protocol Detection",
        "Device Firmware Outdated",
        "HTTP Server Cross-Site Scripting in Management UI",
        "IKE Aggressive Mode Supported",
    ),
}
# Scanner checks without a CVE, with the CVSS score the scanner gives them.
QID_CHECKS = (
    ("SSL Certificate Expired", 5.3),
    ("TLS Version 1.0 Protocol Detection", 6.5),
    ("SMB Signing Not Required", 5.3),
    ("Weak SSH Algorithms Supported", 4.3),
    ("Default Credentials on Management Interface", 9.8),
    ("Unsupported Operating System Version", 10.0),
    ("Self-Signed Certificate", 2.6),
    ("NetBIOS Name Accessible", 0.0),
    ("RDP Network Level Authentication Not Enforced", 4.8),
    ("Anonymous FTP Enabled", 7.5),
    ("ICMP Timestamp Response", 0.0),
    ("Host Uptime Over 90 Days", 0.0),
)


def read_kev() -> list[dict[str, str]]:
    """The KEV snapshot rows (reference data kept with the code)."""
    with KEV_FILE.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def kev_columns(rows: list[dict[str, str]]) -> dict[str, pa.Array]:
    """The kev feed: the snapshot as it is."""

    def col(name: str) -> pa.Array:
        """One snapshot column as text."""
        return out.text([r[name] or None for r in rows])

    return {
        c: col(c)
        for c in (
            "cve_id",
            "vendor_project",
            "product",
            "vulnerability_name",
            "date_added",
            "due_date",
            "known_ransomware_use",
        )
    }


@dataclass(frozen=True)
class Host:
    """A scanned host."""

    name: str
    system: int
    platform: str


def hosts(org: Org) -> list[Host]:
    """Every scanned host, named after its system."""
    out_h = []
    for i, s in enumerate(org.systems):
        code = s.key.replace("_", "")[:10]
        roles = ROLES[s.platform]
        env = "dr" if s.hosting == "colocation" else "prd"
        for j in range(s.hosts):
            role = roles[j % len(roles)]
            out_h.append(Host(f"{code}-{env}-{role}{j // len(roles) + 1:02d}", i, s.platform))
    return out_h


def _scan_time(day: np.datetime64, host_i: int) -> np.datetime64:
    """The weekly scan slot on or after ``day``: Sunday 02:00 plus a per-host offset."""
    dow = (int(day.astype(np.int64)) + 3) % 7
    sunday = day + np.timedelta64((6 - dow) % 7, "D")
    return sunday.astype("datetime64[s]") + (2 * 3600 + (host_i * 97) % 5400) * SECOND


def _scan_before(day: np.datetime64, host_i: int) -> np.datetime64:
    """The latest weekly scan slot on or before the end of ``day``."""
    t = _scan_time(day, host_i)
    return t if t <= (day + DAY).astype("datetime64[s]") - SECOND else t - np.timedelta64(7, "D")


def _severity(cvss: float) -> str:
    """Scanner severity from a CVSS base score."""
    return (
        "critical" if cvss >= 9 else "high" if cvss >= 7 else "medium" if cvss >= 4 else "low" if cvss > 0 else "info"
    )


class VulnerabilityBuilder:
    """Builds the findings; the planted overdue KEV findings and the clean KEV history around them."""

    def __init__(self, params: Params, org: Org, kev: list[dict[str, str]]) -> None:
        self.p, self.org, self.kev = params, org, kev
        self.rng = stream(params, "vulnerabilities")
        self.hosts = hosts(org)
        self.kev_ids = {r["cve_id"] for r in kev}
        self.rows: list[tuple] = []
        self.planted: list[tuple[str, str]] = []
        self.accepted_kev: list[tuple[str, str]] = []
        self.taken: set[tuple[str, str]] = set()

    def build(self) -> dict[str, pa.Array]:
        """All findings as columns."""
        self._planted_kev()
        self._other_kev()
        self._ordinary()
        self._accepted_kev()
        self.rows.sort(key=lambda r: (r[0], r[1]))
        c = list(zip(*self.rows))
        ts = lambda k: np.array(c[k], dtype="datetime64[s]")  # noqa: E731
        return {
            "host": out.text(list(c[0])),
            "vuln_id": out.text(list(c[1])),
            "cve": out.text(list(c[2])),
            "system_id": out.pick(self.org.system_ids, np.array(c[3])),
            "title": out.text(list(c[4])),
            "cvss": out.number(np.array(c[5]), 1),
            "severity": out.text([_severity(x) for x in c[5]]),
            "first_seen": out.timestamps(ts(6)),
            "last_seen": out.timestamps(ts(7)),
            "fixed_at": out.timestamps(ts(8)),
            "state": out.text(list(c[9])),
            "scanner": out.text(list(c[10])),
        }

    def _eligible_kev(self, vendors: tuple[str, ...], due_before: dt.date) -> list[dict[str, str]]:
        """KEV rows of these vendors due before a day, added after the window began."""
        start = self.p.start.isoformat()
        return [
            r
            for r in self.kev
            if r["vendor_project"] in vendors and r["due_date"] < due_before.isoformat() and r["date_added"] >= start
        ]

    def _planted_kev(self) -> None:
        """Open findings of Windows KEV CVEs past their due date on the planted PHI systems."""
        cutoff = self.p.end - dt.timedelta(days=45)
        pool = [r for r in self._eligible_kev(("Microsoft",), cutoff) if "Windows" in r["product"]]
        if len(pool) < sum(PLANTED_KEV_PER_SYSTEM):
            raise ValueError(
                "the window must end at least 45 days after enough KEV due dates "
                f"(the KEV snapshot runs to {max(r['date_added'] for r in self.kev)}); choose a later end"
            )
        picks = self.rng.choice(len(pool), size=sum(PLANTED_KEV_PER_SYSTEM), replace=False)
        k = 0
        for key, count in zip(catalog.KEV_SYSTEMS, PLANTED_KEV_PER_SYSTEM):
            sys_i = self.org.index[key]
            hi = next(j for j, h in enumerate(self.hosts) if h.system == sys_i)
            for _ in range(count):
                r = pool[int(picks[k])]
                k += 1
                added = np.datetime64(r["date_added"], "D")
                first = _scan_time(added + np.timedelta64(int(self.rng.integers(1, 10)), "D"), hi)
                last = _scan_before(self.p.last_day - np.timedelta64(int(self.rng.integers(0, 6)), "D"), hi)
                self._add(
                    hi,
                    r["cve_id"],
                    r["cve_id"],
                    r["vulnerability_name"],
                    round(float(self.rng.uniform(7.8, 9.8)), 1),
                    first,
                    last,
                    np.datetime64("NaT"),
                    "open",
                )
                self.planted.append((self.hosts[hi].name, r["cve_id"]))

    def _accepted_kev(self) -> None:
        """One Windows KEV finding set to accepted_risk on a PHI system, long past its due day (its own stream)."""
        rng = stream(self.p, "vulnerabilities", "accepted_kev")
        sys_i = self.org.index[ACCEPTED_KEV_SYSTEM]
        hi = next(j for j, h in enumerate(self.hosts) if h.system == sys_i)
        used = {c for _, c in self.planted} | {v for h, v in self.taken if h == self.hosts[hi].name}
        cutoff = self.p.end - dt.timedelta(days=ACCEPTED_KEV_DUE_DAYS_BEFORE_END)
        pool = [
            r
            for r in self._eligible_kev(("Microsoft",), cutoff)
            if "Windows" in r["product"] and r["cve_id"] not in used
        ]
        if not pool:  # a window too close to the snapshot's start: the planted overdue ones took every KEV due in it
            return
        r = pool[int(rng.integers(0, len(pool)))]
        added = np.datetime64(r["date_added"], "D")
        first = _scan_time(added + np.timedelta64(int(rng.integers(1, 10)), "D"), hi)
        last = _scan_before(self.p.last_day - np.timedelta64(int(rng.integers(0, 6)), "D"), hi)
        cvss = round(float(rng.uniform(7.0, 8.8)), 1)  # high, not critical: the acceptance is the point
        self._add(hi, r["cve_id"], r["cve_id"], r["vulnerability_name"], cvss, first, last, np.datetime64("NaT"),
                  "accepted_risk")
        self.accepted_kev.append((self.hosts[hi].name, r["cve_id"]))

    def accepted_non_kev(self, severity: str) -> list[tuple[str, str]]:
        """(host, vuln_id) of the findings under risk acceptance that are not KEV-listed, of one severity."""
        return sorted(
            (r[0], r[1])
            for r in self.rows
            if r[9] == "accepted_risk" and r[1] not in self.kev_ids and _severity(r[5]) == severity
        )

    def open_critical_past_policy(self) -> list[tuple[str, str, int]]:
        """(host, vuln_id, days open) of the critical findings still open at the window's end whose remediation
        clock (CRITICAL_POLICY_DAYS after first seen, CISA BOD 19-02) ran out by then, oldest first."""
        end = (self.p.last_day + np.timedelta64(1, "D")).astype("datetime64[s]")
        limit = np.timedelta64(CRITICAL_POLICY_DAYS * 86400, "s")
        # a KEV finding's clock also ends with CISA's due day (BOD 22-01)
        kev_due = {r["cve_id"]: np.datetime64(r["due_date"], "D") + np.timedelta64(1, "D") for r in self.kev}

        def deadline(r: tuple) -> np.datetime64:
            """When the finding's remediation clock runs out."""
            d = r[6] + limit
            return min(d, kev_due[r[1]].astype("datetime64[s]")) if r[1] in kev_due else d

        hits = [
            (r[0], r[1], int((end - r[6]) // np.timedelta64(86400, "s")))
            for r in self.rows
            if r[9] in ("open", "reopened") and _severity(r[5]) == "critical" and deadline(r) < end
        ]
        return sorted(hits, key=lambda h: (-h[2], h[0], h[1]))

    def _other_kev(self) -> None:
        """KEV findings fixed before their due date elsewhere: the history the planted ones stand out from."""
        planted_cves = {c for _, c in self.planted}
        done = 0
        for _ in range(NON_PLANTED_KEV * 20):
            if done >= NON_PLANTED_KEV:
                break
            hi = int(self.rng.integers(0, len(self.hosts)))
            h = self.hosts[hi]
            pool = [
                r
                for r in self._eligible_kev(PLATFORM_KEV[h.platform], self.p.end - dt.timedelta(days=7))
                if r["cve_id"] not in planted_cves
            ]
            if not pool:
                continue
            r = pool[int(self.rng.integers(0, len(pool)))]
            if (h.name, r["cve_id"]) in self.taken:
                continue
            added = np.datetime64(r["date_added"], "D")
            due = np.datetime64(r["due_date"], "D")
            first = _scan_time(added - np.timedelta64(int(self.rng.integers(0, 14)), "D"), hi)
            fixed = _scan_before(due, hi)
            if fixed <= first:
                first = fixed - np.timedelta64(7, "D")
            self._add(
                hi,
                r["cve_id"],
                r["cve_id"],
                r["vulnerability_name"],
                round(float(self.rng.uniform(7.0, 9.8)), 1),
                first,
                fixed - np.timedelta64(7, "D") if fixed - np.timedelta64(7, "D") >= first else first,
                fixed,
                "fixed",
            )
            done += 1

    def _ordinary(self) -> None:
        """Everyday findings: generated CVE ids (never KEV-listed) and scanner checks without a CVE."""
        rng = self.rng
        end_year = self.p.end.year
        for hi, h in enumerate(self.hosts):
            family = (
                "network"
                if h.platform in ("cisco", "panos", "fortinet", "f5", "aruba", "appliance")
                else ("linux" if h.platform in ("linux", "esxi", "citrix") else "windows")
            )
            n = int(rng.poisson(4 if family == "network" else 9))
            is_cve = rng.random(n) < 0.7
            titles = FINDING_TITLES[family]
            title_i = rng.integers(0, len(titles), n)
            cvss_cve = np.round(np.clip(rng.normal(6.8, 1.8, n), 2.0, 9.8), 1)
            check = rng.integers(0, len(QID_CHECKS), n)
            cvss_all = np.where(is_cve, cvss_cve, [float(QID_CHECKS[int(c)][1]) for c in check])
            first, last, fixed, state = self._ordinary_dates(rng, hi, n, cvss_all)
            for k in range(n):
                if is_cve[k]:
                    vid = self._fresh_cve(rng, end_year)
                    cve, title, cvss = vid, titles[title_i[k]], float(cvss_cve[k])
                else:
                    vid, cve = f"QID-{105000 + 977 * int(check[k])}", None
                    title, cvss = QID_CHECKS[int(check[k])]
                if (h.name, vid) in self.taken:
                    continue
                self._add(hi, vid, cve, title, cvss, first[k], last[k], fixed[k], state[k])

    def _ordinary_dates(
        self, rng: np.random.Generator, hi: int, n: int, cvss: np.ndarray
    ) -> tuple[np.ndarray, ...]:
        """First seen, last seen, fixed and state for ``n`` everyday findings on one host.

        A well-run team fixes by severity (median 8 days for critical, 21 high, 45 medium, 90 low), so the
        planted overdue KEV findings are the only critical exposure that stands out.
        """
        week = np.timedelta64(7, "D")
        end_scan = _scan_before(self.p.last_day, hi)
        span = self.p.n_days + 120
        offset = rng.integers(0, span - 7, n)
        first_day = self.p.first_day - np.timedelta64(120, "D") + offset * np.timedelta64(1, "D")
        dow = (first_day.astype(np.int64) + 3) % 7
        sunday = first_day + ((6 - dow) % 7) * np.timedelta64(1, "D")
        first = np.minimum(sunday.astype("datetime64[s]") + (end_scan - end_scan.astype("datetime64[D]")), end_scan)
        critical, high, medium = cvss >= 9.0, (cvss >= 7.0) & (cvss < 9.0), (cvss >= 4.0) & (cvss < 7.0)
        median = np.select([critical, high, medium], [8.0, 21.0, 45.0], 90.0)
        spread = np.where(critical, 0.3, 0.6)
        fix_days = np.clip(np.exp(np.log(median) + spread * rng.normal(0.0, 1.0, n)), 2, 700).astype(np.int64)
        fixed = first + fix_days * np.timedelta64(1, "D")
        u = rng.random(n)
        nat = np.datetime64("NaT", "s")
        p_fix = np.select([critical, high], [0.97, 0.8], 0.6)
        is_fixed = (u < p_fix) & (fixed <= end_scan)
        reopened = ~is_fixed & ~critical & (u < p_fix + 0.08) & (fixed + 3 * week <= end_scan)
        accepted = ~is_fixed & ~reopened & ~critical & (u < p_fix + 0.14)
        state = np.where(is_fixed, "fixed", np.where(reopened, "reopened", np.where(accepted, "accepted_risk", "open")))
        last = np.where(is_fixed, fixed - week, end_scan)
        fixed = np.where(is_fixed | reopened, fixed, nat)
        return first, last, fixed, state

    def _fresh_cve(self, rng: np.random.Generator, end_year: int) -> str:
        """A plausible CVE id that is not in the KEV snapshot."""
        while True:
            vid = f"CVE-{int(rng.integers(max(2019, end_year - 5), end_year + 1))}-{int(rng.integers(40000, 49999))}"
            if vid not in self.kev_ids:
                return vid

    def _add(
        self,
        hi: int,
        vid: str,
        cve: str | None,
        title: str,
        cvss: float,
        first: np.datetime64,
        last: np.datetime64,
        fixed: np.datetime64,
        state: str,
    ) -> None:
        """Record one finding (last seen never before first seen)."""
        h = self.hosts[hi]
        last = max(last, first)
        self.taken.add((h.name, vid))
        scanner = "defender" if h.platform == "apple" else "nessus"
        self.rows.append((h.name, vid, cve, h.system, title, cvss, first, last, fixed, state, scanner))


def phishing_columns(params: Params, org: Org) -> dict[str, pa.Array]:
    """Monthly phishing simulations per department: clicks falling, reports rising over the window."""
    rng = stream(params, "phishing")
    camp, day, dept, sent, clicked, reported = [], [], [], [], [], []
    email = np.array([catalog.DEPT_KINDS[k].email for k in org.dept_kind])
    months = window_months(params)
    for m in months:
        d = _second_tuesday(m.first)
        if not (m.lo <= d <= m.hi):
            continue
        t = m.index / max(1, len(months) - 1)
        p_click = 0.09 - 0.045 * t
        p_report = 0.16 + 0.26 * t
        s = np.maximum(1, np.rint(org.headcount * email * rng.uniform(0.93, 1.0, len(email)))).astype(np.int64)
        c = rng.binomial(s, p_click)
        r = rng.binomial(s - c, p_report)
        camp += [f"PH-{d.year}-{d.month:02d}"] * len(s)
        day += [d] * len(s)
        dept += list(range(len(s)))
        sent.append(s)
        clicked.append(c)
        reported.append(r)
    return {
        "campaign_id": out.text(camp),
        "campaign_date": out.dates(np.array(day, dtype="datetime64[D]")),
        "department": out.pick(org.dept_names, np.array(dept)),
        "sent": out.integers(np.concatenate(sent)),
        "clicked": out.integers(np.concatenate(clicked)),
        "reported": out.integers(np.concatenate(reported)),
    }


def _second_tuesday(first: dt.date) -> dt.date:
    """The second Tuesday of a month."""
    offset = (1 - first.weekday()) % 7
    return first + dt.timedelta(days=offset + 7)


EPSS_MODEL_VERSION = "v2025.03.14"


def epss_text(params: Params, cves: list[str], kev_ids: set[str]) -> str:
    """FIRST's EPSS daily file (comment line, then cve,epss,percentile) for every CVE the hospital sees.

    Scores are synthetic: CVEs in the KEV catalog draw from a distribution near 1, the others from one
    near 0, which is the shape of the real file.
    """
    rng = stream(params, "epss")
    ids = sorted(set(cves))
    scores = np.where(
        np.isin(ids, sorted(kev_ids)), rng.beta(6.0, 1.2, len(ids)), rng.beta(0.35, 12.0, len(ids))
    )
    scores = np.clip(np.round(scores, 5), 1e-5, 0.99999)
    order = np.argsort(np.argsort(scores, kind="stable"), kind="stable")
    percentile = np.round((order + 1) / max(len(ids), 1), 5)
    lines = [f"#model_version:{EPSS_MODEL_VERSION},score_date:{params.end.isoformat()}T00:00:00+0000", "cve,epss,percentile"]
    lines += [f"{c},{s:.5g},{p:.5f}" for c, s, p in zip(ids, scores, percentile)]
    return "\n".join(lines) + "\n"


def alias_columns(org: Org) -> dict[str, pa.Array]:
    """The system_aliases feed: every scanned host name, as the scanners write it, and the system it serves."""
    hs = hosts(org)
    return {
        "alias": out.text([h.name for h in hs]),
        "system_id": out.text([org.system_ids[h.system] for h in hs]),
        "kind": out.text(["host"] * len(hs)),
    }
