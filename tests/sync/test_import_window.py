"""What a large import leaves to a thread after it: the search indexes' merging, the checkpoint.

While the bundles of a large import are written, FTS5 does not merge the search indexes'
segments (`automerge` 0); after it the setting is back, a thread merges what was held back and
checkpoints the WAL, and the cases were searchable all along. A store whose import did not end
gets the setting back when it is opened.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from station_app.services.query_service import CaseQuery, list_cases
from station_app.services.session import login
from station_app.store.db import read, settle, write
from station_app.store.search_index import FTS_TABLES, hold_merges, merge_step, merges_left_held
from sync import exchange
from sync.exchange_bench import BENCH_PASSWORD, _world


def _automerge(conn: object) -> dict[str, object]:
    from sqlalchemy import text

    return {
        t: conn.execute(text(f"SELECT v FROM {t}_config WHERE k = 'automerge'")).scalar()  # type: ignore[attr-defined]
        for t in FTS_TABLES
    }


def test_a_large_import_merges_the_search_indexes_after_it_and_finds_every_case(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exchange, "LARGE_IMPORT", 1)  # these few bundles count as large
    world = _world(30, tmp_path)
    try:
        exchange.export_due(world.station, world.stick)
        seen: list[dict[str, object]] = []
        import_foreign = exchange.import_foreign

        def spied(engine: object, *args: object, **kwargs: object) -> object:
            with read(world.city.store.engine) as conn:
                seen.append(_automerge(conn))
            return import_foreign(engine, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(exchange, "import_foreign", spied)
        summary = exchange.import_path(world.city, world.stick)
        assert summary.bundles >= 1 and not summary.refused
        assert seen and all(set(s.values()) == {0} for s in seen)  # held while the bundles were written
        settle(world.city.store.engine)
        with read(world.city.store.engine) as conn:
            assert set(_automerge(conn).values()) == {4} and not merges_left_held(conn)
        with write(world.city.store.engine) as conn:
            assert merge_step(conn) is False  # the thread merged what was held back
        stations = [c.applicant_name for c in list_cases(world.station, CaseQuery(), limit=200)]
        for name in stations[:10]:
            found = [c.applicant_name for c in list_cases(world.city, CaseQuery(search=name), limit=200)]
            assert name in found, name
    finally:
        world.close()


def test_a_store_left_with_merging_held_gets_it_back_when_opened(tmp_path: Path) -> None:
    world = _world(3, tmp_path)
    with write(world.city.store.engine) as conn:
        hold_merges(conn)  # as an import killed before its end leaves it
    world.close()
    city = login(tmp_path / "city", "cadmin", BENCH_PASSWORD)
    try:
        with read(city.store.engine) as conn:
            assert not merges_left_held(conn)
            assert set(_automerge(conn).values()) == {4}
    finally:
        city.close()
