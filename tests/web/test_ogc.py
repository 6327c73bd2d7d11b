"""OGC API - Features, read by clients nobody here wrote: GDAL (OAPIF via pyogrio) and OWSLib."""

import pyogrio
import pytest
from owslib.ogcapi.features import Features

from tests.both_stores import BOTH_STORES

STORES = BOTH_STORES  # every test here runs on the files and on PostGIS

LAYERS = {"love_stations": 133, "mothers_rooms": 234, "service_centers": 73, "book_rooms": 706}
#: collection -> (features, GDAL geometry type)
COLLECTIONS = {
    **{k: (v, "Point") for k, v in LAYERS.items()},
    "city": (1, "MultiPolygon"),
    "districts": (7, "MultiPolygon"),
    "towns": (73, "MultiPolygon"),
    "town_seats": (73, "Point"),
    "rural_routes": (12, "LineString"),
}


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    # the server is on loopback: never route it through a proxy from the environment
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)


def test_gdal_lists_collections_and_reads_every_feature(live_server):
    url = f"OAPIF:{live_server}/ogc"
    names = [name for name, _ in pyogrio.list_layers(url)]
    assert sorted(names) == sorted(COLLECTIONS)
    for layer, (count, kind) in COLLECTIONS.items():
        df = pyogrio.read_dataframe(url, layer=layer)
        assert len(df) == count, layer  # GDAL pages through the `next` links
        key = "id" if layer in LAYERS or layer == "rural_routes" else "code"
        assert df[key].is_unique
        assert set(df.geometry.geom_type) <= {kind, kind.removeprefix("Multi")}, layer
        assert df.geometry.is_valid.all(), layer
        b = df.total_bounds
        assert 111.9 < b[0] and b[2] < 113.4 and 21.4 < b[1] and b[3] < 23.0


def test_gdal_bbox_filter(live_server):
    url = f"OAPIF:{live_server}/ogc"
    df = pyogrio.read_dataframe(url, layer="book_rooms", bbox=(113.0, 22.5, 113.1, 22.6))
    assert 0 < len(df) < 706
    xs, ys = df.geometry.x, df.geometry.y
    assert ((xs >= 113.0) & (xs <= 113.1) & (ys >= 22.5) & (ys <= 22.6)).all()


def test_owslib_reads_collections_and_items(live_server):
    api = Features(f"{live_server}/ogc")
    assert any("conf/geojson" in c for c in api.conformance()["conformsTo"])
    ids = [c["id"] for c in api.collections()["collections"]]
    assert sorted(ids) == sorted(COLLECTIONS)
    for layer, (count, _) in COLLECTIONS.items():
        got, offset = [], 0
        while True:
            page = api.collection_items(layer, limit=250, offset=offset)
            got += page["features"]
            if not any(link["rel"] == "next" for link in page["links"]):
                break
            offset += 250
        assert len(got) == count == page["numberMatched"]
        one = api.collection_item(layer, got[0]["id"])
        assert one["id"] == got[0]["id"]


def test_items_paging_links(client):
    body = client.get("/ogc/collections/love_stations/items?limit=50&offset=100").get_json()
    assert body["numberMatched"] == 133 and body["numberReturned"] == 33
    rels = {link["rel"]: link["href"] for link in body["links"]}
    assert "next" not in rels and rels["prev"].endswith("limit=50&offset=50")
    first = client.get("/ogc/collections/love_stations/items?limit=50").get_json()
    assert {link["rel"] for link in first["links"]} >= {"self", "next", "collection"}


def test_item_in_wrong_collection_is_404(client):
    assert client.get("/ogc/collections/book_rooms/items/ls-0001").status_code == 404
    resp = client.get("/ogc/collections/nope/items")
    assert resp.status_code == 404 and resp.get_json()["param"] == "collectionId"


def test_unsupported_format(client):
    resp = client.get("/ogc/collections?f=xml")
    assert resp.status_code == 400 and resp.get_json()["param"] == "f"


def test_a_limit_above_the_maximum_is_served_as_the_maximum(client):
    """OGC API - Features: a larger limit is not an error; the server uses its maximum."""
    body = client.get("/ogc/collections/book_rooms/items?limit=50000").get_json()
    assert body["numberReturned"] == 706
    nxt = client.get("/ogc/collections/towns/items?limit=99999999999").get_json()
    assert nxt["numberReturned"] == 73
    assert client.get("/ogc/collections/towns/items?limit=0").status_code == 400


def test_collections_say_which_file_they_are(client):
    body = client.get("/ogc/collections/towns").get_json()
    assert "town_areas.geojson" in body["description"] and "approximate" in body["description"]
