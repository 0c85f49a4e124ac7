"""Training assignments: annual compliance courses, EHR upgrade refreshers, role courses and new-hire training.

A roster of about 3,000 fictional people (3,000 x scale above scale 1) gets every course its
department and role call for; below scale 1 the assignments are a random sample. Completion is set
exactly per department (about 92 %; the planted department completes EHR courses far less often), and so is
lateness: one completion in ten comes after its due day, 45 % in the department planted with late training.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from hitplan.synth import catalog
from hitplan.synth import output as out
from hitplan.synth.world import Names, Org, Params, rank_within, stream, systematic_split

ROSTER = 3000
RATE = 0.92
RATE_EHR_PLANTED = 0.52
RATE_OTHER_PLANTED = 0.90
# Share of completions made after the due day: low everywhere, high in the one department planted with late training.
LATE_SHARE = 0.10
LATE_SHARE_PLANTED = 0.45
# The department planted with late completions (shift workers who finish their courses weeks after the due day).
LATE_TRAINING_DEPARTMENT = "Environmental Services"
CHUNK_ROWS = 1_000_000


class TrainingBuilder:
    """The roster, every assignment and its completion, written in chunks."""

    def __init__(self, params: Params, org: Org) -> None:
        self.p, self.org = params, org
        rng = stream(params, "training")
        self.rng = rng
        n = int(round(ROSTER * max(1.0, params.scale)))
        counts = systematic_split(n, org.headcount)
        self.dept = np.repeat(np.arange(len(counts)), counts)
        self.roles, self.role = self._roles(counts)
        in_window = rng.random(n) < 0.18
        before = params.first_day - rng.integers(30, 3650, n) * np.timedelta64(1, "D")
        during = params.first_day + rng.integers(0, params.n_days, n) * np.timedelta64(1, "D")
        self.hired = np.where(in_window, during, before)
        self.names = pa.array(Names().unique(rng, n), type=pa.string())
        self.courses = catalog.COURSES + catalog.NEW_HIRE_COURSES

    def _roles(self, counts: np.ndarray) -> tuple[list[str], np.ndarray]:
        """Each person's role, split within the department by the kind's role mix."""
        roles: list[str] = sorted({r for mix in catalog.ROLES.values() for r, _ in mix})
        out_r = []
        for d, c in enumerate(counts):
            mix = catalog.ROLES[self.org.dept_kind[d]]
            split = systematic_split(int(c), np.array([w for _, w in mix]))
            out_r += [roles.index(r) for (r, _), k in zip(mix, split) for _ in range(k)]
        return roles, np.array(out_r, dtype=np.int64)

    def _eligible(self, course: catalog.Course, day: np.datetime64) -> np.ndarray:
        """People a course instance on ``day`` is assigned to."""
        mask = self.org.audience(course.audience)[self.dept] & (self.hired <= day)
        if course.roles:
            allowed = np.isin(self.role, [self.roles.index(r) for r in course.roles if r in self.roles])
            mask &= allowed
        return np.flatnonzero(mask)

    def assignments(self) -> dict[str, np.ndarray]:
        """Every assignment (person, course, assigned day, due day, completed day) after sampling."""
        rng = self.rng
        person, course, assigned = [], [], []
        p = self.p
        for ci, c in enumerate(catalog.COURSES):
            for year in range(p.start.year, p.end.year + 1):
                for m in c.months:
                    day = dt.date(year, m, 1) + dt.timedelta(days=int(rng.integers(0, 10)))
                    if not p.start <= day <= p.end:
                        continue
                    who = self._eligible(c, np.datetime64(day, "D"))
                    person.append(who)
                    course.append(np.full(len(who), ci))
                    assigned.append(np.full(len(who), np.datetime64(day, "D")))
        new = np.flatnonzero(self.hired >= p.first_day)
        for k, c in enumerate(catalog.NEW_HIRE_COURSES):
            ci = len(catalog.COURSES) + k
            who = new[self.org.audience(c.audience)[self.dept[new]]]
            day = self.hired[who] + rng.integers(0, 4, len(who)) * np.timedelta64(1, "D")
            keep = day <= p.last_day
            person.append(who[keep])
            course.append(np.full(int(keep.sum()), ci))
            assigned.append(day[keep])
        person_a = np.concatenate(person)
        course_a = np.concatenate(course)
        assigned_a = np.concatenate(assigned).astype("datetime64[D]")
        keep = rng.random(len(person_a)) < min(1.0, p.scale)
        person_a, course_a, assigned_a = person_a[keep], course_a[keep], assigned_a[keep]
        order = np.lexsort((person_a, course_a, assigned_a))
        person_a, course_a, assigned_a = person_a[order], course_a[order], assigned_a[order]
        due_days = np.array([c.due_days for c in self.courses])[course_a]
        due = assigned_a + due_days * np.timedelta64(1, "D")
        completed = self._completion(person_a, course_a, assigned_a, due, due_days)
        return {"person": person_a, "course": course_a, "assigned": assigned_a, "due": due, "completed": completed}

    def is_ehr(self, course: np.ndarray) -> np.ndarray:
        """Whether each course teaches the EHR."""
        return np.array([c.system == catalog.EHR for c in self.courses])[course]

    def _completion(
        self, person: np.ndarray, course: np.ndarray, assigned: np.ndarray, due: np.ndarray, due_days: np.ndarray
    ) -> np.ndarray:
        """Completion day per assignment (NaT when open): exact rates per department, EHR and other courses apart."""
        rng = self.rng
        n = len(person)
        dept = self.dept[person]
        ehr = self.is_ehr(course)
        planted = dept == self.org.low_training_dept
        rate = np.where(planted, np.where(ehr, RATE_EHR_PLANTED, RATE_OTHER_PLANTED), RATE)
        matured = due <= self.p.last_day
        group = dept * 2 + ehr
        key = rng.random(n)
        done = np.zeros(n, dtype=bool)
        m_idx = np.flatnonzero(matured)
        # Within each (department, EHR or not) group, in random order, the first rate x size are completed.
        order = m_idx[np.lexsort((key[m_idx], group[m_idx]))]
        g = group[order]
        quota = np.rint(np.bincount(g, weights=rate[order], minlength=int(group.max(initial=0)) + 1))
        done[order] = rank_within(g) < quota[g]
        elapsed = np.clip((self.p.last_day - assigned).astype(np.int64) / due_days, 0.0, 1.0)
        young = ~matured
        done[young] = key[young] < rate[young] * elapsed[young] * 0.85
        # Within each department, in random order, the first share x completed-and-due ones are completed late.
        share = np.where(dept == self.org.dept_index[LATE_TRAINING_DEPARTMENT], LATE_SHARE_PLANTED, LATE_SHARE)
        u = rng.random(n)
        late = np.zeros(n, dtype=bool)
        idx = np.flatnonzero(done & matured)
        order = idx[np.lexsort((u[idx], dept[idx]))]
        d = dept[order]
        late_quota = np.rint(np.bincount(d, weights=share[order], minlength=len(self.org.dept_names)))
        late[order] = rank_within(d) < late_quota[d]
        delay = np.where(late, due_days + rng.integers(1, 31, n), np.ceil(rng.random(n) * due_days)).astype(np.int64)
        room = (self.p.last_day - assigned).astype(np.int64)
        delay = np.minimum(delay, np.maximum(room, 0))
        completed = assigned + delay * np.timedelta64(1, "D")
        return np.where(done, completed, np.datetime64("NaT"))

    def chunks(self, a: dict[str, np.ndarray]) -> Iterator[dict[str, pa.Array]]:
        """Rendered column chunks of the assignments."""
        course_titles = [c.title for c in self.courses]
        course_sys = [self.org.sid(c.system) if c.system else None for c in self.courses]
        for lo in range(0, len(a["person"]), CHUNK_ROWS):
            sl = slice(lo, lo + CHUNK_ROWS)
            person = a["person"][sl]
            course = a["course"][sl]
            sys_idx = np.array([course_sys[i] is not None for i in range(len(course_sys))])[course]
            yield {
                "person": self.names.take(pa.array(person)),
                "role": out.pick(self.roles, self.role[person]),
                "department": out.pick(self.org.dept_names, self.dept[person]),
                "course": out.pick(course_titles, course),
                "system_id": out.pick(course_sys, course, sys_idx),
                "assigned_on": out.dates(a["assigned"][sl]),
                "due_on": out.dates(a["due"][sl]),
                "completed_on": out.dates(a["completed"][sl]),
            }

    def ehr_completion(self, a: dict[str, np.ndarray]) -> dict[str, float]:
        """EHR course completion (percent) per department, over assignments due within the window."""
        matured = a["due"] <= self.p.last_day
        ehr = self.is_ehr(a["course"]) & matured
        dept = self.dept[a["person"]][ehr]
        done = ~np.isnat(a["completed"][ehr])
        total = np.bincount(dept, minlength=len(self.org.dept_names))
        comp = np.bincount(dept, weights=done, minlength=len(self.org.dept_names))
        return {self.org.dept_names[d]: 100.0 * comp[d] / total[d] for d in range(len(total)) if total[d] > 0}

    def late_completion(self, a: dict[str, np.ndarray]) -> dict[str, tuple[int, int, int]]:
        """Per department, over assignments due within the window: (completed, completed after the due day, open and
        past due at the window's end)."""
        matured = a["due"] <= self.p.last_day
        dept = self.dept[a["person"]][matured]
        done = ~np.isnat(a["completed"][matured])
        late = done & (a["completed"][matured] > a["due"][matured])
        k = len(self.org.dept_names)
        c = np.bincount(dept, weights=done, minlength=k)
        lt = np.bincount(dept, weights=late, minlength=k)
        op = np.bincount(dept, weights=~done, minlength=k)
        return {self.org.dept_names[d]: (int(c[d]), int(lt[d]), int(op[d])) for d in range(k) if c[d] + op[d] > 0}
