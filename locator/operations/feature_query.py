"""Queries on a collection's features: queryables, property filters, CQL2, sorting.

CQL2 text and JSON are parsed by pygeofilter (the maintained parser pygeoapi uses); the
resulting syntax tree is evaluated here, node by node, over the features in memory, so
that exactly the constructs listed in ``SUPPORTED`` run and any other is refused by name
(no ``eval``). Supported: comparisons (=, <>, <, <=, >, >=), AND / OR / NOT, LIKE (with
CASEI/LOWER), IN, IS NULL, BETWEEN, and S_INTERSECTS with a BBOX or a GeoJSON/WKT geometry
(WGS-84 longitude/latitude, as CQL2 defaults to CRS84).

No filter can cost much more than a trivial one (issue #22): LIKE is matched without
backtracking (``_like``), and what a client controls is bounded (the ``MAX_*`` constants:
terms, nesting, IN lists, strings, LIKE patterns, vertices, cql2-json depth); past a bound,
and for any malformed literal, the answer is a 400 saying what, Chinese first with
English beside it, never a parser's own text.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import shapely

from locator.values.errors import InvalidQuery, shown
from locator.values.models import (
    AMENITIES,
    WHEELCHAIR_VALUES,
    Facility,
    Feature,
)
from locator.values.registry import Collection

Item = Facility | Feature
Predicate = Callable[[Item], bool]
SUPPORTED = (
    "=",
    "<>",
    "<",
    "<=",
    ">",
    ">=",
    "AND",
    "OR",
    "NOT",
    "LIKE",
    "IN",
    "IS NULL",
    "BETWEEN",
    "S_INTERSECTS",
    "CASEI",
    "LOWER",
)


@dataclass(frozen=True)
class Queryable:
    """A property that filters and sorts: its JSON type and, when closed, its values."""

    name: str
    type: str
    title: str
    enum: tuple[str, ...] | None = None
    items: str | None = None

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"title": self.title, "type": self.type}
        if self.type == "array":
            out["items"] = {
                "type": self.items or "string",
                **({"enum": list(self.enum)} if self.enum else {}),
            }
        elif self.enum:
            out["enum"] = list(self.enum)
        return out


def queryables(decl: Collection, codes: Mapping[str, Sequence[str]]) -> dict[str, Queryable]:
    """The queryables of a collection: its declared scalar and string-array properties;
    ``codes`` gives the values of ``district_code`` and ``town_code`` (the areas the
    store holds), the vocabularies give ``amenities`` and ``wheelchair``."""
    out: dict[str, Queryable] = {}
    for prop in decl.properties:
        if prop.type == "array" and prop.items != "string":
            continue
        enum: tuple[str, ...] | None = None
        if prop.name in codes:
            enum = tuple(codes[prop.name])
        elif prop.name == "amenities":
            enum = tuple(AMENITIES)
        elif prop.name == "wheelchair":
            enum = WHEELCHAIR_VALUES
        out[prop.name] = Queryable(
            prop.name, prop.type, f"{prop.title_zh} · {prop.title_en}", enum, prop.items
        )
    return out


def property_value(item: Item, name: str) -> Any:
    """A feature's property by name (``id`` is the feature's id)."""
    if name == "id":
        return item.id
    return item.properties.get(name)


def equals(name: str, raw: str, q: Queryable) -> Predicate:
    """A queryable used as a query parameter: equality, or membership for an array. A
    value outside a closed list (codes, amenities, wheelchair) is a 400, not an empty
    answer: it is a typo, not a question."""
    if q.enum is not None and raw not in q.enum:
        shown_values = ", ".join(q.enum[:20]) + (" ..." if len(q.enum) > 20 else "")
        raise InvalidQuery(name, f"{name} must be one of {shown_values}, got {shown(raw)}")
    if q.type == "array":
        return lambda item: raw in (property_value(item, name) or ())
    if q.type == "boolean":
        if raw not in ("true", "false"):
            raise InvalidQuery(name, f"{name} must be true or false, got {shown(raw)}")
        want = raw == "true"
        return lambda item: property_value(item, name) is want
    if q.type in ("number", "integer"):
        try:
            number = float(raw)
        except ValueError:
            raise InvalidQuery(name, f"{name} must be a number, got {shown(raw)}") from None
        return lambda item: property_value(item, name) == number
    return lambda item: property_value(item, name) == raw


# ---------------------------------------------------------------------- CQL2

#: Bounds on what one filter may ask, so that no filter costs more than a few times a
#: trivial one (each passed bound is a 400 naming ``filter``; the text itself is at most
#: ``web.params.FILTER.max_length`` characters)
MAX_NODES = 200  # predicates, properties, functions and literals
MAX_DEPTH = 20  # nesting of AND/OR/NOT and functions (a chain of ANDs is one level)
MAX_JSON_DEPTH = 64  # nesting of arrays and objects in cql2-json
MAX_IN_ITEMS = 500  # values in one IN list
MAX_STRING_CHARS = 500  # characters in one string literal
MAX_LIKE_CHARS = 200  # characters in one LIKE pattern
MAX_LIKE_WILDCARDS = 20  # % and _ in one LIKE pattern
MAX_VERTICES = 500  # positions in the geometry literals of one filter
#: queryables given as query parameters (``district_code=...``) in one request
MAX_EQUALS = 50

_POSITIONS_DEPTH = {
    "Point": 0,
    "MultiPoint": 1,
    "LineString": 1,
    "MultiLineString": 2,
    "Polygon": 2,
    "MultiPolygon": 3,
}


def _bad(zh: str, en: str) -> InvalidQuery:
    """A 400 naming ``filter``, Chinese first with English beside it."""
    return InvalidQuery("filter", f"{zh} · {en}")


def parse_cql2(text: str, lang: str | None) -> Any:
    """The syntax tree of a CQL2 filter in ``lang`` (cql2-text, the default, or cql2-json).

    Errors are 400s saying what is wrong in this application's words (never a parser's
    exception text, which for lark runs to kilobytes)."""
    lang = lang or "cql2-text"
    if lang not in ("cql2-text", "cql2-json"):
        raise InvalidQuery(
            "filter-lang", f"filter-lang must be cql2-text or cql2-json, got {shown(lang)}"
        )
    if lang == "cql2-json":
        return _parse_json(text)
    return _parse_text(text)


@functools.cache
def _text_parser() -> Any:
    """pygeofilter's cql2-text grammar in a LALR parser of our own: pygeofilter 0.4's
    parser is built with ``debug=True`` (lark then prints its whole state stack to
    standard output on a failed transform), its transformer prints two kinds of
    geometry to standard output, and it copies a line's tuple at every vertex
    (quadratic in the vertex count)."""
    import os

    from lark import Lark, v_args
    from pygeofilter.parsers.cql2_text import parser as cql2_text

    @v_args(inline=True)
    class Transformer(cql2_text.CQLTransformer):
        def wkt__coordinate_list_start(self, coordinate: Any) -> list:
            return [coordinate]

        def wkt__coordinate_list(self, coordinates: list, coordinate: Any) -> list:
            coordinates.append(coordinate)
            return coordinates

        def wkt__multipoint_2(self, *coordinates: Any) -> dict:
            return {"type": "MultiPoint", "coordinates": list(coordinates)}

        # time literals: refused before pygeofilter hands them to dateparser (natural
        # language, seconds on first use); no queryable holds a time
        def DATETIME(self, value: Any) -> Any:  # noqa: N802 (lark's terminal name)
            raise _no_times()

        def DATE(self, value: Any) -> Any:  # noqa: N802
            raise _no_times()

        def wkt__geometry_with_srid(self, srid: int, geometry: dict) -> dict:
            if int(srid) != 4326:
                raise _bad(
                    f"几何只能用 WGS-84 经纬度(SRID=4326),不能用 SRID={int(srid)}",
                    f"filter geometries must be WGS-84 longitude/latitude, not SRID={int(srid)}",
                )
            return geometry

    return Lark.open(
        "grammar.lark",
        rel_to=cql2_text.__file__,
        parser="lalr",
        maybe_placeholders=False,
        transformer=Transformer(),
        import_paths=[os.path.dirname(os.path.dirname(cql2_text.__file__))],
    )


def _parse_text(text: str) -> Any:
    from lark.exceptions import (
        UnexpectedCharacters,
        UnexpectedEOF,
        UnexpectedToken,
        VisitError,
    )

    try:
        return _text_parser().parse(text)
    except InvalidQuery:
        raise
    except (UnexpectedEOF, UnexpectedToken) as exc:
        token = getattr(exc, "token", None)
        if token is None or token.type == "$END":
            raise _bad(
                "过滤条件不完整(在表达式结束前就结束了)",
                "filter is not valid cql2-text: it ends before the expression is complete",
            ) from None
        raise _bad(
            f"过滤条件第 {token.column} 列的 {shown(str(token), 40)} 不符合 CQL2 语法",
            f"filter is not valid cql2-text: unexpected {shown(str(token), 40)} "
            f"at column {token.column}",
        ) from None
    except UnexpectedCharacters as exc:
        raise _bad(
            f"过滤条件第 {exc.column} 列的字符 {shown(exc.char)} 不符合 CQL2 语法",
            f"filter is not valid cql2-text: unexpected character {shown(exc.char)} "
            f"at column {exc.column}",
        ) from None
    except VisitError as exc:
        if isinstance(exc.orig_exc, InvalidQuery):
            raise exc.orig_exc from None
        raise _unreadable("cql2-text") from None
    except (ValueError, TypeError, ArithmeticError, RecursionError):
        raise _unreadable("cql2-text") from None


def _no_times() -> InvalidQuery:
    return _bad(
        "过滤条件不支持时间值(DATE、TIMESTAMP、INTERVAL)",
        "filter: time values (DATE, TIMESTAMP, INTERVAL) are not supported here; no "
        "queryable holds a time",
    )


def _unreadable(lang: str) -> InvalidQuery:
    return _bad(
        "过滤条件中有运算符用在了它不接受的值上",
        f"filter is not valid {lang}: an operator is given a value it does not take "
        "(e.g. a minus sign before a text, or a missing argument)",
    )


def _parse_json(text: str) -> Any:
    import json

    from pygeofilter.parsers.cql2_json import parse

    try:
        root = json.loads(text)
    except RecursionError:
        raise _too_deep_json() from None
    except ValueError as exc:
        column = exc.colno if isinstance(exc, json.JSONDecodeError) else 1
        raise _bad(
            f"过滤条件不是有效的 JSON(第 {column} 列有误)",
            f"filter is not valid cql2-json: it is not valid JSON (the first error is at "
            f"column {column})",
        ) from None
    _prepare_json(root)
    try:
        return parse(root)
    except InvalidQuery:
        raise
    except Exception:  # pygeofilter raises ValueError, TypeError, IndexError, KeyError...
        raise _unreadable("cql2-json") from None


def _too_deep_json() -> InvalidQuery:
    return _bad(
        f"过滤条件嵌套超过 {MAX_JSON_DEPTH} 层",
        f"filter is nested more than {MAX_JSON_DEPTH} levels deep",
    )


@functools.cache
def _json_ops() -> frozenset[str]:
    """The operations pygeofilter's cql2-json parser knows (some then refused by name)."""
    from pygeofilter.cql2 import BINARY_OP_PREDICATES_MAP

    return frozenset(BINARY_OP_PREDICATES_MAP) | set(_JSON_ARITY)


_JSON_ARITY = {"not": 1, "isNull": 1, "like": 2, "in": 2, "between": 3, "casei": 1, "lower": 1}


def _prepare_json(root: Any) -> None:
    """Check a cql2-json document's shape before pygeofilter walks it (recursively, and
    with ``IndexError`` for a missing argument), in place and without recursion: the
    depth, each operator's arguments, and ``{"bbox": [...]}`` turned into a GeoJSON
    polygon (pygeofilter 0.4 reads the bbox array in the wrong order). ``between`` takes
    the CQL2 1.0 form ``[value, low, high]`` (pygeofilter expects ``[value, [low,
    high]]``)."""
    if not isinstance(root, dict):
        raise _bad(
            "cql2-json 过滤条件必须是一个 JSON 对象",
            "filter in cql2-json must be a JSON object",
        )
    stack: list[tuple[Any, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise _too_deep_json()
        if isinstance(node, list):
            stack.extend((item, depth + 1) for item in node)
            continue
        if not isinstance(node, dict):
            continue
        if "op" in node:
            op, args = node["op"], node.get("args")
            if not isinstance(op, str) or not isinstance(args, list):
                raise _bad(
                    "cql2-json 运算需要文本 op 和数组 args",
                    'filter in cql2-json: an operation needs a text "op" and an array "args"',
                )
            if op == "between" and len(args) == 3:
                args[1:] = [[args[1], args[2]]]
            if op not in _json_ops():
                raise _bad(
                    f"未知的运算 {shown(op, 30)}",
                    f"filter: unknown operation {shown(op, 30)}; supported: {', '.join(SUPPORTED)}",
                )
            want = _JSON_ARITY.get(op, 2)
            if op == "between":
                want = 2
            if len(args) < want or (op not in ("and", "or") and len(args) != want):
                raise _bad(
                    f"运算 {shown(op, 30)} 的参数个数不对",
                    f"filter: the operation {shown(op, 30)} takes "
                    f"{'at least ' if op in ('and', 'or') else ''}{want} argument(s), "
                    f"got {len(args)}",
                )
        elif "bbox" in node and not ("type" in node and "coordinates" in node):
            node["type"], node["coordinates"] = "MultiPolygon", _bbox_rings(node.pop("bbox"))
        elif not ("type" in node and "coordinates" in node) and (
            {"date", "timestamp", "interval"} & set(node)
        ):
            raise _no_times()
        elif "property" in node and not isinstance(node["property"], str):
            raise _bad("属性名必须是文本", 'filter in cql2-json: "property" must be a text')
        stack.extend((value, depth + 1) for value in node.values())


def _bbox_rings(box: Any) -> list:
    """MultiPolygon coordinates of a CQL2 bbox ``[w, s, e, n]`` or ``[w, s, zmin, e, n,
    zmax]`` in WGS-84 degrees; west > east crosses the antimeridian (two boxes)."""
    if (
        not isinstance(box, list | tuple)
        or len(box) not in (4, 6)
        or not all(_is_number(v) and math.isfinite(v) for v in box)
    ):
        raise _bad(
            "BBOX 必须是 4 个(或 6 个)有限的数:最小经度, 最小纬度, 最大经度, 最大纬度",
            "filter: a BBOX must be 4 (or 6) finite numbers minlon, minlat, maxlon, maxlat, "
            f"got {shown(box, 80)}",
        )
    w, s, e, n = (box[0], box[1], box[3], box[4]) if len(box) == 6 else box
    if not (-180 <= w <= 180 and -180 <= e <= 180 and -90 <= s <= n <= 90):
        raise _bad(
            "BBOX 的经度须在 [-180, 180] 内,且 -90 ≤ 最小纬度 ≤ 最大纬度 ≤ 90",
            "filter: a BBOX must have longitudes in [-180, 180] and "
            f"-90 <= minlat <= maxlat <= 90, got {shown(list(box), 80)}",
        )
    spans = [(w, e)] if w <= e else [(w, 180.0), (-180.0, e)]
    return [[[[a, s], [b, s], [b, n], [a, n], [a, s]]] for a, b in spans]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _literal(node: Any) -> Any:
    """A literal of a comparison, an IN list or a BETWEEN bound."""
    if isinstance(node, str):
        if len(node) > MAX_STRING_CHARS:
            raise _bad(
                f"过滤条件中的文本不能超过 {MAX_STRING_CHARS} 个字符",
                f"filter: a text value may have at most {MAX_STRING_CHARS} characters, "
                f"got {len(node)}",
            )
        return node
    if isinstance(node, bool):
        return node
    if _is_number(node):
        if not math.isfinite(node):
            raise _bad("过滤条件中的数必须是有限的", "filter: numbers must be finite")
        return node
    raise _bad(
        "这里需要一个值(文本、数或布尔值)",
        f"filter: expected a literal value here, got {type(node).__name__}",
    )


def _geometry(geojson: Any) -> Any:
    """A shapely geometry from a filter's GeoJSON(-like) literal in WGS-84 degrees, every
    position checked (2 or 3 finite numbers, lon in [-180, 180], lat in [-90, 90]), lines
    of 2 positions or more, closed rings of 4 or more, at most ``MAX_VERTICES`` in all,
    polygons valid; anything else a 400 saying what."""
    if not isinstance(geojson, dict):
        raise _bad("几何格式不对", "filter: a geometry literal is malformed")
    kind = geojson.get("type")
    if kind == "GeometryCollection":
        parts = geojson.get("geometries")
        if not isinstance(parts, list | tuple) or not parts:
            raise _bad("几何集合是空的", "filter: a GeometryCollection has no geometries")
        return shapely.GeometryCollection([_geometry(p) for p in parts])
    if kind not in _POSITIONS_DEPTH:
        raise _bad(
            f"不支持的几何类型 {shown(kind, 40)}",
            f"filter: unknown geometry type {shown(kind, 40)}; expected one of "
            f"{', '.join([*_POSITIONS_DEPTH, 'GeometryCollection'])}",
        )
    coords = geojson.get("coordinates")
    count = 0

    def positions(value: Any, depth: int) -> list:
        nonlocal count
        if depth == 0:
            if (
                not isinstance(value, list | tuple)
                or len(value) not in (2, 3)
                or not all(_is_number(v) and math.isfinite(v) for v in value)
            ):
                raise _bad(
                    f"{kind} 的坐标必须是 2 个(或 3 个)有限的数:经度 纬度 [高程]",
                    f"filter: a {kind} position must be 2 (or 3) finite numbers "
                    f"lon lat [height], got {shown(value, 80)}",
                )
            if not (-180 <= value[0] <= 180 and -90 <= value[1] <= 90):
                raise _bad(
                    "几何坐标必须是 WGS-84 经纬度(经度 -180..180,纬度 -90..90)",
                    "filter: geometry positions must be WGS-84 lon lat (lon in [-180, 180], "
                    f"lat in [-90, 90]), got {shown(list(value), 80)}",
                )
            count += 1
            if count > MAX_VERTICES:
                raise _bad(
                    f"过滤条件中的几何最多 {MAX_VERTICES} 个顶点",
                    f"filter: geometry literals may have at most {MAX_VERTICES} positions",
                )
            return list(value)
        if not isinstance(value, list | tuple) or not value:
            raise _bad(f"{kind} 的坐标是空的或格式不对", f"filter: a {kind} has no positions")
        return [positions(v, depth - 1) for v in value]

    coordinates = positions(coords, _POSITIONS_DEPTH[kind])
    lines = [coordinates] if kind == "LineString" else []
    lines = coordinates if kind == "MultiLineString" else lines
    if any(len(line) < 2 for line in lines):
        raise _bad("线至少需要 2 个点", f"filter: a {kind} needs at least 2 positions per line")
    rings = coordinates if kind == "Polygon" else []
    rings = [r for p in coordinates for r in p] if kind == "MultiPolygon" else rings
    for ring in rings:
        if len(ring) < 4 or ring[0][:2] != ring[-1][:2]:
            raise _bad(
                "多边形的每个环至少 4 个点,且首尾相同",
                f"filter: each ring of a {kind} needs at least 4 positions, the last "
                "the same as the first",
            )
    shape = shapely.geometry.shape({"type": kind, "coordinates": coordinates})
    if rings and not shapely.is_valid(shape):
        raise _bad(
            "多边形无效(边自相交,或洞在外环之外)",
            f"filter: the {kind} is not valid ({shown(shapely.is_valid_reason(shape), 80)})",
        )
    return shape


def _like(pattern: str, nocase: bool) -> Callable[[str], bool]:
    """A CQL2 LIKE pattern (``%`` any run, ``_`` one character, ``\\`` escapes) as a
    matcher that never backtracks: the pattern is cut at each ``%`` into fixed-length
    segments; the first must match at the start, the last at the end, and each other is
    found at its leftmost place after the one before (the leftmost place is never worse
    for the segments after it). Finding a segment is ``str.find`` on its longest literal
    run and a check of the rest, so a match costs at most O(len(text) × len(pattern))
    character comparisons, mostly far fewer, and never more than that."""
    if len(pattern) > MAX_LIKE_CHARS:
        raise _bad(
            f"LIKE 的模式不能超过 {MAX_LIKE_CHARS} 个字符",
            f"filter: a LIKE pattern may have at most {MAX_LIKE_CHARS} characters, "
            f"got {len(pattern)}",
        )
    segments: list[list[str | None]] = [[]]  # a character, or None for "_"
    wildcards = 0
    chars = iter(pattern)
    for ch in chars:
        if ch == "\\":
            ch = next(chars, "\\")
            segments[-1].extend(ch.casefold() if nocase else ch)
        elif ch == "%":
            wildcards += 1
            segments.append([])
        elif ch == "_":
            wildcards += 1
            segments[-1].append(None)
        else:
            segments[-1].extend(ch.casefold() if nocase else ch)
    if wildcards > MAX_LIKE_WILDCARDS:
        raise _bad(
            f"LIKE 的模式最多 {MAX_LIKE_WILDCARDS} 个通配符(% 和 _)",
            f"filter: a LIKE pattern may have at most {MAX_LIKE_WILDCARDS} wildcards "
            f"(% and _), got {wildcards}",
        )
    compiled = [_Segment.of(seg) for seg in segments]
    if all(seg.literal is not None for seg in compiled):
        return _like_literal([seg.literal or "" for seg in compiled], nocase)
    first, last = compiled[0], compiled[-1]

    def match(text: str) -> bool:
        if nocase:
            text = text.casefold()
        n = len(text)
        if len(compiled) == 1:
            return n == first.size and first.find(text, 0, n) == 0
        end = n - last.size
        if first.size > end or first.find(text, 0, first.size) != 0:
            return False
        if last.find(text, end, n) != end:
            return False
        pos = first.size
        for seg in compiled[1:-1]:
            found = seg.find(text, pos, end)
            if found < 0:
                return False
            pos = found + seg.size
        return True

    return match


def _like_literal(parts: list[str], nocase: bool) -> Callable[[str], bool]:
    """``_like`` for a pattern without ``_``: the texts between its ``%``, matched with
    ``startswith``, ``endswith`` and ``find`` (the same leftmost placing)."""
    head, tail, middle = parts[0], parts[-1], parts[1:-1]
    if len(parts) == 1:
        return lambda text: (text.casefold() if nocase else text) == head
    shortest = sum(map(len, parts))

    def match(text: str) -> bool:
        if nocase:
            text = text.casefold()
        if len(text) < shortest or not text.startswith(head) or not text.endswith(tail):
            return False
        pos, end = len(head), len(text) - len(tail)
        for part in middle:
            at = text.find(part, pos, end)
            if at < 0:
                return False
            pos = at + len(part)
        return True

    return match


@dataclass(frozen=True)
class _Segment:
    """A fixed-length piece of a LIKE pattern: its length, its literal runs (offset,
    text; the places between them are ``_``), the longest run (searched for first) and,
    when it has no ``_``, its text."""

    size: int
    runs: tuple[tuple[int, str], ...]
    anchor: tuple[int, str] | None
    literal: str | None

    @classmethod
    def of(cls, chars: list[str | None]) -> _Segment:
        runs: list[tuple[int, str]] = []
        start = None
        for i, ch in enumerate([*chars, None]):
            if ch is not None and start is None:
                start = i
            elif ch is None and start is not None:
                runs.append((start, "".join(c for c in chars[start:i] if c is not None)))
                start = None
        anchor = max(runs, key=lambda run: len(run[1])) if runs else None
        literal = None if None in chars else "".join(c for c in chars if c is not None)
        return cls(len(chars), tuple(runs), anchor, literal)

    def find(self, text: str, start: int, end: int) -> int:
        """The leftmost place ``i`` in ``[start, end - size]`` where this segment matches
        ``text[i:i + size]``, or -1."""
        if start + self.size > end:
            return -1
        if self.anchor is None:
            return start
        offset, anchor = self.anchor
        stop = end - (self.size - offset - len(anchor))
        pos = start + offset
        while True:
            at = text.find(anchor, pos, stop)
            if at < 0:
                return -1
            i = at - offset
            for off, run in self.runs:
                if not text.startswith(run, i + off):
                    break
            else:
                return i
            pos = at + 1


def _chain(node: Any, kind: Any) -> list[Any]:
    """The operands of a chain of one operator (``a AND b AND c`` is nested two deep in
    the syntax tree), left to right, without recursion."""
    out: list[Any] = []
    stack: list[Any] = [node]
    while stack:
        current: Any = stack.pop()
        if type(current) is kind:
            stack += [current.rhs, current.lhs]
        else:
            out.append(current)
    return out


def compile_cql2(
    tree: Any, names: Mapping[str, Queryable], shape: Callable[[Item], Any]
) -> Predicate:
    """A predicate from a CQL2 syntax tree; ``shape`` gives an item's shapely geometry
    (WGS-84 degrees). The tree is bounded (``MAX_*`` above): a filter past a bound is a
    400 before any feature is looked at."""
    from pygeofilter import ast, values

    comparisons = {
        ast.Equal: lambda a, b: a == b,
        ast.NotEqual: lambda a, b: a != b,
        ast.LessThan: lambda a, b: a < b,
        ast.LessEqual: lambda a, b: a <= b,
        ast.GreaterThan: lambda a, b: a > b,
        ast.GreaterEqual: lambda a, b: a >= b,
    }
    nodes = 0

    def enter(depth: int) -> None:
        nonlocal nodes
        nodes += 1
        if nodes > MAX_NODES:
            raise _bad(
                f"过滤条件最多 {MAX_NODES} 项(运算、属性和值)",
                f"filter may have at most {MAX_NODES} terms (operators, properties and values)",
            )
        if depth > MAX_DEPTH:
            raise _bad(
                f"过滤条件嵌套不能超过 {MAX_DEPTH} 层",
                f"filter may be nested at most {MAX_DEPTH} levels deep",
            )

    def unsupported(node: Any) -> InvalidQuery:
        return _bad(
            "不支持这种 CQL2 写法",
            f"the CQL2 construct {type(node).__name__} is not "
            f"supported here; supported: {', '.join(SUPPORTED)}",
        )

    def operand(node: Any, depth: int) -> Callable[[Item], Any]:
        enter(depth)
        if isinstance(node, ast.Attribute):
            if node.name not in names:
                raise _bad(
                    "过滤条件中有未知属性",
                    f"unknown property {shown(node.name)}; queryables: {', '.join(names)}",
                )
            name = node.name
            return lambda item: property_value(item, name)
        if (
            isinstance(node, ast.Function)
            and node.name.lower() in ("casei", "lower")
            and len(node.arguments) == 1
        ):
            inner = operand(node.arguments[0], depth + 1)
            return lambda item: v.casefold() if isinstance(v := inner(item), str) else v
        if isinstance(node, str | int | float | bool):
            value = _literal(node)
            return lambda item: value
        raise unsupported(node)

    def geometry(node: Any) -> Any:
        if isinstance(node, values.Geometry):
            return _geometry(node.geometry)
        if isinstance(node, values.Envelope):
            south, north = sorted((node.y1, node.y2))  # ENVELOPE gives them either way
            box = _bbox_rings([node.x1, south, node.x2, north])
            return _geometry({"type": "MultiPolygon", "coordinates": box})
        if isinstance(node, ast.Function) and node.name.lower() == "bbox":
            return _geometry({"type": "MultiPolygon", "coordinates": _bbox_rings(node.arguments)})
        raise unsupported(node)

    def like(node: Any, depth: int) -> Predicate:
        pattern, nocase, lhs_node = node.pattern, node.nocase, node.lhs
        if isinstance(pattern, ast.Function) and pattern.name.lower() in ("casei", "lower"):
            pattern, nocase = (pattern.arguments or [None])[0], True  # CASEI('%x%')
            lhs_node = ast.Function("casei", [node.lhs])
        elif isinstance(pattern, dict) and pattern.get("op") in ("casei", "lower"):
            pattern, nocase = (pattern.get("args") or [None])[0], True  # cql2-json
            lhs_node = ast.Function("casei", [node.lhs])
        lhs = operand(lhs_node, depth + 1)
        if not isinstance(pattern, str):
            raise _bad(
                "LIKE 的模式必须是文本",
                f"filter: a LIKE pattern must be a text, got {type(pattern).__name__}",
            )
        matches = _like(pattern, nocase)
        negate = node.not_
        return lambda item: (isinstance(v := lhs(item), str) and matches(v)) != negate

    def build(node: Any, depth: int) -> Predicate:
        enter(depth)
        if isinstance(node, ast.And | ast.Or):
            parts = [build(part, depth + 1) for part in _chain(node, type(node))]
            if isinstance(node, ast.And):

                def every(item: Item) -> bool:
                    for part in parts:
                        if not part(item):
                            return False
                    return True

                return every

            def some(item: Item) -> bool:
                for part in parts:
                    if part(item):
                        return True
                return False

            return some
        if isinstance(node, ast.Not):
            a = build(node.sub_node, depth + 1)
            return lambda item: not a(item)
        for kind, op in comparisons.items():
            if type(node) is kind:
                lhs, rhs = operand(node.lhs, depth + 1), operand(node.rhs, depth + 1)
                if (
                    isinstance(node.lhs, ast.Attribute)
                    and node.lhs.name != "id"
                    and isinstance(node.rhs, str | int | float | bool)
                ):  # the usual property against a value: two calls fewer per feature
                    name, value = node.lhs.name, node.rhs

                    def against_value(item: Item, name=name, value=value, op=op) -> bool:
                        a = item.properties.get(name)
                        try:
                            return a is not None and bool(op(a, value))
                        except TypeError:
                            return False

                    return against_value

                def compare(item: Item, lhs=lhs, rhs=rhs, op=op) -> bool:
                    a, b = lhs(item), rhs(item)
                    try:
                        return a is not None and b is not None and bool(op(a, b))
                    except TypeError:  # a string against a number: not equal, not ordered
                        return False

                return compare
        if isinstance(node, ast.Like):
            return like(node, depth)
        if isinstance(node, ast.In):
            lhs = operand(node.lhs, depth + 1)
            if not isinstance(node.sub_nodes, list):
                raise _bad("IN 需要一个值的列表", "filter: IN takes a list of values")
            if len(node.sub_nodes) > MAX_IN_ITEMS:
                raise _bad(
                    f"IN 列表最多 {MAX_IN_ITEMS} 个值",
                    f"filter: an IN list may have at most {MAX_IN_ITEMS} values, "
                    f"got {len(node.sub_nodes)}",
                )
            options = [_literal(o) for o in node.sub_nodes]
            lookup = frozenset(options)
            negate = node.not_

            def within(item: Item) -> bool:
                v = lhs(item)
                try:
                    return (v in lookup) != negate
                except TypeError:  # an array property (unhashable): compared as before
                    return (v in options) != negate

            return within
        if isinstance(node, ast.IsNull):
            lhs = operand(node.lhs, depth + 1)
            negate = node.not_
            return lambda item: (lhs(item) is None) != negate
        if isinstance(node, ast.Between):
            lhs, low, high = operand(node.lhs, depth + 1), _literal(node.low), _literal(node.high)
            negate = node.not_

            def between(item: Item) -> bool:
                v = lhs(item)
                try:
                    return (v is not None and low <= v <= high) != negate
                except TypeError:
                    return negate

            return between
        if isinstance(node, ast.GeometryIntersects):
            if not (isinstance(node.lhs, ast.Attribute) and node.lhs.name == "geometry"):
                raise _bad(
                    "S_INTERSECTS 的参数是属性 geometry 和一个几何",
                    "S_INTERSECTS takes the property geometry and a geometry literal",
                )
            other = geometry(node.rhs)
            shapely.prepare(other)
            return lambda item: bool(other.intersects(shape(item)))
        raise unsupported(node)

    return build(tree, 1)
