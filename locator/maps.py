"""folium map builders: the only code that knows folium.

Leaflet and markercluster come from the app's own ``/static/vendor`` URLs (installed from
PyPI's xstatic packages), never from a CDN; nothing here needs jQuery. Overlays are WGS-84
unless the basemap is AMap's, which is GCJ-02: then every overlay is converted on the way
out. Anything from the data reaches the page as JSON (escaped by Jinja's ``tojson``) and is
put into the DOM as text by the scripts, never as HTML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from shapely.geometry import mapping

from locator.operations.routes import NETWORK, NO_NETWORK, RouteDetails, RouteSummary
from locator.values.city import CityProfile
from locator.values.geo.crs import CoordSystem, from_wgs84
from locator.values.models import CollectionInfo, Facility, Point

if TYPE_CHECKING:
    import folium
    from folium.plugins import FastMarkerCluster

# folium (with branca and pandas) is imported when a map is first drawn, not with this
# module: the app factory needs only the constants here, and a server that answers phones
# never draws a map

#: where each tile provider's images come from (for the pages' Content-Security-Policy)
TILE_ORIGINS = {
    "osm": "https://tile.openstreetmap.org",
    "amap": "https://*.is.autonavi.com",
    "none": "",
}
#: tile providers: id -> (url template, attribution, coordinate system, subdomains)
TILES: dict[str, tuple[str, str, CoordSystem, str]] = {
    "osm": (
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
        CoordSystem.WGS84,
        "abc",
    ),
    "amap": (
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
        "&x={x}&y={y}&z={z}",
        "&copy; 高德地图 AMap",
        CoordSystem.GCJ02,
        "1234",
    ),
    "none": ("", "", CoordSystem.WGS84, ""),
}


def _city_centre(city: CityProfile) -> Point:
    """Where a map of the whole city opens (the profile's ``map.centre``)."""
    return Point(*city.centre)


# Builds each marker from a data row [lat, lon, name, id, layer label, address]; every value
# goes in as text (textContent / a text node), so names with markup stay text.
MARKER_CALLBACK = """function (row) {
    var marker = L.circleMarker(new L.LatLng(row[0], row[1]),
        {radius: 7, color: '#ffffff', weight: 1.5, fillColor: row[6], fillOpacity: 0.95});
    var box = document.createElement('div');
    var title = document.createElement('a');
    title.href = '/f/' + encodeURIComponent(row[3]) + row[7];
    title.textContent = row[2];
    title.style.fontWeight = 'bold';
    box.appendChild(title);
    var kind = document.createElement('div');
    kind.textContent = row[4];
    box.appendChild(kind);
    var address = document.createElement('div');
    address.textContent = row[5];
    box.appendChild(address);
    marker.bindPopup(box);
    var tip = document.createElement('span');
    tip.textContent = row[2];
    marker.bindTooltip(tip);
    return marker;
}"""


@dataclass(frozen=True)
class MapAssets:
    """URLs of the scripts and style sheets a folium map needs, served by the app."""

    leaflet_js: str
    leaflet_css: str
    cluster_js: str
    cluster_css: str
    cluster_default_css: str


@dataclass(frozen=True)
class MapParts:
    """A rendered map split for embedding in a page template. ``overlays`` names the
    JavaScript variables of switchable overlays: ``(variable, label, shown at first,
    colour)``."""

    header: str
    html: str
    script: str
    name: str  # the Leaflet map's JavaScript variable
    overlays: tuple[tuple[str, str, bool, str], ...] = ()


def _convert(system: CoordSystem, lon: float, lat: float) -> tuple[float, float]:
    return from_wgs84(lon, lat, system) if system is not CoordSystem.WGS84 else (lon, lat)


def _base_map(
    assets: MapAssets,
    tiles: str,
    centre: Point,
    zoom: int,
    lang: str,
    city: CityProfile,
    network_credit: str | None = None,
) -> tuple[folium.Map, CoordSystem]:
    """A map with the tiles and the data's credit (the city profile's ``map_attribution``,
    in the page's language) on its attribution line; with ``network_credit``, the street
    network's too (OpenStreetMap's ODbL attribution, whenever the data has a network)."""
    import folium

    url, attribution, system, subdomains = TILES[tiles]
    lon, lat = _convert(system, centre.lon, centre.lat)
    fmap = folium.Map(
        location=[lat, lon], zoom_start=zoom, tiles=None, control_scale=True, prefer_canvas=True
    )
    # folium hands zoom limits only to tile layers; markercluster needs them on the map
    fmap.options.update(maxZoom=18, minZoom=7)
    # a lean, self-hosted set instead of folium's CDN bundle (jQuery, bootstrap, ...)
    fmap.default_js = [("leaflet", assets.leaflet_js)]
    fmap.default_css = [("leaflet_css", assets.leaflet_css)]
    if url:
        folium.TileLayer(
            tiles=url,
            attr=attribution,
            name="底图 Base",
            subdomains=subdomains,
            max_zoom=18,
            control=False,
        ).add_to(fmap)
    _elements().Attribution(city.map_attribution.get(lang)).add_to(fmap)
    if network_credit:
        _elements().Attribution(network_credit).add_to(fmap)
    return fmap, system


# The data sources' credit on the map's attribution line (with or without tiles).
_ATTRIBUTION_TEMPLATE = """{% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text|tojson }});
    {% endmacro %}"""


def _cluster(assets: MapAssets, data: list[list[Any]], name: str) -> FastMarkerCluster:
    from folium.plugins import FastMarkerCluster

    cluster = FastMarkerCluster(
        data,
        callback=MARKER_CALLBACK,
        name=name,
        options={"maxClusterRadius": 50, "disableClusteringAtZoom": 16},
    )
    cluster.default_js = [("markerclusterjs", assets.cluster_js)]
    cluster.default_css = [
        ("markerclustercss", assets.cluster_css),
        ("markerclusterdefaultcss", assets.cluster_default_css),
    ]
    return cluster


def _boundaries(
    fmap: folium.Map,
    system: CoordSystem,
    outlines: dict[str, Any],
    label: str = "区县边界 District boundaries",
) -> str:
    """Draw boundary outlines (WGS-84, already generalised for city scale); returns the
    overlay's JavaScript variable."""
    import folium

    features = []
    for code, geom in outlines.items():
        if system is not CoordSystem.WGS84:
            geom = shapely.transform(geom, lambda xy: _convert_xy(system, xy))
        features.append(
            {"type": "Feature", "properties": {"code": code}, "geometry": mapping(geom)}
        )
    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=label,
        control=False,
        style_function=lambda _: {"color": "#555", "weight": 1.5, "fill": False},
    )
    layer.add_to(fmap)
    return layer.get_name()


def _convert_xy(system: CoordSystem, xy):
    return np.array([_convert(system, float(x), float(y)) for x, y in xy])


def _rows(
    facilities: tuple[Facility, ...], system: CoordSystem, label: str, colour: str, query: str
) -> list[list[Any]]:
    rows = []
    for fac in facilities:
        lon, lat = _convert(system, fac.lon, fac.lat)
        rows.append(
            [
                round(lat, 6),
                round(lon, 6),
                fac.name,
                fac.id,
                label,
                str(fac.properties.get("address") or ""),
                colour,
                query,
            ]
        )
    return rows


#: folium's own <meta> tags: a second viewport that forbids pinch-zoom
# (user-scalable=no, maximum-scale) and a content type the page states already
_FOLIUM_META = re.compile(r"<meta (name=\"viewport\"|http-equiv=)[^>]*>", re.S)


def _parts(fmap: folium.Map, overlays: tuple[tuple[str, str, bool, str], ...] = ()) -> MapParts:
    from branca.element import Figure

    root = fmap.get_root()
    assert isinstance(root, Figure)  # a folium Map's root is always its Figure
    root.render()
    return MapParts(
        _FOLIUM_META.sub("", root.header.render()),
        root.html.render(),
        root.script.render(),
        fmap.get_name(),
        overlays,
    )


def _route_lines(
    fmap: folium.Map, system: CoordSystem, routes: list[RouteSummary], colour: str, label: str
) -> str:
    """The routes as one overlay, off until switched on (no tooltip: names stay out of
    HTML; the route pages list them)."""
    import folium
    import shapely

    features = []
    for r in routes:
        # a line along the roads has a vertex at every node: ~20 m (0.0002°) is plenty
        # at city scale and keeps the overview light
        line = shapely.simplify(shapely.LineString(r.geometry["coordinates"]), 0.0002)
        coords = [list(_convert(system, c[0], c[1])) for c in line.coords]
        features.append(
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "LineString", "coordinates": coords},
            }
        )
    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=label,
        show=False,
        control=False,
        style_function=lambda _: {"color": colour, "weight": 4, "opacity": 0.8},
    )
    layer.add_to(fmap)
    return layer.get_name()


def overview_map(
    assets: MapAssets,
    tiles: str,
    district_outlines: dict[str, Any],
    position: Point | None,
    routes: list[RouteSummary] | None = None,
    routes_style: tuple[str, str] = ("#8c564b", "乡村游路线 Rural routes"),
    boundaries_label: str = "区县边界 District boundaries",
    lang: str = "zh",
    *,
    city: CityProfile,
    network_credit: str | None = None,
) -> MapParts:
    """The base of the overview map: tiles, the district boundaries and the rural routes
    (switched off) as overlays the page can switch. The facilities come separately, as
    cacheable JSON (:func:`point_rows`), drawn by the page's script in one clustering."""
    fmap, system = _base_map(
        assets,
        tiles,
        position or _city_centre(city),
        14 if position else city.zoom,
        lang,
        city,
        network_credit,
    )
    fmap.default_js = [*fmap.default_js, ("markerclusterjs", assets.cluster_js)]
    fmap.default_css = [
        *fmap.default_css,
        ("markerclustercss", assets.cluster_css),
        ("markerclusterdefaultcss", assets.cluster_default_css),
    ]
    overlays = [
        (
            _boundaries(fmap, system, district_outlines, boundaries_label),
            boundaries_label,
            True,
            "#555555",
        )
    ]
    if routes:
        overlays.append(
            (
                _route_lines(fmap, system, routes, *routes_style),
                routes_style[1],
                False,
                routes_style[0],
            )
        )
    return _parts(fmap, tuple(overlays))


def point_rows(
    layers: list[tuple[CollectionInfo, tuple[Facility, ...]]], tiles: str
) -> list[list[Any]]:
    """Every facility drawn on the overview map as ``[lat, lon, layer index, id, name,
    address, English name]``, in the basemap's coordinate system (GCJ-02 for AMap
    tiles)."""
    system = TILES[tiles][2]
    rows = []
    for index, (_info, facilities) in enumerate(layers):
        for fac in facilities:
            lon, lat = _convert(system, fac.lon, fac.lat)
            rows.append(
                [
                    round(lat, 6),
                    round(lon, 6),
                    index,
                    fac.id,
                    fac.name,
                    str(fac.properties.get("address") or ""),
                    str(fac.properties.get("name_en") or ""),
                ]
            )
    return rows


def basemap_system(tiles: str) -> CoordSystem:
    """The coordinate system of a tile provider's maps."""
    return TILES[tiles][2]


# Numbered stops and the facilities along a route, from data rows; text goes in as text.
_ROUTE_TEMPLATE = """{% macro script(this, kwargs) %}
(function () {
    var map = {{ this._parent.get_name() }};
    var stops = {{ this.stops|tojson }}, along = {{ this.along|tojson }};
    var lines = {{ this.lines|tojson }}, bounds = L.latLngBounds([]);
    lines.forEach(function (l) {
        // a leg along the roads is drawn solid, a straight one dashed
        var line = L.polyline(l[0], {color: {{ this.colour|tojson }}, weight: 5,
            opacity: 0.85, dashArray: l[1] ? null : '8 8'}).addTo(map);
        bounds.extend(line.getBounds());
    });
    function box(lines, href) {
        var div = document.createElement('div');
        lines.forEach(function (text, i) {
            var el = document.createElement(i === 0 && href ? 'a' : 'div');
            if (i === 0 && href) { el.href = href; }
            if (i === 0) { el.style.fontWeight = 'bold'; }
            el.textContent = text;
            div.appendChild(el);
        });
        return div;
    }
    along.forEach(function (a) {
        L.circleMarker([a[0], a[1]], {radius: 6, color: '#fff', weight: 1.5,
            fillColor: a[5], fillOpacity: 0.95})
         .bindPopup(box([a[2], a[4]], '/f/' + encodeURIComponent(a[3]) + {{ this.query|tojson }}))
         .addTo(map);
    });
    stops.forEach(function (s) {
        var icon = L.divIcon({className: 'route-stop', html: String(s[2]),
                              iconSize: [28, 28], iconAnchor: [14, 14]});
        L.marker([s[0], s[1]], {icon: icon, title: s[3]})
         .bindPopup(box([s[2] + '. ' + s[3], s[4], s[5]])).addTo(map);
    });
    map.fitBounds(bounds, {padding: [24, 24]});
})();
{% endmacro %}"""


def route_map(
    assets: MapAssets,
    tiles: str,
    details: RouteDetails,
    colour: str,
    layer_labels: dict[str, str],
    layer_colours: dict[str, str],
    lang_query: str = "",
    lang: str = "zh",
    *,
    city: CityProfile,
    network_credit: str | None = None,
) -> MapParts:
    """A route: its line, numbered stops with popups and the facilities along it. The line
    is the stops joined straight without a network, or else each leg's course (a leg that
    could not follow the roads dashed)."""
    lons = [st.lon for st in details.stops]
    lats = [st.lat for st in details.stops]
    fmap, system = _base_map(
        assets,
        tiles,
        Point(sum(lons) / len(lons), sum(lats) / len(lats)),
        11,
        lang,
        city,
        network_credit,
    )
    stops = []
    for st in details.stops:
        lon, lat = _convert(system, st.lon, st.lat)
        stops.append([round(lat, 6), round(lon, 6), st.number, st.name, st.description, st.name_en])
    if all(leg.coach.reason == NO_NETWORK for leg in details.legs):  # as without a network
        lines = [[[[s[0], s[1]] for s in stops], True]]
    else:
        lines = []
        for leg in details.legs:
            shown = (_convert(system, lon, lat) for lon, lat in leg.coords)
            lines.append([[[round(y, 6), round(x, 6)] for x, y in shown], leg.basis == NETWORK])
    along = []
    for a in details.along:
        f = a.facility
        lon, lat = _convert(system, f.lon, f.lat)
        along.append(
            [
                round(lat, 6),
                round(lon, 6),
                f.name,
                f.id,
                layer_labels.get(f.layer, f.layer),
                layer_colours.get(f.layer, "#333"),
            ]
        )
    _elements().Route(stops, lines, along, colour, lang_query).add_to(fmap)
    return _parts(fmap)


def facility_map(
    assets: MapAssets,
    tiles: str,
    facility: Facility,
    label: str,
    colour: str,
    lang: str = "zh",
    *,
    city: CityProfile,
    network_credit: str | None = None,
) -> MapParts:
    """A small map centred on one facility, its marker in its layer's colour."""
    fmap, system = _base_map(
        assets, tiles, Point(facility.lon, facility.lat), 16, lang, city, network_credit
    )
    _cluster(assets, _rows((facility,), system, label, colour, ""), label).add_to(fmap)
    return _parts(fmap)


_NUMBERED_TEMPLATE = """{% macro script(this, kwargs) %}
(function () {
    var map = {{ this._parent.get_name() }};
    {{ this.rows|tojson }}.forEach(function (r) {
        var icon = L.divIcon({className: 'numbered-site', html: String(r[2]),
                              iconSize: [28, 28], iconAnchor: [14, 14]});
        var box = document.createElement('div');
        box.textContent = r[3];
        L.marker([r[0], r[1]], {icon: icon}).bindPopup(box).addTo(map);
    });
})();
{% endmacro %}"""


@cache
def _elements() -> SimpleNamespace:
    """Our map elements (branca ``MacroElement`` classes), made when a map is first drawn."""
    from branca.element import MacroElement
    from jinja2 import Template

    class Attribution(MacroElement):
        """The data sources' credit on the map's attribution line."""

        _template = Template(_ATTRIBUTION_TEMPLATE)

        def __init__(self, text: str):
            super().__init__()
            self._name = "Attribution"
            self.text = text

    class Route(MacroElement):
        """A route's line, its numbered stops and the facilities along it."""

        _template = Template(_ROUTE_TEMPLATE)

        def __init__(
            self,
            stops: list[list[Any]],
            lines: list[list[Any]],
            along: list[list[Any]],
            colour: str,
            query: str,
        ):
            super().__init__()
            self._name = "Route"
            self.stops, self.lines, self.along = stops, lines, along
            self.colour, self.query = colour, query

    class Numbered(MacroElement):
        """Numbered markers (rows of [lat, lon, number, text]); the text goes in as text."""

        _template = Template(_NUMBERED_TEMPLATE)

        def __init__(self, rows: list[list[Any]]):
            super().__init__()
            self._name = "Numbered"
            self.rows = rows

    return SimpleNamespace(Attribution=Attribution, Route=Route, Numbered=Numbered)


def _share_colour(share: float | None) -> str:
    """Red (nothing within reach) to green (all of it), grey where there is no figure."""
    if share is None:
        return "#bbbbbb"
    steps = ["#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#2166ac"]
    return steps[min(len(steps) - 1, int(share * len(steps)))]


SHARE_LEGEND = [
    ("0–17 %", "#b2182b"),
    ("17–33 %", "#ef8a62"),
    ("33–50 %", "#fddbc7"),
    ("50–67 %", "#d1e5f0"),
    ("67–83 %", "#67a9cf"),
    ("83–100 %", "#2166ac"),
]


def coverage_map(
    assets: MapAssets,
    tiles: str,
    areas: list[tuple[dict, float | None]],
    uncovered: list[tuple[float, float]],
    sites: list[tuple[float, float, int, str]],
    lang: str = "zh",
    *,
    city: CityProfile,
    network_credit: str | None = None,
) -> MapParts:
    """Areas (WGS-84 GeoJSON geometries) coloured by covered share, a sample of uncovered
    cell centres, and numbered suggested sites ``(lon, lat, rank, label)``."""
    import folium

    fmap, system = _base_map(
        assets, tiles, _city_centre(city), city.zoom, lang, city, network_credit
    )
    features = []
    for geometry, share in areas:
        geom = shapely.geometry.shape(geometry)
        if system is not CoordSystem.WGS84:
            geom = shapely.transform(geom, lambda xy: _convert_xy(system, xy))
        features.append(
            {
                "type": "Feature",
                "geometry": mapping(geom),
                "properties": {"fill": _share_colour(share)},
            }
        )
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name="覆盖比例 Covered share",
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "fillOpacity": 0.6,
            "color": "#555",
            "weight": 1,
        },
    ).add_to(fmap)
    if uncovered:
        points = [list(_convert(system, lon, lat)) for lon, lat in uncovered]
        folium.GeoJson(
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "MultiPoint", "coordinates": points},
            },
            name="未覆盖网格 Uncovered cells",
            show=False,
            marker=folium.CircleMarker(
                radius=1.5, color="#b2182b", weight=0, fill=True, fill_opacity=0.7
            ),
        ).add_to(fmap)
    rows = []
    for lon, lat, rank, label in sites:
        x, y = _convert(system, lon, lat)
        rows.append([round(y, 6), round(x, 6), rank, label])
    if rows:
        _elements().Numbered(rows).add_to(fmap)
    # the whole city and every suggested site in view (the islands lie far south)
    site_xy = [_convert(system, lon, lat) for lon, lat, _, _ in sites]
    lats = [y for _, y in site_xy] + [lat for f in features for lat in _lat_bounds(f["geometry"])]
    lons = [x for x, _ in site_xy] + [lon for f in features for lon in _lon_bounds(f["geometry"])]
    if lats:
        fmap.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]])
    folium.LayerControl(collapsed=True).add_to(fmap)
    return _parts(fmap)


def _lon_bounds(geometry: dict) -> tuple[float, float]:
    b = shapely.geometry.shape(geometry).bounds
    return b[0], b[2]


def _lat_bounds(geometry: dict) -> tuple[float, float]:
    b = shapely.geometry.shape(geometry).bounds
    return b[1], b[3]


def features_map(
    assets: MapAssets,
    tiles: str,
    features: list[dict],
    colour: str,
    lang: str = "zh",
    *,
    city: CityProfile,
    network_credit: str | None = None,
) -> MapParts:
    """A small map of GeoJSON features (WGS-84) fitted to them; no labels (the page's
    table names them)."""
    import folium

    fmap, system = _base_map(
        assets, tiles, _city_centre(city), city.zoom, lang, city, network_credit
    )
    shapes = []
    for f in features:
        if not f.get("geometry"):
            continue
        geom = shapely.geometry.shape(f["geometry"])
        if system is not CoordSystem.WGS84:
            geom = shapely.transform(geom, lambda xy: _convert_xy(system, xy))
        shapes.append(geom)
    if shapes:
        folium.GeoJson(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {}, "geometry": mapping(g)} for g in shapes
                ],
            },
            marker=folium.CircleMarker(
                radius=6, color="#fff", weight=1.5, fill=True, fill_color=colour, fill_opacity=0.9
            ),
            style_function=lambda _: {"color": colour, "weight": 2, "fillOpacity": 0.2},
        ).add_to(fmap)
        west, south, east, north = shapely.GeometryCollection(shapes).bounds
        fmap.fit_bounds([[south, west], [north, east]])
    return _parts(fmap)
