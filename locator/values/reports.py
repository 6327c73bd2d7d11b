"""Reports from the street (issue #25): what a rider may tell the federation, checked.

Pure values: the report kinds, their fields and limits, and :func:`parse_report`, which
turns a submitted body (JSON or form fields) into a :class:`ReportDraft` or raises
:class:`ReportInvalid` naming the field (zh · en). Whether the facility exists and whether a
position lies inside the city's service area are checked by the service
(:mod:`locator.service.reports`), which has the data.

Positions are WGS-84 ``lon``/``lat`` in degrees. Nothing personal is part of a report: no
name, phone or address of the reporter; the client key is a daily-rotated keyed hash made
by the service and used only for rate limits and duplicate detection.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from locator.values.errors import InvalidQuery, LocatorError, shown
from locator.values.models import AMENITIES

#: kind -> (zh, en) label
KINDS: dict[str, tuple[str, str]] = {
    "closed": ("已永久关闭", "Closed for good"),
    "moved": ("不在这里", "Not here (moved)"),
    "hours": ("开放时间有误", "Hours wrong"),
    "amenity": ("设施缺失或损坏", "An amenity missing or broken"),
    "phone": ("电话有误", "Phone wrong"),
    "other": ("其他", "Other"),
    "confirm": ("我刚去过，信息正确", "I was just there, it's right"),
    "need": ("这里需要一个驿站", "A station is needed here"),
}
#: the kinds about an existing facility (all but ``need``): ``facility_id`` required
FACILITY_KINDS = tuple(k for k in KINDS if k != "need")
#: the kinds that need a position (``lon``/``lat``)
POSITION_KINDS = ("moved", "need")
#: ways of work a "station needed" request may name
WORKS: dict[str, tuple[str, str]] = {
    "delivery": ("外卖快递", "Delivery"),
    "sanitation": ("环卫", "Sanitation"),
    "construction": ("建筑", "Construction"),
    "other": ("其他", "Other"),
}
#: what is wrong with an amenity
AMENITY_STATES = ("missing", "broken")
#: a report's life: received, then accepted, rejected or merged into another report
STATUSES = ("received", "accepted", "rejected", "merged")
DECISIONS = ("accepted", "rejected", "merged")
#: the layer a "station needed" request is about when it names none
DEFAULT_NEED_LAYER = "love_stations"

#: limits, in characters (Unicode code points) and bytes
TEXT_MAX = 280
HOURS_SEEN_MAX = 120
PHONE_SEEN_MAX = 40
CLIENT_ID_MAX = 64
DECISION_NOTE_MAX = 500
BODY_MAX_BYTES = 4096
#: reports per client key: at most this many a minute and a (UTC) day
RATE_PER_MINUTE = 10
RATE_PER_DAY = 60

#: every field a submission may carry
FIELDS = (
    "kind",
    "client_id",
    "facility_id",
    "layer",
    "lon",
    "lat",
    "text",
    "hours_seen",
    "phone_seen",
    "amenity",
    "state",
    "work",
    "website",  # the honeypot: people never see it, so it stays empty
)
HONEYPOT = "website"
#: a client_id: a UUID in its canonical text form (8-4-4-4-12 hex digits)
UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_UUID = re.compile(UUID_PATTERN)


class ReportInvalid(InvalidQuery):
    """A submitted report is not acceptable as it is: ``param`` names the field. The
    message says it in Chinese and English."""

    kind = "invalid-report"


class ReportUnprocessable(ReportInvalid):
    """A well-formed report about something that cannot be: a facility that does not
    exist, a position outside the service area (HTTP 422)."""

    kind = "unprocessable-report"


class RateLimited(LocatorError):
    """Too many reports from one client key: try again after ``retry_after_s`` seconds."""

    kind = "rate-limited"

    def __init__(self, retry_after_s: int):
        super().__init__(
            f"提交过于频繁，请 {retry_after_s} 秒后再试 · too many reports; "
            f"try again in {retry_after_s} s"
        )
        self.retry_after_s = retry_after_s


class ReportNotFound(LocatorError):
    """No report has this id."""

    kind = "report-not-found"

    def __init__(self, report_id: str):
        super().__init__(f"没有这条报告 · no report with id {shown(report_id)}")
        self.report_id = report_id


@dataclass(frozen=True)
class ReportDraft:
    """A checked submission, not stored yet. ``fields`` holds the kind's own fields
    (``hours_seen``, ``phone_seen``, ``amenity``, ``state``)."""

    kind: str
    client_id: str
    facility_id: str | None = None
    layer: str | None = None
    lon: float | None = None
    lat: float | None = None
    fields: dict[str, str] = field(default_factory=dict, compare=False)
    text: str | None = None
    work: str | None = None


@dataclass(frozen=True)
class StoredReport:
    """A report as stored. ``client_key`` is the daily keyed hash of the sender (never
    shown outside the staff API); times are timezone-aware UTC."""

    id: str
    kind: str
    client_id: str
    client_key: str
    received_at: dt.datetime
    facility_id: str | None = None
    layer: str | None = None
    lon: float | None = None
    lat: float | None = None
    fields: dict[str, str] = field(default_factory=dict, compare=False)
    text: str | None = None
    work: str | None = None
    status: str = "received"
    decided_at: dt.datetime | None = None
    decision_note: str | None = None
    merged_into: str | None = None


def new_report_id() -> str:
    """A new report id: ``r-`` and 20 random hex digits (80 bits)."""
    return "r-" + uuid.uuid4().hex[:20]


def utc_iso(moment: dt.datetime) -> str:
    """ISO-8601 UTC with microseconds and ``Z`` (sorts as text in time order)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_utc(text: str) -> dt.datetime:
    """The inverse of :func:`utc_iso`."""
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


def _bad(name: str, zh: str, en: str) -> ReportInvalid:
    return ReportInvalid(name, f"{name}: {zh} · {en}")


def _text(data: Mapping[str, Any], name: str, most: int, required: bool = False) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise _bad(name, "必填", "required")
        return None
    if not isinstance(value, str):
        raise _bad(name, "应为文字", f"must be a string, got {shown(value)}")
    if len(value) > most:
        raise _bad(name, f"最多 {most} 个字", f"at most {most} characters, got {len(value)}")
    if any(ord(c) < 32 and c not in "\n\t" or ord(c) == 127 for c in value):
        raise _bad(name, "含有控制字符", "contains control characters")
    value = value.strip()
    if not value:
        if required:
            raise _bad(name, "必填", "required")
        return None
    return value


def _choice(
    data: Mapping[str, Any], name: str, valid: tuple[str, ...], required: bool = False
) -> str | None:
    value = _text(data, name, 40, required)
    if value is not None and value not in valid:
        raise ReportInvalid(
            name,
            f"{name}: 无效的值 · invalid value {shown(value)}; valid: {', '.join(valid)}",
            list(valid),
        )
    return value


def _coordinate(
    data: Mapping[str, Any], name: str, low: float, high: float, form: bool
) -> float | None:
    value = data.get(name)
    if value is None or (form and value == ""):
        return None
    if isinstance(value, bool) or (isinstance(value, str) and not form):
        raise _bad(name, "应为数字", f"must be a number, got {shown(value)}")
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise _bad(name, "应为数字", f"must be a number, got {shown(value)}") from None
    elif isinstance(value, int | float):
        number = float(value)
    else:
        raise _bad(name, "应为数字", f"must be a number, got {shown(value)}")
    if not math.isfinite(number) or not low <= number <= high:
        raise _bad(
            name,
            f"应在 {low:g} 到 {high:g} 之间（WGS-84 度）",
            f"must be between {low:g} and {high:g} (WGS-84 degrees), got {shown(value)}",
        )
    return number


def parse_report(
    data: Mapping[str, Any], amenities: Mapping[str, Any] = AMENITIES, form: bool = False
) -> ReportDraft:
    """Check a submitted report: a JSON object (``lon``/``lat`` numbers, the rest strings;
    null or absent for a field not given) or, with ``form``, form fields (every value a
    string, empty for not given). Raises :class:`ReportInvalid` naming the first field that
    is wrong.

    The honeypot field (``website``) is checked to be text, not judged: see
    :func:`is_bot`."""
    if not isinstance(data, Mapping):
        raise _bad("body", "应为 JSON 对象", "must be a JSON object")
    for name in data:
        if name not in FIELDS:
            raise ReportInvalid(
                str(name)[:40],
                f"{shown(name, 40)}: 未知字段 · unknown field; valid fields: {', '.join(FIELDS)}",
                list(FIELDS),
            )
    kind = _choice(data, "kind", tuple(KINDS), required=True)
    assert kind is not None
    client_id = _text(data, "client_id", CLIENT_ID_MAX, required=True)
    assert client_id is not None
    if not _UUID.match(client_id):
        raise _bad("client_id", "应为 UUID", f"must be a UUID, got {shown(client_id, 60)}")
    client_id = str(uuid.UUID(client_id))
    facility_id = _text(data, "facility_id", 120, required=kind in FACILITY_KINDS)
    if kind == "need" and facility_id is not None:
        raise _bad("facility_id", "“需要驿站”不针对已有设施", "not taken by a 'need' report")
    layer = _text(data, "layer", 60)
    if kind == "need":
        layer = layer or DEFAULT_NEED_LAYER
    elif layer is not None:
        raise _bad("layer", "只用于“需要驿站”", "only taken by a 'need' report")
    lon = _coordinate(data, "lon", -180.0, 180.0, form)
    lat = _coordinate(data, "lat", -90.0, 90.0, form)
    if (lon is None) != (lat is None):
        missing = "lat" if lat is None else "lon"
        raise _bad(missing, "经度和纬度须同时给出", "lon and lat go together")
    if kind in POSITION_KINDS and lon is None:
        raise _bad("lon", "此类报告需要位置", f"a {kind!r} report needs a position (lon, lat)")
    fields: dict[str, str] = {}
    hours_seen = _text(data, "hours_seen", HOURS_SEEN_MAX, required=kind == "hours")
    phone_seen = _text(data, "phone_seen", PHONE_SEEN_MAX)
    amenity = _choice(data, "amenity", tuple(amenities), required=kind == "amenity")
    state = _choice(data, "state", AMENITY_STATES, required=kind == "amenity")
    work = _choice(data, "work", tuple(WORKS))
    own = {
        "hours_seen": (hours_seen, "hours"),
        "phone_seen": (phone_seen, "phone"),
        "amenity": (amenity, "amenity"),
        "state": (state, "amenity"),
        "work": (work, "need"),
    }
    for name, (value, for_kind) in own.items():
        if value is not None and kind != for_kind:
            raise _bad(name, f"只用于 {for_kind} 类报告", f"only taken by a {for_kind!r} report")
        if value is not None and name != "work":
            fields[name] = value
    text = _text(data, "text", TEXT_MAX, required=kind == "other")
    _text(data, HONEYPOT, 2000)
    return ReportDraft(kind, client_id, facility_id, layer, lon, lat, fields, text, work)


def is_bot(data: Mapping[str, Any]) -> bool:
    """Whether the honeypot field is filled (people never see it)."""
    value = data.get(HONEYPOT) if isinstance(data, Mapping) else None
    return value not in (None, "")


def stored(
    draft: ReportDraft, report_id: str, client_key: str, received_at: dt.datetime
) -> StoredReport:
    """The report to store for a draft."""
    return StoredReport(
        id=report_id,
        kind=draft.kind,
        client_id=draft.client_id,
        client_key=client_key,
        received_at=received_at,
        facility_id=draft.facility_id,
        layer=draft.layer,
        lon=draft.lon,
        lat=draft.lat,
        fields=dict(draft.fields),
        text=draft.text,
        work=draft.work,
    )
