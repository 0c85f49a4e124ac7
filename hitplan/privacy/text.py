"""Free text without people in it: names, e-mail addresses, phone numbers, SSNs, MRNs and IP addresses replaced.

Names are found without a list of names. Every person value a load pseudonymizes (a caller, an assignee, a
learner's e-mail) gives its *forms* — "first last", the full name, "last, first" read as "first last", a user id
such as ``abel.tuter`` — and each form is kept only as a keyed hash (HMAC-SHA256 under the pseudonymization key)
beside that person's pseudonym, in the store's ``name_register``. A text is searched for capitalized runs of words
("Site Request from David Miller", "Miller, David") and id-shaped tokens; each two- or three-word part of a run is
hashed the same way and, when the register holds the hash, replaced by the person's pseudonym. So the register
never holds a name, a bare first name or a common word is never replaced (forms have two words, or are ids), and
a name met in one file's caller column is found in a later file's description.

What this cannot see: a name written in lower case ("please call david miller"), a name that never appeared
in a person column, a bare first name. The user's deny list (``$HITPLAN_DENY_FILE``, default
``~/.config/hitplan/deny.txt``) takes words and patterns for those.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from hitplan import config
from hitplan.errors import UsageError
from hitplan.ingest.pseudonymize import pseudonym

ENV_DENY_FILE = "HITPLAN_DENY_FILE"
REGISTER_TABLE = "name_register"
FORM_MESSAGE = b"hitplan name form v1\x00"
FORM_CHARS = 24  # 96 bits of the HMAC: no two forms of a hospital's staff collide
DENY_LABEL = "[redacted]"
PLAIN_IDS_PER_PATTERN = 200

# A word of a name: letters, with inner apostrophes or hyphens (O'Brien, Smith-Jones), an initial may end in a dot.
_LETTER = r"[^\W\d_]"
NAME_WORD = re.compile(rf"{_LETTER}+(?:['’-]{_LETTER}+)*\.?")
# A word in running text (not inside an address, a path or an id): the runs of capitalized ones are name candidates.
WORD_IN_TEXT = re.compile(rf"(?<![\w@.'’/-]){_LETTER}+(?:['’-]{_LETTER}+)*\.?(?![\w@])")
# User ids as directories write them: abel.tuter, j_smith, jsmith2 (a plain word is never taken for one).
ID_TOKEN = re.compile(r"(?<![\w@.-])(?:[A-Za-z][A-Za-z0-9]*(?:[._][A-Za-z0-9]+)+|[A-Za-z]{2,}[0-9]{1,4})(?![\w@-])(?!\.\w)")
# The same two shapes for DuckDB's RE2 (no look-behind; \p{Lu} for a capital letter in any script). Only used to
# find which texts to look at: each one found is then scrubbed with the Python patterns above.
RE2_NAME_RUN = r"\p{Lu}[\p{L}'’.-]*(?:,? \p{Lu}[\p{L}'’.-]*)+"
RE2_ID_TOKEN = r"\b(?:[A-Za-z][A-Za-z0-9]*(?:[._][A-Za-z0-9]+)+|[A-Za-z]{2,}[0-9]{1,4})\b"


@dataclass(frozen=True)
class Pattern:
    kind: str
    label: str | None
    regex: re.Pattern
    source: str  # the text of the pattern, for RE2


@lru_cache(maxsize=1)
def shipped_patterns() -> tuple[Pattern, ...]:
    """The shipped patterns (hitplan/privacy/patterns.yaml), in the order they are applied."""
    doc = config.load_yaml(resources.files(__package__).joinpath("patterns.yaml").read_text(encoding="utf-8"))
    return tuple(Pattern(kind, spec.get("label"), re.compile(_GUARDS.get(kind, "") + p), p)
                 for kind, spec in doc["kinds"].items() for p in spec["patterns"])


# Python's backtracking engine would try an e-mail address at every character of a long run of letters (a 1 MB
# cell: hours); a look-behind starts it only where an address can start. RE2 (DuckDB) is linear without it.
_GUARDS = {"email": r"(?<![A-Za-z0-9._%+-])"}


def deny_file() -> Path:
    """The user's deny list: $HITPLAN_DENY_FILE, else deny.txt beside the key file (~/.config/hitplan/)."""
    env = os.environ.get(ENV_DENY_FILE)
    return Path(env).expanduser() if env else config.key_file().parent / "deny.txt"


def _re2_compiles(pattern: str) -> bool:
    import duckdb

    try:
        duckdb.connect().execute("select regexp_matches('', ?)", [pattern]).fetchall()
    except duckdb.Error:
        return False
    return True


def deny_patterns(path: Path | None = None) -> tuple[Pattern, ...]:
    """The deny list: one entry per line, a word or phrase (matched whole, ignoring case) or ``re:PATTERN``; blank
    lines and lines starting with # are skipped. A missing file is an empty list; a bad pattern is an error."""
    path = Path(path) if path else deny_file()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return ()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the deny list {path}: {exc}; fix it or point ${ENV_DENY_FILE} elsewhere") from exc
    out = []
    for number, line in enumerate(lines, 1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        if entry.startswith("re:"):
            source = entry[3:].strip()
            try:
                regex = re.compile(source)
            except re.error as exc:
                raise UsageError(f"{path}, line {number}: {source!r} is not a valid pattern ({exc}); fix or remove it") from None
            if regex.match("") is not None:
                raise UsageError(f"{path}, line {number}: {source!r} matches empty text; make it match something")
            if not _re2_compiles(source):
                raise UsageError(f"{path}, line {number}: {source!r} uses a feature DuckDB's regular expressions lack "
                                 "(look-behind, back-references); rewrite it without")
        else:
            words = r"\s+".join(re.escape(w) for w in entry.split())
            source = rf"(?i:\b{words}\b)"
            regex = re.compile(source)
        out.append(Pattern("deny", DENY_LABEL, regex, source))
    return tuple(out)


_POSSESSIVE = re.compile(r"['’]s\.?$|(?<=s)['’]$", re.IGNORECASE)
# A user id written as a plain word (lfernandez, 5b10a2844c2016570) : only ever known from a person column
PLAIN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{3,}")
WORD_TOKEN = re.compile(r"(?<![\w@.-])[A-Za-z0-9][A-Za-z0-9_-]{3,}(?![\w@-])")


def _norm_word(word: str) -> str:
    return _POSSESSIVE.sub("", word.replace("’", "'").rstrip(".")).lower()


def _is_initial(word: str) -> bool:
    return len(word.rstrip(".")) == 1


def _name_forms(words: list[str]) -> set[str]:
    """The forms of a name given first-name-first: the full name and first + last (initials dropped)."""
    forms: set[str] = set()
    norm = [_norm_word(w) for w in words]
    if len(norm) < 2 or len(norm) > 5:
        return forms
    forms.add(" ".join(norm))
    full = [w for w, raw in zip(norm, words) if not _is_initial(raw)]
    if len(full) >= 2:
        forms.add(" ".join(full))
        forms.add(f"{full[0]} {full[-1]}")
    return forms


def person_forms(value: str) -> set[str]:
    """The forms under which a person value may be written in text: e-mail address, user id, "first last" ...

    Forms have two or more words, or are an id-shaped user id or an e-mail address: a bare first name never is one.
    """
    from hitplan.privacy.headers import is_service_account

    text = value.strip()
    if not text or is_service_account(text):
        return set()
    forms: set[str] = set()
    email = shipped_patterns()[0].regex
    for address in email.findall(text):
        forms.add(address.lower())
        local = address.split("@")[0]
        if ID_TOKEN.fullmatch(local) or re.fullmatch(r"[A-Za-z]{3,}", local):
            forms.add(local.lower())
        parts = re.split(r"[._]", local)
        if len(parts) in (2, 3) and all(p.isalpha() for p in parts) and len(parts[-1]) > 1:
            forms |= _name_forms(parts)
    text = email.sub(" ", text)
    for inner in re.findall(r"\(([^()]*)\)", text):
        forms |= person_forms(inner)
    text = re.sub(r"\([^()]*\)", " ", text)
    if "," in text:
        last, _, first = text.partition(",")
        words = NAME_WORD.findall(first) + NAME_WORD.findall(last)
    else:
        words = NAME_WORD.findall(text)
    if len(words) >= 2 and len(text.split()) >= 2:
        forms |= _name_forms(words)
    elif " " not in text.strip() and (ID_TOKEN.fullmatch(text.strip()) or _plain_id(text.strip())):
        forms.add(text.strip().lower())
    return forms


def _plain_id(token: str) -> bool:
    """A person value of one word that is taken for a user id: four or more characters, a letter among them (a
    bare number is an employee or row number, too common in text to replace), written in lower case or with a
    digit, _ or - in it (a capitalized word alone, "David", is a bare first name: never replaced)."""
    return (bool(PLAIN_ID.fullmatch(token)) and any(c.isalpha() for c in token)
            and (token.islower() or any(c.isdigit() or c in "_-" for c in token)))


class FormHasher:
    """Keyed hashes of name forms (HMAC-SHA256 under the pseudonymization key, domain-separated from pseudonyms)."""

    def __init__(self, key: bytes) -> None:
        self._base = hmac.new(key, FORM_MESSAGE, hashlib.sha256)
        self._cache: dict[str, str] = {}

    def __call__(self, form: str) -> str:
        h = self._cache.get(form)
        if h is None:
            mac = self._base.copy()
            mac.update(form.encode("utf-8"))
            h = self._cache[form] = mac.hexdigest()[:FORM_CHARS]
        return h


def _capitalized_runs(text: str) -> Iterator[list[re.Match]]:
    """Runs of two or more capitalized words separated by a space or a comma and a space ("Site Request from
    David Miller" gives "Site Request" and "David Miller"; "Miller, David" is one run)."""
    run: list[re.Match] = []
    for m in WORD_IN_TEXT.finditer(text):
        if m.group(0)[0].isupper():
            if run and text[run[-1].end():m.start()] in (" ", ", "):
                run.append(m)
                continue
            if len(run) >= 2:
                yield run
            run = [m]
        else:
            if len(run) >= 2:
                yield run
            run = []
    if len(run) >= 2:
        yield run


def _run_candidates(text: str, words: list[re.Match]) -> Iterator[tuple[int, int, set[str]]]:
    """(start, end, forms) for each two- or three-word part of a run, the longer first at each word."""
    for i in range(len(words)):
        for n in (3, 2):
            part = words[i:i + n]
            if len(part) < n:
                continue
            raw = [w.group(0) for w in part]
            between = [text[a.end():b.start()] for a, b in zip(part, part[1:])]
            if ", " in between:
                if between[0] != ", " or ", " in between[1:]:
                    continue  # "Last, First [M]" only
                forms = _name_forms(raw[1:] + raw[:1])
            else:
                forms = _name_forms(raw)
            if forms:
                end = part[-1].end()
                if raw[-1].endswith(".") and not _is_initial(raw[-1]):
                    end -= 1  # the full stop ends the sentence, not the name
                if possessive := _POSSESSIVE.search(raw[-1].rstrip(".")):
                    end = part[-1].start() + possessive.start()  # "Teresa Mbeki's badge": the 's stays
                yield part[0].start(), end, forms


@dataclass
class NameIndex:
    """The names a text may hold, as keyed hashes of their forms -> pseudonym: the store's register plus the
    persons of the load in progress. ``names_in(text)`` finds them; it never needs a name in clear."""

    key: bytes
    known: dict[str, str] = field(default_factory=dict)  # form hash -> pseudonym
    new: dict[str, tuple[str, str]] = field(default_factory=dict)  # hashes added by this load -> (pseudonym, kind)
    # The load's user ids that are plain words (lfernandez): in memory only, to find them in this load's text
    plain_ids: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.hasher = FormHasher(self.key)

    @classmethod
    def from_store(cls, con, key: bytes) -> NameIndex:
        """The register of the store behind ``con`` (every store hitplan opens has migration 0007's table)."""
        index = cls(key)
        index.known.update(con.execute(f"select form_hash, pseudonym from {REGISTER_TABLE}").fetchall())
        return index

    def add_person(self, value: str, pseudonym_of_value: str) -> None:
        """Learn a person value met in a person column (its forms, hashed), mapped to its pseudonym."""
        for form in person_forms(value):
            if " " not in form and "@" not in form and not ID_TOKEN.fullmatch(form):
                self.plain_ids.add(form)
            h = self.hasher(form)
            if h not in self.known:
                self.known[h] = pseudonym_of_value
                kind = "email" if "@" in form else "name" if " " in form else "id"
                self.new[h] = (pseudonym_of_value, kind)

    def save(self, con, load_id: int | None) -> int:
        """Add this load's new forms to the store's register; how many were added."""
        if not self.new:
            return 0
        import pyarrow as pa

        rows = pa.table({"form_hash": list(self.new), "pseudonym": [p for p, _ in self.new.values()],
                         "kind": [k for _, k in self.new.values()], "load_id": [load_id] * len(self.new)})
        con.register("_hitplan_forms", rows)
        try:
            con.execute(f"insert or ignore into {REGISTER_TABLE} (form_hash, pseudonym, kind, load_id) "
                        "select form_hash, pseudonym, kind, load_id from _hitplan_forms")
        finally:
            con.unregister("_hitplan_forms")
        added = len(self.new)
        self.new.clear()
        return added

    def names_in(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, pseudonym) of every registered name in ``text``, not overlapping, in order."""
        if not self.known or not text:
            return []
        found: list[tuple[int, int, str]] = []
        taken = -1
        for run in _capitalized_runs(text):
            for start, end, forms in _run_candidates(text, run):
                if start < taken:
                    continue
                for form in sorted(forms, key=len, reverse=True):
                    p = self.known.get(self.hasher(form))
                    if p is not None:
                        found.append((start, end, p))
                        taken = end
                        break
        for rx in (ID_TOKEN, WORD_TOKEN):
            for m in rx.finditer(text):
                p = self.known.get(self.hasher(m.group(0).lower()))
                if p is not None and not any(s <= m.start() < e for s, e, _ in found):
                    found.append((m.start(), m.end(), p))
        return sorted(found)


class Scrubber:
    """Replaces, in a text, the user's deny list, e-mail addresses (by their pseudonym), SSNs, phone numbers,
    MRN-like ids, IP addresses and registered names (by the person's pseudonym), and counts each kind."""

    def __init__(self, key: bytes, names: NameIndex | None = None, deny: Iterable[Pattern] | None = None) -> None:
        self.key = key
        self.names = names or NameIndex(key)
        self.patterns = (*(deny if deny is not None else deny_patterns()), *shipped_patterns())

    def re2_patterns(self) -> list[str]:
        """RE2 patterns that together match every piece of text the scrubber might replace (and more: capitalized
        runs, id-shaped words), for finding in DuckDB the distinct fragments worth a look. Identifiers and ids are one
        pattern and name runs another, each extracted on its own: in one alternation a run ("Chart MRN")
        would swallow the start of an identifier ("MRN 00123456"). The load's plain-word user ids come as
        alternations of at most PLAIN_IDS_PER_PATTERN each (RE2 slows down past a few hundred)."""
        ids = sorted(self.names.plain_ids)
        alternations = [r"(?i:\b(?:" + "|".join(re.escape(w) for w in ids[i:i + PLAIN_IDS_PER_PATTERN]) + r")\b)"
                        for i in range(0, len(ids), PLAIN_IDS_PER_PATTERN)]
        # identifiers before ids in one alternation: at a position where both match, the e-mail address wins
        return ["|".join([*(p.source for p in self.patterns), RE2_ID_TOKEN, *alternations]), RE2_NAME_RUN]

    def scrub(self, text: str | None, counts: Counter | None = None) -> str | None:
        """``text`` with every personal identifier replaced; ``counts`` (kind -> replacements) is added to."""
        if not text:
            return text
        for p in self.patterns:
            if p.kind == "email":
                text, n = p.regex.subn(lambda m: pseudonym(m.group(0), self.key), text)
            else:
                text, n = p.regex.subn(p.label, text)
            if n and counts is not None:
                counts[p.kind] += n
        spans = self.names.names_in(text)
        if spans:
            parts, last = [], 0
            for start, end, p in spans:
                parts += [text[last:start], p]
                last = end
            text = "".join(parts) + text[last:]
            if counts is not None:
                counts["name"] += len(spans)
        return text


def scrub_column(con, table: str, column: str, where: str, scrubber: Scrubber) -> Counter:
    """Scrub a text column in place for the rows ``where`` selects; the replacements made, by kind.

    DuckDB extracts, in one pass, the fragments of each text that could hold something to replace (``re2_patterns``:
    identifiers, capitalized runs, id-shaped words), as (row, fragment) pairs; Python scrubs each distinct fragment
    once; only the rows holding a fragment that changed are read back (a hash join, not a second pass) and rewritten,
    each such fragment replaced by its scrubbed text. Millions of summaries cost one regular-expression pass.
    """
    import pyarrow as pa

    col, patterns = f'"{column}"', scrubber.re2_patterns()
    params = {f"p{i}": p for i, p in enumerate(patterns)}
    fragments = ", ".join(f"regexp_extract_all({col}, $p{i})" for i in range(len(patterns)))
    con.execute(f"create or replace temp table _hitplan_fragments as select rowid as rid, "
                f"unnest(flatten([{fragments}])) as frag from {table} where {where} and {col} is not null", params)
    try:
        scrubbed: dict[str, tuple[str, Counter]] = {}
        for (fragment,) in con.execute("select distinct frag from _hitplan_fragments").fetchall():
            counts = Counter()
            new = scrubber.scrub(fragment, counts)
            if new != fragment:
                scrubbed[fragment] = (new, counts)
        total: Counter = Counter()
        if not scrubbed:
            return total
        con.register("_hitplan_hits", pa.table({"frag": list(scrubbed)}))
        try:
            rows = con.execute(
                f"select t.rowid, t.{col}, x.frags from {table} t join (select rid, list(distinct frag) as frags "
                "from _hitplan_fragments semi join _hitplan_hits using (frag) group by rid) x on t.rowid = x.rid"
            ).fetchall()
        finally:
            con.unregister("_hitplan_hits")
        changed_ids, changed_text = [], []
        for rid, text, found in rows:
            for fragment in sorted(found, key=len, reverse=True):  # one holding another is replaced whole
                occurrences = text.count(fragment)
                if occurrences:
                    new, counts = scrubbed[fragment]
                    text = text.replace(fragment, new)
                    for kind, n in counts.items():
                        total[kind] += n * occurrences
            changed_ids.append(rid)
            changed_text.append(text)
        con.register("_hitplan_scrubbed", pa.table({"rid": changed_ids, "v": changed_text}))
        try:
            con.execute(f"update {table} set {col} = s.v from _hitplan_scrubbed s where {table}.rowid = s.rid")
        finally:
            con.unregister("_hitplan_scrubbed")
        return total
    finally:
        con.execute("drop table if exists _hitplan_fragments")
