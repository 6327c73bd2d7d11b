"""The staging protocol (uploads waiting for an admin's confirmation), on both stores:
what is put is got back, a take succeeds once, old uploads expire."""

from __future__ import annotations

import threading
import time

import pytest

from locator.stores.files.staging import FileStaging
from locator.stores.staging import Staging

META = {"filename": "名单.csv", "layer": "love_stations", "coord": None, "sheet": None}
DATA = b"\xef\xbb\xbfname,lon,lat\n\xe9\xa9\xbf\xe7\xab\x99,113.07,22.57\n"


@pytest.fixture(params=["files", "postgis"])
def staging(request, tmp_path):
    if request.param == "files":
        yield FileStaging(tmp_path / "history" / ".staged")
        return
    from locator.stores.postgis.db import Database
    from locator.stores.postgis.staging import PgStaging

    db = Database(request.getfixturevalue("pg_server").database("staging"))
    try:
        yield PgStaging(db)
    finally:
        db.close()


def test_put_then_get_gives_the_upload_back_and_keeps_it(staging: Staging):
    token = staging.put(DATA, META, 3600)
    assert staging.get(token, 3600) == (DATA, META)
    assert staging.get(token, 3600) == (DATA, META)  # a re-check does not use it up
    other = staging.put(b"second", {"n": 2}, 3600)
    assert other != token and staging.get(other, 3600) == (b"second", {"n": 2})


def test_take_succeeds_once(staging: Staging):
    token = staging.put(DATA, META, 3600)
    assert staging.take(token, 3600) == (DATA, META)
    assert staging.take(token, 3600) is None
    assert staging.get(token, 3600) is None


def test_of_simultaneous_takes_one_gets_the_upload(staging: Staging):
    token = staging.put(DATA, META, 3600)
    got: list[object] = []
    start = threading.Barrier(6)

    def take() -> None:
        start.wait()
        got.append(staging.take(token, 3600))

    threads = [threading.Thread(target=take) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got.count((DATA, META)) == 1 and got.count(None) == 5


def test_an_upload_older_than_the_ttl_is_gone(staging: Staging):
    token = staging.put(DATA, META, 3600)
    time.sleep(0.2)
    assert staging.get(token, 0.05) is None
    assert staging.take(token, 0.05) is None
    fresh = staging.put(b"new", {}, 3600)
    assert staging.get(fresh, 0.05) == (b"new", {})


def test_putting_forgets_the_expired_uploads(staging: Staging):
    old = staging.put(DATA, META, 3600)
    time.sleep(0.2)
    new = staging.put(b"new", {}, 0.05)
    assert staging.get(old, 3600) is None  # removed, not only hidden
    assert staging.get(new, 3600) == (b"new", {})


def test_drop_forgets_one_upload(staging: Staging):
    one, two = staging.put(b"1", {}, 3600), staging.put(b"2", {}, 3600)
    staging.drop(one)
    staging.drop(one)  # again: nothing to do
    assert staging.get(one, 3600) is None
    assert staging.get(two, 3600) == (b"2", {})


@pytest.mark.parametrize("token", ["", "short", "../../geodata/love_stations", "a" * 65, "a b" * 8])
def test_a_malformed_token_finds_nothing(staging: Staging, token):
    staging.put(DATA, META, 3600)
    assert staging.get(token, 3600) is None
    assert staging.take(token, 3600) is None
    staging.drop(token)
