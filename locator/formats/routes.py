"""A route to take along: GeoJSON, GPX 1.1 (gpxpy) and KML 2.2 (simplekml).

Every file carries the route's line through its stops in order and the stops by name
(Chinese first, English beside it), says that the route is illustrative and that its
segments are straight lines, and is WGS-84 like everything else.
"""

from __future__ import annotations

import html
from typing import Any

from locator.operations.routes import RouteDetails

ILLUSTRATIVE = (
    "示意路线：官方站点名单未公开；站点之间为直线，不是实际道路 · Illustrative route: "
    "the official stop list is not public; segments are straight lines, not roads"
)


def _title(details: RouteDetails) -> str:
    s = details.summary
    return f"{s.name} {s.name_en}".strip()


def _stop_text(details: RouteDetails, i: int) -> str:
    stop = details.stops[i]
    return f"{stop.description} · {stop.precision}: {stop.coord_source}"


def route_to_geojson(details: RouteDetails) -> dict[str, Any]:
    """A FeatureCollection: the line, then each stop as a numbered Point."""
    s = details.summary
    line = {
        "type": "Feature",
        "id": s.id,
        "geometry": s.geometry,
        "properties": {k: v for k, v in details.properties.items() if k != "stops"}
        | {"length_m": round(s.length_m, 1), "note": ILLUSTRATIVE},
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
    """The route's line as parts of [lon, lat] positions (WGS-84): one per part of its
    geometry (a MultiLineString's parts stay apart: no line drawn across a gap), or the
    stops in order when it has none."""
    geom = details.summary.geometry or {}
    if geom.get("type") == "LineString":
        return [[(c[0], c[1]) for c in geom["coordinates"]]]
    if geom.get("type") == "MultiLineString":
        return [[(c[0], c[1]) for c in part] for part in geom["coordinates"] if part]
    return [[(st.lon, st.lat) for st in details.stops]]


def route_to_gpx(details: RouteDetails, creator: str = "locator") -> str:
    """GPX 1.1: the route as ``rte`` with one ``rtept`` per stop, its line as a track
    (``trk``, which phone apps draw where they ignore routes), the stops as ``wpt``;
    ``creator`` names the program (the site: ``locator · <the city profile's title>``)."""
    import gpxpy.gpx  # here, not at start-up: only a download needs it

    gpx = gpxpy.gpx.GPX()
    gpx.creator = creator
    gpx.name = _title(details)
    gpx.description = ILLUSTRATIVE
    route = gpxpy.gpx.GPXRoute(name=_title(details), description=ILLUSTRATIVE, number=None)
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
    track = gpxpy.gpx.GPXTrack(name=_title(details), description=ILLUSTRATIVE)
    for part in _line_parts(details):  # one segment a part
        segment = gpxpy.gpx.GPXTrackSegment()
        segment.points.extend(gpxpy.gpx.GPXTrackPoint(lat, lon) for lon, lat in part)
        track.segments.append(segment)
    gpx.tracks.append(track)
    return gpx.to_xml(version="1.1")


def route_to_kml(details: RouteDetails) -> str:
    """KML 2.2: a folder with the line and one placemark per stop, in stop order."""
    import simplekml  # here, not at start-up: only a download needs it

    kml = simplekml.Kml(name=_title(details), description=ILLUSTRATIVE)
    line = kml.newlinestring(
        name=_title(details),
        description=ILLUSTRATIVE,
        coords=[(st.lon, st.lat) for st in details.stops],
    )
    line.style.linestyle.width = 4
    line.style.linestyle.color = simplekml.Color.rgb(0x8C, 0x56, 0x4B)
    for i, st in enumerate(details.stops):
        # KML viewers render a description as HTML: escape it so that it stays text
        kml.newpoint(
            name=f"{st.number}. {st.name}",
            description=html.escape(_stop_text(details, i)),
            coords=[(st.lon, st.lat)],
        )
    return kml.kml()
