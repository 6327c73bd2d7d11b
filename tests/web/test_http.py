"""Caching, cross-origin use, absolute links and Range: what every response promises."""

import re

import pytest

from locator.values.errors import ConfigError
from locator.web import create_app


@pytest.fixture()
def based(data_dir):
    return create_app(
        {"DATA_DIR": str(data_dir), "WATCH_DATA": False, "BASE_URL": "https://locator.example/jm/"}
    ).test_client()


def test_public_api_answers_any_origin(client):
    for url in (
        "/api/v1/layers",
        "/api/v1/nearest?lon=113.08&lat=22.58",
        "/ogc/collections",
        "/api/v1/nope",
    ):
        resp = client.get(url, headers={"Origin": "https://wechat.example"})
        assert resp.headers["Access-Control-Allow-Origin"] == "*", url
    pre = client.options(
        "/api/v1/nearest",
        headers={
            "Origin": "https://portal.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "If-None-Match",
        },
    )
    assert pre.status_code == 200
    assert pre.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in pre.headers["Access-Control-Allow-Methods"]
    assert "If-None-Match" in pre.headers["Access-Control-Allow-Headers"]
    assert "POST" not in pre.headers["Access-Control-Allow-Methods"]


def test_pages_are_not_shared_across_origins(client):
    resp = client.get("/", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in resp.headers


@pytest.mark.parametrize(
    ("url", "policy"),
    [
        ("/", r"^no-cache$"),
        ("/map", r"^public, no-cache$"),  # built once per data version; ETag
        ("/map/points.json", r"^public, no-cache$"),
        ("/f/ls-0001", r"^no-cache$"),
        ("/api/v1/nearest?lon=113.08&lat=22.58", r"^no-store$"),
        ("/api/v1/layers/love_stations", r"^(public, no-cache|no-cache, public)$"),
        ("/api/v1/facilities/ls-0001", r"^(public, no-cache|no-cache, public)$"),
        ("/api/v1/layers", r"^(public, no-cache|no-cache, public)$"),
        ("/api/v1/health", r"^no-cache$"),
        ("/ogc/collections", r"^no-cache$"),
        ("/api/v1/nope", r"^no-cache$"),
    ],
)
def test_every_response_says_how_it_may_be_cached(client, url, policy):
    assert re.search(policy, client.get(url).headers["Cache-Control"]), url


def test_static_assets_are_versioned_and_long_lived(client):
    html = client.get("/?town=440703002").get_data(as_text=True)
    (src,) = re.findall(r'<script src="(/static/app/locate\.js\?v=[0-9a-f]{12})"', html)
    resp = client.get(src, buffered=True)
    assert resp.status_code == 200
    cc = resp.headers["Cache-Control"]
    assert "max-age=31536000" in cc and "immutable" in cc
    plain = client.get("/static/app/locate.js", buffered=True)
    assert (
        "max-age=3600" in plain.headers["Cache-Control"]
        and "immutable" not in (plain.headers["Cache-Control"])
    )
    page = client.get("/map").get_data(as_text=True)
    vendor = re.findall(r"/static/vendor/leaflet/leaflet\.js\?v=([\d.]+)", page)
    assert (
        vendor
        and "immutable"
        in client.get(f"/static/vendor/leaflet/leaflet.js?v={vendor[0]}", buffered=True).headers[
            "Cache-Control"
        ]
    )


def test_links_vary_by_host_without_a_base_url(client):
    evil = client.get("/ogc/collections/towns/items/440703002", headers={"Host": "evil.example"})
    real = client.get("/ogc/collections/towns/items/440703002", headers={"Host": "locator.example"})
    assert "http://evil.example/ogc/" in evil.get_data(as_text=True)
    assert evil.headers["ETag"] != real.headers["ETag"]
    assert "Host" in evil.headers["Vary"]
    assert (
        client.get(
            "/ogc/collections/towns/items/440703002",
            headers={"Host": "locator.example", "If-None-Match": evil.headers["ETag"]},
        ).status_code
        == 200
    )


def test_links_come_from_the_base_url_when_configured(based):
    for url in (
        "/ogc",
        "/ogc/collections",
        "/ogc/collections/towns/items?limit=2",
        "/ogc/collections/towns/items/440703002",
    ):
        body = based.get(url, headers={"Host": "evil.example"}).get_data(as_text=True)
        hrefs = re.findall(r'"href":\s*"([^"]+)"', body)
        assert hrefs and all(h.startswith("https://locator.example/jm/") for h in hrefs), url
        assert "evil.example" not in body


def test_bad_base_url_is_a_config_error(data_dir):
    with pytest.raises(ConfigError, match="BASE_URL"):
        create_app({"DATA_DIR": str(data_dir), "BASE_URL": "locator.example"})


@pytest.mark.parametrize("header", ["bytes=abc", "bytes=5-2", "pages=1-2"])
def test_an_invalid_range_is_ignored(client, header):
    for url in ("/static/app/locate.js", "/api/v1/layers/love_stations"):
        resp = client.get(url, headers={"Range": header}, buffered=True)
        assert resp.status_code == 200, (url, header)


def test_an_unsatisfiable_range_is_416_with_its_title(client):
    resp = client.get("/static/app/locate.js", headers={"Range": "bytes=99999999-"})
    assert resp.status_code == 416
    assert resp.get_json()["title"] == "Range Not Satisfiable"
