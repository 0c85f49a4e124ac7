"""Incident themes: free text is normalized so ids, hosts, addresses and site codes never become terms; the themes
are the same for the same seed."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pandas as pd

from hitplan import store
from hitplan.forecast import incident_themes, normalize_text
from hitplan.forecast.themes import incident_themes_by_month, typo_map
from hitplan.periods import Period
from hitplan.synth.catalog import SITES


def test_normalize_drops_ids_hosts_addresses_sites_and_filler():
    text = "re INC0012345 URGENT - Printer PRN-MAIN-123 jammed on srv-ehr-01 at 10.2.3.4 pls help ABC123WS"
    assert normalize_text(text, site_codes={"MAIN"}) == ["printer", "jammed"]
    assert normalize_text("NPAV - Wi-Fi dropping on NPAV unit - caller at x5823", site_codes={"NPAV"}) == \
        ["wifi", "dropping", "unit"]
    assert normalize_text("pw reset on epicprod", hosts={"epicprod"}) == ["password", "reset"]
    assert normalize_text("") == []


def test_a_rare_typo_is_read_as_the_common_word():
    fix = typo_map(Counter({"password": 120, "pasword": 2, "passwrod": 1, "printer": 80, "prints": 1, "prnter": 40}))
    # a deletion and a swap away from password; "prints" is two edits from printer; "prnter" is common enough to keep
    assert fix == {"pasword": "password", "passwrod": "password"}


def test_demo_themes_are_stable_for_a_seed_and_free_of_ids(demo_store):
    path, truth, as_of = demo_store
    p = Period("last year", as_of - dt.timedelta(days=364), as_of + dt.timedelta(days=1))
    con = store.connect(path)
    try:
        a = incident_themes(con, p, n_themes=8, seed=7)
        b = incident_themes(con, p, n_themes=8, seed=7)
        by_month = incident_themes_by_month(con, p, n_themes=8, seed=7)
    finally:
        con.close()
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 8 and a["theme"].tolist() == list(range(1, 9))
    assert a["incidents"].is_monotonic_decreasing and a["share_pct"].sum() <= 100.0 + 1e-9
    terms = {t.strip() for row in a["top_terms"] for t in row.split(",")}
    banned = {s.lower() for s in SITES} | {"inc", "ws", "prn", "re", "fw", "urgent", "caller"}
    assert not terms & banned, terms & banned
    assert all(re.fullmatch(r"[a-z]{2,}", t) for t in terms), terms
    # examples show incident numbers with the ids inside the text masked
    assert all(re.match(r"INC\d{7}: ", e) for e in a["examples"])
    assert not any(re.search(r"WS-[A-Z0-9]+-\d+|PRN-[A-Z0-9]+-\d+", e) for e in a["examples"])
    assert by_month.groupby("theme")["incidents"].sum().to_dict() == dict(zip(a["theme"], a["incidents"]))
