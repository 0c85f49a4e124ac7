"""What people actually call about: themes in incident short descriptions (TF-IDF and non-negative matrix
factorization), with their top terms, example incidents, the systems they fall on and how they move by month.

Free text is normalized before any term is counted, so no ticket number, host name, IP address, phone
extension or site code can become a theme term: every whitespace-separated chunk holding a digit is dropped
(INC0012345, WS-NPAV-12345, srv-ehr-01, ABC123WS, 10.2.3.4, x5823), and so are the host names of the system
aliases feed and the site codes found inside host and printer names (the NPAV of WS-NPAV-12345) or listed in
the configuration. Abbreviations are folded to one spelling (pw -> password), service-desk filler is a stop
word (re, fw, urgent, pls) and a rare token one typing slip away from a common one is read as that one
(pasword -> password). Terms are single words of two or more letters.

What the privacy scrubber left in the stored text never counts either: a person's pseudonym (P- and 16 hex digits,
in place of a name, user id or e-mail address) and the placeholders in square brackets ([phone], [ssn], [mrn],
[ip], [redacted]); a description that names someone is the same wording as one that names someone else or nobody.
Examples show a placeholder as stored, and a pseudonym as [name]: the reader sees that a name was there and was
removed, without a code that means nothing to them (two requests from different people read alike).

The fit runs on the distinct normalized texts, each weighted by how many incidents carry it (rows scaled by
the square root of the count give NMF the same objective as one row per incident); its initialization
(NNDSVDA) and ``random_state`` make the themes the same for the same data and seed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer
from threadpoolctl import threadpool_limits

from hitplan.analysis import empty, missing
from hitplan.forecast.common import setting
from hitplan.periods import Period

SOURCE = ("stg_incidents.short_description with int_incidents: incident_number, system_id, system_name, opened_month; "
          "stg_system_aliases (host names); settings: forecast/config.yaml themes")
COLUMNS = ["theme", "label", "top_terms", "incidents", "share_pct", "top_systems", "examples"]
_DIGIT_CHUNK = r"\S*[0-9]\S*"
# Written so that Python's re and DuckDB's RE2 read them alike.
_PSEUDONYM = r"\bP-[0-9a-f]{16}\b"
_PLACEHOLDER = r"\[[a-z]+\]"
NAME_SHOWN = "[name]"
_TOKEN = re.compile(r"[a-z][a-z]+")
_JOINED = {r"\bwi-?fi\b": "wifi", r"\be-?mail\b": "email", r"\bco-sign": "cosign", r"\blog-?in\b": "login",
           r"\bsign-?on\b": "signon"}


def _stop_words(cfg: dict | None, site_codes: set[str]) -> frozenset[str]:
    extra = {str(w).lower() for w in setting(cfg, "themes", "stop_words")}
    extra |= {str(w).lower() for w in setting(cfg, "themes", "site_codes")}
    return frozenset(ENGLISH_STOP_WORDS | extra | {c.lower() for c in site_codes})


def normalize_text(text: str, *, site_codes: set[str] = frozenset(), hosts: set[str] = frozenset(),
                   cfg: dict | None = None, _stop: frozenset[str] | None = None) -> list[str]:
    """The theme-relevant words of one free-text description (lower case, no ids, hosts, sites, filler, pseudonyms or
    scrubber placeholders)."""
    t = re.sub(_PLACEHOLDER, " ", re.sub(_PSEUDONYM, " ", text or ""))
    t = re.sub(_DIGIT_CHUNK, " ", t)
    t = " ".join(w for w in t.split() if w.lower().strip(".,;:()[]") not in hosts)
    t = t.lower()
    for pattern, repl in _JOINED.items():
        t = re.sub(pattern, repl, t)
    abbreviations = setting(cfg, "themes", "abbreviations")
    stop = _stop if _stop is not None else _stop_words(cfg, site_codes)
    words = []
    for w in _TOKEN.findall(t):
        w = abbreviations.get(w, w) or ""
        if w and w not in stop and len(w) >= 2:
            words.append(w)
    return words


def typo_map(counts: Counter, *, min_count: int = 5, ratio: float = 10.0) -> dict[str, str]:
    """Rare words one edit (a deletion, insertion, swap or changed letter) away from a word at least ``ratio``
    times as common, mapped to that word (only words of five or more letters)."""
    common = {w: n for w, n in counts.items() if n >= min_count}
    letters = "abcdefghijklmnopqrstuvwxyz"
    out = {}
    for w, n in counts.items():
        if len(w) < 5 or w in common and n >= min_count * ratio:
            continue
        splits = [(w[:i], w[i:]) for i in range(len(w) + 1)]
        near = {a + b[1:] for a, b in splits if b}
        near |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
        near |= {a + c + b[1:] for a, b in splits if b for c in letters}
        near |= {a + c + b for a, b in splits for c in letters}
        near.discard(w)
        best = max((c for c in near if common.get(c, 0) >= ratio * n), key=lambda c: (common[c], c), default=None)
        if best:
            out[w] = best
    return out


@dataclass(frozen=True)
class _Fit:
    """A fitted theme model: the themes (ordered by incidents) and the per-text assignments."""

    themes: pd.DataFrame  # theme, label, top_terms, incidents, share_pct
    texts: pd.DataFrame  # shown, system_id, system_name, month, incidents, theme (0 = no theme words)


def _site_codes(con, period: Period) -> set[str]:
    """Letter-only segments of hyphenated id chunks (WS-NPAV-12345 -> WS, NPAV), i.e. site and device codes."""
    rows = con.execute(f"""
        with chunks as (
            select distinct unnest(regexp_extract_all(s.short_description, '{_DIGIT_CHUNK}')) as chunk
            from stg_incidents s where s.opened_at >= $start and s.opened_at < $end
        )
        select distinct upper(seg) from (select unnest(string_split(chunk, '-')) as seg from chunks
                                         where chunk like '%-%')
        where regexp_full_match(seg, '[A-Za-z]{{2,6}}')""", {"start": period.start, "end": period.end}).fetchall()
    return {r[0] for r in rows}


def _fit(con: duckdb.DuckDBPyConnection, period: Period, n_themes: int | None, seed: int, cfg: dict | None) -> _Fit:
    n_themes = int(n_themes or setting(cfg, "themes", "n_themes"))
    texts = con.execute(f"""
        select regexp_replace(regexp_replace(s.short_description, '{_PSEUDONYM}', '{NAME_SHOWN}', 'g'),
                              '{_DIGIT_CHUNK}', '#', 'g') as shown,
            i.system_id, i.system_name, i.opened_month as month, count(*) as incidents,
            min(i.incident_number) as example
        from int_incidents i join stg_incidents s using (incident_number)
        where i.opened_at >= $start and i.opened_at < $end and s.short_description is not null
        group by all""", {"start": period.start, "end": period.end}).df()
    hosts = {r[0] for r in con.execute("select distinct lower(alias) from stg_system_aliases "
                                       "where alias_kind = 'host'").fetchall()}
    sites = _site_codes(con, period)
    distinct = texts.groupby("shown", sort=True)["incidents"].sum()
    stop = _stop_words(cfg, sites)
    words = {s: normalize_text(s, hosts=hosts, cfg=cfg, _stop=stop) for s in distinct.index}
    counts = Counter()
    for s, n in distinct.items():
        for w in set(words[s]):
            counts[w] += int(n)
    fix = typo_map(counts)
    docs = [" ".join(fix.get(w, w) for w in words[s]) for s in distinct.index]
    weight = distinct.to_numpy(dtype=float)
    total = weight.sum()
    vec = CountVectorizer(token_pattern=r"(?u)\b[a-z][a-z]+\b", lowercase=False)
    try:
        x = vec.fit_transform(docs).astype(float)
    except ValueError:  # not one word left
        x = sparse.csr_matrix((len(docs), 0))
    df_w = np.asarray((x > 0).T @ weight).ravel()
    keep = (df_w >= setting(cfg, "themes", "min_df")) & (df_w <= setting(cfg, "themes", "max_df") * total)
    terms = np.array(vec.get_feature_names_out() if x.shape[1] else [])[keep]
    x = x[:, keep]
    if x.shape[1] < n_themes:
        return _Fit(pd.DataFrame(columns=COLUMNS[:5]), texts.assign(theme=0))
    x.data = 1.0 + np.log(x.data)  # sublinear term frequency
    idf = np.log((1.0 + total) / (1.0 + df_w[keep])) + 1.0
    x = sparse.csr_matrix(x.multiply(idf[None, :]))
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    x = sparse.csr_matrix(x.multiply(1.0 / np.where(norms > 0, norms, 1.0)[:, None]))
    nmf = NMF(n_components=n_themes, init="nndsvda", random_state=seed, max_iter=500)
    with threadpool_limits(limits=1):  # BLAS threads spin-wait: on a busy machine they slow a small fit down
        nmf.fit(sparse.csr_matrix(x.multiply(np.sqrt(weight)[:, None])))
        w = nmf.transform(x)
    best = np.where(w.max(axis=1) > 0, w.argmax(axis=1), -1)
    # themes numbered by how many incidents they hold, so the same fit always prints in the same order
    held = np.array([weight[best == k].sum() for k in range(n_themes)])
    order = sorted(range(n_themes), key=lambda k: (-held[k], k))
    number = {k: i + 1 for i, k in enumerate(order)}
    n_top = setting(cfg, "themes", "top_terms")
    rows = []
    for k in order:
        top = terms[np.argsort(-nmf.components_[k], kind="stable")[:n_top]]
        rows.append({"theme": number[k], "label": " / ".join(top[:3]), "top_terms": ", ".join(top),
                     "incidents": int(held[k]), "share_pct": 100.0 * held[k] / total if total else np.nan,
                     "_k": k})
    themes = pd.DataFrame(rows)
    text_theme = dict(zip(distinct.index, [number.get(int(b), 0) if b >= 0 else 0 for b in best]))
    strength = dict(zip(distinct.index, w.max(axis=1)))
    texts = texts.assign(theme=texts["shown"].map(text_theme).astype(int),
                         strength=texts["shown"].map(strength).astype(float),
                         words=texts["shown"].map(dict(zip(distinct.index, docs))))
    return _Fit(themes.drop(columns="_k"), texts)


def incident_themes(
    con: duckdb.DuckDBPyConnection, period: Period, *, n_themes: int | None = None, seed: int = 7,
    cfg: dict | None = None,
) -> pd.DataFrame:
    """The themes of the incidents opened in the period: top terms, incidents (count), share of all incidents
    (percent), the systems they fall on most and example incidents (numbers with ids masked as #, pseudonyms shown
    as [name])."""
    if note := missing(con, "stg_incidents", "short_description", where=f"opened_at >= '{period.start}' "
                       f"and opened_at < '{period.end}'"):
        return empty(COLUMNS, note, SOURCE)
    fit = _fit(con, period, n_themes, seed, cfg)
    if fit.themes.empty:
        return empty(COLUMNS, "too few distinct words in the period's descriptions to find themes", SOURCE)
    n_ex = setting(cfg, "themes", "examples")
    t = fit.texts
    systems, examples = [], []
    for theme in fit.themes["theme"]:
        mine = t[t["theme"] == theme]
        by_sys = mine.dropna(subset=["system_id"]).groupby("system_name", dropna=False)["incidents"].sum()
        by_sys = by_sys.sort_values(ascending=False, kind="stable").head(3)
        systems.append(", ".join(f"{k} ({int(v)})" for k, v in by_sys.items()))
        # the most typical texts, one per distinct wording once ids, sites and filler are gone
        typical = (mine.sort_values(["strength", "incidents", "example"], ascending=[False, False, True])
                   .drop_duplicates("words").head(n_ex))
        examples.append(" | ".join(f"{r.example}: {r.shown}" for r in typical.itertuples(index=False)))
    out = fit.themes.assign(top_systems=systems, examples=examples)[COLUMNS]
    unthemed = int(t.loc[t["theme"] == 0, "incidents"].sum())
    out.attrs["source"] = SOURCE
    if unthemed:
        out.attrs["note"] = f"{unthemed} incidents have no theme words left after normalization (e.g. only ids)"
    return out


def incident_themes_by_month(
    con: duckdb.DuckDBPyConnection, period: Period, *, n_themes: int | None = None, seed: int = 7,
    cfg: dict | None = None,
) -> pd.DataFrame:
    """Incidents per theme per month of the period (count), with the theme label."""
    cols = ["month", "theme", "label", "incidents"]
    if note := missing(con, "stg_incidents", "short_description"):
        return empty(cols, note, SOURCE)
    fit = _fit(con, period, n_themes, seed, cfg)
    if fit.themes.empty:
        return empty(cols, "too few distinct words in the period's descriptions to find themes", SOURCE)
    t = fit.texts[fit.texts["theme"] > 0]
    out = (t.groupby(["month", "theme"], as_index=False)["incidents"].sum()
           .merge(fit.themes[["theme", "label"]], on="theme")[cols].sort_values(["month", "theme"])
           .reset_index(drop=True))
    out.attrs["source"] = SOURCE
    return out


def incident_themes_by_system(
    con: duckdb.DuckDBPyConnection, period: Period, *, n_themes: int | None = None, seed: int = 7,
    cfg: dict | None = None,
) -> pd.DataFrame:
    """Incidents per system per theme in the period (count) and the theme's share of the system's incidents
    (percent)."""
    cols = ["system_id", "system_name", "theme", "label", "incidents", "share_of_system_pct"]
    if note := missing(con, "stg_incidents", "short_description"):
        return empty(cols, note, SOURCE)
    fit = _fit(con, period, n_themes, seed, cfg)
    if fit.themes.empty:
        return empty(cols, "too few distinct words in the period's descriptions to find themes", SOURCE)
    t = fit.texts.dropna(subset=["system_id"])
    per = t.groupby(["system_id", "system_name", "theme"], as_index=False, dropna=False)["incidents"].sum()
    per["share_of_system_pct"] = 100.0 * per["incidents"] / per.groupby("system_id")["incidents"].transform("sum")
    out = (per[per["theme"] > 0].merge(fit.themes[["theme", "label"]], on="theme")[cols]
           .sort_values(["system_id", "incidents"], ascending=[True, False]).reset_index(drop=True))
    out.attrs["source"] = SOURCE
    return out
