"""A pytest plugin for the ogctests run (tests/web/test_ogc_conformance.py): its HTTP
client, asking item pages of 10 features where the request names no limit.

The suite validates every feature of the first page of every collection against the
standard's schemas, and fetches each of them once more: with this server's default page of
100 that is a thousand schema validations (20 s on the test machine). A page size is the
server's choice in the standard (/req/core/fc-limit-response), so no requirement depends
on it; a test that sends its own limit is left alone.
"""

from __future__ import annotations

import os

import httpx
import pytest

PAGE = 10


def _small_pages(request: httpx.Request) -> None:
    if request.url.path.endswith("/items") and "limit" not in request.url.params:
        request.url = request.url.copy_merge_params({"limit": str(PAGE)})


@pytest.fixture(scope="session")
def http_client():
    with httpx.Client(
        base_url=os.environ["INSTANCE_URL"], event_hooks={"request": [_small_pages]}
    ) as client:
        yield client
