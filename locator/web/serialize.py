"""Domain values -> JSON-ready dicts (GeoJSON, RFC 7946)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from locator.formats.routes import geometry_note
from locator.operations.hours import DaySchedule, HoursPhrase, HoursStatus, hours_phrase
from locator.operations.nearest import DETOUR_FACTOR, ESTIMATE_NOTE, Nearby
from locator.operations.network import NetworkInfo
from locator.operations.routes import (
    ALONG_M,
    BASIS_TEXT,
    REASON_TEXT,
    LegTravel,
    RouteDetails,
    RouteSummary,
    coach_note,
    leg_spans,
)
from locator.service import FacilityDetails, NearestAnswer
from locator.values.models import CollectionInfo, Facility, Feature
from locator.web.format import phrase_text, trip_text
from locator.web.i18n import LANGS


@lru_cache(maxsize=4096)
def _iso_minutes(when: dt.datetime | None) -> str | None:
    # the same few times recur in every answer (the query's time, the next change of a
    # handful of expressions): formatting them once saves a tenth of a nearest request
    return when.isoformat(timespec="minutes") if when else None


def hours_json(status: HoursStatus) -> dict[str, Any]:
    return {
        "state": status.state,
        "at": _iso_minutes(status.at),
        "opens_at": _iso_minutes(status.opens_at),
        "closes_at": _iso_minutes(status.closes_at),
    }


def day_json(day: DaySchedule) -> dict[str, Any]:
    """One local day: ``kind`` holiday / makeup / workday / weekend, ``open`` as
    ``[["08:30", "12:00"], ...]`` (Asia/Shanghai), ``unknown`` when the hours are not known,
    ``calendar_known`` False when the official holiday schedule of the day is not out yet."""
    return {
        "date": day.day.isoformat(),
        "kind": day.kind,
        "open": [[a.strftime("%H:%M"), b.strftime("%H:%M")] for a, b in day.open_intervals],
        "unknown": day.unknown,
        "calendar_known": day.calendar_known,
    }


def feature_json(item: Facility | Feature) -> dict[str, Any]:
    return item.to_feature()


def hours_words(now: HoursStatus, on_arrival: HoursStatus | None) -> dict[str, Any]:
    """What a card says of the hours (the one rule, :func:`hours_phrase`): the phrase's
    key and its words in each language."""
    return _phrase_words(hours_phrase(now, on_arrival))


@lru_cache(maxsize=4096)
def _phrase_words(phrase: HoursPhrase) -> dict[str, Any]:
    # a handful of phrases recur in every answer (shared, never changed: orjson reads it)
    return {
        "hours_phrase": phrase.key,
        "hours_text": {lang: phrase_text(phrase, lang) for lang in LANGS},
    }


def facility_details_json(details: FacilityDetails, travel: str = "walk") -> dict[str, Any]:
    """The facility page's JSON twin: the Feature, its hours now and the week ahead; from
    a starting point, the trip (distance, estimates, hours on arrival) too."""
    trip = details.trip
    extra: dict[str, Any] = {
        "hours": hours_json(details.status),
        **hours_words(details.status, trip.hours_on_arrival if trip else None),
        "week": [day_json(d) for d in details.week],
    }
    if trip is not None:
        extra["trip"] = {
            "distance_m": round(trip.distance_m, 1),
            "walk_min": round(trip.walk_min, 1),
            "ebike_min": round(trip.ebike_min, 1),
            "estimate": True,
            **measured_json(trip),
            "hours_on_arrival": hours_json(trip.hours_on_arrival),
            # the card's line, for a map's popup: along the streets or the estimates
            "trip_text": {
                lang: trip_text(trip, travel, lang, details.network is not None) for lang in LANGS
            },
        }
        extra["network"] = network_json(details.network)
    return details.facility.to_feature(extra)


def measured_json(item: Nearby) -> dict[str, Any]:
    """How a result's distance and time were measured: ``measured`` network or
    straight-line (with ``measured_reason``), the straight ``straight_m`` beside the
    ``distance_m`` shown, and ``network_min`` (minutes along the streets by the query's
    way of travel; null when straight-line)."""
    return {
        "measured": item.measured,
        "measured_reason": item.reason,
        "straight_m": round(item.straight_m, 1),
        "network_min": None if item.network_min is None else round(item.network_min, 1),
    }


def network_json(info: NetworkInfo | None) -> dict[str, Any] | None:
    """The street network behind the answer's network figures (None: no network)."""
    return None if info is None else info.about()


def feature_collection(features: list[dict[str, Any]], **members) -> dict[str, Any]:
    return {"type": "FeatureCollection", **members, "features": features}


def nearby_feature(item: Nearby) -> dict[str, Any]:
    return item.facility.to_feature(
        {
            "distance_m": round(item.distance_m, 1),
            "bearing_deg": round(item.bearing_deg, 1),
            "walk_min": round(item.walk_min, 1),
            "ebike_min": round(item.ebike_min, 1),
            "estimate": True,
            **measured_json(item),
            "hours": hours_json(item.hours),
            "hours_on_arrival": hours_json(item.hours_on_arrival),
            **hours_words(item.hours, item.hours_on_arrival),
        }
    )


def nearest_json(answer: NearestAnswer, coord: str, travel: str = "walk") -> dict[str, Any]:
    return feature_collection(
        [nearby_feature(r) for r in answer.results],
        query={
            "lon": answer.point.lon,
            "lat": answer.point.lat,
            "crs": "wgs84",
            "input_coord": coord,
            "at": answer.at.isoformat(timespec="minutes"),
            "travel": travel,
        },
        in_service_area=answer.in_service_area,
        distance_to_service_area_m=round(answer.distance_to_service_area_m, 1),
        detour_factor=DETOUR_FACTOR,
        estimate_note=ESTIMATE_NOTE,
        travel_basis={
            "measured": answer.measured,
            "straight_reasons": answer.straight_reasons,
            "network": network_json(answer.network),
        },
        numberReturned=len(answer.results),
        unknown_hours_left_out=answer.unknown_hours_left_out_total,
        unknown_hours_left_out_by_layer=answer.unknown_hours_left_out,
    )


def layer_info_json(info: CollectionInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "name_zh": info.name_zh,
        "name_en": info.name_en,
        "count": info.count,
        "sample": info.sample,
        "sources": list(info.sources),
        "version": info.version,
    }


def route_summary_json(route: RouteSummary) -> dict[str, Any]:
    """A route card as a GeoJSON Feature (the line)."""
    return {
        "type": "Feature",
        "id": route.id,
        "geometry": route.geometry,
        "properties": {
            "id": route.id,
            "name": route.name,
            "name_en": route.name_en,
            "theme": route.theme,
            "theme_en": route.theme_en,
            "districts": list(route.districts),
            "stops_count": route.stops_count,
            "length_m": round(route.length_m, 1),
            "coach_min": round(route.coach_min),
            "bike_min": round(route.bike_min),
            "estimate": True,
            "basis": route.basis,
            "along_roads_share": round(route.along_roads_share, 4),
            "coach_note": coach_note(route),
            "network": (
                {"attribution": route.network_attribution, "fixture": route.network_fixture}
                if route.network_attribution
                else None
            ),
            "sample": route.sample,
            "illustrative": route.illustrative,
            "geometry_note": geometry_note(route),
        },
    }


def _travel_json(t: LegTravel) -> dict[str, Any]:
    return {
        "length_m": round(t.length_m, 1),
        "minutes": round(t.minutes, 1),
        "basis": t.basis,
        "reason": t.reason or None,
        "reason_text": REASON_TEXT.get(t.reason),
    }


def legs_json(details: RouteDetails) -> list[dict[str, Any]]:
    """Stop to stop: how long, coach and bike minutes, along roads or straight (and why);
    ``coords`` the leg's first and last index in the line (null: the line is as stored)."""
    spans = leg_spans(details)
    return [
        {
            "from": leg.from_number,
            "to": leg.to_number,
            "basis": leg.basis,
            "basis_text": BASIS_TEXT[leg.basis],
            "length_m": round(leg.length_m, 1),
            "coach": _travel_json(leg.coach),
            "bike": _travel_json(leg.bike),
            "coords": list(spans[i]) if spans else None,
        }
        for i, leg in enumerate(details.legs)
    ]


def route_json(details: RouteDetails) -> dict[str, Any]:
    """One route: the line, its stops (with position along it), the facilities along it
    and the longest stretch without a love station or service center within reach."""
    feature = route_summary_json(details.summary)
    feature["properties"].update(
        {
            "stops": [
                {
                    "number": s.number,
                    "name": s.name,
                    "name_en": s.name_en,
                    "lon": s.lon,
                    "lat": s.lat,
                    "description": s.description,
                    "precision": s.precision,
                    "coord_source": s.coord_source,
                    "position_m": round(s.position_m, 1),
                }
                for s in details.stops
            ],
            "along": [
                {
                    "id": a.facility.id,
                    "layer": a.facility.layer,
                    "name": a.facility.name,
                    "distance_off_m": round(a.distance_off_m, 1),
                    "position_m": round(a.position_m, 1),
                }
                for a in details.along
            ],
            "legs": legs_json(details),
            "along_within_m": ALONG_M,
            "longest_gap_m": round(details.longest_gap_m, 1),
            "longest_gap": {
                "from_m": round(details.gap_from_m, 1),
                "to_m": round(details.gap_to_m, 1),
            },
        }
    )
    return feature
