"""The search index: trigrams, exact keys (names, initials, parties), and character pairs.

FTS5 trigram for 3+ characters, exact keys for names, initials and the parties' identifiers,
and an FTS5 index of Chinese character pairs for 2-character queries.

FTS5 trigram finds nothing for 2-character queries, and most Chinese names have two
characters, so names get every substring of 2+ characters as an exact term, plus the
pinyin initials of person and employer names (张三 -> zs). Every pair of adjacent Chinese
characters of the names, employer, summary and claim goes into `cases_bigrams` (one token
per pair), so 冻土 or 林业 is found through an index, never by scanning the table.

A name or text written in traditional characters is indexed in its simplified form too
(`simplified.py`), and the query is folded the same way: 張偉 and 张伟 find each other.

The exact keys live in `case_keys`, an FTS5 table of one token per key: the search terms
(`t:`), and what the duplicate warning looks for: the applicant's ID number (`id:`), phone
without extension (`ph:`), either party's credit code (`us:`) and the employer's name (`em:`).
Each key is written as the hex of its UTF-8 text, so that no tokenizer splits or folds it. An
FTS5 index grows by appending segments that are merged later, so a bundle of ten thousand cases
writes its keys in a few new pages; a b-tree on (term, case) or on the ID or phone column puts
each new case's entries at random pages, which at a city's million cases means reading,
decrypting and writing again one page per entry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from itertools import pairwise
from typing import Any

from sqlalchemy import Connection, Engine, text

from station_app.store.db import driver, write
from station_app.store.simplified import simplified_variant


@lru_cache(maxsize=4096)
def initials(name: str) -> str:
    """Pinyin initials of the Chinese characters in `name` (ASCII letters kept).

    pypinyin is imported here, not at module level: loading its phrase dictionary costs about
    0.5 s, which every command that never indexes a name (list, show, users, audit) would pay.
    """
    from pypinyin import Style, lazy_pinyin

    letters = lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")
    return "".join(part[:1] for part in letters if part).lower()


@lru_cache(maxsize=1)
def _surname_readings() -> tuple[dict[str, str], dict[str, str]]:
    """(compound, single) surname readings from `resources/search/surname_readings.json`."""
    from station_app.resources import resource_path

    data = json.loads(resource_path("search", "surname_readings.json").read_text(encoding="utf-8"))
    return dict(data["compound"]), dict(data["single"])


def surname_initials(name: str) -> str | None:
    """Initials of a person's name read with its surname's own reading (曾卫 -> zw, 仇强 -> qq).

    None when the surname reads as the character usually does (python-pinyin's surname mode is
    not in every release, so the readings are data).
    """
    compound, single = _surname_readings()
    if name[:2] in compound:
        head, reading = name[:2], "".join(syllable[:1] for syllable in compound[name[:2]].split())
    elif name[:1] in single:
        head, reading = name[:1], single[name[:1]][:1]
    else:
        return None
    alternative = reading + initials(name[len(head) :])
    return alternative if alternative != initials(name) else None


def warm_up() -> None:
    """Load the pinyin dictionary now (about 0.5 s), so that the first intake saved does not pay it.

    The desk calls this off the GUI thread after login.
    """
    initials("漠河")


def name_terms(name: str | None) -> set[str]:
    """Exact search terms of a name.

    The whole name, every substring of 2+ characters (names up to 6), its pinyin initials (also
    read as a surname), and the same of its simplified form when it is written in traditional
    characters (張偉 gives 张伟 too).
    """
    if not name:
        return set()
    name = name.strip()
    variant = simplified_variant(name)
    terms = _name_terms(name)
    return terms | _name_terms(variant) if variant else terms


def _name_terms(name: str) -> set[str]:
    return set(_name_terms_of(name))


@lru_cache(maxsize=65536)
def _name_terms_of(name: str) -> frozenset[str]:
    """`_name_terms`, once per distinct name: a bundle's cases share names, employers, contacts."""
    terms = {name}
    if len(name) <= 6:
        for size in range(2, len(name)):
            for start in range(0, len(name) - size + 1):
                terms.add(name[start : start + size])
    for ini in (initials(name), surname_initials(name)):
        if ini and len(ini) >= 2:
            terms.add(ini)
    return frozenset(terms)


def _contact(row: Mapping[str, Any]) -> str | None:
    """An employer applicant's contact person (a name kept only in the intake JSON)."""
    if row.get("applicant_kind") != "employer" or not row.get("intake"):
        return None
    return _contact_in(str(row["intake"]))


@lru_cache(maxsize=8)
def _contact_in(intake: str) -> str | None:
    """The contact in an intake's JSON; the last few kept, as the three texts of a case each ask."""
    contact = (json.loads(intake).get("applicant") or {}).get("contact")
    return str(contact) if contact else None


def case_terms(row: Mapping[str, Any]) -> set[str]:
    """The exact search terms of a case row.

    Its people's names and contact (as `name_terms`), the employer with its simplified form and
    initials, and the case number (lowercase).
    """
    terms = set()
    for key in ("applicant_name", "respondent_name"):
        terms |= name_terms(row.get(key))
    terms |= name_terms(_contact(row))
    employer = row.get("employer")
    if employer:
        terms.add(str(employer))
        if variant := simplified_variant(str(employer)):
            terms.add(variant)
        ini = initials(str(employer))
        if len(ini) >= 2:
            terms.add(ini)
    terms.add(str(row["case_no"]).lower())
    return terms


def fts_text(row: Mapping[str, Any]) -> str:
    """The text a case row gives the trigram and character-pair indexes.

    Case number, names, contact, ID, phone and credit codes, employer, summary and claim, one per
    line, with the simplified form of any traditional characters added.
    """
    parts: Iterable[Any] = (
        row.get("case_no"),
        row.get("applicant_name"),
        _contact(row),
        row.get("applicant_id"),
        row.get("applicant_phone"),
        row.get("applicant_uscc"),
        row.get("respondent_name"),
        row.get("respondent_uscc"),
        row.get("employer"),
        row.get("summary"),
        row.get("claim"),
    )
    return _with_simplified("\n".join(str(p) for p in parts if p))


def _with_simplified(value: str) -> str:
    """`value`, followed by its simplified form when it has traditional characters."""
    variant = simplified_variant(value)
    return value + "\n" + variant if variant else value


BIGRAM_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS cases_bigrams USING fts5("
    "text, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 0')"
)


def is_bigram_query(query: str) -> bool:
    """Two characters the pair index answers: both non-ASCII letters (Chinese characters)."""
    return len(query) == 2 and all(not c.isascii() and c.isalnum() for c in query)


def bigram_text(row: Mapping[str, Any]) -> str:
    """Every distinct pair of adjacent Chinese characters in the searchable Chinese text."""
    parts = (
        row.get("applicant_name"),
        _contact(row),
        row.get("respondent_name"),
        row.get("employer"),
        row.get("summary"),
        row.get("claim"),
    )
    pairs: dict[str, None] = {}
    for part in parts:
        if not part:
            continue
        for run in _CHINESE_RUN.findall(_with_simplified(str(part))):
            for a, b in pairwise(run):
                pairs[a + b] = None
    return " ".join(pairs)


# Two or more adjacent characters as `is_bigram_query` takes them: `\w` is `str.isalnum()` (or
# `_`, which is ASCII), so a non-ASCII `\w` is a non-ASCII letter or digit. One scan per text.
_CHINESE_RUN = re.compile(r"[^\W\x00-\x7f]{2,}")


KEYS_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS case_keys USING fts5("
    "keys, content='', contentless_delete=1, detail=none, tokenize='ascii')"
)
TERM, ID_NUMBER, PHONE, USCC, EMPLOYER = "t:", "id:", "ph:", "us:", "em:"
"""The kinds of exact key, as the prefix of the key's text."""


def key_token(kind: str, value: str) -> str:
    """The `case_keys` token of one key: the hex of `kind + value` in UTF-8 (lower case)."""
    return (kind + value).encode("utf-8").hex()


def keys_match(tokens: Iterable[str]) -> str:
    """An FTS5 expression matching a case that has any of `tokens` (each quoted)."""
    return " OR ".join(f'"{t}"' for t in tokens)


def phone_key(phone: str) -> str:
    """A stored phone as the duplicate warning compares it: a landline without its extension.

    `0457-2812345-801` -> `0457-2812345`; a mobile stays as it is.
    """
    return phone if phone.startswith("1") else "-".join(phone.split("-")[:2])


def party_keys(row: Mapping[str, Any]) -> list[str]:
    """The party key tokens of a case row: applicant ID and phone, credit codes, employer."""
    out = []
    if row.get("applicant_id"):
        out.append(key_token(ID_NUMBER, str(row["applicant_id"])))
    if row.get("applicant_phone"):
        out.append(key_token(PHONE, phone_key(str(row["applicant_phone"]))))
    for code in sorted({str(c) for c in (row.get("applicant_uscc"), row.get("respondent_uscc")) if c}):
        out.append(key_token(USCC, str(code)))
    if row.get("employer"):
        out.append(key_token(EMPLOYER, str(row["employer"])))
    return out


def keys_text(row: Mapping[str, Any]) -> str:
    """The `case_keys` document of a case row: its search terms' and party keys' tokens."""
    tokens = [key_token(TERM, t) for t in sorted(case_terms(row))]
    return " ".join(tokens + party_keys(row))


def index_pairs(conn: Connection, rows: list[tuple[int, Mapping[str, Any]]]) -> None:
    """Add cases (id, row with the texts) to the character-pair index in one statement."""
    driver(conn).executemany(
        "INSERT INTO cases_bigrams (rowid, text) VALUES (?, ?)", [(i, bigram_text(r)) for i, r in rows]
    )


def index_case(conn: Connection, case_id: int, row: Mapping[str, Any]) -> None:
    """Index one case row (`cases.id` = `case_id`) in the caller's transaction."""
    index_cases(conn, [(case_id, row)])


IndexDocs = tuple[str, str, str]
"""A case's documents in the three indexes: trigram text, character pairs, exact keys."""


def index_docs(row: Mapping[str, Any]) -> IndexDocs:
    """The three index documents of a case row (`fts_text`, `bigram_text`, `keys_text`).

    Together, so that the three read the case's contact once (`_contact_in`).
    """
    return fts_text(row), bigram_text(row), keys_text(row)


def index_cases(conn: Connection, rows: list[tuple[int, Mapping[str, Any]]]) -> None:
    """Index many cases with three batched statements (through the driver: no per-row work)."""
    if not rows:
        return
    db = driver(conn)
    texts: list[tuple[int, str]] = []
    pairs: list[tuple[int, str]] = []
    keys: list[tuple[int, str]] = []
    for i, r in rows:
        fts, pair, key = index_docs(r)
        texts.append((i, fts))
        pairs.append((i, pair))
        keys.append((i, key))
    db.executemany("INSERT INTO cases_fts (rowid, text) VALUES (?, ?)", texts)
    db.executemany("INSERT INTO cases_bigrams (rowid, text) VALUES (?, ?)", pairs)
    db.executemany("INSERT INTO case_keys (rowid, keys) VALUES (?, ?)", keys)


FTS_TABLES = ("cases_fts", "cases_bigrams", "case_keys")
AUTOMERGE = 4  # FTS5's own default: a level of this many segments is merged as writes go on
MERGE_PAGES = 1000  # the pages one background merge step writes (one short write transaction)


def hold_merges(conn: Connection) -> None:
    """Stop FTS5 merging the search indexes' segments as they are written (`automerge` 0).

    For an import of many cases: each bundle's new segment is written, none merged into the
    older ones meanwhile (at a city's million cases that merging is about a fifth of the
    import); `release_merges` then `merge_step` until it returns False make up for it. The
    setting is stored: `release_merges` must follow (`merges_held` does both), and the
    store's opening puts it back (`merges_left_held`) after an import that did not end.
    """
    for table in FTS_TABLES:
        conn.execute(text(f"INSERT INTO {table} ({table}, rank) VALUES ('automerge', 0)"))


def release_merges(conn: Connection) -> None:
    """Let FTS5 merge as writes go on again (`automerge` back to its default)."""
    for table in FTS_TABLES:
        conn.execute(text(f"INSERT INTO {table} ({table}, rank) VALUES ('automerge', {AUTOMERGE})"))


def merges_left_held(conn: Connection) -> bool:
    """Whether `hold_merges` is in force on any search index (an import that did not end)."""
    return any(
        conn.execute(text(f"SELECT 1 FROM {table}_config WHERE k = 'automerge' AND v = 0")).first() is not None
        for table in FTS_TABLES
    )


def merge_step(conn: Connection) -> bool:
    """One step of the merging `hold_merges` held back: at most MERGE_PAGES pages per index.

    FTS5's `merge` command, taking only segments it would merge itself (`usermerge`, 4 to a
    level). Returns whether it merged anything (FTS5 reports work as two or more changes).
    """
    db = driver(conn)
    worked = False
    for table in FTS_TABLES:
        before = db.total_changes
        conn.execute(text(f"INSERT INTO {table} ({table}, rank) VALUES ('merge', {MERGE_PAGES})"))
        worked = worked or db.total_changes - before >= 2
    return worked


def merge_held_back(engine: Engine, max_steps: int = 100_000) -> None:
    """Merge what `hold_merges` held back, one short write transaction a step, until none is left.

    Run after an import, on a thread of its own (`db.checkpoint_after`): a user's write waits
    at most one step. Raises what a write raises (the merging then waits for the next import).
    """
    for _ in range(max_steps):
        with write(engine) as conn:
            if not merge_step(conn):
                return


@contextmanager
def merges_held(engine: Engine, hold: bool = True) -> Iterator[None]:
    """`hold_merges` for the block (when `hold`), `release_merges` after it, however it ends.

    A release that cannot be written (a full disk that failed the import too) does not hide
    the block's own error: the store's next opening releases them (`merges_left_held`).
    """
    if not hold:
        yield
        return
    with write(engine) as conn:
        hold_merges(conn)
    try:
        yield
    finally:
        try:
            with write(engine) as conn:
                release_merges(conn)
        except Exception:  # released when the store is next opened
            pass


def clear_index(conn: Connection) -> None:
    """Empty every search index (before a rebuild replays the log)."""
    for table in FTS_TABLES:
        conn.execute(text(f"INSERT INTO {table} ({table}) VALUES ('delete-all')"))


def fts_query(query: str) -> str:
    """Quote a user query as one FTS5 phrase (no operators get through)."""
    return '"' + query.replace('"', '""') + '"'
