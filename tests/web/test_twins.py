"""Every page names its JSON twin, and the twin says the same thing."""

import json
import re

import pytest

from tests.both_stores import BOTH_STORES

STORES = BOTH_STORES  # every test here runs on the files and on PostGIS

LINK = re.compile(r'<([^>]+)>; rel="alternate"; type="(application/(?:geo\+)?json)"')


def twin_of(client, url: str):
    resp = client.get(url)
    assert resp.status_code == 200
    ((href, mimetype),) = LINK.findall(resp.headers["Link"])
    html = resp.get_data(as_text=True)
    head = html.split("</head>")[0]
    escaped = href.replace("&", "&amp;")
    assert f'<link rel="alternate" type="{mimetype}" href="{escaped}">' in head
    twin = client.get(href)
    assert twin.status_code == 200 and twin.mimetype == mimetype
    return html, twin.get_json()


@pytest.mark.parametrize(
    "query",
    ["town=440703002", "lon=112.79&lat=22.25", "town=440781101&amenity=toilet&open_now=true"],
)
def test_phone_page_twin_lists_the_same_facilities(client, query):
    html, twin = twin_of(client, f"/?{query}")
    shown = re.findall(r'<li class="facility" data-id="([^"]+)"', html)
    assert shown == [f["id"] for f in twin["features"]]
    assert len(shown) >= 4


def test_home_without_position_twin_is_the_layer_list(client):
    html, twin = twin_of(client, "/")
    for layer in twin["layers"]:
        row = html.split(f'<tr data-layer="{layer["id"]}">')[1].split("</tr>")[0]
        assert f'<td class="count">{layer["count"]}</td>' in row


def test_facility_page_twin_carries_hours_and_week(client):
    html, twin = twin_of(client, "/f/sc-0001?at=2026-12-07T10:00")
    props = twin["properties"]
    assert twin["id"] == "sc-0001"
    assert props["hours"]["at"] == "2026-12-07T10:00+08:00"  # the page's moment, passed on
    state = re.search(r'<p class="hours state-(\w+)">', html).group(1)
    assert props["hours"]["state"] == state
    assert len(props["week"]) == 7
    rows = re.findall(r"<tr class=\"(?:today)?\">\s*<th>(.*?)</th>\s*<td>(.*?)</td>", html, re.S)
    assert len(rows) == 7
    for day, (head, cell) in zip(props["week"], rows, strict=True):
        assert day["date"][5:] in head  # mm-dd
        for start, end in day["open"]:
            assert f"{start}–{end}" in cell
        if not day["open"] and not day["unknown"]:
            assert cell.strip() == "不开放"


def test_map_page_twin_is_the_layer_list(client):
    html, twin = twin_of(client, "/map")
    config = json.loads(
        re.search(
            r'<script type="application/json" id="map-config">(.*?)'
            r"</script>",
            html,
            re.S,
        )[1]
    )
    assert [c["count"] for c in config["layers"]] == [layer["count"] for layer in twin["layers"]]
    rows = client.get(config["points"]).get_json()["rows"]
    assert [sum(1 for r in rows if r[2] == i) for i in range(len(config["layers"]))] == [
        layer["count"] for layer in twin["layers"]
    ]
