"""Write the report notebooks from one specification, so that all of them share the same parameters cell,
the same opening call and the same layout. Run it after changing the text below:

    python notebooks/build_notebooks.py

Each notebook is narrative (Markdown) and short calls into hitplan; the numbers and sentences come from
hitplan.report (areas, quality, portfolio, board). Notebooks are written without outputs; papermill or JupyterLab
fills them in.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

PARAMETERS = """store = None  # the DuckDB store; None: $HITPLAN_STORE, else data/hitplan.duckdb
period = "last-quarter"  # FY2027, FY2027Q1, 2026-03, last-quarter, last-month, ytd, last-12-months
start = None  # or a first day "YYYY-MM-DD" with end (end excluded) instead of period
end = None
as_of = None  # the day relative periods count from; None: the store's last day of data
hospital = None  # None: the name in the hospital feed
settings = None  # a settings file over the shipped figures (`hitplan settings show` lists them); None: shipped
kpi_config = None  # this run only: a YAML file overriding KPI figures (area -> figure) over the settings
weights = None  # this run only: criteria and weights replacing the settings'; None: the settings' criteria
budget = None  # this run only: budgets per fiscal year; None: hitplan/prioritize/budget_example.yaml"""

# The board pack notebook's own parameter: `hitplan report` sets it; in JupyterLab it stays None (no deck).
DECK_PARAMETER = """
deck_file = None  # where to write the board deck (PowerPoint) from this pack; None: no deck"""

OPEN = "ctx = open_context(store, period, start, end, as_of, hospital, kpi_config, weights, budget, settings)"

HOW_TO_READ = """Each finding below is a sentence computed from the store for the period, with the value and the target
or benchmark it is judged against. Targets come from `hitplan/kpi/config.yaml`, where each one cites its
source; change them in a settings file passed as `settings` (`hitplan settings show` lists every figure and its
source), not in this notebook. The status is the worst of the measures that drive it: **on target**, **watch**
(close to the limit, or only partly measurable because some data is missing) or **off target**; **no data** (grey)
when none of them can be measured, with the reason. Below the findings are the key numbers, the charts and the detail tables,
and the sources each number comes from."""

AREAS = [
    ("support", "01_support", "Technology implementation and support",
     """The service desk and the clinical systems it keeps running: how many incidents were opened and closed,
how quickly critical tickets were answered and resolved against the service levels, how available the
tier-1 systems were, and which systems generate the most work.

**Why it matters.** When the EHR, the lab system or the PACS is down, clinicians fall back to paper and care
slows down. Slow resolution of P1 and P2 incidents is felt on the wards first; a growing backlog is the
early sign of an under-resourced desk."""),
    ("security", "02_security", "Cybersecurity and data protection",
     """Vulnerability findings from the scanners, how many are known to be exploited in the wild (CISA's KEV
catalog), how fast critical findings are fixed against policy, which systems holding patient data (PHI)
are exposed, phishing-simulation results, and the expected cost of a breach.

**Why it matters.** Healthcare has had the costliest data breaches of any industry for more than a decade,
and ransomware stops clinical work. Known-exploited vulnerabilities past their due date are the clearest
sign of avoidable risk.

*This report is for the IT team: its tables name hosts and CVEs. The board pack carries counts and system
names only.*"""),
    ("infrastructure", "03_infrastructure", "Infrastructure",
     """Systems past or approaching the vendor's end of support, weighted by how critical they are, whether older
systems generate more incidents, which systems concentrate the P1 incidents, and end-of-support systems
whose incidents are rising.

**Why it matters.** A system without vendor patches cannot be secured, and replacing a core system takes one
to two budget cycles: leadership needs the warning 12 to 24 months ahead."""),
    ("continuity", "04_continuity", "Disaster recovery and business continuity",
     """Whether critical systems have been tested for disaster recovery in the last year, whether the tests met
their recovery time and recovery point objectives, how reliable the backups are, and what outages cost.

**Why it matters.** A recovery plan that has not been tested is a hope, not a plan. HIPAA and the Joint
Commission expect contingency plans to be tested; the downtime cost turns outage hours into the money the
board weighs against investment."""),
    ("costs", "05_costs", "Budgeting and cost",
     """IT spend against budget by cost pool, spend by tower over the months, the year-end forecast at the current
run rate, IT spending (operating and capital) as a share of the hospital's operating expense, duplicate
invoices and the vendors paid most.

**Why it matters.** Overspends found in the last quarter leave no room to act; a run-rate forecast and the
pools drifting over budget give finance and IT time to decide."""),
    ("training", "06_training", "Staff training",
     """Completion of assigned training by department and role, departments that combine low EHR training with a
high rate of how-to tickets, and whether security-awareness training lowers phishing click rates.

**Why it matters.** Untrained users raise avoidable tickets, work around the EHR and click on phishing
e-mails. Linking training to tickets shows where a training hour buys the most."""),
    ("vendors", "07_vendors", "Vendor management and procurement",
     """Whether vendors meet the response times in their contracts, how concentrated the spend is, contracts
ending or reaching their notice deadline soon (auto-renewals above all), and business associate agreements
for vendors whose systems hold patient data.

**Why it matters.** An auto-renewing contract whose notice deadline passes unnoticed renews on the vendor's
terms; a vendor handling PHI without a signed BAA is a HIPAA violation."""),
    ("strategy", "08_strategy", "Innovation and strategic planning",
     """How IT spend splits into running the hospital, growing it and transforming it, the share going to
transformation, and the pipeline of candidate initiatives by area and status.

**Why it matters.** An IT budget spent almost entirely on keeping the lights on leaves nothing for the
changes the hospital's strategy depends on. (Scoring and choosing initiatives is in `11_prioritization`.)"""),
    ("compliance", "09_compliance", "Regulatory compliance and reporting",
     """Coverage of the HIPAA Security Rule's implementation specifications, how current the evidence for each
control is, open audit findings and their age, and breaches of unsecured PHI against the notification
deadlines (individuals within 60 days of discovery, HHS by the 500-individual rule; 45 CFR 164.404, 164.408).

**Why it matters.** Auditors ask for evidence that controls work today, not last year; stale evidence and
overdue findings are what fail an audit."""),
]

SETUP_AREA = """from hitplan.report.context import open_context
from hitplan.report.display import show, show_header
from hitplan.report.areas import area_section

{open}
section = area_section(ctx.con, "{area}", ctx.period, ctx.cfg)
show_header(ctx, "{title}")"""


def _parameters_cell(extra: str = ""):
    return new_code_cell(PARAMETERS + extra, metadata={"tags": ["parameters"]})


def _notebook(cells) -> nbformat.NotebookNode:
    for i, cell in enumerate(cells):  # stable ids: regenerating an unchanged notebook changes nothing
        cell.id = f"cell-{i:02d}"
    nb = new_notebook(cells=cells)
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    }
    return nb


def _close():
    return new_code_cell("ctx.close()")


def _notebook_only(text: str) -> nbformat.NotebookNode:
    """A Markdown cell for people working in the notebook; exported reports leave it out (tag notebook-only)."""
    cell = new_markdown_cell(text)
    cell.metadata["tags"] = ["notebook-only"]
    return cell


OUTLOOK_INTRO = {
    "support": """## Outlook: incidents in the next quarters and what they are about

How many incidents to expect in each of the next four fiscal quarters, per ticket category and per system,
with an 80 % prediction interval. The model is gradient boosting with a Poisson loss on each series' last
quarters and the same quarter a year before (`hitplan.forecast.incident_volume_forecast`). It is judged in a
rolling-origin backtest against the seasonal-naive baseline (the same quarter last year): MASE below 1 beats
a naive forecast, and a good 80 % interval holds the actual count about 80 % of the time. Wherever the model
did not beat the baseline for a series, the baseline's forecast is shown and the table says so.

The themes are what people call about: TF-IDF and NMF over the incidents' short descriptions, after ticket
numbers, host names and site codes are removed (`hitplan.forecast.incident_themes`). The descriptions were
scrubbed when loaded: a person's name reads `[name]` in the examples, a phone number `[phone]`.""",
    "infrastructure": """## Outlook: which systems are most likely to fail us next quarter

The probability of at least one P1 or P2 incident on each system in the next fiscal quarter, from a calibrated
classifier on the system's age, end of support, incident history, open vulnerabilities and disaster-recovery
gaps (`hitplan.forecast.outage_risk`). It is judged in a backtest over the last quarter ends by its Brier
score against the base rate (the share of system-quarters with such an incident); the reliability table
shows whether "30 %" meant 30 %. The same probability is evidence for the initiatives that target these
systems in `11_prioritization`.""",
    "costs": """## Outlook: ledger postings to check

Lines of the general ledger that look wrong (`hitplan.forecast.cost_anomalies`): an invoice posted twice, an
amount far above the vendor's usual lines (at least 5 times its median and above its largest), or a posting
to a cost pool the vendor is not usually charged to. Each carries its reason; finance decides.""",
}


def area_notebook(area: str, title: str, intro: str) -> nbformat.NotebookNode:
    """An area report: what the area covers and why, the parameters, the section and how to read it, and for
    areas with forecasts the outlook with its backtest."""
    cells = [
        new_markdown_cell(f"# {title}\n\n{intro}"),
        _notebook_only("**Parameters.** Run as is, this report covers the last complete quarter of the store's "
                       "data. To report another period, change `period` (or set `start` and `end`), or pass "
                       "parameters with papermill or `hitplan report`."),
        _parameters_cell(),
        new_code_cell(SETUP_AREA.format(open=OPEN, area=area, title=title.lower())),
        new_markdown_cell("## Findings\n\n" + HOW_TO_READ),
        new_code_cell("show(section, heading=False)"),
    ]
    if area in OUTLOOK_INTRO:
        cells += [
            new_markdown_cell(OUTLOOK_INTRO[area]),
            new_code_cell("from hitplan.report.outlook import outlook_section\n\n"
                          f"show(outlook_section(ctx.con, \"{area}\", ctx.period), heading=False)"),
        ]
    return _notebook([*cells, _close()])


def data_quality_notebook() -> nbformat.NotebookNode:
    return _notebook([
        new_markdown_cell("""# Data quality

What the store holds and how far the other reports can be trusted: which feeds have data and how current
each is, rows rejected at load (kept with the reason, never dropped) and links between feeds that do not
resolve, such as incidents naming a system that is not in the inventory.

**Why it matters.** Every number in the area reports and the board pack is only as good as the exports
behind it. A feed that stopped a month ago makes the last quarter look quieter than it was; a poor
link rate leaves incidents and findings unattributed to systems."""),
        _notebook_only("**Parameters** (edit to look at another period or store)"),
        _parameters_cell(),
        new_code_cell(f"""from hitplan.report.context import open_context
from hitplan.report.display import show, show_header
from hitplan.report.quality import data_quality_section

{OPEN}
section = data_quality_section(ctx.con, ctx.as_of, ctx.settings)
show_header(ctx, "data quality")"""),
        new_markdown_cell("""## Findings

Freshness is measured for the exports that arrive every month (incidents, usage, the ledger, scans,
backups, training, phishing) against the last day with activity data. Rejected rows are grouped by feed,
column and the kind of reason; `hitplan rejects --out FILE.csv` writes them out ready to correct and
load again. Link rates are the share of non-blank references that find their target."""),
        new_code_cell("show(section, heading=False)"),
        _close(),
    ])


def prioritization_notebook() -> nbformat.NotebookNode:
    return _notebook([
        new_markdown_cell("""# Initiative prioritization

Every open candidate initiative scored on what it would change - the outages, incidents and risks on
the systems it targets times the effect it promises, its savings, reach, strategic alignment and confidence
- with its cost beside the score, not inside it; then the best portfolio that fits each fiscal year's
capital, running-cost and team-hour budgets, finishing what is due by its deadline, and when each initiative
starts; what binds and what more would buy; and whether the initiatives already done delivered.

**How to read it.** A score runs from 0 to 1 and measures benefit; cost is counted once, by the budgets. The
reasons list the criteria that contribute most. Weights and effects are judgements, so the ranking is tested
against them: *P(top quarter)* is the share of thousands of slightly different weightings (and effects drawn
from their stated ranges) in which the initiative still ranks in the top quarter. The portfolio is an exact
optimization, not a cut-off down the ranking. Change the weights (`weights`) or the budgets (`budget`) and run
again to compare."""),
        _notebook_only("**Parameters** (edit to look at another period or store)"),
        _parameters_cell(),
        new_code_cell(f"""from hitplan.report.context import open_context
from hitplan.report.display import show, show_header
from hitplan.report.portfolio import portfolio_section

{OPEN}
section = portfolio_section(ctx.con, ctx.period, ctx.settings, samples=300)
show_header(ctx, "initiative prioritization")"""),
        new_markdown_cell("""## Ranking, portfolio and roadmap

The evidence covers the twelve months to the end of the period, so that incident and outage counts are
a year's worth. The charts show the roadmap of funded initiatives by quarter, the budget used against
each year's budget, how the portfolio's value grows with more capital, and how sensitive the top
initiative's score and the ranking are to the weights."""),
        new_code_cell("show(section, heading=False)"),
        _close(),
    ])


def board_notebook() -> nbformat.NotebookNode:
    return _notebook([
        new_markdown_cell("""# IT board pack

A summary for the board of where the hospital's information technology stands, the risks that need the
board's attention, the recommended investment portfolio and what it buys, and the budget position. It
draws on the nine area reports, the data-quality report and the prioritization, and carries counts,
trends and named systems only: no host names, network addresses or vulnerability identifiers."""),
        _notebook_only("**Parameters** (edit to look at another period or store)"),
        _parameters_cell(DECK_PARAMETER),
        new_code_cell(f"""from hitplan.report.context import open_context
from hitplan.report.display import show, show_header, show_text
from hitplan.report.board import board_pack, board_summary
from hitplan.report.deck import deck_from_pack

{OPEN}
board = board_pack(ctx.con, ctx.period, ctx.settings, ctx.hospital)
pack = {{s.key: s for s in board.sections}}
show_header(ctx, "IT board pack")"""),
        new_markdown_cell("## Summary"),
        new_code_cell("show_text(board_summary(list(pack.values()), ctx.hospital, ctx.period))"),
        new_markdown_cell("""## Where each area stands

Nine areas of IT management, each judged on the two or three measures that matter most against a target
with a cited source. *Watch* means close to the limit, or not measurable because data is missing."""),
        new_code_cell("show(pack[\"scorecard\"], heading=False, tables=False)"),
        new_markdown_cell("""## Top risks

The areas off target first, then those to watch, each with the finding that drives it."""),
        new_code_cell("show(pack[\"risks\"], heading=False, tables=False)"),
        new_markdown_cell("""## The recommended portfolio and what it buys

Candidate initiatives are scored on clinical impact, risk reduction, operational effect, financial value,
reach, strategic alignment, confidence and cost; the recommended portfolio is the combination with the
highest total score that fits each year's capital, running-cost and staff-hour budgets."""),
        new_code_cell("show(pack[\"portfolio\"], heading=False, max_rows=10)"),
        new_markdown_cell("""## Budget position

Spend this period against the IT budget, the year-end forecast at the current run rate, and the
recommended portfolio's use of next years' investment budgets."""),
        new_code_cell("show(pack[\"budget\"], heading=False)"),
        new_code_cell("if deck_file:  # `hitplan report` writes the deck from this pack: the same sections, once\n"
                      "    deck_from_pack(board, ctx, deck_file)"),
        _close(),
    ])


def notebooks() -> dict[str, nbformat.NotebookNode]:
    """Every report notebook by file name, in reading order."""
    out = {"00_board_pack.ipynb": board_notebook()}
    for area, stem, title, intro in AREAS:
        out[f"{stem}.ipynb"] = area_notebook(area, title, intro)
    out["10_data_quality.ipynb"] = data_quality_notebook()
    out["11_prioritization.ipynb"] = prioritization_notebook()
    return out


def main() -> None:
    for name, nb in notebooks().items():
        nbformat.validate(nb)
        nbformat.write(nb, HERE / name)
        print(f"wrote notebooks/{name}")


if __name__ == "__main__":
    main()
