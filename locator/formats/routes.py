"""A route to take along: GeoJSON, GPX 1.1 (gpxpy) and KML 2.2 (simplekml).

Every file carries the route's line through its stops in order and the stops by name
(Chinese first, English beside it), says that the route is illustrative, and is WGS-84
like everything else. Without a street network its segments are straight lines and it says
so; with one the line follows the roads leg by leg (:func:`route_legs`), each leg says
whether it is along roads or straight (and why), and the file carries the network's ODbL
attribution.
"""

from __future__ import annotations

import html
from typing import Any

from locator.operations.routes import (
    NETWORK,
    STRAIGHT,
    Leg,
    RouteDetails,
    RouteSummary,
    coach_note,
    leg_spans,
    leg_text,
)

ODBL_URL = "https://opendatacommons.org/licenses/odbl/1-0/"

ILLUSTRATIVE = (
    "示意路线：官方站点名单未公开；站点之间为直线，不是实际道路 · Illustrative route: "
    "the official stop list is not public; segments are straight lines, not roads"
)


#: the route list's note when some routes follow the roads
ILLUSTRATIVE_ALONG_ROADS = (
    "示意路线：官方站点名单未公开；路段在道路网到达处沿道路，其余为直线（见各路线的 basis 和 "
    "along_roads_share） · Illustrative routes: the official stop list is not public; legs "
    "follow the roads where the street network reaches, the others are straight lines "
    "(each route's basis and along_roads_share say which)"
)


def routes_note(basis: str) -> str:
    """The route list's note for routes of this basis (straight, network or mixed)."""
    return ILLUSTRATIVE if basis == STRAIGHT else ILLUSTRATIVE_ALONG_ROADS


def geometry_note(s: RouteSummary) -> str:
    """What a route's line is: the data's own note for straight lines, or the share along
    the roads."""
    if s.basis == STRAIGHT:
        return s.geometry_note
    pct = f"{s.along_roads_share * 100:.0f}%"
    rest = "" if s.along_roads_share >= 1.0 else "，其余为直线"
    rest_en = "" if s.along_roads_share >= 1.0 else ", the others are straight lines"
    return (
        f"站点之间的路段沿道路（全长的 {pct}）{rest} · legs between the stops follow the "
        f"roads ({pct} of the length){rest_en}"
    )


def route_note(details: RouteDetails) -> str:
    """What the file's line is: straight segments, or legs along roads (with the share
    and the network's attribution)."""
    s = details.summary
    if s.basis == STRAIGHT:
        return ILLUSTRATIVE
    pct = f"{s.along_roads_share * 100:.0f}%"
    whole = s.along_roads_share >= 1.0
    fixture = " · 测试用道路网 test-fixture network" if s.network_fixture else ""
    return (
        f"示意路线：官方站点名单未公开；站点之间的路段沿道路（全长的 {pct}）"
        f"{'' if whole else '，其余为直线'} · "
        f"Illustrative route: the official stop list is not public; legs follow the roads "
        f"({pct} of the length){'' if whole else ', the others are straight lines'}. "
        f"{s.network_attribution}{fixture}"
    )


def _leg_name(leg: Leg) -> str:
    return f"{leg.from_number} → {leg.to_number}"


def _leg_description(leg: Leg) -> str:
    """One leg: basis (and why straight), length, coach and bike minutes, zh and en."""
    km = leg.length_m / 1000
    return (
        f"{leg_text(leg, 'zh')} · {leg_text(leg, 'en')}: {km:.1f} km; "
        f"客车 coach {leg.coach.minutes:.0f} min ({leg.coach.basis}), "
        f"骑行 bike {leg.bike.minutes:.0f} min ({leg.bike.basis})"
    )


def _legs_text(details: RouteDetails) -> str:
    return "; ".join(f"{_leg_name(leg)} {_leg_description(leg)}" for leg in details.legs)


def _title(details: RouteDetails) -> str:
    s = details.summary
    return f"{s.name} {s.name_en}".strip()


def _stop_text(details: RouteDetails, i: int) -> str:
    stop = details.stops[i]
    return f"{stop.description} · {stop.precision}: {stop.coord_source}"


def _legs_geojson(details: RouteDetails) -> list[dict[str, Any]]:
    spans = leg_spans(details)
    return [
        {
            "from": leg.from_number,
            "to": leg.to_number,
            "basis": leg.basis,
            "reason": leg.coach.reason or None,
            "description": _leg_description(leg),
            "length_m": round(leg.length_m, 1),
            "coach_min": round(leg.coach.minutes, 1),
            "bike_min": round(leg.bike.minutes, 1),
            "bike_basis": leg.bike.basis,
            "coords": list(spans[i]) if spans else None,
        }
        for i, leg in enumerate(details.legs)
    ]


def route_to_geojson(details: RouteDetails) -> dict[str, Any]:
    """A FeatureCollection: the line, then each stop as a numbered Point."""
    s = details.summary
    line = {
        "type": "Feature",
        "id": s.id,
        "geometry": s.geometry,
        "properties": {k: v for k, v in details.properties.items() if k != "stops"}
        | {
            "length_m": round(s.length_m, 1),
            "coach_min": round(s.coach_min, 1),
            "bike_min": round(s.bike_min, 1),
            "note": route_note(details),
            "geometry_note": geometry_note(s),
            "basis": s.basis,
            "along_roads_share": round(s.along_roads_share, 4),
            "coach_note": coach_note(s),
            "legs": _legs_geojson(details),
        }
        | ({"attribution": s.network_attribution} if s.network_attribution else {}),
    }
    stops = [
        {
            "type": "Feature",
            "id": f"{s.id}-stop-{st.number}",
            "geometry": {"type": "Point", "coordinates": [st.lon, st.lat]},
            "properties": {
                "route": s.id,
                "number": st.number,
                "name": st.name,
                "name_en": st.name_en,
                "description": st.description,
                "precision": st.precision,
                "coord_source": st.coord_source,
                "position_m": round(st.position_m, 1),
            },
        }
        for st in details.stops
    ]
    return {"type": "FeatureCollection", "name": s.id, "features": [line, *stops]}


def _line_parts(details: RouteDetails) -> list[list[tuple[float, float]]]:
    """The route's line as parts of [lon, lat] positions (WGS-84): one per leg when the
    legs follow the roads, else one per part of its geometry (a MultiLineString's parts
    stay apart: no line drawn across a gap), or the stops in order when it has none."""
    if details.summary.basis != STRAIGHT:
        return [list(leg.coords) for leg in details.legs]
    geom = details.summary.geometry or {}
    if geom.get("type") == "LineString":
        return [[(c[0], c[1]) for c in geom["coordinates"]]]
    if geom.get("type") == "MultiLineString":
        return [[(c[0], c[1]) for c in part] for part in geom["coordinates"] if part]
    return [[(st.lon, st.lat) for st in details.stops]]


def route_to_gpx(details: RouteDetails, creator: str = "locator") -> str:
    """GPX 1.1: the route as ``rte`` with one ``rtept`` per stop, its line as a track
    (``trk``, which phone apps draw where they ignore routes; one ``trkseg`` a leg when the
    legs follow the roads, the track's ``desc`` saying which are along roads and which
    straight), the stops as ``wpt``; ``creator`` names the program (the site:
    ``locator · <the city profile's title>``). With a network the metadata's ``copyright``
    names OpenStreetMap's contributors and the ODbL."""
    import gpxpy.gpx  # here, not at start-up: only a download needs it

    note = route_note(details)
    gpx = gpxpy.gpx.GPX()
    gpx.creator = creator
    gpx.name = _title(details)
    gpx.description = note
    if details.summary.network_attribution:
        gpx.copyright_author = details.summary.network_attribution
        gpx.copyright_license = ODBL_URL
    route = gpxpy.gpx.GPXRoute(name=_title(details), description=note, number=None)
    for i, st in enumerate(details.stops):
        name = f"{st.number}. {st.name}"
        route.points.append(
            gpxpy.gpx.GPXRoutePoint(st.lat, st.lon, name=name, description=_stop_text(details, i))
        )
        gpx.waypoints.append(
            gpxpy.gpx.GPXWaypoint(
                st.lat, st.lon, name=name, description=_stop_text(details, i), symbol="Flag"
            )
        )
    gpx.routes.append(route)
    routed = details.summary.basis != STRAIGHT
    track = gpxpy.gpx.GPXTrack(
        name=_title(details), description=f"{note} {_legs_text(details)}" if routed else note
    )
    for part in _line_parts(details):  # one segment a part
        segment = gpxpy.gpx.GPXTrackSegment()
        segment.points.extend(gpxpy.gpx.GPXTrackPoint(lat, lon) for lon, lat in part)
        track.segments.append(segment)
    gpx.tracks.append(track)
    return gpx.to_xml(version="1.1")


def route_to_kml(details: RouteDetails) -> str:
    """KML 2.2: a folder with the line and one placemark per stop, in stop order; when the
    legs follow the roads, one line per leg instead, named "1 → 2", its description saying
    along roads or straight (and why), straight ones drawn grey."""
    import simplekml  # here, not at start-up: only a download needs it

    note = route_note(details)
    kml = simplekml.Kml(name=_title(details), description=html.escape(note))
    if details.summary.basis == STRAIGHT:
        lines = [(_title(details), note, [(st.lon, st.lat) for st in details.stops], True)]
    else:
        lines = [
            (_leg_name(leg), _leg_description(leg), list(leg.coords), leg.basis == NETWORK)
            for leg in details.legs
        ]
    for name, description, coords, along in lines:
        line = kml.newlinestring(name=name, description=html.escape(description), coords=coords)
        line.style.linestyle.width = 4
        grey = simplekml.Color.rgb(0x77, 0x77, 0x77)
        line.style.linestyle.color = simplekml.Color.rgb(0x8C, 0x56, 0x4B) if along else grey
    for i, st in enumerate(details.stops):
        # KML viewers render a description as HTML: escape it so that it stays text
        kml.newpoint(
            name=f"{st.number}. {st.name}",
            description=html.escape(_stop_text(details, i)),
            coords=[(st.lon, st.lat)],
        )
    return kml.kml()
