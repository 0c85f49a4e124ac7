"""Daily application usage per (system, department): adoption, weekly rhythm and growth trends.

The universe of pairs is every application x every department. Each pair has a fixed share of its
application's daily active users (high where the department is the natural audience, a trickle
elsewhere), so a department's numbers do not depend on how many pairs are written. ``scale`` picks
how many pairs get rows: round(N x scale), N being the number of natural pairs (every application x
every department in its audience: at scale 1 every department that uses an application has its rows),
never fewer than the covering pairs (EHR x every department, the planted department leading, and each
other application's busiest department), at most the universe. Pairs are taken in a fixed order: the
covering pairs, then the other natural pairs by their share of their application's users, then the
trickle pairs (only large scales write them). Tickets on an application come only from departments
with usage rows for it (hitplan/synth/incidents.py), so every (system, department) pair that raises
tickets has usage at any scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from hitplan.synth import catalog
from hitplan.synth import output as out
from hitplan.synth.world import Month, Org, Params, stream

TRICKLE = 0.003  # a department outside an application's audience still has the odd user
DAU = {
    "ehr": 0.55,
    "pacs": 0.45,
    "lis": 0.55,
    "pharmacy": 0.5,
    "erp": 0.12,
    "telehealth": 0.25,
    "patient_portal": 0.3,
    "clinical": 0.3,
    "business": 0.3,
    "collaboration": 0.55,
    "security": 0.35,
}
SESSIONS_PER_USER = {"ehr": 3.2, "telehealth": 5.5}
TRANSACTIONS_PER_USER = {
    "ehr": 48.0,
    "pacs": 22.0,
    "lis": 65.0,
    "pharmacy": 70.0,
    "erp": 9.0,
    "telehealth": 6.0,
    "patient_portal": 18.0,
    "clinical": 14.0,
    "business": 12.0,
    "collaboration": 25.0,
    "security": 5.0,
}
GROWTH_PER_YEAR = {"ehr": 0.055, "telehealth": 0.25}


@dataclass
class UsagePlan:
    """The pairs that get rows and each pair's expected share of its application's users."""

    app: np.ndarray  # system index per pair
    dept: np.ndarray  # department index per pair
    share: np.ndarray  # share of the application's daily users in this department
    covering: int = 0  # the first pairs: EHR x every department and each other application's busiest one
    natural: int = 0  # the first pairs: every application x every department in its audience


def universe(org: Org) -> UsagePlan:
    """Every application x department pair, in the order rows are taken as scale grows."""
    apps = [i for i, s in enumerate(org.systems) if s.kind == "application"]
    ehr = org.index[catalog.EHR]
    app_l, dept_l, share_l, rank_l = [], [], [], []
    nd = len(org.dept_names)
    for a in apps:
        spec = org.systems[a]
        if a == ehr:
            w = org.ehr_users.copy()
            natural = np.ones(nd, dtype=bool)
        else:
            natural = org.audience(spec.audience)
            w = org.headcount * np.where(natural, 1.0, TRICKLE)
        share = w / w.sum()
        busiest = int(np.argmax(np.where(natural, share, -1.0)))
        for d in range(nd):
            if a == ehr:
                tier = 0
                rank = -1e12 if d == org.low_training_dept else -share[d]
            elif d == busiest:
                tier, rank = 1, -share[d]
            else:
                tier, rank = (2 if natural[d] else 3), -share[d]
            app_l.append(a)
            dept_l.append(d)
            share_l.append(share[d])
            rank_l.append((tier, rank, a, d))
    order = sorted(range(len(rank_l)), key=lambda i: rank_l[i])
    tiers = np.array([rank_l[i][0] for i in order])
    return UsagePlan(
        np.array(app_l)[order], np.array(dept_l)[order], np.array(share_l)[order],
        int((tiers <= 1).sum()), int((tiers <= 2).sum()),
    )


def plan(params: Params, org: Org) -> UsagePlan:
    """The pairs written at this scale: round(natural pairs x scale), never fewer than the covering pairs."""
    u = universe(org)
    n = int(min(len(u.app), max(u.covering, round(u.natural * params.scale))))
    return UsagePlan(u.app[:n], u.dept[:n], u.share[:n], u.covering, u.natural)


def expected_active(params: Params, org: Org) -> np.ndarray:
    """Expected daily active users per (system, department) over the pairs written at this scale (0 elsewhere):
    who can raise a ticket on an application."""
    pl = plan(params, org)
    active = np.zeros((len(org.systems), len(org.dept_names)))
    users = np.array([(org.systems[a].users or 0) * DAU[org.systems[a].category] for a in pl.app])
    np.add.at(active, (pl.app, pl.dept), users * pl.share)
    return active


class UsageGenerator:
    """Builds each month's usage rows for the planned pairs."""

    def __init__(self, params: Params, org: Org) -> None:
        self.p, self.org = params, org
        self.plan = plan(params, org)
        specs = [org.systems[a] for a in self.plan.app]
        self.base = np.array([(s.users or 0) * DAU[s.category] for s in specs]) * self.plan.share
        self.licensed = np.array([s.users or 0 for s in specs])
        self.growth = np.array([GROWTH_PER_YEAR.get(s.category, 0.02) for s in specs])
        self.spu = np.array([SESSIONS_PER_USER.get(s.category, 1.6) for s in specs])
        self.tpu = np.array([TRANSACTIONS_PER_USER[s.category] for s in specs])
        self.is_tele = np.array([s.category == "telehealth" for s in specs])
        self.weekend = org.dept_weekend[self.plan.dept]
        self.live = org.go_live[self.plan.app]
        self.ehr_pairs = self.plan.app == org.index[catalog.EHR]
        self.ehr_active_sum = np.zeros(len(org.dept_names))
        self.ehr_days = 0

    def month(self, month: Month) -> dict[str, pa.Array]:
        """Rows for every planned pair on every day of ``month`` (from each system's go-live)."""
        rng = stream(self.p, "usage", month.index)
        days = month.days
        nd, npairs = len(days), len(self.base)
        day = np.repeat(days, npairs)
        pair = np.tile(np.arange(npairs), nd)
        keep = self.live[pair] <= day
        day, pair = day[keep], pair[keep]
        n = len(day)
        dow = (day.astype(np.int64) + 3) % 7
        weekend = dow >= 5
        years = (day - self.p.first_day).astype(np.int64) / 365.25
        factor = np.where(weekend, self.weekend[pair], 1.0) * (1.0 + self.growth[pair]) ** years
        noise = np.clip(rng.normal(1.0, 0.05, n), 0.85, 1.12)
        expected = self.base[pair] * factor * noise
        active = np.floor(expected + rng.random(n)).astype(np.int64)
        active = np.minimum(active, self.licensed[pair])
        spu = self.spu[pair] * np.where(self.is_tele[pair], 1.08**years, 1.0)
        sessions = np.floor(active * spu * np.clip(rng.normal(1.0, 0.08, n), 0.7, 1.3) + rng.random(n)).astype(np.int64)
        transactions = np.floor(sessions / spu * self.tpu[pair] * np.clip(rng.normal(1.0, 0.1, n), 0.6, 1.4)).astype(
            np.int64
        )
        ehr = self.ehr_pairs[pair]
        self.ehr_active_sum += np.bincount(
            self.plan.dept[pair[ehr]], weights=active[ehr], minlength=len(self.ehr_active_sum)
        )
        self.ehr_days += nd
        return {
            "day": out.dates(day),
            "system_id": out.pick(self.org.system_ids, self.plan.app[pair]),
            "department": out.pick(self.org.dept_names, self.plan.dept[pair]),
            "active_users": out.integers(active),
            "sessions": out.integers(sessions),
            "transactions": out.integers(transactions),
        }

    def ehr_mean_active(self) -> dict[str, float]:
        """Average daily EHR active users per department that has EHR usage rows."""
        depts = np.unique(self.plan.dept[self.ehr_pairs])
        return {self.org.dept_names[d]: self.ehr_active_sum[d] / max(self.ehr_days, 1) for d in depts}
