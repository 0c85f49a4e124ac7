"""The privacy corpus, loaded as a user would: no planted name, e-mail, phone number, SSN, MRN or IP address is
found in the store, the rejects, the `rejects --out` file, the KPI CSV, the forecast JSON or a whole report pack."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from conftest import query
from fixtures.privacy.corpus import LATER_JIRA, REGISTER_ONLY, SECRETS, SERVICENOW, TRAINING
from hitplan.ingest.pseudonymize import load_key, pseudonym
from test_export_corpus import FIX, LAYOUTS, _persons

pytestmark = pytest.mark.slow


# The service-desk layouts issue 15 added, loaded into the corpus store too: their person columns' values (as the
# export corpus test reads them) must not show either.
NEW_LAYOUTS = [x for x in LAYOUTS if x.file in (
    "bmc_helix_incidents.csv", "freshservice_tickets.csv", "manageengine_sdp_requests.csv",
    "ivanti_cherwell_incidents.csv", "servicenow_custom_labels.csv", "servicenow_legacy_states.csv",
    "servicenow_list_no_times.csv")]
NEW_PEOPLE = sorted({p for x in NEW_LAYOUTS for p in _persons(x)})


def _leaks(text: str) -> list[str]:
    low = text.lower()
    return [s for s in [*SECRETS, *NEW_PEOPLE] if s.lower() in low]


def _store_text(path: Path) -> str:
    """Every text value of every table of the store."""
    tables = query(path, "select table_name, column_name from information_schema.columns "
                         "where data_type = 'VARCHAR'")
    return "\n".join(str(v) for t, c in tables for (v,) in query(path, f'select "{c}" from "{t}" where "{c}" is not null'))


def _files_text(folder: Path) -> str:
    out = []
    for p in sorted(folder.rglob("*")):
        if p.suffix in (".html", ".ipynb", ".json", ".md", ".csv"):
            out.append(p.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(out)


@pytest.fixture
def corpus_store(store_path, cli):
    for feed, file in (("incidents", SERVICENOW), ("training", TRAINING), ("incidents", LATER_JIRA),
                       *(("incidents", FIX / x.file) for x in NEW_LAYOUTS)):
        code, out, err = cli("ingest", feed, file)
        assert code == 0, err
    return store_path, out


def test_nothing_planted_reaches_the_store_the_rejects_or_the_command_outputs(corpus_store, cli, tmp_path):
    path, _ = corpus_store
    assert query(path, "select count(*) from rejects")[0][0] >= 4  # bad rows, each carrying names and ids
    assert _leaks(_store_text(path)) == []
    code, shown, _ = cli("rejects", "--limit", "100")
    assert code == 0 and _leaks(shown) == []
    out = tmp_path / "rejects.csv"
    assert cli("rejects", "--out", out)[0] == 0
    assert _leaks(out.read_text(encoding="utf-8")) == [] and stat.S_IMODE(out.stat().st_mode) == 0o600
    for args in (("kpi", "support", "--format", "csv"), ("kpi", "incident_backlog", "--rows", "--format", "csv"),
                 ("forecast", "--format", "json", "--period", "FY2025")):
        code, printed, err = cli(*args)
        assert code == 0, err
        assert _leaks(printed) == [], args


def test_the_load_summary_counts_replacements_per_column(store_path, cli):
    code, out, err = cli("ingest", "incidents", SERVICENOW)
    assert code == 0, err
    assert "scrubbed short_description:" in out and "names" in out and "e-mail addresses" in out
    assert "scrubbed rejects:" in out
    (logged,) = query(store_path, "select replacements from load_log where feed = 'incidents'")[0]
    counts = json.loads(logged)
    assert counts["short_description"]["name"] >= 10 and counts["short_description"]["ssn"] >= 1


def test_a_name_met_in_one_files_caller_column_is_replaced_in_a_later_files_description(store_path, cli):
    assert cli("ingest", "incidents", SERVICENOW)[0] == 0
    code, out, err = cli("ingest", "incidents", LATER_JIRA)
    assert code == 0, err
    texts = [t for (t,) in query(store_path, "select short_description from incidents where number like 'ITSM-%'")]
    assert REGISTER_ONLY not in "\n".join(texts)
    assert any(pseudonym(REGISTER_ONLY, load_key()) in t for t in texts)  # the same pseudonym as his caller rows


def test_a_whole_report_pack_of_the_corpus_shows_none_of_it(corpus_store, cli, tmp_path):
    code, _, err = cli("report", "--formats", "html", "--out", tmp_path / "reports")
    assert code == 0, err
    (pack,) = [p for p in (tmp_path / "reports").iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert len(list(pack.glob("*.html"))) >= 12
    assert _leaks(_files_text(pack)) == []
