"""Traditional characters folded to simplified ones for search.

張偉 is found by 张伟, and the other way round, because the index holds the simplified form of
every name and text and the query is folded the same way.

The tables are OpenCC's (Apache-2.0, `resources/search/OpenCC.LICENSE`), shipped unchanged:
`TSCharacters.txt` gives each traditional character its first simplified value (於 -> 于);
`HKVariants.txt` and `TWVariants.txt`, read backwards, bring a Hong Kong or Taiwan form to the
standard traditional one first (衞 -> 衛 -> 卫), as a 港澳台 resident's name may be written.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from station_app.resources import resource_path


def _pairs(name: str) -> Iterator[tuple[str, list[str]]]:
    """(key, values) of each one-character line of an OpenCC table."""
    for line in resource_path("search", name).read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        key, _, values = line.partition("\t")
        if len(key) == 1 and values:
            yield key, values.split(" ")


@lru_cache(maxsize=1)
def _table() -> dict[int, str]:
    """{ord(traditional or variant): simplified} (about 3,300 characters)."""
    table: dict[int, str] = {}
    known: set[str] = set()  # every character the main table names: standard forms stay as they are
    for key, values in _pairs("TSCharacters.txt"):
        known.add(key)
        known.update(values)
        if values[0] != key:
            table[ord(key)] = values[0]
    for name in ("HKVariants.txt", "TWVariants.txt"):
        for standard, variants in _pairs(name):
            for variant in variants:
                folded = table.get(ord(standard), standard)
                # only forms the main table does not know (吃 is TW's 喫 read backwards, 么 is
                # 幺's: both are everyday simplified characters and stay as they are)
                if len(variant) == 1 and variant not in known and folded != variant:
                    table[ord(variant)] = folded
    return table


def to_simplified(value: str) -> str:
    """`value` with every traditional character replaced by its simplified form (張偉 -> 张伟, 衞 -> 卫).

    Characters without one (simplified, ASCII, rare extensions) stay as they are.
    """
    return value.translate(_table())


def simplified_variant(value: str) -> str | None:
    """The simplified form of `value` when it differs from `value`, else None."""
    folded = to_simplified(value)
    return folded if folded != value else None
