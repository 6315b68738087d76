"""Numbered schema migrations.

The version lives in the database (`PRAGMA user_version` and `meta.schema_version`); an
existing database is copied to `backups/` before migrating.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, text

from station_app.errors import StationError
from station_app.store.db import driver, get_meta, set_meta, table_exists, write
from station_app.store.events import GENESIS, canonical_json, ledger_hash
from station_app.store.models import FTS_DDL, TEXT_COLUMNS, metadata
from station_app.store.search_index import (
    BIGRAM_DDL,
    KEYS_DDL,
    TERM,
    bigram_text,
    case_terms,
    fts_text,
    index_pairs,
    key_token,
    party_keys,
)
from station_app.store.simplified import simplified_variant


def _m1_base(conn: Connection) -> None:
    metadata.create_all(conn)


def _m2_search(conn: Connection) -> None:
    conn.execute(text(FTS_DDL))
    conn.execute(text(_SEARCH_TERMS_DDL))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_search_terms_term ON search_terms (term)"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_search_terms_case_id ON search_terms (case_id)"))


def _m3_case_indexes(conn: Connection) -> None:
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_cases_status_due ON cases (status, due_date)"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_cases_handler ON cases (handler)"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_cases_applicant_id ON cases (applicant_id)"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_cases_applicant_phone ON cases (applicant_phone)"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_cases_applicant_uscc ON cases (applicant_uscc)"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_cases_employer ON cases (employer)"))


# Sortable columns without an index of their own (an index on one column also orders by rowid,
# which serves `ORDER BY column, id`; the others have one from the model).
SORT_COLUMNS = ("applicant_name",)
REDUNDANT_SORT_INDEXES = ("received_at", "category", "track", "status", "due_date", "town_code", "lead")


def _has_column(conn: Connection, table: str, column: str) -> bool:
    return any(r[1] == column for r in conn.exec_driver_sql(f"PRAGMA table_info({table})"))


_SEARCH_TERMS_DDL = (  # the exact terms' table until migration 15 (a store made before it has one)
    "CREATE TABLE IF NOT EXISTS search_terms (id INTEGER NOT NULL PRIMARY KEY, term VARCHAR NOT NULL,"
    " case_id INTEGER NOT NULL)"
)


def _m4_pairs_and_sorting(conn: Connection) -> None:
    """The Chinese character-pair index (2-character search) and the missing sort index."""
    conn.execute(text(BIGRAM_DDL))
    conn.execute(text("INSERT INTO cases_bigrams (cases_bigrams) VALUES ('delete-all')"))
    texts = "cases" if _has_column(conn, "cases", "intake") else "case_texts t JOIN cases ON cases.id = t.case_id"
    rows = conn.execute(
        text(
            "SELECT cases.id, applicant_kind, applicant_name, respondent_name, employer, summary, claim, intake"
            f" FROM {texts}"
        )
    ).mappings()
    batch: list[tuple[int, Mapping[str, Any]]] = []
    for row in rows:
        batch.append((int(row["id"]), dict(row)))
        if len(batch) >= 2000:
            index_pairs(conn, batch)
            batch = []
    if batch:
        index_pairs(conn, batch)
    for column in SORT_COLUMNS:
        conn.execute(text(f"CREATE INDEX IF NOT EXISTS ix_cases_sort_{column} ON cases ({column}, id)"))


def _m5_case_texts(conn: Connection) -> None:
    """Move the long texts (summary, claim, intake JSON) out of `cases` into `case_texts`."""
    for column in REDUNDANT_SORT_INDEXES:  # made by an early build of migration 4
        conn.execute(text(f"DROP INDEX IF EXISTS ix_cases_sort_{column}"))
    metadata.create_all(conn, tables=[metadata.tables["case_texts"]])
    if not _has_column(conn, "cases", "intake"):
        return  # made by this version: the texts are apart already
    conn.execute(
        text(
            "INSERT OR REPLACE INTO case_texts (case_id, summary, claim, intake)"
            " SELECT id, summary, claim, intake FROM cases"
        )
    )
    for column in TEXT_COLUMNS:
        conn.exec_driver_sql(f"ALTER TABLE cases DROP COLUMN {column}")


DEPARTMENT_DEADLINE_COLUMNS = (
    ("due_date", "VARCHAR"),
    ("due_estimated", "BOOLEAN NOT NULL DEFAULT 0"),
    ("extended", "BOOLEAN NOT NULL DEFAULT 0"),
    ("opinion_on", "VARCHAR"),
    ("on_time", "BOOLEAN"),
)


def _m6_department_deadlines(conn: Connection) -> None:
    """Each department's own opinion deadline, extension and on-time flag; the clue transfer.

    The clue-transfer flag is the case's. Events written before this carry none of them, so old
    rows stay empty.
    """
    for column, ddl in DEPARTMENT_DEADLINE_COLUMNS:
        if not _has_column(conn, "case_departments", column):
            conn.exec_driver_sql(f"ALTER TABLE case_departments ADD COLUMN {column} {ddl}")
    if not _has_column(conn, "cases", "clue_transferred"):
        conn.exec_driver_sql("ALTER TABLE cases ADD COLUMN clue_transferred BOOLEAN NOT NULL DEFAULT 0")


_V2_COLUMNS = (
    ("stream", "TEXT"),
    ("origin_seq", "INTEGER"),
    ("hash_v", "INTEGER NOT NULL DEFAULT 1"),
    ("v", "INTEGER NOT NULL DEFAULT 1"),
    ("scope", "TEXT"),
    ("base", "TEXT"),
    ("bundle_id", "TEXT"),
    ("ledger_hash", "TEXT"),
)


def _m7_event_log_v2(conn: Connection) -> None:
    """Envelope v2 and the local ledger (SYNC.md §3.2).

    The old global chain is the station's own chain: its rows keep their hashes (hash_v 1) and
    get their chain place (stream = origin, origin_seq = seq, so a row deleted before the
    upgrade still shows as a hole), their scope, the case's version vector as `base`, and a
    ledger hash. Nothing is re-hashed.
    """
    for column, ddl in _V2_COLUMNS:
        if not _has_column(conn, "events", column):
            conn.exec_driver_sql(f"ALTER TABLE events ADD COLUMN {column} {ddl}")
    tables = ("chain_heads", "pending_events", "conflicts", "event_flags")
    metadata.create_all(conn, tables=[metadata.tables[t] for t in tables])
    station = get_meta(conn, "station_code") or ""
    if get_meta(conn, "origin") is None and station:
        set_meta(conn, "origin", station)
    ledger_prev, last = GENESIS, 0
    versions: dict[str, int] = {}
    heads: dict[str, tuple[int, str]] = {}
    batch: list[dict[str, Any]] = []
    rows: Sequence[Any] = []
    if conn.execute(text("SELECT 1 FROM events WHERE origin_seq IS NOT NULL LIMIT 1")).first() is None:
        # rows of the old global chain (a store made by this version has none)
        rows = conn.execute(text("SELECT seq, case_uuid, origin, hash FROM events ORDER BY seq")).all()
    for seq, case_uuid, origin, digest in rows:
        base = None
        if case_uuid is not None:
            base = canonical_json({origin: versions[case_uuid]} if case_uuid in versions else {})
            versions[case_uuid] = int(seq)
        ledger_prev = ledger_hash(ledger_prev, int(seq), digest, None)
        heads[origin] = (int(seq), digest)
        last = int(seq)
        batch.append({"s": seq, "st": origin, "sc": "case" if case_uuid else "store", "b": base, "l": ledger_prev})
    if batch:
        conn.execute(
            text(
                "UPDATE events SET stream = :st, origin_seq = :s, hash_v = 1, v = 1, scope = :sc, base = :b,"
                " ledger_hash = :l WHERE seq = :s"
            ),
            batch,
        )
        old_head = get_meta(conn, "event_head")  # the old log's tail, kept so a truncation stays visible
        for origin, (seq, digest) in heads.items():
            if old_head and origin == station:
                seq_text, digest = old_head.split(":", 1)
                seq = int(seq_text)
            conn.execute(
                text("INSERT OR REPLACE INTO chain_heads (origin, stream, seq, hash) VALUES (:o, :o, :n, :h)"),
                {"o": origin, "n": seq, "h": digest},
            )
        set_meta(conn, "ledger_head", f"{last}:{ledger_prev}")
        conn.execute(text("DELETE FROM meta WHERE key = 'event_head'"))
    conn.execute(text("CREATE UNIQUE INDEX IF NOT EXISTS ix_events_chain ON events (origin, stream, origin_seq)"))


def _m8_sync(conn: Connection) -> None:
    """Sync by bundle (DESIGN.md "Sync").

    The peers (the city at a station, the enrolled stations at the city), the acks each peer
    sent, the bundles written and received, forks seen; and the keys and epoch a store made
    before this version lacks (a transport key, a store epoch). Self-contained: the tables are
    created here, not from the models.
    """
    from station_app.store.sync_state import SYNC_DDL, ensure_sync_keys

    for ddl in SYNC_DDL:
        conn.execute(text(ddl))
    ensure_sync_keys(conn)


def _m9_accounts(conn: Connection) -> None:
    """Per-account keys and login attempts without duplicates or stray names.

    `users.sign_key`: the account's Ed25519 public key, projected from its signed events.
    `login_attempts.attempt_id`: unique, so attempts handed over twice add no row. Attempts
    recorded with a name that is not an account (perhaps a password typed as a name) lose it.
    """
    if not _has_column(conn, "users", "sign_key"):
        conn.execute(text("ALTER TABLE users ADD COLUMN sign_key TEXT"))
    if not _has_column(conn, "login_attempts", "attempt_id"):
        conn.execute(text("ALTER TABLE login_attempts ADD COLUMN attempt_id TEXT"))
    conn.execute(text("CREATE UNIQUE INDEX IF NOT EXISTS ix_login_attempts_id ON login_attempts (attempt_id)"))
    conn.execute(text("UPDATE login_attempts SET user_name = '?' WHERE user_name NOT IN (SELECT name FROM users)"))


def _m10_scale(conn: Connection) -> None:
    """What keeps the list and search flat as a store grows to a city's million cases.

    - `case_total`: the number of cases, kept by triggers, so the list's total is one row
      read instead of a walk of a whole index (every page of it decrypted on a fresh
      connection: the list's open time grew with the store).
    - `search_terms (term, case_id)`: a term's cases come from the index alone, instead of one
      table row per match.
    - `cases (station_code, received_at)`: one station's cases in a city store, newest first,
      counted over that station's range only.
    """
    conn.execute(
        text("CREATE TABLE IF NOT EXISTS case_total (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL)")
    )
    conn.execute(text("INSERT OR REPLACE INTO case_total (id, n) SELECT 1, count(*) FROM cases"))
    conn.execute(
        text(
            "CREATE TRIGGER IF NOT EXISTS tr_case_total_insert AFTER INSERT ON cases"
            " BEGIN UPDATE case_total SET n = n + 1 WHERE id = 1; END"
        )
    )
    conn.execute(
        text(
            "CREATE TRIGGER IF NOT EXISTS tr_case_total_delete AFTER DELETE ON cases"
            " BEGIN UPDATE case_total SET n = n - 1 WHERE id = 1; END"
        )
    )
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_search_terms_term_case ON search_terms (term, case_id)"))
    conn.execute(text("DROP INDEX IF EXISTS ix_search_terms_term"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_cases_station_received ON cases (station_code, received_at)"))


_INDEXED_COLUMNS = (
    "case_no, applicant_kind, applicant_name, applicant_id, applicant_phone, applicant_uscc,"
    " respondent_name, respondent_uscc, employer"
)


def _m13_simplified_search(conn: Connection) -> None:
    """Index the simplified form of names and texts written in traditional characters.

    So 張偉 is found by 张伟: the cases that have any are taken out of the three search indexes and
    indexed again the way a new case is; the others are left as they are.
    """
    rows = conn.execute(
        text(
            f"SELECT cases.id, {_INDEXED_COLUMNS}, summary, claim, intake"
            " FROM cases LEFT JOIN case_texts ON case_texts.case_id = cases.id"
        )
    ).mappings()
    batch: list[tuple[int, Mapping[str, Any]]] = []

    def flush() -> None:  # the three indexes as they were then (exact terms in `search_terms`)
        ids = [{"i": i} for i, _ in batch]
        conn.execute(text("DELETE FROM cases_fts WHERE rowid = :i"), ids)
        conn.execute(text("DELETE FROM cases_bigrams WHERE rowid = :i"), ids)
        conn.execute(text("DELETE FROM search_terms WHERE case_id = :i"), ids)
        conn.execute(
            text("INSERT INTO cases_fts (rowid, text) VALUES (:i, :t)"), [{"i": i, "t": fts_text(r)} for i, r in batch]
        )
        conn.execute(
            text("INSERT INTO cases_bigrams (rowid, text) VALUES (:i, :t)"),
            [{"i": i, "t": bigram_text(r)} for i, r in batch],
        )
        terms = [{"t": t, "i": i} for i, r in batch for t in sorted(case_terms(r))]
        conn.execute(text("INSERT INTO search_terms (term, case_id) VALUES (:t, :i)"), terms)
        batch.clear()

    for row in rows:
        if simplified_variant("\n".join(str(v) for v in row.values() if isinstance(v, str))):
            batch.append((int(row["id"]), dict(row)))
            if len(batch) >= 2000:
                flush()
    if batch:
        flush()


def _m14_event_signatures(conn: Connection) -> None:
    """Every event carries its signing key's id and an Ed25519 signature (event_sig.py).

    Rows written before have none and keep none: nothing is re-signed, and `audit verify`
    accepts unsigned events in a chain until its first signed one.
    """
    for column in ("key_id", "sig"):
        if not _has_column(conn, "events", column):
            conn.exec_driver_sql(f"ALTER TABLE events ADD COLUMN {column} TEXT")


_PARTY_COLUMNS = ("applicant_id", "applicant_phone", "applicant_uscc", "respondent_uscc", "employer")
_PARTY_INDEXES = ("ix_cases_applicant_id", "ix_cases_applicant_phone", "ix_cases_applicant_uscc", "ix_cases_employer")


def _m15_case_keys(conn: Connection) -> None:
    """The exact keys move to `case_keys` (FTS5, see search_index.py); their b-trees go.

    Each case's keys are its terms from `search_terms` (not worked out again: the pinyin of a
    million names) and its party keys from its row; then `search_terms` and the indexes on the
    applicant's ID, phone, credit code and the employer are dropped.
    """
    conn.execute(text(KEYS_DDL))
    conn.execute(text("INSERT INTO case_keys (case_keys) VALUES ('delete-all')"))
    db = driver(conn)
    terms = (
        db.execute("SELECT case_id, term FROM search_terms ORDER BY case_id")
        if table_exists(conn, "search_terms")
        else iter(())
    )
    pending = next(terms, None)
    batch: list[tuple[int, str]] = []
    cases = db.cursor()
    cases.execute(f"SELECT id, {', '.join(_PARTY_COLUMNS)} FROM cases ORDER BY id")
    for row in cases:
        case_id = int(row[0])
        tokens: list[str] = []
        while pending is not None and pending[0] <= case_id:
            if pending[0] == case_id:
                tokens.append(key_token(TERM, str(pending[1])))
            pending = next(terms, None)
        tokens += party_keys(dict(zip(_PARTY_COLUMNS, row[1:], strict=True)))
        batch.append((case_id, " ".join(tokens)))
        if len(batch) >= 5000:
            db.executemany("INSERT INTO case_keys (rowid, keys) VALUES (?, ?)", batch)
            batch = []
    if batch:
        db.executemany("INSERT INTO case_keys (rowid, keys) VALUES (?, ?)", batch)
    conn.execute(text("DROP TABLE IF EXISTS search_terms"))
    for name in _PARTY_INDEXES:
        conn.execute(text(f"DROP INDEX IF EXISTS {name}"))


def _m16_queue_indexes(conn: Connection) -> None:
    """The work queues that read notes and departments answer from their own rows.

    - `case_notes (kind, case_uuid)`: the matters the city assigned (四(五)) and their feedback
      are found by kind, instead of probing the notes of every open case.
    - `case_departments (due_date, case_uuid, dept) WHERE opinion IS NULL`: the written opinions
      still owed, and those past their due date, without reading every department row a city
      keeps for years.
    """
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_case_notes_kind ON case_notes (kind, case_uuid)"))
    conn.execute(
        text(
            "CREATE INDEX IF NOT EXISTS ix_case_departments_owed ON case_departments (due_date, case_uuid, dept)"
            " WHERE opinion IS NULL"
        )
    )


MIGRATIONS: tuple[tuple[int, Callable[[Connection], None]], ...] = (
    (1, _m1_base),
    (2, _m2_search),
    (3, _m3_case_indexes),
    (4, _m4_pairs_and_sorting),
    (5, _m5_case_texts),
    (6, _m6_department_deadlines),
    (7, _m7_event_log_v2),
    (8, _m8_sync),
    (9, _m9_accounts),
    (10, _m10_scale),
    (13, _m13_simplified_search),
    (14, _m14_event_signatures),
    (15, _m15_case_keys),
    (16, _m16_queue_indexes),
)
LATEST = MIGRATIONS[-1][0]


def schema_version(engine: Engine) -> int:
    """The store's schema version (`PRAGMA user_version`; 0 for a new file)."""
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())


def backup_file(engine: Engine, db_path: Path, version: int) -> Path:
    """Checkpoint the WAL and copy the (still encrypted) database file aside."""
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    folder = db_path.parent / "backups"
    folder.mkdir(exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = folder / f"{db_path.stem}-v{version}-{stamp}{db_path.suffix}"
    shutil.copy2(db_path, target)
    return target


def migrate(engine: Engine, db_path: Path, target: int = LATEST) -> list[int]:
    """Apply every migration above the current version; return the versions applied."""
    current = schema_version(engine)
    if current > LATEST:  # written by a newer program: this one would misread or damage it
        raise StationError("数据库版本高于本程序,请升级程序后再打开")
    pending = [(n, fn) for n, fn in MIGRATIONS if current < n <= target]
    if not pending:
        return []
    if current > 0:
        backup_file(engine, db_path, current)
    applied = []
    for number, fn in pending:
        with write(engine) as conn:
            fn(conn)
            conn.exec_driver_sql(f"PRAGMA user_version = {number}")
            set_meta(conn, "schema_version", str(number))
        applied.append(number)
    return applied
