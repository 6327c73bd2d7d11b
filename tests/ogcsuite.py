"""The OGC API - Features Part 1 abstract test suite (PyPI ``ogctests``, ``features/core``)
against `locator serve`, started when the session begins and run beside the other tests
like the schemathesis run (tests/fuzz.py); tests/web/test_ogc_conformance.py asserts on
its outcome.

Most of its time is the suite's own client validating every returned geometry (the city's
and districts' boundaries, vertex by vertex) against the standard's schemas.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tests import fuzz

#: the test that asserts on the run
TEST_NAME = "test_ogctests_features_core_passes"
REPO = Path(__file__).resolve().parents[1]


def suite_dir() -> Path:
    import ogctests

    return Path(ogctests.__file__).parent / "features" / "core"


def command(base: str) -> list[str]:
    """pytest on the suite, its HTTP client from tests/web/ogctests_client.py, the suite's
    warnings (a parameter missing from the API definition) as failures, every outcome
    listed (``-rA``)."""
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    env = [
        "env",
        *(f"-u{v}" for v in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY")),
        f"PYTHONPATH={path}",
        f"INSTANCE_URL={base}/ogc",
        "CLIENT_OVERRIDDEN=True",
        "NO_PROXY=127.0.0.1,localhost",
    ]
    return env + [
        sys.executable,
        "-m",
        "pytest",
        str(suite_dir()),
        "--rootdir",
        ".",
        "-c",
        os.devnull,
        "-p",
        "no:cacheprovider",
        "-p",
        "tests.web.ogctests_client",
        "-W",
        "error::UserWarning",
        "-q",
        "-rA",
        "--color=no",
    ]


RUN = fuzz.Run(command)
