"""Incident tickets, a month at a time: seasonal volume, realistic free text and the planted patterns.

Three kinds of rows make up each month: the bulk (volume scales with ``scale``), a small stream of
incidents with service outages (fixed rate, so monthly availability keeps its shape at any scale),
and the planted streams (rising core-switch P1/P2s and the outages they cascade to the applications behind
them, the EHR outage month, the slow vendor's escalations, the breaches of PHI).

An application's tickets come in proportion to its users (expected daily active users over the departments
with usage rows, times a rate for its kind) and only from those departments, so every (system, department)
pair that raises tickets has usage (hitplan/synth/usage.py). Resolved tickets carry their on-hold pause; P1/P2
tickets a vendor's product team handles are escalated to the vendor (engaged, responded); the planted breaches
carry their discovery and notification dates (45 CFR 164.404, 164.408). These draws come from their own streams.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hitplan.synth import catalog
from hitplan.synth import initiatives as done_initiatives
from hitplan.synth import output as out
from hitplan.synth.usage import expected_active
from hitplan.synth.contracts import Contract, vendor_sla_minutes
from hitplan.synth.world import (
    PHI, SECOND, Month, Names, Org, Params, rank_within, stream, systematic_split, window_months,
)

CATEGORIES = (
    "software",
    "access",
    "how-to",
    "hardware",
    "printing",
    "network",
    "interface",
    "performance",
    "email",
    "security",
    "other",
)
C = {c: i for i, c in enumerate(CATEGORIES)}
STATES = ("new", "in_progress", "on_hold", "resolved", "closed", "canceled")
S = {s: i for i, s in enumerate(STATES)}
CATEGORY_SHARE = np.array([0.24, 0.18, 0.12, 0.14, 0.08, 0.07, 0.05, 0.04, 0.04, 0.02, 0.02])
# Categories P1/P2 tickets fall in (nobody raises a critical how-to question).
MAJOR_SHARE = np.array([0.36, 0.0, 0.0, 0.10, 0.0, 0.20, 0.10, 0.14, 0.05, 0.05, 0.0])
PRIORITY_MIX = np.array([0.0085, 0.047, 0.455, 0.44, 0.0495])
ACK_MEDIAN_MIN = np.array([4.0, 9.0, 45.0, 150.0, 480.0])
ACK_SIGMA = np.array([0.5, 0.55, 0.9, 1.0, 1.0])
RESOLVE_MEDIAN_H = np.array([2.5, 6.0, 20.0, 46.0, 110.0])
RESOLVE_SIGMA = np.array([0.6, 0.7, 0.9, 0.9, 0.8])
# Resolution targets (hours) by priority that the service desk's made_sla flag is computed against; the
# same planning figures as hitplan/kpi/config.yaml's response targets.
SLA_RESOLVE_H = np.array([4.0, 8.0, 72.0, 120.0, 720.0])
USERS_MEDIAN = np.array([250.0, 40.0, 2.0, 1.0, 1.0])
# Relative tickets per expected daily active user by application category (the EHR's workflows raise the most).
APP_TICKET_RATE = {
    "ehr": 1.0, "pacs": 0.8, "lis": 0.8, "pharmacy": 0.6, "erp": 0.6, "telehealth": 0.8, "patient_portal": 0.6,
    "clinical": 0.7, "business": 0.6, "collaboration": 0.35, "security": 0.3,
}
# Share of resolved tickets that sat on hold (awaiting the caller or a vendor), by priority: the lower the
# priority, the likelier a wait on the caller.
ON_HOLD_SHARE = np.array([0.05, 0.08, 0.14, 0.18, 0.20])
# A vendor is engaged on P1/P2 tickets its product team handles (not the desk's, the network team's or the
# integration team's): this share of them; the rest the hospital's team fixes alone.
VENDOR_ENGAGED_SHARE = 0.7
VENDOR_CATEGORIES = ("software", "performance", "hardware", "network")
SLOW_VENDOR_MISS_SHARE = 0.8  # the planted vendor's P1 responses past its contract's response SLA
# Core switches and the applications behind them: a P1 outage on the switch takes them down at the same time.
# The EHR is dual-homed across both data centres, so its planted month stays the only one below target.
CASCADE_DEPENDANTS = {
    "core_dc1": ("pacs", "lis", "adc"),
    "core_dc2": ("vna", "onbase"),
    "core_tower": ("clin_comms", "nurse_call_int", "ehr_mobile"),
}
# Breaches of PHI: a planted security ticket every BREACH_EVERY months, on one of these systems, plus the late one.
BREACH_EVERY = 4
BREACH_SYSTEMS = ("laptops", "efax", "m365_mail", "ehr", "onbase")
BREACH_NOTIFY_DAYS = (20, 55)  # individuals notified this many days after discovery (45 CFR 164.404: <= 60)
LATE_BREACH_DAYS = 74
LATE_BREACH_AFFECTED = 212
LATE_BREACH_MONTHS_BEFORE_END = 8  # inside the last complete fiscal year and the last twelve months
DOW = np.array([1.30, 1.18, 1.12, 1.08, 0.98, 0.45, 0.40]) / 0.93  # Monday first
PER_YEAR = 12_000
OUTAGES_PER_MONTH = 6.0
# Non-planted outage minutes per system-month stay under this share of the month (>= 99.96 % available).
OUTAGE_CAP_SHARE = 0.0004
HOWTO_BOOST = 4.0  # how much more often the planted department asks how-to questions
RISING_COUNTS = (2, 3, 5, 7, 10, 13)  # P1/P2 per quarter on the end-of-support switches, oldest first
EHR_PLANTED_OUTAGES = ((1, 104.0, 2400), (2, 38.0, 900))  # (priority, outage minutes, users affected)

AFFINITY: dict[str, dict[str, float]] = {
    "ehr": {"software": 1, "access": 1, "how-to": 1.6, "printing": 0.6, "interface": 0.5, "performance": 1},
    "pacs": {"software": 1, "access": 0.5, "how-to": 0.4, "interface": 0.5, "performance": 0.8},
    "lis": {"software": 1, "access": 0.5, "how-to": 0.3, "interface": 0.7, "printing": 0.6, "performance": 0.4},
    "pharmacy": {"software": 1, "access": 0.5, "how-to": 0.3, "interface": 0.4, "hardware": 0.4},
    "erp": {"software": 1, "access": 1, "how-to": 0.6, "performance": 0.3},
    "telehealth": {"software": 1, "access": 0.4, "how-to": 0.5, "network": 0.3, "performance": 0.4},
    "patient_portal": {"software": 1, "access": 0.8, "how-to": 0.4},
    "clinical": {"software": 1, "access": 0.5, "how-to": 0.4, "interface": 0.4, "performance": 0.3, "hardware": 0.2},
    "business": {"software": 1, "access": 0.6, "how-to": 0.4, "printing": 0.2, "performance": 0.2},
    "collaboration": {"software": 0.6, "email": 1, "access": 0.5, "how-to": 0.5, "network": 0.1},
    "security": {"security": 1, "access": 1.2, "software": 0.4},
    "network": {"network": 1, "hardware": 0.3, "performance": 0.4},
    "compute": {"hardware": 0.6, "performance": 1, "software": 0.3},
    "storage": {"hardware": 0.6, "performance": 0.6},
    "end_user": {"hardware": 1, "printing": 1, "software": 0.4, "how-to": 0.3, "access": 0.2},
    "medical_device": {"network": 0.7, "hardware": 0.8},
}
VOLUME_BY_CATEGORY = {"network": 20.0, "compute": 14.0, "storage": 6.0, "end_user": 70.0, "medical_device": 10.0}
PRIMARY_CATEGORY = {
    "network": "network",
    "compute": "performance",
    "storage": "hardware",
    "end_user": "hardware",
    "medical_device": "network",
    "collaboration": "email",
    "security": "security",
}
BLANK_SYSTEM_SHARE = np.array([0.01, 0.06, 0.08, 0.01, 0.02, 0.02, 0.0, 0.01, 0.02, 0.01, 0.5])
UNKNOWN_SYSTEM_SHARE = 0.005

GROUPS = (
    "Service Desk",
    "Desktop Support",
    "Network Operations",
    "Server and Storage",
    "Clinical Apps - Epic",
    "Imaging Informatics",
    "Lab Informatics",
    "Pharmacy Informatics",
    "Business Applications",
    "Digital Health",
    "Clinical Apps - Ancillary",
    "Collaboration and Messaging",
    "Security Operations",
    "Identity and Access Management",
    "Integration Team",
    "Clinical Engineering",
)
G = {g: i for i, g in enumerate(GROUPS)}
GROUP_BY_SYSTEM_CATEGORY = {
    "ehr": "Clinical Apps - Epic",
    "pacs": "Imaging Informatics",
    "lis": "Lab Informatics",
    "pharmacy": "Pharmacy Informatics",
    "erp": "Business Applications",
    "business": "Business Applications",
    "telehealth": "Digital Health",
    "patient_portal": "Digital Health",
    "clinical": "Clinical Apps - Ancillary",
    "collaboration": "Collaboration and Messaging",
    "security": "Security Operations",
    "network": "Network Operations",
    "compute": "Server and Storage",
    "storage": "Server and Storage",
    "end_user": "Desktop Support",
    "medical_device": "Clinical Engineering",
    "": "Service Desk",
}

CLINICAL_SYSTEMS = ("ehr", "clinical", "pacs", "lis", "pharmacy")
# Templates per ticket category; "software" and "how-to" have a clinical variant for clinical systems.
TEMPLATES: dict[str, tuple[str, ...]] = {
    "software": (
        "{sys} freezing",
        "{sys} error on login - unable to connect",
        "{sys} running slow on my workstation",
        "{sys} crashed and lost unsaved work",
        "Error message when saving in {sys}",
        "{sys} not loading for the whole unit",
        "Report in {sys} shows wrong data",
        "{sys} window goes blank after login",
        "Need {sys} reinstalled",
        "{sys} keeps logging me out",
        "Cannot attach document in {sys}",
        "Export from {sys} fails",
    ),
    "software/clinical": (
        "{sys} freezing when signing orders",
        "{sys} error on login - unable to connect",
        "{sys} running slow on this unit",
        "Cannot open patient chart in {sys}",
        "{sys} crashed and lost unsaved note",
        "Error message when saving in {sys}",
        "{sys} not loading for the whole unit",
        "Results not displaying in {sys}",
        "{sys} window goes blank after login",
        "Need {sys} installed on a new workstation",
        "{sys} keeps logging me out",
        "Wrong patient header showing in {sys}",
    ),
    "access": (
        "Password reset",
        "Locked out of {sys}",
        "New hire needs access to {sys}",
        "Badge tap not working at {host}",
        "Need security class changed in {sys}",
        "MFA prompt not arriving on phone",
        "Account disabled after leave - please re-enable",
        "Cannot log in to workstation {host}",
        "Access request for shared drive",
        "Need {sys} access for new role",
    ),
    "how-to": (
        "How do I export a report from {sys}",
        "How to change default printer in {sys}",
        "How do I map a network drive",
        "How to set up an out-of-office reply",
        "Where do I find my pay stub",
        "How do I share a calendar",
        "How to request a new application",
        "How do I connect to Wi-Fi on my phone",
        "Help with a filter in {sys}",
    ),
    "how-to/clinical": (
        "How do I add a SmartPhrase in {sys}",
        "Need help setting up In Basket pools",
        "How to change default printer in {sys}",
        "Question about documenting flowsheet rows",
        "How do I forward a chart message",
        "Need help with order sets in {sys}",
        "How to find outside records in {sys}",
        "How to sign off results in {sys}",
        "Help with schedule template in {sys}",
        "How do I reprint discharge instructions",
        "Where did my patient list columns go",
        "How to co-sign a note in {sys}",
        "How do I release held orders",
        "Cannot find the MAR override reason list",
    ),
    "hardware": (
        "Workstation {host} will not power on",
        "Monitor flickering at nurses station",
        "Keyboard and mouse dead on {host}",
        "Badge reader broken at {host}",
        "Scanner not reading wristbands",
        "Docking station not detecting monitors",
        "Thin client {host} black screen",
        "WOW cart battery not charging",
        "Phone handset cracked in room {n}",
        "Replace failed hard drive on {host}",
    ),
    "printing": (
        "Printer {prn} jammed",
        "Wristband printer {prn} printing blank labels",
        "Cannot print to {prn}",
        "Labels printing on the wrong printer",
        "Printer {prn} offline",
        "Specimen labels misaligned on {prn}",
        "Need printer mapped for {host}",
        "Prescriptions not printing from {sys}",
    ),
    "network": (
        "Wi-Fi dropping on {site} unit",
        "No network at {host}",
        "Network very slow in {site}",
        "VPN not connecting",
        "Network jack dead in room {n}",
        "Wireless phones losing connection on {site}",
        "Cannot reach {sys} from the clinic",
    ),
    "interface": (
        "Results not crossing from {sys} to Epic",
        "ADT feed delayed to {sys}",
        "Orders not reaching {sys}",
        "Interface queue backed up for {sys}",
        "Duplicate results filed from {sys}",
        "Charges missing from {sys} interface",
    ),
    "performance": (
        "{sys} very slow for all users",
        "Citrix session slow to launch on {host}",
        "{sys} timing out",
        "Long login times on {host}",
        "{sys} hanging for several minutes at a time",
    ),
    "email": (
        "Outlook not syncing",
        "Shared mailbox access request",
        "Email stuck in outbox",
        "Distribution list update",
        "Calendar invites not arriving",
        "Mailbox full warning",
    ),
    "security": (
        "Suspicious email reported - possible phishing",
        "Antivirus alert on {host}",
        "Lost laptop reported",
        "Possible unauthorized access to a patient record",
        "USB device blocked on {host}",
        "Malware alert on {host}",
    ),
    "other": (
        "General question",
        "Phone extension move",
        "Request for a new monitor",
        "Software install request",
        "Move workstation to room {n}",
        "Need a quote for a new laptop",
    ),
}
# Share of summaries that name a person (hitplan scrubs them at ingest): in a university hospital's ServiceNow
# export 234 of 9,998 short descriptions (2.3 %) named a caller or a colleague in full.
NAMED_SHARE = 0.023
# How callers open a summary: nothing, a reference to an earlier ticket, URGENT, a forward, their site code.
PREFIX_WEIGHTS = (0.85, 0.04, 0.03, 0.02, 0.06)
SUFFIXES = (
    ("", 0.86),
    (" pls help", 0.03),
    (" again", 0.03),
    (" - caller at x", 0.05),
    (" (see previous ticket)", 0.01),
    (" asap", 0.02),
)
SLOT_RE = re.compile(r"\{(\w+)\}")
SLOTS = ("", "sys", "host", "prn", "site", "n")

SWITCH_TEXT = (
    "Core switch supervisor failover - multiple units lost network",
    "Network outage on several floors - core stack reboot",
    "Core switch stack member crashed - users disconnected",
    "Intermittent packet loss through core switch - Epic and PACS slow",
    "Core switch line card failure - uplinks down",
)
EHR_TEXT = (
    "Epic unavailable hospital-wide - downtime procedures activated",
    "Epic Hyperspace freezing and logging users out - partial outage",
)
CASCADE_TEXT = (
    "Application unreachable - core network outage",
    "Users disconnected from the application - data center network down",
    "Application down during core switch failure",
)
BREACH_TEXT = (
    "Lost laptop with patient data - not encrypted",
    "Fax with patient records sent to the wrong number",
    "Mailbox holding patient data compromised by phishing",
    "Employee opened patient records without a work reason",
    "Patient documents mailed to the wrong address",
)
FIXED_TEXT = SWITCH_TEXT + EHR_TEXT + CASCADE_TEXT + BREACH_TEXT
DESC_SWITCH = 0
DESC_EHR = len(SWITCH_TEXT)
DESC_CASCADE = DESC_EHR + len(EHR_TEXT)
DESC_BREACH = DESC_CASCADE + len(CASCADE_TEXT)
# Row kinds: 0 bulk, 1 outage, 2 planted switch or slow-vendor ticket, 3 planted EHR outage, 4 breach, 5 cascade,
# 6 planted P1 on a done initiative's target (issue 17: one falls after its finish day, one does not).
KIND_BREACH, KIND_CASCADE, KIND_REALIZED = 4, 5, 6
# The ticket category of a done initiative's planted P1s where the system's own is not the one (interface queues).
REALIZED_CATEGORY = {"interface_engine": "interface"}


@dataclass
class IncidentStats:
    """What the incident stream contained, for the ground truth."""

    switch_by_quarter: dict[str, int] = field(default_factory=dict)
    ehr_outage_by_month: dict[str, float] = field(default_factory=dict)
    ehr_outage_month: str = ""
    howto_by_dept: np.ndarray | None = None
    # vendor key -> response minutes of its P1 escalations (nan: no response yet), and its SLA (minutes)
    vendor_p1_response: dict[str, list[np.ndarray]] = field(default_factory=dict)
    # (number, system_id, discovered, individuals notified or "", days to notify or nan, individuals affected)
    breaches: list[tuple[str, str, str, str, float, int]] = field(default_factory=list)
    late_breach: str = ""
    # cascade id -> (switch number, switch system, opened, switch outage, [(number, system, outage)])
    cascades: dict[int, list] = field(default_factory=dict)


def _parsed_templates() -> tuple[list[str], list[int], list[str], list[np.ndarray]]:
    """Templates split into (text before slot, slot kind, text after); index lists per category and family.

    ``by_cat[2 * category + clinical]`` lists the templates for a ticket category on a (non-)clinical system.
    """
    pre, slot, post, by_cat = [], [], [], []
    for cat, clinical in ((c, f) for c in CATEGORIES for f in (False, True)):
        ids = []
        key = f"{cat}/clinical" if clinical and f"{cat}/clinical" in TEMPLATES else cat
        for t in TEMPLATES[key]:
            if len(SLOT_RE.findall(t)) > 1:
                raise ValueError(f"ticket template {t!r} has more than one slot")
            m = SLOT_RE.search(t)
            ids.append(len(pre))
            if m:
                pre.append(t[: m.start()])
                slot.append(SLOTS.index(m.group(1)))
                post.append(t[m.end() :])
            else:
                pre.append(t)
                slot.append(0)
                post.append("")
        by_cat.append(np.array(ids))
    return pre, slot, post, by_cat


def _alias(spec: catalog.SystemSpec) -> str:
    """What staff call a system in a ticket."""
    if spec.key == "ehr":
        return "Epic"
    m = re.search(r"\(([^)]+)\)", spec.name)
    return m.group(1) if m else spec.name


class IncidentGenerator:
    """Builds each month's tickets; holds the tables that stay fixed across months."""

    def __init__(self, params: Params, org: Org, contracts: list[Contract]) -> None:
        self.p, self.org = params, org
        n = len(org.systems)
        cats = [s.category for s in org.systems]
        # Who can raise a ticket on an application: its departments with usage rows (expected daily active users).
        self.pair_users = expected_active(params, org)
        app_users = self.pair_users.sum(axis=1)
        is_app = np.array([s.kind == "application" for s in org.systems])
        # Tickets in proportion to users and kind; the unit keeps the applications' total weight what it was
        # against the infrastructure's (the square root of licensed users per application, eight for the EHR).
        rate = np.array([APP_TICKET_RATE.get(s.category, 0.5) for s in org.systems]) * app_users
        unit = sum(np.sqrt(s.users or 50) * (8.0 if s.category == "ehr" else 1.0) for s in org.systems if s.kind ==
                   "application") / max(rate[is_app].sum(), 1e-9)
        vol = np.where(is_app, rate * unit, [VOLUME_BY_CATEGORY.get(s.category, 5.0) for s in org.systems])
        aff = np.array([[AFFINITY[c].get(cat, 0.0) for cat in CATEGORIES] for c in cats])
        self.weight = vol[:, None] * aff  # system x ticket category
        self.switches = np.array([org.index[k] for k in catalog.EOS_SWITCHES])
        self.ehr = org.index[catalog.EHR]
        critical = (org.tier >= 1) & (org.tier <= 2)
        critical[self.switches] = False
        self.critical = critical
        self.clinical = np.array([c in CLINICAL_SYSTEMS for c in cats])
        self.primary = np.array([C[PRIMARY_CATEGORY.get(c, "software")] for c in cats])
        sla = vendor_sla_minutes(contracts)
        self.sla = np.array([sla.get(s.vendor, np.nan) for s in org.systems])
        self.slow_vendor = np.array([s.vendor == catalog.SLA_VENDOR for s in org.systems])
        own = np.array([G[GROUP_BY_SYSTEM_CATEGORY[c]] for c in cats])
        self.own_group = own  # the system's own (product) team: the one that escalates to the vendor
        self.vendor_category = np.array([c in VENDOR_CATEGORIES for c in CATEGORIES])
        self.users_cap = np.array([s.users or 5000 for s in org.systems], dtype=np.float64)
        group_table = np.zeros((n + 1, len(CATEGORIES)), dtype=np.int64)
        for i, c in enumerate(cats + [""]):
            for j, tc in enumerate(CATEGORIES):
                group_table[i, j] = G[_group(c, tc)]
        self.group_table = group_table
        self.alias = [_alias(s) for s in org.systems] + ["the system", "the system"]
        self.pre, self.slot, self.post, self.tmpl_by_cat = _parsed_templates()
        # Callers: a few hundred fictional people, each belonging to a department.
        rng = stream(params, "incidents", "callers")
        callers = Names().unique(rng, 420)
        per_dept = np.maximum(systematic_split(420 - len(org.dept_names), org.ehr_users), 0) + 1
        self.caller_names = callers
        self.caller_offset = np.concatenate([[0], np.cumsum(per_dept)[:-1]])
        self.caller_count = per_dept
        self.dept_weights = org.ehr_users / org.ehr_users.sum()
        w_howto = org.ehr_users.copy()
        w_howto[org.low_training_dept] *= HOWTO_BOOST
        self.cum_dept = np.cumsum(self.dept_weights)
        self.cum_dept_howto = np.cumsum(w_howto / w_howto.sum())
        # Per system (a last row for blank and retired ids): the caller's department. An application's tickets come
        # from its departments with usage rows, by their users (the planted department asks more how-to questions);
        # infrastructure and blank-system tickets from anyone, by EHR users as before.
        boost = np.ones(len(org.dept_names))
        boost[org.low_training_dept] = HOWTO_BOOST
        cum, cum_howto = np.empty((n + 1, len(org.dept_names))), np.empty((n + 1, len(org.dept_names)))
        for i in range(n + 1):
            w = self.pair_users[i] if i < n and is_app[i] and app_users[i] > 0 else None
            cum[i] = np.cumsum(w / w.sum()) if w is not None else self.cum_dept
            cum_howto[i] = np.cumsum(w * boost / (w * boost).sum()) if w is not None else self.cum_dept_howto
        self.cum_by_system, self.cum_howto_by_system = cum, cum_howto
        self.app_sequence = np.r_[is_app & (app_users > 0), False]
        # The shared row keeps the sequences the callers' departments were drawn from before (weyl_start).
        starts = stream(params, "incidents", "weyl-by-system").random((n + 1, len(CATEGORIES)))
        starts[n] = stream(params, "incidents", "weyl").random(len(CATEGORIES))
        self.weyl_start_by_key = starts
        self.weyl_pos_by_key = np.zeros((n + 1, len(CATEGORIES)), dtype=np.int64)
        self.breach_systems = np.array([org.index[k] for k in BREACH_SYSTEMS])
        self.late_breach_month = window_months(params)[-LATE_BREACH_MONTHS_BEFORE_END].label
        self.dependants = {org.index[k]: np.array([org.index[d] for d in v]) for k, v in CASCADE_DEPENDANTS.items()}
        self.next_number = 10001
        self.stats = IncidentStats(howto_by_dept=np.zeros(len(org.dept_names), dtype=np.int64))
        self.quarters = _quarters(params)
        self.outage_month = _outage_month(params)
        self.stats.ehr_outage_month = self.outage_month
        self.realized = _realized_counts(params, org)

    # ---- streams -------------------------------------------------------------------------------

    def _bulk(self, rng: np.random.Generator, month: Month) -> dict[str, np.ndarray]:
        """The scaled everyday tickets of a month."""
        days = month.days
        dow = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
        doy = (days - days.astype("datetime64[Y]")).astype(np.int64)
        season = 1.0 + 0.12 * np.cos(2 * np.pi * (doy - 30) / 365.25)
        years = (days - self.p.first_day).astype(np.int64) / 365.25
        lam = PER_YEAR / 365.25 * self.p.scale * DOW[dow] * season * (1.03**years)
        counts = rng.poisson(lam)
        n = int(counts.sum())
        day = np.repeat(days, counts)
        priority = rng.choice(5, size=n, p=PRIORITY_MIX / PRIORITY_MIX.sum()) + 1
        major = priority <= 2
        cat = np.where(
            major,
            rng.choice(len(CATEGORIES), size=n, p=MAJOR_SHARE / MAJOR_SHARE.sum()),
            rng.choice(len(CATEGORIES), size=n, p=CATEGORY_SHARE / CATEGORY_SHARE.sum()),
        )
        system = self._systems(rng, month, cat, major)
        return {
            "opened": day.astype("datetime64[s]") + _time_of_day(rng, n),
            "system": system,
            "priority": priority,
            "category": cat,
            "outage": np.zeros(n),
            "users": np.full(n, -1),
            "desc": np.full(n, -1),
            "kind": np.zeros(n, dtype=np.int64),
        }

    def _systems(self, rng: np.random.Generator, month: Month, cat: np.ndarray, major: np.ndarray) -> np.ndarray:
        """A system per ticket given its category and whether it is P1/P2; -1 blank, <= -2 a retired id."""
        live = self.org.go_live <= np.datetime64(month.lo, "D")
        n = len(cat)
        system = np.full(n, -1, dtype=np.int64)
        u = rng.random(n)
        for j in range(len(CATEGORIES)):
            for grp in (False, True):
                rows = np.flatnonzero((cat == j) & (major == grp))
                if len(rows) == 0:
                    continue
                w = self.weight[:, j] * live * (self.critical if grp else 1.0)
                if w.sum() <= 0:
                    w = self.weight[:, C["software"]] * live * (self.critical if grp else 1.0)
                cum = np.cumsum(w) / w.sum()
                system[rows] = np.minimum(np.searchsorted(cum, u[rows], side="right"), len(w) - 1)
        blank = rng.random(n) < BLANK_SYSTEM_SHARE[cat]
        system[blank & ~major] = -1
        unknown = (rng.random(n) < UNKNOWN_SYSTEM_SHARE) & ~major
        system[unknown] = -2 - rng.integers(0, len(catalog.RETIRED_SYSTEM_IDS), size=int(unknown.sum()))
        return system

    def _outages(self, rng: np.random.Generator, month: Month) -> dict[str, np.ndarray]:
        """Incidents that took a service down, at a fixed monthly rate."""
        lam = OUTAGES_PER_MONTH * min(self.p.scale, 1.0) * len(month.days) / 30.4
        n = int(rng.poisson(lam))
        live = (self.org.go_live <= np.datetime64(month.lo, "D")) & self.critical
        w = np.sqrt(self.weight.sum(axis=1)) * live
        system = rng.choice(len(w), size=n, p=w / w.sum())
        priority = rng.choice([1, 2, 3], size=n, p=[0.35, 0.5, 0.15])
        median = np.array([0.0, 40.0, 20.0, 12.0])[priority]
        outage = np.round(median * rng.lognormal(0.0, 0.6, size=n))
        day = rng.choice(month.days, size=n)
        return {
            "opened": day.astype("datetime64[s]") + _time_of_day(rng, n),
            "system": system,
            "priority": priority,
            "category": self.primary[system],
            "outage": outage,
            "users": np.full(n, -1),
            "desc": np.full(n, -1),
            "kind": np.ones(n, dtype=np.int64),
        }

    def _switch_rows(self, rng: np.random.Generator, month: Month) -> dict[str, np.ndarray]:
        """P1/P2 network incidents on the end-of-support core switches, rising over the last quarters."""
        label = _quarter_label(month.first)
        q_days = self.quarters[label]
        total = _switch_quarter_count(self.p, self.quarters, label)
        # The quarter's tickets are spread over its months by their share of the quarter's days.
        first_in_q = [m for m in q_days if m <= month.first]
        before = sum(q_days[m] for m in first_in_q if m < month.first)
        share_lo = before / sum(q_days.values())
        share_hi = (before + q_days[month.first]) / sum(q_days.values())
        n = int(round(total * share_hi)) - int(round(total * share_lo))
        if n <= 0:
            return _empty()
        self.stats.switch_by_quarter[label] = self.stats.switch_by_quarter.get(label, 0) + n
        system = self.switches[rng.integers(0, len(self.switches), size=n)]
        priority = np.where(rng.random(n) < 0.4, 1, 2)
        outage = np.where(priority == 1, np.round(rng.uniform(6, 16, size=n)), np.round(rng.uniform(0, 5, size=n)))
        day = rng.choice(month.days, size=n)
        return {
            "opened": day.astype("datetime64[s]") + _time_of_day(rng, n),
            "system": system,
            "priority": priority,
            "category": np.full(n, C["network"]),
            "outage": outage,
            "users": rng.integers(150, 1800, size=n),
            "desc": rng.integers(0, len(SWITCH_TEXT), size=n) + DESC_SWITCH,
            "kind": np.full(n, 2),
        }

    def _ehr_outage_rows(self, rng: np.random.Generator, month: Month) -> dict[str, np.ndarray]:
        """The two EHR incidents that push the planted month under 99.9 % availability."""
        n = len(EHR_PLANTED_OUTAGES)
        days = month.days
        day = days[np.array([len(days) // 3, (2 * len(days)) // 3])]
        opened = day.astype("datetime64[s]") + np.array([10 * 3600 + 17 * 60 + 42, 14 * 3600 + 3 * 60 + 9]) * SECOND
        return {
            "opened": opened,
            "system": np.full(n, self.ehr),
            "priority": np.array([p for p, _, _ in EHR_PLANTED_OUTAGES]),
            "category": np.array([C["software"], C["performance"]]),
            "outage": np.array([m for _, m, _ in EHR_PLANTED_OUTAGES]),
            "users": np.array([u for _, _, u in EHR_PLANTED_OUTAGES]),
            "desc": np.array([DESC_EHR, DESC_EHR + 1]),
            "kind": np.full(n, 3),
        }

    def _slow_vendor_rows(self, rng: np.random.Generator, month: Month) -> dict[str, np.ndarray]:
        """A P1 on the slow vendor's systems every other month (its contract's response SLA covers P1), escalated
        to the vendor, so its slow responses show at any scale."""
        if month.index % 2:
            return _empty()
        vendor_sys = np.flatnonzero(self.slow_vendor & (self.org.tier <= 2) & (self.org.tier >= 1))
        system = np.array([vendor_sys[(month.index // 2) % len(vendor_sys)]])
        priority = np.array([1])
        day = rng.choice(month.days, size=1)
        return {
            "opened": day.astype("datetime64[s]") + _time_of_day(rng, 1),
            "system": system,
            "priority": priority,
            "category": np.array([C["software"]]),
            "outage": np.zeros(1),
            "users": rng.integers(20, 120, size=1),
            "desc": np.full(1, -1),
            "kind": np.full(1, 2),
        }

    def _cascade_rows(self, month: Month, switch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """For each P1 outage on a core switch, an outage ticket on every application behind it, opened minutes after
        the switch's and down no longer than it (the same cascade id ties them together)."""
        hit = np.flatnonzero((switch["priority"] == 1) & (switch["outage"] > 0))
        if len(hit) == 0:
            return _empty()
        rng = stream(self.p, "incidents", "cascade", month.index)
        parts = []
        for j, row in enumerate(hit):
            gid = month.index * 1000 + j
            switch["gid"][row] = gid
            deps = self.dependants[int(switch["system"][row])]
            k = len(deps)
            parts.append({
                "opened": np.minimum(
                    switch["opened"][row] + np.rint(rng.uniform(60, 600, k)).astype(np.int64) * SECOND, self.p.end_ts
                ),
                "system": deps,
                "priority": np.where(self.org.tier[deps] == 1, 1, 2),
                "category": np.full(k, C["network"]),
                "outage": np.floor(switch["outage"][row] * rng.uniform(0.6, 1.0, k)),
                "users": rng.integers(20, 400, size=k),
                "desc": rng.integers(0, len(CASCADE_TEXT), size=k) + DESC_CASCADE,
                "kind": np.full(k, KIND_CASCADE),
                "gid": np.full(k, gid),
            })
        return _concat(parts)

    def _breach_rows(self, month: Month) -> dict[str, np.ndarray]:
        """The planted breaches of PHI: a security ticket every BREACH_EVERY months, and the one notified late."""
        late = month.label == self.late_breach_month
        if month.index % BREACH_EVERY != BREACH_EVERY // 2 and not late:
            return _empty()
        rng = stream(self.p, "incidents", "breach-ticket", month.index)
        day = month.days[int(rng.integers(0, max(1, len(month.days) - 3)))]
        system = self.breach_systems[month.index % len(self.breach_systems)]
        return {
            "opened": np.array([day.astype("datetime64[s]") + _time_of_day(rng, 1)[0]]),
            "system": np.array([system]),
            "priority": np.array([2]),
            "category": np.array([C["security"]]),
            "outage": np.zeros(1),
            "users": np.array([1]),
            "desc": np.array([DESC_BREACH + month.index % len(BREACH_TEXT)]),
            "kind": np.array([KIND_BREACH]),
        }

    # ---- assembling a month --------------------------------------------------------------------

    def month(self, month: Month) -> dict[str, pa.Array]:
        """Every ticket opened in ``month`` as rendered columns, in ticket-number order."""
        rng = stream(self.p, "incidents", month.index)
        bulk = self._bulk(rng, month)
        # Outage minutes of everything but the planted EHR month are capped together per system.
        switch = _concat([self._switch_rows(rng, month)])
        cascade = self._cascade_rows(month, switch)
        outages = _concat([self._outages(rng, month), switch, self._slow_vendor_rows(rng, month), cascade])
        self._cap_outages(month, outages)
        # After the cap, a dependant is still down no longer than its switch.
        dep = np.flatnonzero(outages["kind"] == KIND_CASCADE)
        if len(dep):
            sw = {int(g): o for g, o, k in zip(outages["gid"], outages["outage"], outages["kind"]) if k == 2 and g >= 0}
            outages["outage"][dep] = np.minimum(outages["outage"][dep], [sw[int(g)] for g in outages["gid"][dep]])
        parts = [bulk, outages, self._breach_rows(month)]
        if month.label == self.outage_month:
            parts.append(self._ehr_outage_rows(rng, month))
        rows = _concat(parts)
        order = np.argsort(rows["opened"], kind="stable")
        rows = {k: v[order] for k, v in rows.items()}
        cols = self._render(rng, month, rows)
        return self._with_realized(month, cols)

    def _with_realized(self, month: Month, cols: dict[str, pa.Array]) -> dict[str, pa.Array]:
        """The month's tickets and, numbered after them, the planted P1s on the done initiatives' targets: drawn and
        rendered from their own streams, leaving every other ticket's columns and the tallies as they were."""
        plan = [(s, c) for s, c in self.realized.get(month.index, ()) if c > 0]
        if not plan:
            return cols
        rng = stream(self.p, "incidents", "realized", month.index)
        n = sum(c for _, c in plan)
        system = np.concatenate([np.full(c, s) for s, c in plan])
        cat = np.array([C[REALIZED_CATEGORY.get(self.org.systems[s].key, CATEGORIES[self.primary[s]])] for s in system])
        day = rng.choice(month.days, size=n)
        opened = day.astype("datetime64[s]") + _time_of_day(rng, n)
        order = np.argsort(opened, kind="stable")
        rows = {
            "opened": opened[order], "system": system[order], "priority": np.ones(n, dtype=np.int64),
            "category": cat[order], "outage": np.zeros(n), "users": rng.integers(40, 400, size=n)[order],
            "desc": np.full(n, -1), "kind": np.full(n, KIND_REALIZED), "gid": np.full(n, -1, dtype=np.int64),
        }
        ehr_minutes, weyl = self.stats.ehr_outage_by_month.get(month.label), self.weyl_pos_by_key.copy()
        extra = self._render(stream(self.p, "incidents", "realized-render", month.index), month, rows)
        self.weyl_pos_by_key = weyl  # the other tickets' departments keep their sequences
        if ehr_minutes is not None:
            self.stats.ehr_outage_by_month[month.label] = ehr_minutes
        return {k: pa.concat_arrays([v, extra[k].cast(v.type)]) for k, v in cols.items()}

    def _cap_outages(self, month: Month, rows: dict[str, np.ndarray]) -> None:
        """Scale down outage minutes so no system-month drops below 99.96 % available (the EHR plant is added later)."""
        if len(rows["system"]) == 0:
            return
        cap = np.floor(OUTAGE_CAP_SHARE * month.full_days * 1440)
        sums = np.bincount(rows["system"], weights=rows["outage"], minlength=len(self.org.systems))
        factor = np.where(sums > cap, cap / np.maximum(sums, 1e-9), 1.0)
        rows["outage"] = np.floor(rows["outage"] * factor[rows["system"]])

    def _render(self, rng: np.random.Generator, month: Month, r: dict[str, np.ndarray]) -> dict[str, pa.Array]:
        """Times, states, people and text for a month's tickets (already in opening order)."""
        n = len(r["opened"])
        pri = r["priority"]
        pidx = pri - 1
        system = r["system"]
        known = system >= 0
        sys_idx = np.where(known, system, 0)
        # The desk's acknowledgement: lognormal by priority, P1/P2 quick on systems under a vendor response SLA.
        ack_min = ACK_MEDIAN_MIN[pidx] * rng.lognormal(0.0, ACK_SIGMA[pidx])
        p12 = pri <= 2
        sla = np.where(known, self.sla[sys_idx], np.nan)
        capped = p12 & np.isfinite(sla)
        ack_min = np.where(capped, np.minimum(ack_min, 0.8 * sla), ack_min)
        # Drawn as when the slow vendor's plant was the desk's acknowledgement, so the draws after it stay.
        rng.random(n)
        ack_min = np.maximum(ack_min, 0.5)
        resolve_min = RESOLVE_MEDIAN_H[pidx] * 60 * rng.lognormal(0.0, RESOLVE_SIGMA[pidx])
        resolve_min = np.maximum(resolve_min, ack_min + 1 + r["outage"])
        # Time on hold (awaiting the caller or a vendor) lengthens the calendar time; its own stream.
        hold_rng = stream(self.p, "incidents", "on-hold", month.index)
        held = hold_rng.random(n) < ON_HOLD_SHARE[pidx]
        hold_min = np.where(held, np.round(RESOLVE_MEDIAN_H[pidx] * 60 * hold_rng.uniform(0.2, 1.2, n)), 0.0)
        resolve_min = resolve_min + hold_min
        opened = r["opened"]
        ack = opened + np.rint(ack_min * 60).astype(np.int64) * SECOND
        resolved = opened + np.rint(resolve_min * 60).astype(np.int64) * SECOND
        manual = rng.random(n) < 0.12
        close_h = np.where(manual, rng.uniform(0.2, 24, n), 72 + rng.uniform(0, 8, n))
        closed = resolved + np.rint(close_h * 3600).astype(np.int64) * SECOND
        canceled = (rng.random(n) < 0.01) & (r["kind"] == 0)
        # The state is what the ticket looked like at the window's last second.
        end = self.p.end_ts
        state = np.full(n, S["closed"])
        has_ack, has_res, has_close = ack <= end, resolved <= end, closed <= end
        state[~has_close & has_res] = S["resolved"]
        working = ~has_res & has_ack
        state[working] = np.where(rng.random(int(working.sum())) < 0.8, S["in_progress"], S["on_hold"])
        state[~has_ack] = S["new"]
        cancel_close = opened + np.rint(rng.uniform(300, 172800, n)).astype(np.int64) * SECOND
        state[canceled] = S["canceled"]
        has_res = has_res & ~canceled
        closed = np.where(canceled, cancel_close, closed)
        has_close = closed <= end
        has_ack = has_ack & ~(canceled & (rng.random(n) < 0.5))
        reopen = np.where(has_res & (rng.random(n) < 0.03), 1 + (rng.random(n) < 0.2), 0)
        outage = r["outage"]
        users = np.where(
            r["users"] >= 0, r["users"], np.maximum(1, np.rint(USERS_MEDIAN[pidx] * rng.lognormal(0.0, 0.8, n)))
        )
        users = np.where(known & (r["users"] < 0), np.minimum(users, self.users_cap[sys_idx]), users)
        users = np.where((r["kind"] == 1) & (r["users"] < 0), users * 4, users)
        impact, urgency = _impact(pri)
        cat = r["category"]
        is_sec = (cat == C["security"]) | ((cat == C["access"]) & (rng.random(n) < 0.01))
        dept = self._departments(cat, np.where(known, sys_idx, len(self.org.systems)))
        dept_ok = (dept >= 0) & ~((cat != C["how-to"]) & (rng.random(n) < 0.01))
        self._tally(month, r, dept, dept_ok)
        number = np.arange(self.next_number, self.next_number + n)
        self.next_number += n
        group_row = np.where(known, sys_idx, len(self.org.systems))
        group = self.group_table[group_row, cat]
        caller_dept = np.where(dept_ok, dept, rng.integers(0, len(self.org.dept_names), n))
        caller = self.caller_offset[caller_dept] + (rng.random(n) * self.caller_count[caller_dept]).astype(np.int64)
        # Drawn last, so the columns above stay as they were before these two existed.
        reassigned = np.where(canceled, 0, rng.poisson(np.where(p12, 0.6, 0.25)))
        # The tool's verdict: resolution time net of the pause against the priority's target.
        made_sla = ((resolve_min - hold_min) / 60) <= SLA_RESOLVE_H[pidx]
        # Paused hours so far: the whole pause once resolved, the part before the window's end while still open.
        elapsed_h = (end - opened).astype(np.int64) / 3600
        on_hold_h = np.where(has_res, hold_min / 60, np.minimum(hold_min / 60, np.maximum(elapsed_h, 0.0)))
        on_hold_h = np.where(canceled, 0.0, np.round(on_hold_h, 2))
        engaged, responded = self._escalations(month, r, pri, sla, known, sys_idx, group, ack, resolved, canceled)
        breach = self._breaches(month, r, opened, number, sys_idx)
        self._tally_cascades(r, number, sys_idx)
        # The last update is the latest event that happened by the end (no draw: the columns above stay as they were).
        updated = np.where(has_ack, np.maximum(opened, ack), opened)
        updated = np.where(has_res, np.maximum(updated, resolved), updated)
        updated = np.where(has_close, np.maximum(updated, closed), updated)
        sys_ids = self.org.system_ids + list(catalog.RETIRED_SYSTEM_IDS)
        sys_col = np.where(known, system, np.where(system <= -2, len(self.org.system_ids) + (-system - 2), 0))
        return {
            "number": out.concat("INC", out.padded(number, 7)),
            "system_id": out.pick(sys_ids, sys_col, system != -1),
            "opened_at": out.timestamps(opened),
            "acknowledged_at": out.timestamps(ack, has_ack),
            "resolved_at": out.timestamps(resolved, has_res),
            "closed_at": out.timestamps(closed, has_close & (state != S["resolved"])),
            "priority": out.integers(pri),
            "impact": out.integers(impact),
            "urgency": out.integers(urgency),
            "state": out.pick(STATES, state),
            "category": out.pick(CATEGORIES, cat),
            "assignment_group": out.pick(GROUPS, group),
            "short_description": self._named(month, self._descriptions(rng, r, sys_idx, known, number), caller),
            "caller": out.pick(self.caller_names, caller),
            "department": out.pick(self.org.dept_names, np.maximum(dept, 0), dept_ok),
            "is_security": out.booleans(is_sec),
            "outage_minutes": out.number(outage, 0),
            "users_affected": out.integers(users.astype(np.int64)),
            "reopen_count": out.integers(reopen),
            "reassignment_count": out.integers(reassigned.astype(np.int64)),
            "made_sla": out.booleans(made_sla, has_res),
            "updated_at": out.timestamps(updated),
            # The demo's tickets carry their times: no tool-computed durations, as in most full exports.
            "calendar_duration_hours": out.blank(n),
            "business_duration_hours": out.blank(n),
            "time_worked_hours": out.blank(n),
            "on_hold_hours": out.number(on_hold_h, 2),
            "vendor_engaged_at": out.timestamps(engaged, engaged <= end),
            "vendor_responded_at": out.timestamps(responded, responded <= end),
            "breach_discovered_at": out.timestamps(breach["discovered"], breach["is"]),
            "individuals_notified_at": out.timestamps(breach["notified"], breach["notified"] <= end),
            "hhs_notified_at": out.timestamps(breach["hhs"], breach["hhs"] <= end),
            "individuals_affected": out.integers(breach["affected"], breach["is"]),
        }

    def _departments(self, cat: np.ndarray, sys_row: np.ndarray) -> np.ndarray:
        """Caller departments by a golden-ratio sequence per category, so shares match weights at any volume; each
        ticket's department is drawn from its system's departments (``sys_row``: system index, or the last row)."""
        dept = np.empty(len(cat), dtype=np.int64)
        nd = len(self.org.dept_names)
        # One sequence per application and category (its departments differ), one shared by everything else.
        key = np.where(self.app_sequence[sys_row], sys_row, len(self.org.systems))
        for j in range(len(CATEGORIES)):
            rows = np.flatnonzero(cat == j)
            if len(rows) == 0:
                continue
            k = key[rows]
            by_key = np.argsort(k, kind="stable")
            pos = np.empty(len(rows), dtype=np.int64)
            pos[by_key] = rank_within(k[by_key])
            u = np.mod(self.weyl_start_by_key[k, j] + (self.weyl_pos_by_key[k, j] + pos) * PHI, 1.0)
            np.add.at(self.weyl_pos_by_key[:, j], k, 1)
            cum = (self.cum_howto_by_system if CATEGORIES[j] == "how-to" else self.cum_by_system)[sys_row[rows]]
            dept[rows] = np.minimum((cum <= u[:, None]).sum(axis=1), nd - 1)
        return dept

    def _tally(
        self,
        month: Month,
        r: dict[str, np.ndarray],
        dept: np.ndarray,
        dept_ok: np.ndarray,
    ) -> None:
        """Collect what the ground truth reports about this month."""
        ehr = (r["system"] >= 0) & (r["system"] == self.ehr)
        self.stats.ehr_outage_by_month[month.label] = float(r["outage"][ehr].sum())
        # How-to tickets on the EHR, the population its users are counted for (the low-training plant).
        howto = (r["category"] == C["how-to"]) & dept_ok & ehr
        self.stats.howto_by_dept += np.bincount(dept[howto], minlength=len(self.org.dept_names))

    def _escalations(
        self,
        month: Month,
        r: dict[str, np.ndarray],
        pri: np.ndarray,
        sla: np.ndarray,
        known: np.ndarray,
        sys_idx: np.ndarray,
        group: np.ndarray,
        ack: np.ndarray,
        resolved: np.ndarray,
        canceled: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """When the vendor was engaged and when it responded (NaT-like far future when not): P1/P2 tickets its product
        team handles on a system under a contract response SLA, escalated after the desk's acknowledgement. The
        vendors answer P1s within their SLA; the planted slow vendor mostly does not."""
        rng = stream(self.p, "incidents", "vendor", month.index)
        n = len(pri)
        never = np.full(n, np.datetime64("9999-12-31T00:00:00", "s"))
        eligible = (
            known & (pri <= 2) & np.isfinite(sla) & ~canceled
            & (group == self.own_group[sys_idx]) & self.vendor_category[r["category"]]
        )
        planted = eligible & (r["kind"] == 2) & self.slow_vendor[sys_idx]
        engaged_now = eligible & ((rng.random(n) < VENDOR_ENGAGED_SHARE) | planted)
        triage_min = np.where(pri == 1, rng.uniform(5, 25, n), rng.uniform(10, 60, n))
        engaged = ack + np.rint(triage_min * 60).astype(np.int64) * SECOND
        engaged = np.minimum(engaged, ack + (resolved - ack) // 2)
        slow = self.slow_vendor[sys_idx]
        miss = np.where(slow, rng.random(n) < SLOW_VENDOR_MISS_SHARE, (pri == 2) & (rng.random(n) < 0.05))
        ratio = np.where(miss, rng.uniform(1.3, 4.0, n), rng.uniform(0.25, 0.95, n))
        sla_safe = np.where(np.isfinite(sla), sla, 0.0)
        responded = engaged + np.rint(ratio * sla_safe * 60).astype(np.int64) * SECOND
        engaged = np.where(engaged_now, engaged, never)
        responded = np.where(engaged_now, responded, never)
        end = self.p.end_ts
        p1 = engaged_now & (pri == 1) & (engaged <= end)
        for i in np.unique(sys_idx[p1]):
            rows = p1 & (sys_idx == i)
            minutes = (responded[rows] - engaged[rows]).astype(np.int64) / 60
            minutes = np.where(responded[rows] <= end, minutes, np.nan)
            self.stats.vendor_p1_response.setdefault(self.org.systems[i].vendor, []).append(minutes)
        return engaged, responded

    def _breaches(
        self, month: Month, r: dict[str, np.ndarray], opened: np.ndarray, number: np.ndarray, sys_idx: np.ndarray
    ) -> dict[str, np.ndarray]:
        """Discovery, notification (individuals, HHS) and individuals affected of the planted breach tickets."""
        n = len(opened)
        never = np.full(n, np.datetime64("9999-12-31T00:00:00", "s"))
        res = {"is": r["kind"] == KIND_BREACH, "discovered": never.copy(), "notified": never.copy(),
               "hhs": never.copy(), "affected": np.zeros(n, dtype=np.int64)}
        rows = np.flatnonzero(res["is"])
        if len(rows) == 0:
            return res
        rng = stream(self.p, "incidents", "breach", month.index)
        end = self.p.end_ts
        late = month.label == self.late_breach_month  # a breach month holds one breach ticket
        for i in rows:
            # Discovered when the ticket was opened or a few days later, once it was found to involve PHI.
            found = min(opened[i] + np.int64(rng.integers(0, 4 * 86400)) * SECOND, end)
            days = LATE_BREACH_DAYS if late else int(rng.integers(BREACH_NOTIFY_DAYS[0], BREACH_NOTIFY_DAYS[1] + 1))
            notified = found + np.int64(days * 86400) * SECOND
            affected = LATE_BREACH_AFFECTED if late else int(
                rng.integers(600, 20000) if rng.random() < 0.25 else rng.integers(3, 450)
            )
            if affected >= 500:  # 45 CFR 164.408(b): HHS with the individuals' notice
                hhs = notified + np.int64(rng.integers(0, 2 * 86400)) * SECOND
            else:  # 164.408(c): the year's log, within 60 days after the calendar year ends
                year_end = np.datetime64(f"{found.astype('datetime64[Y]').astype(int) + 1970 + 1}-01-01T00:00:00")
                hhs = year_end + np.int64(rng.integers(10 * 86400, 55 * 86400)) * SECOND
            res["discovered"][i], res["notified"][i], res["hhs"][i] = found, notified, hhs
            res["affected"][i] = affected
            num = f"INC{number[i]:07d}"
            self.stats.breaches.append((
                num, self.org.system_ids[sys_idx[i]], str(found).replace("T", " "),
                str(notified).replace("T", " ") if notified <= end else "",
                float(days) if notified <= end else float("nan"), affected,
            ))
            if late:
                self.stats.late_breach = num
        return res

    def _tally_cascades(self, r: dict[str, np.ndarray], number: np.ndarray, sys_idx: np.ndarray) -> None:
        """Record each cascade: the switch's ticket and its dependants' tickets."""
        for i in np.flatnonzero(r["gid"] >= 0):
            g = int(r["gid"][i])
            if r["kind"][i] == 2:
                self.stats.cascades.setdefault(g, [None, None, None, None, []])[:4] = [
                    f"INC{number[i]:07d}", self.org.system_ids[sys_idx[i]], str(r["opened"][i]).replace("T", " "),
                    float(r["outage"][i]),
                ]
            elif r["kind"][i] == KIND_CASCADE:
                self.stats.cascades.setdefault(g, [None, None, None, None, []])[4].append(
                    (f"INC{number[i]:07d}", self.org.system_ids[sys_idx[i]], float(r["outage"][i]))
                )

    def _named(self, month: Month, text: pa.Array, caller: np.ndarray) -> pa.Array:
        """Summaries that name people, as real ones do (a record producer's "Site Request from <caller>", an agent's
        "for <colleague>"): NAMED_SHARE of them, drawn from their own stream so that no other column moves. hitplan
        replaces the names at ingest; the demo shows it and the ingest benchmark pays for it."""
        rng = stream(self.p, "incidents", "named", month.index)
        n = len(caller)
        kind = np.where(rng.random(n) < NAMED_SHARE, rng.integers(1, 3, n), 0)
        other = rng.integers(0, len(self.caller_names), n)
        return pc.choose(
            pa.array(kind.astype(np.int8)), text,
            out.concat("Site Request from ", out.pick(self.caller_names, caller), " - ", text),
            out.concat(text, " (for ", out.pick(self.caller_names, other), ")"),
        )

    def _descriptions(
        self,
        rng: np.random.Generator,
        r: dict[str, np.ndarray],
        sys_idx: np.ndarray,
        known: np.ndarray,
        number: np.ndarray,
    ) -> pa.Array:
        """Free-text summaries: a template per category, filled and roughed up like real typing."""
        n = len(number)
        cat = r["category"]
        tmpl = np.empty(n, dtype=np.int64)
        clinical = known & self.clinical[sys_idx]
        for j in range(len(CATEGORIES)):
            for f in (0, 1):
                rows = np.flatnonzero((cat == j) & (clinical == f))
                ids = self.tmpl_by_cat[2 * j + f]
                tmpl[rows] = ids[rng.integers(0, len(ids), size=len(rows))]
        site_i = rng.integers(0, 6, n)
        sites = out.pick(catalog.SITES, site_i)
        host = out.concat("WS-", sites, "-", out.padded(rng.integers(10000, 99999, n), 5))
        prn = out.concat("PRN-", sites, "-", out.padded(rng.integers(100, 999, n), 3))
        room = out.integers(rng.integers(200, 799, n))
        sysname = out.pick(self.alias, np.where(known, sys_idx, len(self.org.systems)))
        slot_kind = np.array(self.slot)[tmpl]
        slot = pc.choose(
            pa.array(slot_kind.astype(np.int8)), out.blank(n).fill_null(""), sysname, host, prn, sites, room
        )
        body = out.concat(out.pick(self.pre, tmpl), slot, out.pick(self.post, tmpl))
        lower = rng.random(n) < 0.15
        body = pc.if_else(pa.array(lower), pc.utf8_lower(body), body)
        prefix_i = rng.choice(len(PREFIX_WEIGHTS), size=n, p=PREFIX_WEIGHTS)
        ref = np.maximum(10001, (number * rng.uniform(0.6, 1.0, n)).astype(np.int64))
        zeros = np.zeros(n, dtype=np.int64)
        prefix = pc.choose(
            pa.array(prefix_i.astype(np.int8)),
            out.pick([""], zeros),
            out.concat("re INC", out.padded(ref, 7), " "),
            out.pick(["URGENT - "], zeros),
            out.pick(["FW: "], zeros),
            out.concat(sites, " - "),
        )
        suffix_i = rng.choice(len(SUFFIXES), size=n, p=[w for _, w in SUFFIXES])
        ext = out.integers(rng.integers(2000, 7999, n))
        suffix_txt = out.pick([s for s, _ in SUFFIXES], suffix_i)
        suffix = pc.if_else(pa.array(suffix_i == 3), out.concat(suffix_txt, ext), suffix_txt)
        text = out.concat(prefix, body, suffix)
        fixed = r["desc"] >= 0
        if fixed.any():
            text = pc.if_else(pa.array(fixed), out.pick(FIXED_TEXT, np.maximum(r["desc"], 0)), text)
        return text


def _group(system_category: str, ticket_category: str) -> str:
    """Assignment group for a ticket on a system of ``system_category``."""
    if ticket_category in ("how-to", "other"):
        return "Service Desk"
    if ticket_category == "access":
        return "Identity and Access Management" if system_category == "security" else "Service Desk"
    if ticket_category == "printing":
        return "Desktop Support"
    if ticket_category == "interface":
        return "Integration Team"
    if ticket_category == "security":
        return "Security Operations"
    if ticket_category == "email":
        return "Collaboration and Messaging"
    if ticket_category == "network":
        return "Clinical Engineering" if system_category == "medical_device" else "Network Operations"
    if ticket_category == "hardware" and system_category in ("", "ehr", "clinical", "business", "erp"):
        return "Desktop Support"
    return GROUP_BY_SYSTEM_CATEGORY[system_category]


def _impact(priority: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Impact and urgency consistent with the priority matrix (priority = impact + urgency - 1)."""
    # The split between impact and urgency varies with row position; the sum is what matters.
    n = len(priority)
    k = np.arange(n)
    lo = np.maximum(1, priority - 2)
    hi = np.minimum(3, priority)
    span = hi - lo + 1
    impact = lo + (k * 7919 + priority * 31) % span
    urgency = priority + 1 - impact
    return impact, urgency


def _time_of_day(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds after midnight: mostly business hours, some around the clock."""
    busy = rng.random(n) < 0.72
    hours = np.where(busy, np.clip(rng.normal(11.5, 2.8, n), 6.0, 20.5), rng.uniform(0, 24, n))
    return (np.floor(hours * 3600) % 86400).astype(np.int64) * SECOND


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Row blocks joined column by column."""
    parts = [p for p in parts if p and len(p["opened"])]
    if not parts:
        return _empty()
    # Blocks without a cascade id are not part of a cascade (-1).
    parts = [p if "gid" in p else {**p, "gid": np.full(len(p["opened"]), -1, dtype=np.int64)} for p in parts]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _empty() -> dict[str, np.ndarray]:
    """A block with no rows."""
    return {
        "opened": np.array([], dtype="datetime64[s]"),
        "system": np.array([], dtype=np.int64),
        "priority": np.array([], dtype=np.int64),
        "category": np.array([], dtype=np.int64),
        "outage": np.array([]),
        "users": np.array([], dtype=np.int64),
        "desc": np.array([], dtype=np.int64),
        "kind": np.array([], dtype=np.int64),
        "gid": np.array([], dtype=np.int64),
    }


def _quarter_label(day: dt.date) -> str:
    """Calendar quarter like 2025-Q3."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _quarters(params: Params) -> dict[str, dict[dt.date, int]]:
    """Quarter label -> {month first day: days of that month inside the window}."""
    q: dict[str, dict[dt.date, int]] = {}
    for m in window_months(params):
        q.setdefault(_quarter_label(m.first), {})[m.first] = len(m.days)
    return q


def _switch_quarter_count(params: Params, quarters: dict[str, dict[dt.date, int]], label: str) -> int:
    """P1/P2 tickets planted on the core switches in a quarter: flat and low, then rising."""
    labels = list(quarters)
    i = labels.index(label)
    k = len(RISING_COUNTS)
    rising = RISING_COUNTS[-min(k, len(labels) - 1) :] if len(labels) > 1 else RISING_COUNTS[-1:]
    pos = i - (len(labels) - len(rising))
    mult = max(1.0, params.scale)
    if pos >= 0:
        base = rising[pos]
    else:
        base = (0, 1, 1, 2, 1, 0, 1, 2)[i % 8]
    return int(round(base * mult))


def _realized_counts(params: Params, org: Org) -> dict[int, list[tuple[int, int]]]:
    """Month index -> [(system index, planted P1 tickets)] on the done initiatives' targets: the rate before the
    finish day up to its month, the rate after from the next month (scaled above scale 1 like the switch plant),
    rounded on the running total so the counts add up to the rates over the window."""
    months = window_months(params)
    mult = max(1.0, params.scale)
    out: dict[int, list[tuple[int, int]]] = {}
    for pos, (before, after) in done_initiatives.P1_PER_MONTH.items():
        spec = done_initiatives.INITIATIVES[pos - 1]
        finished = done_initiatives.finished_on(spec, params.start, params.end)
        for key in spec.systems:
            share = 1.0 / len(spec.systems)
            rate = np.array([(before if m.first <= finished else after) * mult * share * len(m.days) / m.full_days
                             for m in months])
            counts = np.diff(np.concatenate([[0], np.floor(np.cumsum(rate) + 0.5)])).astype(int)
            for m, c in zip(months, counts):
                out.setdefault(m.index, []).append((org.index[key], int(c)))
    return out


def _outage_month(params: Params) -> str:
    """The planted EHR outage month: nine months before the window's last month (or the middle of short windows)."""
    months = [m for m in window_months(params) if len(m.days) == m.full_days]
    pick = months[-9] if len(months) >= 12 else months[len(months) // 2]
    return pick.label
