"""Cell values as clerks write them, onto the facility model: numbers, coordinate pairs,
amenity terms, phone numbers, opening hours, dates and wheelchair access.

Each reader returns the value in the model's form, or ``None`` with nothing to say, or
raises :class:`BadValue` with what is wrong and, where one can be guessed, the fix.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from opening_hours import OpeningHours

from locator.values.city import CityProfile
from locator.values.models import AMENITIES


class BadValue(ValueError):
    """A cell that cannot be used: what is wrong and a suggestion, in Chinese and English."""

    def __init__(self, code: str, zh: str, en: str, hint_zh: str = "", hint_en: str = ""):
        super().__init__(en)
        self.code, self.zh, self.en, self.hint_zh, self.hint_en = code, zh, en, hint_zh, hint_en


def plain(text: str) -> str:
    """NFKC-normalised (full-width digits, colons and letters to ASCII), stripped."""
    return unicodedata.normalize("NFKC", text).strip()


# --------------------------------------------------------------------------- numbers

_DMS = re.compile(
    r"^(\d{1,3})[°度]\s*(\d{1,2})?['′分]?\s*(\d{1,2}(?:\.\d+)?)?[\"″秒]?\s*"
    r"([NSEW东西南北])?$"
)
#: a decimal number as a clerk writes one (no exponents, no thousands separators)
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def number(text: str, column: str) -> float:
    """A decimal degree; ``113.0775``, ``113.0775°`` and full-width digits are fine."""
    t = plain(text).removesuffix("°").strip()
    if _DECIMAL.match(t):
        return float(t)
    m = _DMS.match(plain(text))
    if m:
        deg = int(m[1]) + int(m[2] or 0) / 60 + float(m[3] or 0) / 3600
        raise BadValue(
            "not-a-number",
            f"“{text}”是度分秒，不是十进制度数",
            f"{text!r} is degrees-minutes-seconds, not decimal degrees",
            f"改为 {deg:.6f}",
            f"write {deg:.6f}",
        )
    raise BadValue(
        "not-a-number",
        f"{column}不是数字",
        f"{column} is not a number",
        "填写十进制度数，如 113.0775",
        "write decimal degrees, e.g. 113.0775",
    )


def coordinate_pair(text: str) -> tuple[float, float]:
    """``"113.0775,22.5795"`` as AMap's coordinate picker copies it: ``(lon, lat)``."""
    parts = [p for p in re.split(r"[,,;;\s]+", plain(text)) if p]
    if len(parts) != 2:
        raise BadValue(
            "not-a-number",
            "坐标应为“经度，纬度”两个数字",
            'coordinates must be two numbers, "lon,lat"',
            "如 113.0775,22.5795",
            "e.g. 113.0775,22.5795",
        )
    return number(parts[0], "经度 lon"), number(parts[1], "纬度 lat")


# --------------------------------------------------------------------------- amenities

#: words clerks use -> the closed vocabulary (models.AMENITIES); matched after NFKC and
#: lower-casing, whole terms first, then the longest known word inside a term
AMENITY_TERMS: dict[str, str] = {
    "饮水": "drinking_water",
    "饮用水": "drinking_water",
    "喝水": "drinking_water",
    "开水": "hot_water",
    "热水": "hot_water",
    "直饮水": "drinking_water",
    "热饭": "microwave",
    "微波炉": "microwave",
    "加热": "microwave",
    "充电": "charging",
    "手机充电": "charging",
    "充电宝": "charging",
    "卫生间": "toilet",
    "厕所": "toilet",
    "洗手间": "toilet",
    "公厕": "toilet",
    "休息": "seating",
    "座椅": "seating",
    "桌椅": "seating",
    "休息座椅": "seating",
    "休息区": "seating",
    "空调": "air_conditioning",
    "冷气": "air_conditioning",
    "药箱": "first_aid",
    "急救药箱": "first_aid",
    "医药箱": "first_aid",
    "急救": "first_aid",
    "应急药箱": "first_aid",
    "药品": "first_aid",
    "无线网络": "wifi",
    "wifi": "wifi",
    "wi-fi": "wifi",
    "无线网": "wifi",
    "无线上网": "wifi",
    "冰箱": "fridge",
    "冷藏": "fridge",
    "母婴": "nursing",
    "哺乳": "nursing",
    "哺乳室": "nursing",
    "母婴室": "nursing",
    "尿布台": "changing_table",
    "护理台": "changing_table",
    "换尿布": "changing_table",
    "图书": "books",
    "书籍": "books",
    "阅读": "books",
    "书刊": "books",
    "换电": "e_bike_battery",
    "电动车换电": "e_bike_battery",
    "电池更换": "e_bike_battery",
    "储物柜": "locker",
    "储物": "locker",
    "寄存": "locker",
    "雨伞": "umbrella",
    "爱心雨伞": "umbrella",
    "借伞": "umbrella",
    "维修工具": "repair_kit",
    "工具箱": "repair_kit",
    "打气筒": "repair_kit",
    "维修": "repair_kit",
}
for _key, (_zh, _en) in AMENITIES.items():
    AMENITY_TERMS.setdefault(_key, _key)
    AMENITY_TERMS.setdefault(_zh, _key)
    AMENITY_TERMS.setdefault(_en.lower(), _key)

_AMENITY_SPLIT = re.compile(r"[;;、,,/|\n]+")


def amenities(text: str) -> tuple[list[str], list[str]]:
    """The vocabulary terms a cell names, in the cell's order, and the words it could not
    place (kept by the caller, never dropped)."""
    found: dict[str, None] = {}
    unknown: list[str] = []
    cleaned = plain(text).lower()
    terms: list[str] = []
    for piece in (p.strip() for p in _AMENITY_SPLIT.split(cleaned)):
        # spaces separate terms too, unless the whole piece is one ("phone charging")
        terms.extend([piece] if piece in AMENITY_TERMS else piece.split())
    for term in terms:
        if term in AMENITY_TERMS:
            found.setdefault(AMENITY_TERMS[term])
            continue
        inside = sorted((w for w in AMENITY_TERMS if len(w) >= 2 and w in term), key=len)
        if inside:
            found.setdefault(AMENITY_TERMS[inside[-1]])
        else:
            unknown.append(term)
    return list(found), unknown


# --------------------------------------------------------------------------- phones

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?[2-9]\d{6,7}(-\d{1,6})?$")
_SERVICE = re.compile(r"^(400|800)-?\d{3}-?\d{4}$|^1\d{4}$|^9\d{4}$")
_LOCAL = re.compile(r"^[2-9]\d{6,7}$")


def phone(text: str, city: CityProfile) -> str:
    """One or more phone numbers (split on ; / 、 and spaces), each a Chinese mobile
    (11 digits from 13x), a landline with its area code (e.g. 0750-3501234 in Jiangmen,
    an extension after a dash), a 400/800 number or a short service number (12351).
    Returns the cell with numbers normalised and ``; `` between them. A 7- or 8-digit
    local number without an area code is almost surely local: the message suggests the
    city's (its profile's first area code)."""
    # the profile's first area code; a city whose profile gives none (no public source):
    # the messages show the form with a placeholder
    area = city.area_codes[0] if city.area_codes else "0XXX"
    out = []
    text = re.sub(r"(?<=[\d+)])\s+(?=[\d(])", "", plain(text)).replace("转", "-")
    for raw in re.split(r"[;;、,,/\s]+|或", text):
        if not raw:
            continue
        n = re.sub(r"^(\+?86-?|0086-?)", "", raw)
        n = re.sub(r"[()()]", "-", n).strip("-").replace("--", "-")
        n = re.sub(r"(?<=\d) (?=\d)", "", n)
        digits = n.replace("-", "")
        if _MOBILE.match(digits):
            out.append(digits)
        elif _LANDLINE.match(n) or _LANDLINE.match(digits) or _SERVICE.match(n):
            out.append(
                n
                if "-" in n or _SERVICE.match(n)
                else f"{digits[:4]}-{digits[4:]}"
                if digits.startswith("07")
                else n
            )
        elif _LOCAL.match(digits):
            raise BadValue(
                "bad-phone",
                f"“{raw}”缺少区号",
                f"{raw!r} lacks its area code",
                f"{city.short_name.zh}的号码写作 {area}-{digits}"
                if city.area_codes
                else f"请加上区号，写作 区号-{digits}",
                f"a {city.short_name.en} number is written {area}-{digits}"
                if city.area_codes
                else f"write it with its area code, area code-{digits}",
            )
        else:
            raise BadValue(
                "bad-phone",
                f"“{raw}”既不是固定电话也不是手机号码",
                f"{raw!r} is neither a Chinese landline nor a mobile number",
                f"固定电话如 {area}-3501234，手机如 13800138000",
                f"a landline looks like {area}-3501234, a mobile like 13800138000",
            )
    return "; ".join(out)


# --------------------------------------------------------------------------- hours

_DAYS = {
    "一": "Mo",
    "二": "Tu",
    "三": "We",
    "四": "Th",
    "五": "Fr",
    "六": "Sa",
    "日": "Su",
    "天": "Su",
    "七": "Su",
}


def _hours_guess(text: str) -> str | None:
    """A likely OSM form of a Chinese notation: 每天 8:00-18:00, 周一至周五 8:30-17:30,
    24小时, 节假日休息 ...; None when no guess parses."""
    t = plain(text)
    t = re.sub(r"全天\s*24\s*小时|24\s*小时(营业|开放)?|全天候?|24h", "24/7", t)
    t = re.sub(r"(法定)?(节假日|假日|节日)(休息|不开放|闭馆|关闭)", "PH off", t)
    t = re.sub(r"(每天|每日|天天|全年|周一至周日|星期一至星期日)", "Mo-Su ", t)
    t = re.sub(r"(?:周|星期|礼拜)([一二三四五六日天七])", lambda m: _DAYS[m[1]], t)
    t = re.sub(r"(Mo|Tu|We|Th|Fr|Sa|Su)\s*(?:至|到|~|-|—|–)\s*(Mo|Tu|We|Th|Fr|Sa|Su)", r"\1-\2", t)
    t = re.sub(r"(\d{1,2})[点时](\d{2})分?", r"\1:\2", t)
    t = re.sub(r"(\d{1,2})[点时]", r"\1:00", t)
    t = re.sub(r"(?:下午|晚上)(\d{1,2}):", lambda m: f"{int(m[1]) % 12 + 12}:", t)
    t = re.sub(r"(上午|早上|中午)", "", t)
    t = re.sub(r"(\d{1,2}:\d{2})\s*(?:至|到|~|—|–|-)\s*(\d{1,2}:\d{2})", r"\1-\2", t)
    t = re.sub(r"\b(\d):(\d{2})", r"0\1:\2", t)
    t = re.sub(r"(Mo|Tu|We|Th|Fr|Sa|Su)(、|和)", r"\1,", t)
    t = re.sub(r"\s*[,,;;。]\s*(?=(Mo|Tu|We|Th|Fr|Sa|Su|PH|24/7))", "; ", t)
    t = re.sub(r"(Mo|Tu|We|Th|Fr|Sa|Su)(?=\d)", r"\1 ", t)
    t = re.sub(r"(Mo|Tu|We|Th|Fr|Sa|Su)\s*(休息|不开放|闭馆)", r"\1 off", t)
    t = re.sub(r"\s+", " ", t).strip(" ;")
    if t == plain(text) or not t:
        return None
    try:
        OpeningHours(t)
    except Exception:  # the parser's own error type differs between versions
        return None
    return t


def opening_hours(text: str) -> str:
    """The cell if it parses as OpenStreetMap ``opening_hours``; else BadValue with the
    likely OSM form of a Chinese notation when one is found."""
    value = plain(text)
    try:
        OpeningHours(value)
        return value
    except Exception:  # the parser's own error type differs between versions
        pass
    guess = _hours_guess(text)
    if guess:
        raise BadValue(
            "bad-hours",
            "开放时间不是 OSM opening_hours 格式",
            "opening hours are not in OpenStreetMap opening_hours syntax",
            f"可能是“{guess}”",
            f"probably {guess!r}",
        )
    raise BadValue(
        "bad-hours",
        "开放时间不是 OSM opening_hours 格式",
        "opening hours are not in OpenStreetMap opening_hours syntax",
        "如 Mo-Fr 08:30-17:30; PH off 或 24/7",
        "e.g. Mo-Fr 08:30-17:30; PH off or 24/7",
    )


def opening_hours_or_guess(text: str) -> tuple[str, bool]:
    """The cell's hours in OSM syntax and whether they were converted from a common
    Chinese notation (每天 8:00-18:00 -> ``Mo-Su 08:00-18:00``): a clerk writes those, and
    a conversion that parses is taken (and reported) rather than refused."""
    try:
        return opening_hours(text), False
    except BadValue as exc:
        guess = _hours_guess(text)
        if guess is None:
            raise exc from None
        return guess, True


# --------------------------------------------------------------------------- dates, access

_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def date(value: Any) -> str:
    """An ISO 8601 date from a date cell, 2024-08-07, 2024/8/7 or 2024年8月7日."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    m = _DATE.match(plain(str(value)))
    try:
        if not m:
            raise ValueError
        return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        raise BadValue(
            "bad-date", "日期无法识别", "not a date", "写作 2024-08-07", "write it as 2024-08-07"
        ) from None


_WHEELCHAIR = {
    "yes": "yes",
    "是": "yes",
    "有": "yes",
    "无障碍": "yes",
    "可": "yes",
    "limited": "limited",
    "部分": "limited",
    "有限": "limited",
    "no": "no",
    "否": "no",
    "无": "no",
    "没有": "no",
    "unknown": "unknown",
    "不详": "unknown",
    "未知": "unknown",
}


def wheelchair(text: str) -> str:
    key = plain(text).lower()
    if key in _WHEELCHAIR:
        return _WHEELCHAIR[key]
    raise BadValue(
        "bad-wheelchair",
        "无障碍一栏应为 是/部分/否/不详",
        "wheelchair must be yes, limited, no or unknown",
        "填写 是、部分、否 或 不详",
        "write yes, limited, no or unknown",
    )
