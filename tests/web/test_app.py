"""The app factory and the first pages through Flask's test client."""

import pytest

from locator.values.errors import DataError
from locator.web import create_app
from tests.conftest import facility, write_layer


def test_factory_uses_the_passed_config(data_dir):
    app = create_app({"DATA_DIR": str(data_dir), "TESTING": True})
    cat = app.extensions["locator"].catalog
    assert [len(layer.facilities) for layer in cat.layers.values()] == [2, 0, 0, 0]
    assert app.testing


def test_factory_reads_locator_env(monkeypatch, data_dir):
    monkeypatch.setenv("LOCATOR_DATA_DIR", str(data_dir))
    app = create_app()
    assert app.config["DATA_DIR"] == str(data_dir)
    assert len(app.extensions["locator"].catalog.layers["love_stations"].facilities) == 2


def test_passed_config_beats_env(monkeypatch, data_dir, tmp_path):
    monkeypatch.setenv("LOCATOR_DATA_DIR", str(tmp_path / "missing"))
    app = create_app({"DATA_DIR": str(data_dir)})
    assert app.config["DATA_DIR"] == str(data_dir)


def test_broken_layer_stops_the_factory(data_dir):
    write_layer(data_dir, "love_stations", [facility("x", 113.07, 22.57, amenities=["sauna"])])
    with pytest.raises(DataError, match="love_stations.geojson: feature 'x': unknown amenity"):
        create_app({"DATA_DIR": str(data_dir)})


def test_home_lists_layers_with_counts_and_says_sample(client):
    resp = client.get("/")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert 'lang="zh-CN"' in html
    for layer, count in [
        ("love_stations", 133),
        ("mothers_rooms", 234),
        ("service_centers", 73),
        ("book_rooms", 706),
    ]:
        assert f'<tr data-layer="{layer}">' in html
        row = html.split(f'<tr data-layer="{layer}">')[1].split("</tr>")[0]
        assert f'<td class="count">{count}</td>' in row
        assert "示例数据 · sample" in row
    assert 'class="sample-banner"' in html
    assert 'href="tel:19262012351"' in html


def test_home_in_english(client):
    html = client.get("/?lang=en").get_data(as_text=True)
    assert 'lang="en"' in html and "sample data" in html and "Mothers&#39; rooms" in html


def test_home_without_sample_layers_has_no_banner(data_dir):
    app = create_app({"DATA_DIR": str(data_dir), "TESTING": True})
    html = app.test_client().get("/").get_data(as_text=True)
    assert 'class="sample-banner"' not in html
    assert "real data" not in html and "真实数据：test" in html


def test_layers_json_twin(client):
    body = client.get("/api/v1/layers").get_json()
    assert [(lay["id"], lay["count"], lay["sample"]) for lay in body["layers"]] == [
        ("love_stations", 133, True),
        ("mothers_rooms", 234, True),
        ("service_centers", 73, True),
        ("book_rooms", 706, True),
    ]


def test_unknown_api_path_is_problem_json(client):
    resp = client.get("/api/v1/nope")
    assert resp.status_code == 404
    assert resp.mimetype == "application/problem+json"
    assert resp.get_json()["status"] == 404


def test_unknown_page_is_friendly_html(client):
    resp = client.get("/nope", headers={"Accept": "text/html"})
    assert resp.status_code == 404 and resp.mimetype == "text/html"
    assert "返回首页" in resp.get_data(as_text=True)


@pytest.mark.parametrize(
    ("tiles", "origin"),
    [
        ("osm", "https://tile.openstreetmap.org"),
        ("amap", "https://*.is.autonavi.com"),
        ("none", None),
    ],
)
def test_pages_carry_a_content_security_policy(data_dir, tiles, origin):
    app = create_app({"DATA_DIR": str(data_dir), "TILES": tiles})
    resp = app.test_client().get("/")
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp
    img = next(part for part in csp.split("; ") if part.startswith("img-src"))
    assert img == "img-src 'self' data:" + (f" {origin}" if origin else "")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    api = app.test_client().get("/api/v1/layers")
    assert "Content-Security-Policy" not in api.headers


def test_unknown_tile_provider_is_a_config_error(data_dir):
    from locator.values.errors import ConfigError

    with pytest.raises(ConfigError, match="TILES must be one of osm, amap, none"):
        create_app({"DATA_DIR": str(data_dir), "TILES": "google"})


def test_filters_are_checked_before_a_position_is_given(client):
    resp = client.get("/?layer=bogus", headers={"Accept": "text/html"})
    assert resp.status_code == 400 and "「layer」" in resp.get_data(as_text=True)
    assert client.get("/?amenity=sauna", headers={"Accept": "text/html"}).status_code == 400


def test_404_page_is_titled_not_found_in_both_languages(client):
    zh = client.get("/nope", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "<h2>找不到页面 (404)</h2>" in zh and "请求有误" not in zh
    assert "The requested URL" not in zh  # no framework boilerplate in English
    en = client.get("/nope?lang=en", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "<h2>Not found (404)</h2>" in en and 'href="/?lang=en"' in en


def test_the_banner_names_the_sample_layers_when_only_some_are(data_dir):
    from tests.conftest import facility, write_layer

    write_layer(data_dir, "book_rooms", [facility("b-1", 113.0726, 22.5761, source="sample")])
    app = create_app({"DATA_DIR": str(data_dir), "TESTING": True, "WATCH_DATA": False})
    html = app.test_client().get("/").get_data(as_text=True)
    banner = html.split('class="sample-banner"')[1].split("</p>")[0]
    assert "职工书屋" in banner and "爱心驿站" not in banner
