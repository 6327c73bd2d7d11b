"""Shared fixtures: the app over the bundled data, and tiny data dirs in tmp_path."""

from __future__ import annotations

import json
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

from locator.values import registry
from locator.values.city import CITY_PROFILE_FILE
from locator.web import DEFAULT_DATA_DIR, create_app

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: the files of every collection that is not a facility layer (boundaries, towns, routes),
#: and the city profile they go with
REFERENCE_FILES = (
    *(c.file for c in registry.COLLECTIONS if not c.is_facility),
    CITY_PROFILE_FILE,
)


def pytest_collection_finish(session):
    """Start the schemathesis run (minutes, mostly on the server's core) and the OGC test
    suite's (tests/ogcsuite.py) as soon as the tests are known, so that they go on beside
    them (tests/fuzz.py). Not under pytest-xdist, where every worker collects every test:
    there the test runs it."""
    import os

    from tests import fuzz, ogcsuite

    if session.config.option.collectonly or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    for run in (fuzz, ogcsuite):
        if any(item.name == run.TEST_NAME for item in session.items):
            run.RUN.start()


def pytest_sessionfinish(session):
    from tests import fuzz, ogcsuite

    fuzz.RUN.stop()
    ogcsuite.RUN.stop()


@pytest.fixture(autouse=True, scope="session")
def _reference_collections_read_once():
    """Hundreds of tests build an app, a catalog or an import over a data directory whose
    reference collections (city, districts, towns, routes) are copies of the bundled ones,
    and reading and checking those takes most of a second each time. In this process a
    reference file is read and checked once per content: the cache is keyed by the file's
    bytes (a changed or broken file is read afresh, and its error raised as before), so a
    test sees exactly what a fresh read would give it. The city test built from the
    outline is made once per outline too. Only in tests; the product reads every time."""
    import hashlib

    from locator.stores.files import read

    original = getattr(read, "read_reference", None)
    if original is None:  # renamed: tests run as before, only slower
        yield
        return
    cache: dict[tuple[str, str], object] = {}

    def read_reference(data_dir, decl):
        try:
            data = (Path(data_dir) / decl.file).read_bytes()
        except OSError:
            return original(data_dir, decl)  # its own error
        # the declaration itself is part of the key: it carries the city's names
        key = (repr(decl), hashlib.sha256(data).hexdigest())
        if key not in cache:
            cache[key] = original(data_dir, decl)
        return cache[key]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(read, "read_reference", read_reference)
        city_test = getattr(read, "CityTest", None)
        if city_test is not None:
            mp.setattr(read, "CityTest", _city_test_once(city_test))
        yield


def _city_test_once(city_test: type) -> type:
    """``CityTest`` (the city outline buffered in the city's metric CRS: a twentieth of a
    second), made once per city outline and profile; still a ``CityTest`` to anything that
    checks."""
    import shapely

    made: dict[tuple[bytes, str], object] = {}

    class CityTestOnce(city_test):  # type: ignore[misc,valid-type]
        def __new__(cls, city_wgs84, profile):
            key = (shapely.to_wkb(city_wgs84), repr(profile))
            if key not in made:
                test = super().__new__(cls)
                city_test.__init__(test, city_wgs84, profile)
                made[key] = test
            return made[key]

        def __init__(self, city_wgs84, profile):
            pass  # made in __new__, once

    return CityTestOnce


# --------------------------------------------------------------------------- the two stores
#
# A module that sets ``STORES = BOTH_STORES`` (tests/both_stores.py) runs each test that uses
# ``app``, ``client`` or ``store`` once with the GeoJSON files and once with PostGIS;
# elsewhere the files alone. PostGIS is a throw-away cluster on 127.0.0.1 started once per
# session (tests/pgcluster.py), or LOCATOR_TEST_DATABASE_URL's server. Without PostgreSQL
# and PostGIS installed the PostGIS half fails, saying so: `make test` installs them.


def pytest_generate_tests(metafunc):
    if "store_kind" in metafunc.fixturenames:
        kinds = getattr(metafunc.module, "STORES", ("files",))
        metafunc.parametrize("store_kind", kinds, scope="session")


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server with PostGIS: ``(admin url, make_database)``."""
    import os

    from tests.both_stores import PgServer

    server = PgServer.start(os.environ.get("LOCATOR_TEST_DATABASE_URL"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def bundled_db(pg_server) -> str:
    """A database loaded with the bundled data directory (shared: never write to it)."""
    return pg_server.database("bundled", DEFAULT_DATA_DIR)


_APPS: dict[str, object] = {}


@pytest.fixture(scope="session")
def app(store_kind, request):
    if store_kind not in _APPS:
        config = {"TESTING": True, "DATA_DIR": str(DEFAULT_DATA_DIR), "WATCH_DATA": False}
        if store_kind == "postgis":
            config["DATABASE_URL"] = request.getfixturevalue("bundled_db")
        _APPS[store_kind] = create_app(config)
    return _APPS[store_kind]


@pytest.fixture(scope="session")
def truth():
    """The service over the in-memory catalog of the bundled data: the oracle a store's
    answers are checked against."""
    from locator.service import Service
    from locator.stores.files.store import load_catalog

    return Service(load_catalog(DEFAULT_DATA_DIR))


@pytest.fixture()
def store(app):
    """The app's service over its store (the in-memory catalog, or the PostGIS store)."""
    return app.extensions["locator.services"].current()


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def runner():
    from click.testing import CliRunner

    return CliRunner()


def facility(fid: str, lon: float, lat: float, **props) -> dict:
    """A valid facility in 蓬江区 白沙街道 unless ``props`` say otherwise."""
    base = {
        "id": fid,
        "name": f"测试 {fid}",
        "district_code": "440703",
        "town_code": "440703002",
        "source": "test",
        "opening_hours": "24/7",
        "amenities": ["drinking_water"],
    }
    base.update(props)
    return {
        "type": "Feature",
        "properties": base,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
    }


def write_layer(data_dir: Path, layer: str, features: list[dict]) -> Path:
    path = data_dir / f"{layer}.geojson"
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        encoding="utf-8",
    )
    return path


def reference_dir(path: Path) -> Path:
    """A data directory with the bundled reference collections and every facility layer
    present but empty."""
    for name in REFERENCE_FILES:
        shutil.copy(DEFAULT_DATA_DIR / name, path / name)
    for layer in registry.FACILITIES:
        write_layer(path, layer.id, [])
    return path


def small_data_dir(path: Path) -> Path:
    """The real reference layers plus one tiny, valid facility layer (the other layers
    present and empty), in ``path``."""
    reference_dir(path)
    write_layer(
        path,
        "love_stations",
        [
            facility("t-1", 113.0726, 22.5761),
            facility("t-2", 113.0800, 22.5800),
        ],
    )
    return path


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    """A :func:`small_data_dir` of the test's own."""
    return small_data_dir(tmp_path)


@pytest.fixture()
def ddir(tmp_path: Path) -> Path:
    """A data directory for imports: the real references and one sample love station
    (ls-0001), the other layers present and empty."""
    d = tmp_path / "data"
    d.mkdir()
    reference_dir(d)
    write_layer(
        d, "love_stations", [facility("ls-0001", 113.0726, 22.5761, source="sample", name="旧驿站")]
    )
    return d


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, proc, timeout_s: float = 30.0) -> None:
    import time
    import urllib.request

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise
            time.sleep(0.2)


def wait_until(probe, done, timeout_s: float = 30.0, every_s: float = 0.05):
    """Call ``probe()`` until ``done(value)`` holds and return that value; fail with the
    last value after ``timeout_s``. Tests wait on the effect they expect, never on a fixed
    sleep: the deadline only bounds a failure, so a busy machine is slower, not red."""
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still not done after {timeout_s} s: {value!r}"[:2000])
        time.sleep(every_s)


#: base URL -> process id of the servers `serve` runs (for tests that signal them)
SERVED_PIDS: dict[str, int] = {}


@contextmanager
def serve(
    data_dir: Path | None = None,
    tiles: str | None = None,
    log: Path | None = None,
    command: list[str] | None = None,
    cwd: Path | None = None,
    env_extra: dict[str, str] | None = None,
):
    """`locator serve` (waitress) on 127.0.0.1 in its own process; yields its base URL.

    A separate process, not a thread: GDAL holds the GIL while it waits for HTTP answers.
    ``log`` receives the server's standard error; ``command`` replaces the `locator`
    executable (e.g. one installed elsewhere), run in ``cwd``.
    """
    import os
    import subprocess
    import sys

    port = free_port()
    locator = str(Path(sys.executable).with_name("locator"))
    cmd = (command or [locator]) + ["serve", "--port", str(port)]
    if data_dir:
        cmd += ["--data-dir", str(data_dir)]
    env = dict(os.environ)
    env.pop("LOCATOR_DATA_DIR", None)
    if tiles:
        env["LOCATOR_TILES"] = tiles
    env.update(env_extra or {})
    err = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=cwd)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/api/v1/health", proc)
        SERVED_PIDS[base] = proc.pid
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if log:
            err.close()


@pytest.fixture(scope="session")
def live_server():
    with serve() as base:
        yield base


# --------------------------------------------------------------------------- street network


@pytest.fixture(scope="session")
def network_data_dir(tmp_path_factory) -> Path:
    """A copy of the bundled data directory with the Jiangmen TEST-FIXTURE street network
    (:mod:`tests.network_fixture`) as its ``network.npz``. Shared: never write to it."""
    import shutil

    from locator.values.registry import HISTORY_DIR
    from tests.network_fixture import write_fixture_network

    target = tmp_path_factory.mktemp("network") / "data"
    shutil.copytree(DEFAULT_DATA_DIR, target, ignore=shutil.ignore_patterns(HISTORY_DIR))
    write_fixture_network(target)
    return target


@pytest.fixture(scope="session")
def network_app(network_data_dir):
    """The app over :func:`network_data_dir` (the file store)."""
    return create_app({"TESTING": True, "DATA_DIR": str(network_data_dir), "WATCH_DATA": False})


@pytest.fixture()
def network_client(network_app):
    return network_app.test_client()
