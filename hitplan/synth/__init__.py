"""The synthetic demo hospital: every feed as export files for a fictional ~450-bed US hospital.

``generate(out_dir, seed=7, scale=1.0, start=2023-10-01, end=2026-09-30)`` writes one file per feed
declared in feeds.yaml (``<feed>.csv``, and ``budgets.xlsx`` because finance hands budgets over in
Excel) plus ``ground_truth.json``, and returns the same ground truth: the planted situations with
the exact ids the analyses must find, the row counts and the parameters.

Determinism: every feed (and every month of a big feed) draws from its own generator derived from
``numpy.random.SeedSequence(seed)`` and a stable key, so the same arguments give byte-identical
files and changing one feed never shifts another. Nothing reads the clock except the check that
``end`` is not in the future.

How ``scale`` works (volumes change, the shape does not):

- incidents: daily Poisson counts of 12,000 x scale a year with weekday and winter seasonality; the
  incidents that cause outages come at a fixed monthly rate (x min(scale, 1)) so monthly
  availability looks the same at every scale; the planted switch tickets grow with max(1, scale).
- usage: rows for round(N x scale) (system, department) pairs a day, N being every application x every
  department in its audience (2,067 pairs at scale 1, so every department that raises an application's tickets
  has usage for it), never fewer than the EHR x every department plus each other application's busiest
  department (201 pairs), at most every application x department (119 x 83 = 9,877 pairs, 10.8 M rows over
  the default window at scale 100). Tickets on an application come only from departments with usage rows for
  it, at any scale. Pairs are taken in a fixed order and each pair's numbers are independent of how many are
  written.
- costs: each pool-month total is fixed by the budget; scale only sets how many ledger lines it is
  cut into (about 300 x scale a month), so amounts per line shrink as lines multiply.
- backups: floor(scale) jobs per system per night plus one with probability frac(scale).
- training: a roster of 3,000 x max(1, scale) people; below scale 1 a random share of assignments.
- Fixed at every scale: hospital, vendors, systems, contracts, vulnerabilities, kev, dr_tests,
  phishing, controls, findings, initiatives, and every planted situation's ids.

Big feeds are written a month (or a million rows) at a time, so memory stays bounded.
"""

from hitplan.synth.generate import generate
from hitplan.synth.truth import GroundTruth

__all__ = ["GroundTruth", "generate"]
