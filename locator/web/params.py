"""Parse query-string parameters into domain values; every error names its parameter."""

from __future__ import annotations

import math

from werkzeug.datastructures import MultiDict

from ..errors import InvalidQuery
from ..geo.crs import CoordSystem, to_wgs84

__all__ = ["CoordSystem", "bbox", "boolean", "csv_list", "integer", "point", "positive_number",
           "raw_value", "town_code"]
from ..models import Point

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}


def raw_value(args: MultiDict, name: str) -> str | None:
    """The parameter's text, None when absent. Present but empty is an error: an API
    client that sends ``k=`` meant something and should hear that it did not arrive."""
    raw = args.get(name)
    if raw is not None and raw.strip() == "":
        raise InvalidQuery(name, f"{name} is empty; leave it out or give a value")
    return raw


def point(args: MultiDict) -> tuple[Point, CoordSystem]:
    """``lon``, ``lat`` in the ``coord`` system, converted to a WGS-84 point."""
    system = CoordSystem.parse(raw_value(args, "coord"))
    given = Point.from_params(args.get("lon"), args.get("lat"))
    lon, lat = to_wgs84(given.lon, given.lat, system)
    return Point(lon, lat), system


def town_code(args: MultiDict, name: str = "town") -> str | None:
    """A 9-digit town/street code, checked for form wherever it is given."""
    raw = raw_value(args, name)
    if raw is not None and not (len(raw) == 9 and raw.isdigit()):
        raise InvalidQuery(name, f"{name} must be a 9-digit town/street code, got {raw!r}")
    return raw


def integer(args: MultiDict, name: str, default: int, lo: int, hi: int) -> int:
    raw = raw_value(args, name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise InvalidQuery(name, f"{name} must be an integer from {lo} to {hi}, "
                                 f"got {raw!r}") from None
    if not lo <= value <= hi:
        raise InvalidQuery(name, f"{name} must be an integer from {lo} to {hi}, got {value}")
    return value


def positive_number(args: MultiDict, name: str) -> float | None:
    raw = raw_value(args, name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InvalidQuery(name, f"{name} must be a positive number, got {raw!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise InvalidQuery(name, f"{name} must be a positive finite number, got {raw!r}")
    return value


def boolean(args: MultiDict, name: str) -> bool:
    raw = (raw_value(args, name) or "false").strip().lower()
    if raw in TRUE:
        return True
    if raw in FALSE:
        return False
    raise InvalidQuery(name, f"{name} must be true or false, got {args.get(name)!r}")


def csv_list(args: MultiDict, name: str) -> list[str]:
    """Comma-separated values, also accepted as repeated parameters."""
    out: list[str] = []
    for raw in args.getlist(name):
        values = [v.strip() for v in raw.split(",")]
        if not all(values):
            raise InvalidQuery(name, f"{name} has an empty value in {raw!r}")
        out.extend(values)
    return out


def bbox(args: MultiDict, name: str = "bbox") -> tuple[float, float, float, float] | None:
    """``minlon,minlat,maxlon,maxlat`` in WGS-84 degrees (OGC API order)."""
    raw = raw_value(args, name)
    if raw is None:
        return None
    parts = raw.split(",")
    if len(parts) != 4:
        raise InvalidQuery(name, f"{name} must be four numbers minlon,minlat,maxlon,maxlat, "
                                 f"got {raw!r}")
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise InvalidQuery(name, f"{name} must be four numbers, got {raw!r}") from None
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise InvalidQuery(name, f"{name} values must be finite, got {raw!r}")
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90):
        raise InvalidQuery(name, f"{name} must have longitudes in [-180, 180] and "
                                 f"-90 <= minlat <= maxlat <= 90, got {raw!r}")
    return west, south, east, north
