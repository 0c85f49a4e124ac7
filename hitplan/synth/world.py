"""The generator's shared context: parameters, random streams, the calendar and the organisation tables."""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from hitplan.synth import catalog

DAY = np.timedelta64(1, "D")
SECOND = np.timedelta64(1, "s")
PHI = (np.sqrt(5.0) - 1.0) / 2.0  # golden-ratio step: the most even low-discrepancy sequence
RTO_RPO_BY_TIER = {1: (4.0, 0.25), 2: (12.0, 1.0), 3: (48.0, 24.0), 4: (120.0, 24.0)}


@dataclass(frozen=True)
class Params:
    """What the caller asked for."""

    seed: int
    scale: float
    start: dt.date
    end: dt.date

    @property
    def first_day(self) -> np.datetime64:
        """The window's first day."""
        return np.datetime64(self.start, "D")

    @property
    def last_day(self) -> np.datetime64:
        """The window's last day (inclusive)."""
        return np.datetime64(self.end, "D")

    @property
    def end_ts(self) -> np.datetime64:
        """The last second of the window: nothing happens after it."""
        return (self.last_day + DAY).astype("datetime64[s]") - SECOND

    @property
    def n_days(self) -> int:
        """Days in the window."""
        return int((self.last_day - self.first_day) / DAY) + 1


def stream(params: Params, *names: str | int) -> np.random.Generator:
    """An independent random generator for one feed (and chunk), so feeds never shift each other."""
    key = tuple(zlib.crc32(n.encode()) if isinstance(n, str) else int(n) for n in names)
    return np.random.default_rng(np.random.SeedSequence(params.seed, spawn_key=key))


def fiscal_year(day: dt.date) -> int:
    """The fiscal year a day falls in, named by the calendar year it ends in."""
    return day.year + 1 if day.month >= catalog.FY_START_MONTH else day.year


def fiscal_year_start(fy: int) -> dt.date:
    """First day of fiscal year ``fy``."""
    return dt.date(fy - 1, catalog.FY_START_MONTH, 1) if catalog.FY_START_MONTH > 1 else dt.date(fy, 1, 1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first of the month ``months`` after ``day``'s month."""
    m = day.year * 12 + day.month - 1 + months
    return dt.date(m // 12, m % 12 + 1, 1)


def month_end(day: dt.date) -> dt.date:
    """Last day of ``day``'s month."""
    return add_months(day, 1) - dt.timedelta(days=1)


@dataclass(frozen=True)
class Month:
    """A calendar month clipped to the window."""

    index: int
    first: dt.date  # first of the calendar month
    lo: dt.date  # first day inside the window
    hi: dt.date  # last day inside the window

    @property
    def label(self) -> str:
        """YYYY-MM."""
        return f"{self.first.year:04d}-{self.first.month:02d}"

    @property
    def days(self) -> np.ndarray:
        """The window's days in this month."""
        return np.arange(np.datetime64(self.lo, "D"), np.datetime64(self.hi, "D") + DAY)

    @property
    def full_days(self) -> int:
        """Days in the calendar month."""
        return (month_end(self.first) - self.first).days + 1


def window_months(params: Params) -> list[Month]:
    """The calendar months the window touches, clipped to it."""
    out, first, i = [], dt.date(params.start.year, params.start.month, 1), 0
    while first <= params.end:
        out.append(Month(i, first, max(first, params.start), min(month_end(first), params.end)))
        first, i = add_months(first, 1), i + 1
    return out


def weyl(start: float, k0: int, n: int) -> np.ndarray:
    """``n`` points of the golden-ratio sequence from position ``k0``: evenly spread in [0, 1)."""
    k = np.arange(k0, k0 + n, dtype=np.float64)
    return np.mod(start + k * PHI, 1.0)


def rank_within(keys: np.ndarray) -> np.ndarray:
    """Position of each row among the rows with the same key (rows arrive grouped by key)."""
    n = len(keys)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[True, keys[1:] != keys[:-1]]
    first = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    return np.arange(n) - first


def systematic_split(total: int, weights: np.ndarray) -> np.ndarray:
    """Whole counts summing to ``total`` in proportion to ``weights`` (largest remainders)."""
    w = np.asarray(weights, dtype=np.float64)
    exact = total * w / w.sum()
    base = np.floor(exact).astype(np.int64)
    rest = total - int(base.sum())
    if rest > 0:
        base[np.argsort(-(exact - base), kind="stable")[:rest]] += 1
    return base


@dataclass
class Org:
    """The hospital's departments, vendors and systems as arrays the generators index into."""

    params: Params
    dept_names: list[str] = field(init=False)
    dept_kind: list[str] = field(init=False)
    headcount: np.ndarray = field(init=False)
    systems: tuple[catalog.SystemSpec, ...] = field(init=False)
    system_ids: list[str] = field(init=False)
    vendor_ids: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.dept_names = [d[0] for d in catalog.DEPARTMENTS]
        self.dept_kind = [d[1] for d in catalog.DEPARTMENTS]
        hc = np.array([d[2] for d in catalog.DEPARTMENTS], dtype=np.float64)
        self.headcount = hc * catalog.HOSPITAL["staff"] / hc.sum()
        self.systems = catalog.SYSTEMS
        self.system_ids = [f"SYS-{i + 1:04d}" for i in range(len(self.systems))]
        self.vendor_ids = {v.key: f"V-{i + 1:04d}" for i, v in enumerate(catalog.VENDORS)}
        self.index = {s.key: i for i, s in enumerate(self.systems)}
        self.dept_index = {n: i for i, n in enumerate(self.dept_names)}

    def sid(self, key: str) -> str:
        """System id of a catalogue key."""
        return self.system_ids[self.index[key]]

    def spec(self, key: str) -> catalog.SystemSpec:
        """Catalogue entry of a key."""
        return self.systems[self.index[key]]

    @cached_property
    def tier(self) -> np.ndarray:
        """Criticality tier per system (0 = not assessed)."""
        return np.array([s.tier or 0 for s in self.systems], dtype=np.int64)

    @cached_property
    def phi(self) -> np.ndarray:
        """Whether each system holds PHI."""
        return np.array([s.phi for s in self.systems], dtype=bool)

    @cached_property
    def go_live(self) -> np.ndarray:
        """Go-live day per system."""
        start = self.params.first_day
        return np.array(
            [start - np.timedelta64(int(round(s.years_live * 365.25)), "D") for s in self.systems],
            dtype="datetime64[D]",
        )

    @cached_property
    def end_of_support(self) -> np.ndarray:
        """End-of-support day per system (NaT when none announced), at a month end."""
        out = []
        for s in self.systems:
            if s.eos_months is None:
                out.append(np.datetime64("NaT"))
            else:
                out.append(np.datetime64(month_end(add_months(self.params.end, s.eos_months)), "D"))
        return np.array(out, dtype="datetime64[D]")

    @cached_property
    def dept_weekend(self) -> np.ndarray:
        """Weekend activity factor per department."""
        return np.array([catalog.DEPT_KINDS[k].weekend for k in self.dept_kind])

    @cached_property
    def dept_ehr(self) -> np.ndarray:
        """Share of each department's staff who use the EHR."""
        return np.array([catalog.DEPT_KINDS[k].ehr for k in self.dept_kind])

    @cached_property
    def ehr_users(self) -> np.ndarray:
        """Typical EHR users per department: the weight for who calls the service desk."""
        return self.headcount * self.dept_ehr

    def audience(self, name: str) -> np.ndarray:
        """Boolean mask of the departments an audience covers."""
        members = set(catalog.AUDIENCES[name])
        return np.array([k in members or n in members for n, k in zip(self.dept_names, self.dept_kind)])

    @cached_property
    def low_training_dept(self) -> int:
        """Index of the planted low-training department."""
        return self.dept_index[catalog.LOW_TRAINING_DEPARTMENT]


@dataclass
class Names:
    """Fictional people's names, unique by construction from first and last name lists."""

    first: tuple[str, ...] = catalog.FIRST_NAMES
    last: tuple[str, ...] = catalog.LAST_NAMES

    def unique(self, rng: np.random.Generator, n: int) -> list[str]:
        """``n`` distinct 'Firstname Lastname' names (middle initials once the plain grid runs short)."""
        nf, nl = len(self.first), len(self.last)
        grid = nf * nl
        if n <= grid // 3:
            picks = rng.choice(grid, size=n, replace=False)
            return [f"{self.first[p // nl]} {self.last[p % nl]}" for p in picks]
        big = grid * 26
        picks = rng.permutation(big)[:n] if n <= big else np.concatenate([rng.permutation(big)] * (n // big + 1))[:n]
        out = []
        for j, p in enumerate(picks):
            f, rest = divmod(int(p), nl * 26)
            init, last = divmod(rest, nl)
            suffix = f" {j // big + 1}" if j >= big else ""
            out.append(f"{self.first[f]} {chr(65 + init)}. {self.last[last]}{suffix}")
        return out
