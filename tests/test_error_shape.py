"""The one JSON error body (RFC 9457 problem+json), pinned."""


def test_problem_json_shape(client):
    resp = client.get("/api/v1/nearest?lon=113&lat=22&k=99")
    assert resp.status_code == 400
    assert resp.headers["Content-Type"] == "application/problem+json"
    assert resp.get_json() == {
        "type": "https://locator.invalid/problems/invalid-parameter",
        "title": "Bad Request",
        "status": 400,
        "detail": "k must be an integer from 1 to 50, got 99",
        "param": "k",
    }


def test_unexpected_errors_hide_the_traceback(app, monkeypatch):
    from locator.catalog import Catalog

    def boom(self, *args):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(Catalog, "nearest", boom)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    resp = app.test_client().get("/api/v1/nearest?lon=113&lat=22")
    assert resp.status_code == 500
    assert resp.get_json() == {"type": "https://locator.invalid/problems/internal-error",
                               "title": "Internal Server Error", "status": 500,
                               "detail": "internal server error"}
    assert b"secret" not in resp.data and b"Traceback" not in resp.data
