"""Traditional characters folded to simplified ones for search: 張偉 is found by 张伟, and the
other way round, because the index holds the simplified form of every name and text and the
query is folded the same way.

The table is OpenCC's `TSCharacters.txt` (Apache-2.0, `resources/search/TSCharacters.LICENSE`),
shipped unchanged; each traditional character takes its first simplified value (於 -> 于).
"""

from __future__ import annotations

from functools import lru_cache

from station_app.resources import resource_path


@lru_cache(maxsize=1)
def _table() -> dict[int, str]:
    """{ord(traditional): simplified} from the shipped table (about 4,000 characters)."""
    table: dict[int, str] = {}
    for line in resource_path("search", "TSCharacters.txt").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        key, _, values = line.partition("\t")
        first = values.split(" ", 1)[0]
        if len(key) == 1 and first and first != key:
            table[ord(key)] = first
    return table


def to_simplified(value: str) -> str:
    """`value` with every traditional character replaced by its simplified form (張偉 -> 张伟);
    characters without one (simplified, ASCII, rare extensions) stay as they are."""
    return value.translate(_table())


def simplified_variant(value: str) -> str | None:
    """The simplified form of `value` when it differs from `value`, else None."""
    folded = to_simplified(value)
    return folded if folded != value else None
