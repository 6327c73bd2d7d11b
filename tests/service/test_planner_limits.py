"""What a planner request may cost: demand work bounded before it is done, no request
thread parked waiting for a planner slot (503 with Retry-After at once), computations
time-boxed, and few distinct answers (radii on a grid)."""

from __future__ import annotations

import io
import json
import os
import sys
import threading
import time

import pytest
import shapely

from locator.operations import coverage as coverage_module
from locator.operations.coverage import Demand, demand_tests, demand_weights
from locator.service import facade
from locator.service.answers import CoverageQuery
from locator.service.planner_request import RADII_M, snap_radius
from tests.helpers import assert_problem

#: a box around Jiangmen's land (WGS-84): a city-sized demand polygon
CITY_BOX = [[111.9, 21.5], [113.3, 21.5], [113.3, 22.9], [111.9, 22.9], [111.9, 21.5]]


def polygons_file(n: int, ring=CITY_BOX) -> bytes:
    feature = {
        "type": "Feature",
        "properties": {"weight": 1},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    return json.dumps({"type": "FeatureCollection", "features": [feature] * n}).encode()


def post(client, url: str, data: bytes, name: str = "d.geojson"):
    return client.post(
        url, data={"demand_file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def quickest(run, times: int = 3) -> float:
    best = float("inf")
    for _ in range(times):
        t = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t)
    return best


def test_a_costly_demand_file_is_refused_before_any_work(client):
    """300 city-sized polygons at 100 m cells: some 300 million point-in-polygon tests
    (a minute of CPU before the bound). Refused as 422 naming the file, in about the time
    an ordinary one-polygon upload takes to be answered (same run)."""
    hostile = polygons_file(300)
    resp = post(client, "/api/v1/coverage?cell_m=100", hostile)
    body = assert_problem(resp, 422, "demand_file")
    assert body["type"].endswith("/too-costly") and "cell_m" in body["detail"]
    assert "需求多边形" in body["detail"]  # Chinese first, English beside
    ordinary = polygons_file(1, [[113.0, 22.5], [113.1, 22.5], [113.1, 22.6], [113.0, 22.5]])
    assert post(client, "/api/v1/coverage?cell_m=1000", ordinary).status_code == 200
    refused = quickest(lambda: post(client, "/api/v1/coverage?cell_m=100", hostile))
    # a fresh file name each time: uploads are answered from the cache by content and name
    names = iter(range(10))
    answered = quickest(
        lambda: post(client, "/api/v1/coverage?cell_m=1000", ordinary, f"{next(names)}.geojson")
    )
    print(
        f"refused in {refused * 1000:.1f} ms, an ordinary upload answered in "
        f"{answered * 1000:.1f} ms"
    )
    assert refused < 3 * answered, (refused, answered)


def test_the_estimate_bounds_the_work_done():
    """demand_tests counts at least the cells demand_weights tests, and grows with the
    polygons and the fineness of the grid."""
    box = shapely.box(112.9, 22.4, 113.1, 22.6)
    demand = Demand("d", polygons=((box, 1.0),))
    within = (0.0, 0.0, 1e7, 1e8)
    small = demand_tests(demand, 1000, 32649, within)
    assert 400 <= small <= 700  # about 20 km x 22 km of 1 km cells, and the set-up
    assert 40_000 < demand_tests(demand, 100, 32649, within) < 50_000
    two = Demand("d", polygons=((box, 1.0), (box, 2.0)))
    assert demand_tests(two, 1000, 32649, within) == 2 * small
    assert demand_tests(demand, 1000, 32649, (0.0, 0.0, 1.0, 1.0)) == 64  # outside: set-up


def test_weights_of_many_polygons_keep_their_totals(store):
    """The vectorised placement: each polygon inside the city brings its whole weight."""
    grid = store.grid(1000)
    rings = [shapely.box(112.95 + i * 0.02, 22.45, 112.96 + i * 0.02, 22.46) for i in range(5)]
    tiny = shapely.box(113.0501, 22.5501, 113.0502, 22.5502)  # holds no cell centre
    demand = Demand("d", polygons=tuple((g, 10.0 * (i + 1)) for i, g in enumerate(rings)))
    demand = Demand("d", polygons=(*demand.polygons, (tiny, 7.0)))
    w = demand_weights(grid, demand)
    assert w.sum() == pytest.approx(150 + 7)
    assert (w > 0).sum() >= 6


@pytest.fixture()
def slots_full():
    """Both planner slots held, as by two long computations."""
    for _ in range(facade.PLANNER_WORKERS):
        assert facade._PLANNER_SLOTS.acquire(timeout=30)
    try:
        yield
    finally:
        for _ in range(facade.PLANNER_WORKERS):
            facade._PLANNER_SLOTS.release()


def in_thread(run, timeout: float = 5.0):
    """``run()`` on a thread, which must be done within ``timeout`` seconds."""
    out: list = []
    thread = threading.Thread(target=lambda: out.append(run()), daemon=True)
    thread.start()
    thread.join(timeout)
    assert out, f"still waiting after {timeout} s"
    return out[0]


def test_slots_full_is_503_with_retry_after(client, slots_full, monkeypatch):
    monkeypatch.setattr(facade, "SLOT_WAIT_S", 0.1)
    url = "/api/v1/coverage?layer=book_rooms&radius_m=4750&cell_m=1000&by=town"
    t = time.perf_counter()
    resp = in_thread(lambda: client.get(url))
    waited = time.perf_counter() - t
    body = assert_problem(resp, 503)
    assert body["type"].endswith("/planner-busy") and "规划" in body["detail"]
    assert "try again" in body["detail"]
    assert int(resp.headers["Retry-After"]) == body["retry_after_s"] > 0
    assert resp.headers["Cache-Control"] == "no-store"
    assert waited < facade.SLOT_WAIT_S + 2.0
    page_url = url.replace("/api/v1/coverage", "/planner")
    page = in_thread(lambda: client.get(page_url, headers={"Accept": "text/html"}))
    assert page.status_code == 503 and "Retry-After" in page.headers
    assert "规划计算繁忙" in page.get_data(as_text=True)


def test_no_wait_at_all_once_the_waiting_room_is_full(client, slots_full):
    """Beyond PLANNER_WAITERS waiting requests, the answer is 503 at once: as quick as a
    trivial request's order of magnitude, never SLOT_WAIT_S."""
    for _ in range(facade.PLANNER_WAITERS):
        assert facade._PLANNER_WAITING.acquire(timeout=5)
    try:
        url = "/api/v1/coverage?layer=book_rooms&radius_m=4500&cell_m=1000"
        resp = in_thread(lambda: client.get(url))
        assert_problem(resp, 503)
        busy = quickest(lambda: client.get(url))
        trivial = quickest(lambda: client.get("/api/v1/health"))
    finally:
        for _ in range(facade.PLANNER_WAITERS):
            facade._PLANNER_WAITING.release()
    assert busy < facade.SLOT_WAIT_S / 5 and busy < 50 * trivial + 0.02, (busy, trivial)


def test_a_computation_past_its_time_limit_is_stopped_and_not_worth_retrying(
    client, store, monkeypatch
):
    """Out of time is 422 naming cell_m (asked again it would run out again), not 503
    "busy"; asked again it is refused at once, without computing."""
    monkeypatch.setattr(facade, "TIME_LIMIT_S", 0.0)
    url = "/api/v1/coverage?layer=mothers_rooms&radius_m=3250&cell_m=1000&by=town"
    body = assert_problem(client.get(url), 422, "cell_m")
    assert "cell_m" in body["detail"]
    computed = []
    monkeypatch.setattr(facade, "_timed", lambda *a: computed.append(a) or (lambda *b: None))
    monkeypatch.setattr(facade, "TIME_LIMIT_S", 60.0)
    assert_problem(client.get(url), 422, "cell_m")
    assert computed == []  # refused from memory
    monkeypatch.setattr(facade, "REFUSAL_KEPT_S", 0.0)  # once forgotten, computed again
    store._refused.clear()
    assert client.get(url).status_code == 200 and computed


def test_distinct_radii_share_one_answer(client, store):
    """Radii near one another are answered once, for the grid radius, and say so."""
    before = len(store._answers)
    bodies = [
        client.get(f"/api/v1/coverage?layer=service_centers&radius_m={r}&cell_m=1000").get_json()
        for r in (2980, 3001, 3050, 3110)
    ]
    assert len(store._answers) == before + 1
    assert {b["radius_m"] for b in bodies} == {3000}
    assert [b.get("radius_requested_m") for b in bodies] == [2980, 3001, 3050, 3110]
    assert "3000" in bodies[0]["radius_note"] and "2980" in bodies[0]["radius_note"]
    exact = client.get("/api/v1/coverage?layer=service_centers&radius_m=3000&cell_m=1000")
    assert "radius_note" not in exact.get_json()
    # the page says it too, in the reader's language
    for lang, words in (("zh", "与所填 2,980 米最接近"), ("en", "nearest to the 2,980 m asked")):
        page = client.get(
            f"/planner?layer=service_centers&radius_m=2980&cell_m=1000&lang={lang}"
        ).get_data(as_text=True)
        assert words in page, lang
    page = client.get("/planner?layer=service_centers&radius_m=3000&cell_m=1000&lang=en")
    assert "radius-snapped" not in page.get_data(as_text=True)


def test_the_answer_cache_forgets_the_least_recently_used(client, store, monkeypatch):
    monkeypatch.setattr(facade, "ANSWER_CACHE", 2)
    for r in (600, 650, 700):
        client.get(f"/api/v1/coverage?layer=love_stations&radius_m={r}&cell_m=1000")
    assert len(store._answers) == 2
    assert [k[2] for k in store._answers] == [650.0, 700.0]


def test_the_radii_grid():
    assert len(RADII_M) == 50 and RADII_M[0] == 100 and RADII_M[-1] == 20_000
    assert [snap_radius(r) for r in (100, 124, 126, 1001, 1130, 4999, 5400, 19_999)] == [
        100,
        100,
        150,
        1000,
        1250,
        5000,
        5000,
        20_000,
    ]


@pytest.mark.skipif(sys.platform != "linux", reason="nice per thread is Linux's")
def test_computations_run_on_planner_threads_at_a_lower_priority(store, monkeypatch):
    """The request thread waits; the planner's own thread computes, niced, so that the
    scheduler gives a core to a nearest request first."""
    seen = []
    real = coverage_module.coverage_report

    def spy(*args, **kwargs):
        tid = threading.get_native_id()
        seen.append((threading.current_thread().name, os.getpriority(os.PRIO_PROCESS, tid)))
        return real(*args, **kwargs)

    monkeypatch.setattr(coverage_module, "coverage_report", spy)
    store.coverage(CoverageQuery(("book_rooms",), 1750, "town", cell_m=1000))
    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    [(name, nice)] = seen
    assert name.startswith("planner") and nice == min(19, mine + facade.PLANNER_NICE)


def test_the_same_question_in_flight_is_waited_for_past_the_slot_wait(store, monkeypatch):
    """A request whose question another request is computing waits for that answer
    (within the waiting room), even past SLOT_WAIT_S: it gets the answer, not a 503."""
    monkeypatch.setattr(facade, "SLOT_WAIT_S", 0.02)
    calls = []
    real = coverage_module.coverage_report

    def slow(*args, **kwargs):
        calls.append(1)
        time.sleep(0.3)
        return real(*args, **kwargs)

    monkeypatch.setattr(coverage_module, "coverage_report", slow)
    q = CoverageQuery(("mothers_rooms",), 2750, "town", cell_m=1000)
    out: list = []
    threads = [threading.Thread(target=lambda: out.append(store.coverage(q))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(calls) == 1 and len(out) == 3 and all(r is out[0] for r in out)
