"""The report service over the SQLite store, without HTTP: the daily client key, the
daily limit and its Retry-After, the secret made once under a race, and a data directory
whose fingerprint (what the data watcher looks at) the reports never change."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from pathlib import Path

import pytest

from locator.service import Services
from locator.service.reports import Reports
from locator.stores.files.holder import CatalogHolder
from locator.stores.files.reports import SECRET_FILE, SqliteReports, read_or_make_secret
from locator.values.reports import RateLimited

NOON = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)


@pytest.fixture()
def holder(data_dir: Path) -> CatalogHolder:
    return CatalogHolder(data_dir)


def _reports(holder: CatalogHolder, **limits) -> Reports:
    store = SqliteReports(holder.data_dir / "history" / "reports.sqlite")
    return Reports(store, Services(holder), **limits)


def _confirm() -> dict:
    return {"kind": "confirm", "client_id": str(uuid.uuid4()), "facility_id": "t-1"}


def test_the_daily_limit_lasts_to_utc_midnight_and_the_key_changes_with_the_day(holder):
    reports = _reports(holder, per_minute=0, per_day=2)
    for minutes in (0, 5):
        reports.submit(_confirm(), "203.0.113.5", NOON + dt.timedelta(minutes=minutes))
    with pytest.raises(RateLimited) as refused:
        reports.submit(_confirm(), "203.0.113.5", NOON + dt.timedelta(minutes=10))
    assert refused.value.retry_after_s == 11 * 3600 + 50 * 60 + 1  # to midnight UTC
    assert reports.store.count() == 2  # the refused one wrote nothing
    tomorrow = NOON + dt.timedelta(days=1)
    report, created = reports.submit(_confirm(), "203.0.113.5", tomorrow)
    assert created and report.client_key != reports.client_key("203.0.113.5", NOON)
    assert reports.client_key("203.0.113.5", NOON) == reports.client_key(
        "203.0.113.5", NOON + dt.timedelta(hours=11)
    )
    assert reports.client_key("203.0.113.6", NOON) != reports.client_key("203.0.113.5", NOON)


def test_the_minute_limit(holder):
    reports = _reports(holder, per_minute=3, per_day=0)
    for second in range(3):
        reports.submit(_confirm(), "203.0.113.7", NOON + dt.timedelta(seconds=second))
    with pytest.raises(RateLimited) as refused:
        reports.submit(_confirm(), "203.0.113.7", NOON + dt.timedelta(seconds=30))
    assert refused.value.retry_after_s == 60
    assert reports.submit(_confirm(), "203.0.113.7", NOON + dt.timedelta(seconds=61))[1]


def test_the_secret_is_made_once_when_many_race_for_it(tmp_path):
    path = tmp_path / "history" / SECRET_FILE
    got: list[bytes] = []
    start = threading.Barrier(16)

    def make():
        start.wait()
        got.append(read_or_make_secret(path))

    threads = [threading.Thread(target=make) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 16 and len(set(got)) == 1 and len(got[0]) == 32
    assert [p.name for p in path.parent.iterdir()] == [SECRET_FILE]  # nothing left aside


def test_reports_never_change_what_the_data_watcher_sees(holder):
    before = holder.fingerprint()
    reports = _reports(holder)
    reports.submit(_confirm(), "203.0.113.8", NOON)
    assert reports.store.count() == 1
    assert holder.fingerprint() == before
