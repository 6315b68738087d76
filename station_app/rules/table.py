"""The routing table as data (`resources/rules/routing.json`), read and checked.

Admins may edit the file, so everything in it is checked on load and a malformed table is
refused with `RuleTableError` naming the file and the offending key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from station_app.domain.enums import Category, Department, Flag, Track
from station_app.errors import StationError
from station_app.resources import resource_path

INS = "INS"  # lead spec: the branch departments of the case's insurance types
DEFAULT_TABLE_PATH = ("rules", "routing.json")
COMPUTED_TRACKS = frozenset({Track.JOINT, Track.REFER})  # derived from the department count
THRESHOLDS = ("group_size", "amount_claimed")
E = TypeVar("E", Category, Department, Flag, Track)


class RuleTableError(StationError):
    """The routing table file is missing or malformed."""


@dataclass(frozen=True)
class SegmentRule:
    """Who handles one period segment of a category: `lead` (None: the insurance types' departments) and `co`."""

    lead: Department | None  # None means INS
    co: tuple[Department, ...] = ()


@dataclass(frozen=True)
class CategoryRule:
    """How one dispute category (三(三)1-9) is routed.

    Attributes:
        post: the rule for disputed months from the 统模式 reform date on (三(二)2).
        pre: the rule for disputed months before it.
        track: a fixed track, or None when the number of departments decides.
        variants: `(flag, rule)` pairs; when the flag is set the category is routed by that rule.
    """

    post: SegmentRule
    pre: SegmentRule
    track: Track | None = None
    # (flag, rule): when the flag is set the category is routed by that rule instead
    # (category 9 with a labour-relation dispute is not 职责不清: 人社 has it, 三(二)3).
    variants: tuple[tuple[Flag, CategoryRule], ...] = ()

    def for_flags(self, has: Callable[[Flag], bool]) -> tuple[CategoryRule, Flag | None]:
        """The rule that applies and the flag that chose a variant (None: the base rule)."""
        for flag, rule in self.variants:
            if has(flag):
                return rule, flag
        return self, None


@dataclass(frozen=True)
class Modifier:
    """A flag's effect on the routing, applied after the category rule.

    Attributes:
        flag: the intake flag that triggers it.
        lead: a department that takes the lead, or None.
        add: departments that join as co-handlers.
        track: a track the flag forces, or None.
        segment_ins: every segment is led by the insurance types' departments and the table's
            lead becomes co (not_enrolled: tax collects only from payers already enrolled, 三(二)2).
    """

    flag: Flag
    lead: Department | None = None
    add: tuple[Department, ...] = ()
    track: Track | None = None
    # "segment_lead": "INS": every segment is led by the insurance types' departments and the
    # department the table had leading becomes co (not_enrolled: tax collects only from payers
    # already enrolled, 三(二)2).
    segment_ins: bool = False


@dataclass(frozen=True)
class RoutingTable:
    """The routing table as loaded from `resources/rules/routing.json`: categories, modifiers, precedences.

    Built by `load_table`, which checks every key; see the module docstring.
    """

    categories: dict[Category, CategoryRule]
    modifiers: tuple[Modifier, ...]
    lead_precedence: tuple[Department, ...] = (
        Department.TAX,
        Department.HRSS,
        Department.MEDICAL,
    )
    categories_requiring_period: frozenset[Category] = frozenset()
    threshold_tracks: dict[str, Track] = field(default_factory=dict)
    track_adds: dict[Track, tuple[Department, ...]] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: object) -> RoutingTable:
        """Build a table from parsed JSON; raises `ValueError`/`TypeError` naming the bad key."""
        root = _obj(data, "(root)")
        cats = _obj(root.get("categories"), "categories")
        categories = {c: _category(cats.get(str(int(c))), f"categories.{int(c)}") for c in Category}
        mods = root.get("modifiers", [])
        if not isinstance(mods, list):
            raise TypeError("modifiers: 应为列表")
        thresholds = _obj(root.get("thresholds", {}), "thresholds")
        adds = _obj(root.get("track_adds", {}), "track_adds")
        return cls(
            categories=categories,
            modifiers=tuple(_modifier(m, f"modifiers[{i}]") for i, m in enumerate(mods)),
            lead_precedence=_depts(
                root.get("lead_precedence", ["tax", "hrss", "medical"]),
                "lead_precedence",
            ),
            categories_requiring_period=frozenset(
                _enum(Category, c, "categories_requiring_period")
                for c in _list(
                    root.get("categories_requiring_period", []),
                    "categories_requiring_period",
                )
            ),
            threshold_tracks={k: _track(thresholds[k], f"thresholds.{k}") for k in THRESHOLDS if k in thresholds},
            track_adds={_track(k, "track_adds"): _depts(v, f"track_adds.{k}") for k, v in adds.items()},
        )


def load_routing_table(path: Path | None = None) -> RoutingTable:
    """Read a routing table file (default: the bundled `resources/rules/routing.json`)."""
    path = path or resource_path(*DEFAULT_TABLE_PATH)
    try:
        return RoutingTable.from_json(json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise RuleTableError(f"无法读取分流规则表 {path}: {exc.strerror}") from exc
    except (ValueError, TypeError) as exc:  # JSONDecodeError is a ValueError
        raise RuleTableError(f"分流规则表 {path} 格式错误: {exc}") from exc


@cache
def default_routing_table() -> RoutingTable:
    """The bundled table, read once (call `default_routing_table.cache_clear()` after edits)."""
    return load_routing_table()


def _obj(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"{where}: 应为对象")
    return value


def _list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"{where}: 应为列表")
    return value


def _enum(kind: type[E], value: Any, where: str) -> E:
    try:
        return kind(value)
    except (ValueError, TypeError):
        raise ValueError(f"{where}: 未知的值 {value!r}") from None


def _dept(value: object, where: str) -> Department:
    return _enum(Department, value, where)


def _depts(value: object, where: str) -> tuple[Department, ...]:
    return tuple(_dept(v, where) for v in _list(value, where))


def _track(value: object, where: str) -> Track:
    track = _enum(Track, value, where)
    if track in COMPUTED_TRACKS:
        raise ValueError(f"{where}: {track.value} 由部门数量决定,不能在规则表中指定")
    return track


def _segment(value: object, where: str) -> SegmentRule:
    seg = _obj(value, where)
    lead = seg.get("lead")
    return SegmentRule(
        lead=None if lead == INS else _dept(lead, f"{where}.lead"),
        co=_depts(seg.get("co", []), f"{where}.co"),
    )


def _category(value: object, where: str, *, nested: bool = False) -> CategoryRule:
    cat = _obj(value, where)
    track = cat.get("track")
    raw_variants = [] if nested else _list(cat.get("variants", []), f"{where}.variants")
    variants = tuple(
        (
            _enum(Flag, _obj(v, f"{where}.variants[{i}]").get("flag"), f"{where}.variants[{i}].flag"),
            _category(v, f"{where}.variants[{i}]", nested=True),
        )
        for i, v in enumerate(raw_variants)
    )
    return CategoryRule(
        post=_segment(cat.get("post"), f"{where}.post"),
        pre=_segment(cat.get("pre"), f"{where}.pre"),
        track=None if track is None else _track(track, f"{where}.track"),
        variants=variants,
    )


def _modifier(value: object, where: str) -> Modifier:
    mod = _obj(value, where)
    lead, track = mod.get("lead"), mod.get("track")
    segment_lead = mod.get("segment_lead")
    if segment_lead not in (None, INS):
        raise ValueError(f"{where}.segment_lead: 只能为 {INS}")
    return Modifier(
        segment_ins=segment_lead == INS,
        flag=_enum(Flag, mod.get("flag"), f"{where}.flag"),
        lead=None if lead is None else _dept(lead, f"{where}.lead"),
        add=_depts(mod.get("add", []), f"{where}.add"),
        track=None if track is None else _track(track, f"{where}.track"),
    )
