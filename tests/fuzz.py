"""Schemathesis over real HTTP against `locator serve`, started when the session begins.

The run takes minutes, most of them the server computing planner answers on one core.
When its test is selected, the run starts in the background as soon as the tests are
collected (conftest.py), on a server of its own, and goes on beside the rest of the suite
instead of after it; its test waits for it and asserts on its outcome as it would on a run
made there and then. Under pytest-xdist, or when started by nothing else, the test makes
the run itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

#: the test that asserts on the run (tests/web/test_openapi.py)
TEST_NAME = "test_schemathesis_finds_no_failure"
TIMEOUT_S = 1800


def command(base: str) -> list[str]:
    """Every check but one (see the test's docstring), with a fixed seed."""
    return [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{base}/api/v1/openapi.json",
        "--checks",
        "all",
        "--exclude-checks",
        "positive_data_acceptance",
        "--max-examples",
        "40",
        "--workers",
        "2",
        "--no-color",
        "--seed",
        os.environ.get("SCHEMATHESIS_SEED", "20240929"),
        # No clock that a busy machine trips: hypothesis has no deadline here (schemathesis
        # runs it with deadline=None), a request may take two minutes (the default is 10 s;
        # a planner request on a loaded machine has taken longer), and generating data
        # slowly is no failure of the API.
        "--request-timeout",
        "120",
        "--suppress-health-check",
        "too_slow",
    ]


class Run:
    """One schemathesis run against its own `locator serve`, in a thread (``make_command``
    gives another command run the same way, e.g. tests/web/test_ogc_conformance.py's)."""

    def __init__(self, make_command: Callable[[str], list[str]] | None = None) -> None:
        self._command = make_command or command
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._stopping = False
        self._outcome: tuple[int, str, str] | BaseException | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="schemathesis", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        from locator.values.paths import DEFAULT_DATA_DIR
        from locator.values.registry import HISTORY_DIR
        from tests.conftest import serve

        folder = tempfile.mkdtemp(prefix="locator-schemathesis-")  # its cache stays out
        try:
            # a copy of the bundled data: the reports it posts are stored beside the copy
            data = Path(folder) / "data"
            shutil.copytree(DEFAULT_DATA_DIR, data, ignore=shutil.ignore_patterns(HISTORY_DIR))
            with serve(data) as base:
                with self._lock:
                    if self._stopping:
                        raise RuntimeError("the session ended before schemathesis started")
                    self._proc = subprocess.Popen(
                        self._command(base),
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        text=True,
                        cwd=folder,
                    )
                try:
                    out, err = self._proc.communicate(timeout=TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    out, err = self._proc.communicate()
                    raise AssertionError(
                        f"schemathesis ran over {TIMEOUT_S} s:\n{out[-3000:]}"
                    ) from None
                self._outcome = (self._proc.returncode, out, err)
        except BaseException as exc:  # handed to the test, never lost in the thread
            self._outcome = exc
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def result(self) -> tuple[int, str, str]:
        """``(exit code, stdout, stderr)``, once the run is over (started now if need be)."""
        self.start()
        assert self._thread is not None
        self._thread.join()
        if isinstance(self._outcome, BaseException):
            raise self._outcome
        assert self._outcome is not None
        return self._outcome

    def stop(self) -> None:
        """End a run still going when the session ends (a failure with -x, Ctrl-C)."""
        with self._lock:
            self._stopping = True
            if self._proc is not None and self._proc.poll() is None:
                self._proc.kill()
        if self._thread is not None:
            self._thread.join(timeout=30)


RUN = Run()
