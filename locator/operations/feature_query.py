"""Queries on a collection's features: queryables, property filters, CQL2, sorting.

CQL2 text and JSON are parsed by pygeofilter (the maintained parser pygeoapi uses); the
resulting syntax tree is evaluated here, node by node, over the features in memory, so
that exactly the constructs listed in ``SUPPORTED`` run and any other is refused by name
(no ``eval``). Supported: comparisons (=, <>, <, <=, >, >=), AND / OR / NOT, LIKE (with
CASEI/LOWER), IN, IS NULL, BETWEEN, and S_INTERSECTS with a BBOX or a GeoJSON/WKT geometry
(WGS-84 longitude/latitude, as CQL2 defaults to CRS84).
"""

from __future__ import annotations

import re
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


def parse_cql2(text: str, lang: str | None) -> Any:
    """The syntax tree of a CQL2 filter in ``lang`` (cql2-text, the default, or cql2-json)."""
    lang = lang or "cql2-text"
    if lang not in ("cql2-text", "cql2-json"):
        raise InvalidQuery(
            "filter-lang", f"filter-lang must be cql2-text or cql2-json, got {shown(lang)}"
        )
    try:
        if lang == "cql2-json":
            import json

            from pygeofilter.parsers.cql2_json import parse

            return parse(_bbox_to_polygon(json.loads(text)))
        from pygeofilter.parsers.cql2_text import parse as parse_text

        return parse_text(text)
    except InvalidQuery:
        raise
    except Exception as exc:  # the parsers raise lark's and their own error types
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidQuery("filter", f"filter is not valid {lang}: {shown(first, 200)}") from None


def _bbox_to_polygon(node: Any) -> Any:
    """CQL2 JSON ``{"bbox": [w, s, e, n]}`` as a GeoJSON polygon (pygeofilter 0.4 reads
    the bbox array in the wrong order)."""
    if isinstance(node, dict):
        if set(node) == {"bbox"} and isinstance(node["bbox"], list) and len(node["bbox"]) == 4:
            w, s, e, n = node["bbox"]
            return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}
        return {k: _bbox_to_polygon(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_bbox_to_polygon(v) for v in node]
    return node


def _literal(node: Any) -> Any:
    """A literal of an IN list or a BETWEEN bound."""
    if isinstance(node, str | int | float | bool):
        return node
    raise InvalidQuery("filter", f"expected a literal value, got {type(node).__name__}")


def compile_cql2(
    tree: Any, names: Mapping[str, Queryable], shape: Callable[[Item], Any]
) -> Predicate:
    """A predicate from a CQL2 syntax tree; ``shape`` gives an item's shapely geometry."""
    from pygeofilter import ast, values

    comparisons = {
        ast.Equal: lambda a, b: a == b,
        ast.NotEqual: lambda a, b: a != b,
        ast.LessThan: lambda a, b: a < b,
        ast.LessEqual: lambda a, b: a <= b,
        ast.GreaterThan: lambda a, b: a > b,
        ast.GreaterEqual: lambda a, b: a >= b,
    }

    def unsupported(node: Any) -> InvalidQuery:
        return InvalidQuery(
            "filter",
            f"the CQL2 construct {type(node).__name__} is not "
            f"supported here; supported: {', '.join(SUPPORTED)}",
        )

    def operand(node: Any) -> Callable[[Item], Any]:
        if isinstance(node, ast.Attribute):
            if node.name not in names:
                raise InvalidQuery(
                    "filter", f"unknown property {shown(node.name)}; queryables: {', '.join(names)}"
                )
            name = node.name
            return lambda item: property_value(item, name)
        if (
            isinstance(node, ast.Function)
            and node.name.lower() in ("casei", "lower")
            and len(node.arguments) == 1
        ):
            inner = operand(node.arguments[0])
            return lambda item: v.casefold() if isinstance(v := inner(item), str) else v
        if isinstance(node, str | int | float | bool):
            return lambda item: node
        raise unsupported(node)

    def geometry(node: Any):
        if isinstance(node, values.Geometry):
            return shapely.geometry.shape(node.geometry)
        if isinstance(node, values.Envelope):
            return shapely.box(node.x1, node.y1, node.x2, node.y2)
        if (
            isinstance(node, ast.Function)
            and node.name.lower() == "bbox"
            and len(node.arguments) == 4
        ):
            return shapely.box(*node.arguments)
        raise unsupported(node)

    def build(node: Any) -> Predicate:
        if isinstance(node, ast.And):
            a, b = build(node.lhs), build(node.rhs)
            return lambda item: a(item) and b(item)
        if isinstance(node, ast.Or):
            a, b = build(node.lhs), build(node.rhs)
            return lambda item: a(item) or b(item)
        if isinstance(node, ast.Not):
            a = build(node.sub_node)
            return lambda item: not a(item)
        for kind, op in comparisons.items():
            if type(node) is kind:
                lhs, rhs = operand(node.lhs), operand(node.rhs)

                def compare(item: Item, lhs=lhs, rhs=rhs, op=op) -> bool:
                    a, b = lhs(item), rhs(item)
                    try:
                        return a is not None and b is not None and bool(op(a, b))
                    except TypeError:  # a string against a number: not equal, not ordered
                        return False

                return compare
        if isinstance(node, ast.Like):
            lhs = operand(node.lhs)
            pattern = node.pattern
            nocase = node.nocase
            if isinstance(pattern, ast.Function):  # CASEI('%x%')
                pattern, nocase = pattern.arguments[0], True
                lhs = operand(ast.Function("casei", [node.lhs]))
            if not isinstance(pattern, str):
                raise unsupported(pattern)
            regex = re.compile(
                "".join(
                    ".*" if ch == node.wildcard else "." if ch == "_" else re.escape(ch)
                    for ch in pattern
                ),
                re.S | (re.I if nocase else 0),
            )
            negate = node.not_
            return lambda item: (
                (isinstance(v := lhs(item), str) and bool(regex.fullmatch(v))) != negate
            )
        if isinstance(node, ast.In):
            lhs = operand(node.lhs)
            options = [_literal(o) for o in node.sub_nodes]
            negate = node.not_
            return lambda item: (lhs(item) in options) != negate
        if isinstance(node, ast.IsNull):
            lhs = operand(node.lhs)
            negate = node.not_
            return lambda item: (lhs(item) is None) != negate
        if isinstance(node, ast.Between):
            lhs, low, high = operand(node.lhs), _literal(node.low), _literal(node.high)
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
                raise InvalidQuery(
                    "filter", "S_INTERSECTS takes the property geometry and a geometry literal"
                )
            other = geometry(node.rhs)
            shapely.prepare(other)
            return lambda item: bool(other.intersects(shape(item)))
        raise unsupported(node)

    return build(tree)
