"""The planner within a travel time, through the API, the page, the downloads and the
command: on the Jiangmen TEST-FIXTURE street network (tests/network_fixture.py) the
answer is measured along its streets and says so; on the bundled data (no network) it is
the straight-line estimate and says so; bad input is refused naming the parameter."""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pytest

from locator.operations.coverage import counted_facilities
from locator.operations.nearest import DETOUR_FACTOR, EBIKE_M_PER_MIN, WALK_M_PER_MIN
from locator.operations.network import ACCESS_M_PER_S
from locator.operations.travel_coverage import (
    network_cell_times,
    snap_cells,
    straight_cell_times,
)
from locator.values.geo.distance import to_metric
from tests.helpers import assert_problem
from tests.network_fixture import river_x_m
from tests.web.test_browser import (  # noqa: F401 (browser: the module's Chromium)
    browser,
    missing_glyphs,
    new_page,
    serious_axe_violations,
)

Q = "/api/v1/coverage?layer=love_stations&cell_m=1000&demand=area"
#: the partial network keeps the fixture's streets west of this longitude only
CUT_LON = 112.75


@pytest.fixture(scope="module")
def svc(network_app):
    services = network_app.extensions["locator.services"]
    return services.current()


def test_cell_times_equal_a_search_from_each_cell(svc, network_client):
    """Per cell: the least over the stations of (a search from the cell's node to the
    station's node + both access legs), for 120 cells; and the API's covered share is
    the share of the grid's cells within the time."""
    net, grid = svc.network, svc.grid(1000)
    counted, _ = counted_facilities(svc.store.snapshot().facilities(), ["love_stations"], None)
    times = network_cell_times(net, "ebike", grid, counted)
    cells = snap_cells(net, "ebike", grid)
    fx, fy = to_metric([f.lon for f in counted], [f.lat for f in counted], grid.epsg)
    fs = net.snap("ebike", fx, fy)
    f_access = fs.access_m / ACCESS_M_PER_S["ebike"]
    rng = np.random.default_rng(24)
    on = np.flatnonzero(cells.node >= 0)
    for i in rng.choice(on, 120, replace=False):
        d = net.times_from("ebike", int(cells.node[i]))
        expect = np.min(d[fs.node] + f_access) + cells.access_s[i]
        if np.isfinite(expect):
            assert times.seconds[i] == pytest.approx(expect, rel=1e-6)
        else:
            assert not np.isfinite(times.seconds[i])
    body = network_client.get(Q + "&minutes=10&travel=ebike").get_json()
    share = float((times.seconds <= 600).mean())
    assert body["city"]["covered_share"] == pytest.approx(share, abs=1e-4)
    # the fixture's islands lie off its main network: their cells are estimated
    off = ~np.isfinite(times.seconds) | times.estimated
    assert times.estimated.sum() > 0 and (times.estimated == times.off_network).all()
    assert body["reach"]["along"] == "mixed" and body["radius_m"] is None
    assert body["city"]["estimated_km2"] == pytest.approx(
        float(times.estimated.sum()) * grid.cell_km2, abs=1e-3
    )
    assert off.sum() < 0.05 * grid.size
    assert body["reach"]["network"]["fixture"] is True
    assert "OpenStreetMap" in body["reach"]["network"]["attribution"]
    unreachable = float((~np.isfinite(times.seconds)).sum()) * grid.cell_km2
    assert body["city"]["unreachable_km2"] == pytest.approx(unreachable, abs=1e-3)


def test_across_the_river_straight_line_says_covered_streets_say_not(svc, network_data_dir):
    """One station 300 m west of the fixture's river, halfway between its two bridges:
    the cells just across are within 10 e-bike minutes by the straight-line estimate,
    not along the streets (the way round is by a bridge kilometres away)."""
    from locator.values.models import Facility

    net, grid = svc.network, svc.grid(1000)
    river = river_x_m(network_data_dir)
    towns = svc.store.reference.towns.values()
    _, ty = to_metric([t.lon for t in towns], [t.lat for t in towns], grid.epsg)
    mid = float(np.mean(np.percentile(ty, [25, 75])))
    from locator.values.geo.distance import from_metric

    lon, lat = from_metric(river - 300.0, mid, grid.epsg)
    station = Facility("s", "love_stations", "s", float(lon), float(lat), "", "", "test", {})
    across = np.flatnonzero(
        (grid.x > river) & (grid.x < river + 1200) & (np.abs(grid.y - mid) < 800)
    )
    assert across.size
    along = network_cell_times(net, "ebike", grid, [station])
    dist = np.hypot(grid.x - (river - 300.0), grid.y - mid)
    straight = straight_cell_times(dist, "ebike")
    assert (straight.seconds[across] <= 600).all()
    assert (along.seconds[across] > 600).all()
    # the same bank, as close: along the streets within the time
    same = np.flatnonzero(
        (grid.x < river - 600) & (grid.x > river - 1800) & (np.abs(grid.y - mid) < 600)
    )
    assert same.size and (along.seconds[same] <= 600).all()


def test_without_a_network_the_estimate_is_used_and_labelled(client):
    body = client.get(Q + "&minutes=10&travel=ebike").get_json()
    reach = body["reach"]
    assert (
        reach["along"] == "straight_line_estimate"
        and reach["label"] == "直线估算 · straight-line estimate"
    )
    assert body["radius_m"] == pytest.approx(10 * EBIKE_M_PER_MIN / DETOUR_FACTOR)
    assert reach["network"] is None and "straight-line estimate" in reach["note"]
    sites = client.get(Q.replace("coverage", "coverage/suggest") + "&minutes=10&travel=ebike&n=1")
    assert sites.get_json()["along"] == "straight_line_estimate"
    walk = client.get(Q + "&minutes=13&travel=walk").get_json()
    assert walk["radius_m"] == pytest.approx(13 * WALK_M_PER_MIN / DETOUR_FACTOR)
    # a larger radius covers no less
    assert walk["city"]["covered_share"] <= body["city"]["covered_share"]
    page = client.get("/planner?layer=love_stations&cell_m=1000&minutes=10&travel=ebike")
    html = page.get_data(as_text=True)
    assert 'data-basis="straight"' in html and "直线估算" in html and "1,923 米" in html


def test_along_streets_everywhere_it_is_answered(network_client):
    q = Q + "&minutes=11.4&travel=walk"
    body = network_client.get(q).get_json()
    assert body["reach"]["minutes"] == 11 and body["minutes_requested"] == 11.4
    assert "11 min" in body["minutes_note"]
    rows = list(
        csv.reader(
            io.StringIO(
                network_client.get(q.replace("coverage", "coverage.csv"))
                .get_data(as_text=True)
                .lstrip("\ufeff")
            )
        )
    )
    assert rows[0][-4:] == [
        "平均时间(分钟) mean_minutes",
        "最长时间(分钟) max_minutes",
        "无法到达面积(平方公里) unreachable_km2",
        "直线估算面积(平方公里) estimated_km2",
    ]
    city = rows[-1]
    assert float(city[-4]) == pytest.approx(body["city"]["mean_minutes"])
    geo = network_client.get(q.replace("coverage", "coverage.geojson")).get_json()
    assert geo["reach"]["along"] == "mixed" and geo["features"][0]["properties"]["mean_minutes"] > 0
    sites = network_client.get(
        "/api/v1/coverage/suggest?layer=love_stations&cell_m=1000&minutes=10&travel=ebike&n=3&demand=area"
    ).get_json()
    assert len(sites["features"]) == 3 and sites["covered_after"] > sites["covered_before"]
    assert sites["along"] == "mixed" and sites["along_label"].startswith("沿道路")
    html = network_client.get(
        "/planner?layer=love_stations&cell_m=1000&minutes=10&travel=ebike&lang=en"
    ).get_data(as_text=True)
    assert 'data-basis="mixed"' in html and "Along streets" in html
    assert "test fixture" in html and "OpenStreetMap" in html
    summary = re.search(r'class="city-share"><strong>(.*?)</strong>', html).group(1)
    assert "10 min by e-bike (along streets, partly straight-line estimates)" in summary


def test_the_form_chooses_radius_or_time(network_client):
    form = {"layer": "love_stations", "cell_m": "1000", "radius_m": "1500", "minutes": "10"}
    by_time = network_client.post("/planner", data={**form, "reach": "time", "travel": "ebike"})
    by_radius = network_client.post("/planner", data={**form, "reach": "radius", "travel": "ebike"})
    assert by_time.status_code == by_radius.status_code == 200
    assert 'data-basis="mixed"' in by_time.get_data(as_text=True)
    radius_html = by_radius.get_data(as_text=True)
    assert 'class="note reach-basis"' not in radius_html
    share = re.search(r'class="city-share"><strong>(.*?)</strong>', radius_html).group(1)
    assert "1,500 米范围内" in share
    assert 'id="minutes"' in radius_html and 'value="time"' in radius_html  # no JS needed
    empty = network_client.post("/planner", data={"layer": "love_stations", "reach": "time"})
    assert empty.status_code == 400


@pytest.mark.parametrize(
    "query, param",
    [
        ("minutes=10&radius_m=1000", "minutes"),
        ("minutes=1", "minutes"),
        ("minutes=61", "minutes"),
        ("minutes=ten", "minutes"),
        ("minutes=10&travel=car", "travel"),
        ("travel=ebike", "travel"),
    ],
)
def test_bad_travel_questions_name_the_parameter(client, query, param):
    assert_problem(client.get("/api/v1/coverage?" + query), 400, param)


def test_the_travel_time_form_on_a_phone(browser, live_server):  # noqa: F811
    """On a 360x640 phone (zh), a planner picks "travel time", 10 minutes by e-bike, and
    submits (a real POST, no script needed): the answer says it is a straight-line
    estimate (the bundled data has no network), fits the width, and axe finds nothing
    serious."""
    ctx, page, rec, dialogs = new_page(browser, live_server)
    page.goto(live_server + "/planner")
    page.check("input[name=reach][value=time]")
    page.fill("input[name=minutes]", "10")
    page.select_option("select[name=travel]", "ebike")
    page.select_option("select[name=cell_m]", "1000")
    page.select_option("select[name=demand]", "area")
    page.fill("input[name=n]", "2")
    page.click("input[type=submit]")
    page.wait_for_load_state("load")
    summary = page.inner_text("#summary")
    assert "电动车 10 分钟（直线估算）" in summary and "1,923 米" in summary
    assert page.is_checked("input[name=reach][value=time]")
    assert page.locator("table.coverage thead th").count() == 12
    assert page.evaluate("document.documentElement.scrollWidth") <= 361
    assert serious_axe_violations(page) == [] and missing_glyphs(page) == []
    assert rec.foreign_hosts() == set() and not dialogs
    ctx.close()


def test_the_command_answers_along_streets_and_refuses_both(runner, network_data_dir, tmp_path):
    from locator.cli import cli

    args = ["coverage", "--data-dir", str(network_data_dir), "--cell-m", "1000"]
    args += ["--demand", "area"]
    done = runner.invoke(cli, [*args, "--minutes", "12", "--travel", "walk"])
    assert done.exit_code == 0, done.output
    assert "12 min walk (沿道路，部分为直线估算 · along streets, partly" in done.output
    assert "km² by straight-line estimate" in done.output
    out = tmp_path / "walk.csv"
    assert runner.invoke(cli, [*args, "--minutes", "12", "--out", str(out)]).exit_code == 0
    assert "mean_minutes" in out.read_text("utf-8-sig").splitlines()[0]
    html = tmp_path / "walk.html"
    assert runner.invoke(cli, [*args, "--minutes", "12", "--out", str(html)]).exit_code == 0
    assert "沿道路，部分为直线估算" in html.read_text("utf-8")
    both = runner.invoke(cli, [*args, "--minutes", "12", "--radius-m", "900"])
    assert both.exit_code != 0 and "--minutes and --radius-m" in both.output


def test_at_a_time_of_day_only_the_open_stations_count(svc, network_client):
    """At 03:00 only the love stations open then count, and the share is theirs."""
    import datetime as dt

    from locator.operations.hours import TZ

    at = dt.datetime(2026, 12, 7, 3, 0, tzinfo=TZ)
    night = network_client.get(
        Q + "&minutes=15&travel=ebike&at=2026-12-07T03:00:00%2B08:00"
    ).get_json()
    day = network_client.get(Q + "&minutes=15&travel=ebike").get_json()
    facilities = svc.store.snapshot().facilities()
    open_then, _ = counted_facilities(
        facilities, ["love_stations"], at, svc.store.reference.calendar
    )
    assert 0 < night["facilities_counted"] == len(open_then) < day["facilities_counted"]
    times = network_cell_times(svc.network, "ebike", svc.grid(1000), open_then)
    assert night["city"]["covered_share"] == pytest.approx(
        float((times.seconds <= 900).mean()), abs=1e-4
    )
    assert night["city"]["covered_share"] < day["city"]["covered_share"]


@pytest.fixture(scope="module")
def partial_client(svc, tmp_path_factory):
    """The app over a copy of the bundled data whose network is the fixture's cut to the
    streets west of :data:`CUT_LON` (an extract built with ``--allow-partial``)."""
    import dataclasses
    import shutil

    from locator.formats.network import network_to_bytes
    from locator.operations.network import NETWORK_FILE, StreetNetwork
    from locator.stores.files.read import write_bytes_atomic
    from locator.values.paths import DEFAULT_DATA_DIR
    from locator.values.registry import HISTORY_DIR
    from locator.web import create_app

    whole = svc.network
    west = whole.lon < CUT_LON
    edges = {}
    for mode, g in whole.graphs.items():
        tail = np.repeat(np.arange(whole.nodes), np.diff(g.indptr))
        ok = west[tail] & west[g.indices]
        edges[mode] = (tail[ok], g.indices[ok], g.length_m[ok], g.time_s[ok])
    info = dataclasses.replace(whole.info, city_covered=0.3)
    cut = StreetNetwork.from_edges(info, whole.lon, whole.lat, whole.x, whole.y, edges)
    target = tmp_path_factory.mktemp("partial") / "data"
    shutil.copytree(DEFAULT_DATA_DIR, target, ignore=shutil.ignore_patterns(HISTORY_DIR))
    write_bytes_atomic(target / NETWORK_FILE, network_to_bytes(cut))
    app = create_app({"TESTING": True, "DATA_DIR": str(target), "WATCH_DATA": False})
    return app.test_client()


def test_a_partial_network_answers_off_it_by_the_estimate(partial_client):
    """A network of the western half only: a district wholly east of it (Pengjiang) is
    answered by the straight-line estimate, exactly as without a network (not 0 %
    covered), and every form of the answer says which part is estimated."""
    from locator.operations.coverage import nearest_distances
    from locator.operations.travel_coverage import estimate_seconds

    q = Q + "&minutes=10&travel=ebike&by=district"
    body = partial_client.get(q).get_json()
    reach = body["reach"]
    assert reach["along"] == "mixed" and "部分为直线估算" in reach["label"]
    assert "partly straight-line estimates" in reach["note"]
    psvc = partial_client.application.extensions["locator.services"].current()
    grid = psvc.grid(1000)
    counted, _ = counted_facilities(psvc.store.snapshot().facilities(), ["love_stations"], None)
    # the answer without a network: every cell by the estimate
    straight = estimate_seconds(nearest_distances(grid, counted), "ebike") <= 600
    rows = {a["code"]: a for a in body["areas"]}
    i = next(k for k, a in enumerate(grid.districts) if a.code == "440703")  # Pengjiang
    pengjiang = rows["440703"]
    assert pengjiang["estimated_km2"] == pytest.approx(pengjiang["area_km2"])
    assert pengjiang["covered_share"] == pytest.approx(
        float(straight[grid.district == i].mean()), abs=1e-4
    )
    assert pengjiang["covered_share"] > 0.1
    city = body["city"]
    assert 0 < city["estimated_km2"] < city["area_km2"]
    assert city["estimated_km2"] == pytest.approx(reach["estimated_km2"])
    assert sum(a["estimated_km2"] for a in body["areas"]) == pytest.approx(
        city["estimated_km2"], abs=0.01
    )
    assert reach["facilities_off_network"] > 0 and city["unreachable_km2"] == 0
    # the downloads and the page say the same
    text = partial_client.get(q.replace("coverage", "coverage.csv")).get_data(as_text=True)
    table = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert table[0][-1] == "直线估算面积(平方公里) estimated_km2"
    assert float(table[-1][-1]) == pytest.approx(city["estimated_km2"])
    geo = partial_client.get(q.replace("coverage", "coverage.geojson")).get_json()
    assert geo["reach"]["along"] == "mixed"
    props = {f["id"]: f["properties"] for f in geo["features"]}
    assert props["440703"]["estimated_km2"] == pengjiang["estimated_km2"]
    html = partial_client.get(
        "/planner?layer=love_stations&cell_m=1000&minutes=10&travel=ebike&demand=area&n=2"
    ).get_data(as_text=True)
    assert 'data-basis="mixed"' in html and 'class="note reach-estimated"' in html
    assert "部分为直线估算" in html
    # suggestions reach the part off the network by the estimate, and say so
    sites = partial_client.get(
        q.replace("coverage", "coverage/suggest").replace("&by=district", "") + "&n=3"
    ).get_json()
    assert sites["along"] == "mixed" and "partly straight-line" in sites["along_label"]
    assert len(sites["features"]) == 3 and sites["covered_after"] > sites["covered_before"]
