"""`locator serve` under slow and idle clients (127.0.0.1 only, bounded in count and time)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from locator.cli.server import EveryFewSeconds, Limits
from tests.conftest import SERVED_PIDS, serve

HALF_REQUEST = b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "


def open_half_requests(base: str, n: int) -> list[socket.socket]:
    url = urlparse(base)
    socks = []
    for _ in range(n):
        s = socket.create_connection((url.hostname, url.port), timeout=5)
        s.sendall(HALF_REQUEST)
        socks.append(s)
    return socks


def test_150_half_sent_requests_do_not_lock_out_a_normal_one():
    with serve() as base:
        socks = open_half_requests(base, 150)
        try:
            time.sleep(0.5)  # let the server take them all in
            start = time.monotonic()
            with urllib.request.urlopen(
                base + "/api/v1/nearest?lon=113.08&lat=22.58", timeout=5
            ) as resp:
                assert resp.status == 200
            took = time.monotonic() - start
        finally:
            for s in socks:
                s.close()
    assert took < 1.0, f"a normal request took {took:.2f} s"


def test_idle_connections_are_closed_after_the_idle_timeout():
    with serve(env_extra={"LOCATOR_IDLE_TIMEOUT": "2"}) as base:
        (sock,) = open_half_requests(base, 1)
        try:
            sock.settimeout(8)
            start = time.monotonic()
            assert sock.recv(1024) == b""  # closed by the server, nothing answered
            assert time.monotonic() - start < 6
        finally:
            sock.close()


def test_large_bodies_are_refused():
    with serve(env_extra={"LOCATOR_MAX_BODY_MB": "0.01"}) as base:
        req = urllib.request.Request(base + "/api/v1/health", data=b"x" * 20_000, method="POST")
        try:
            urllib.request.urlopen(req, timeout=5)
            raise AssertionError("a 20 kB body was accepted")
        except urllib.error.HTTPError as exc:
            assert exc.code == 413


def test_limits_reach_waitress():
    opts = Limits(500, 7, max_body_bytes=1234).waitress_options()
    assert opts["connection_limit"] == 500 and opts["channel_timeout"] == 7
    assert opts["max_request_body_size"] == 1234 and opts["asyncore_use_poll"] is True


def test_queue_depth_warnings_are_rate_limited():
    logger = logging.getLogger("test.queue")
    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            seen.append(record.getMessage())

    handler = Collect()
    logger.addHandler(handler)
    logger.addFilter(EveryFewSeconds(interval_s=60))
    logger.propagate = False
    try:
        for depth in range(1, 1001):
            logger.warning("Task queue depth is %d", depth)
    finally:
        logger.removeHandler(handler)
    assert seen == ["Task queue depth is 1"]
    f = logger.filters[0]
    f._last -= 61  # a minute later
    logger.addHandler(handler)
    try:
        logger.warning("Task queue depth is %d", 3)
    finally:
        logger.removeHandler(handler)
    assert seen[1] == (
        "Task queue depth is 3 (999 more such warnings in the last 60 s, deepest queue 1000)"
    )


def test_with_workers_300_half_sent_requests_do_not_lock_out_a_normal_one_and_are_closed():
    """`--workers 2`: half-sent requests hold connection slots, never threads (16 of them
    here), and the idle ones are closed after the idle timeout."""
    env = {"LOCATOR_WORKERS": "2", "LOCATOR_IDLE_TIMEOUT": "1"}
    with serve(env_extra=env) as base:
        socks = open_half_requests(base, 300)
        try:
            time.sleep(0.1)  # let the workers take them in
            start = time.monotonic()
            for _ in range(4):  # answered by either worker
                with urllib.request.urlopen(
                    base + "/api/v1/nearest?lon=113.08&lat=22.58", timeout=5
                ) as resp:
                    assert resp.status == 200
            took = (time.monotonic() - start) / 4
            assert took < 1.0, f"a normal request took {took:.2f} s"
            deadline = time.monotonic() + 6
            for sock in socks:  # each closed by the server, nothing answered
                sock.settimeout(max(0.1, deadline - time.monotonic()))
                assert sock.recv(1024) == b""
        finally:
            for s in socks:
                s.close()
        # a worker that dies is replaced, and the others answer meanwhile
        supervisor = SERVED_PIDS[base]
        first = _children(supervisor)
        assert len(first) == 2
        os.kill(first[0], signal.SIGKILL)
        for _ in range(100):
            with urllib.request.urlopen(base + "/api/v1/health", timeout=5) as resp:
                assert resp.status == 200
            now = _children(supervisor)
            if len(now) == 2 and first[0] not in now:
                break
            time.sleep(0.05)
        else:
            raise AssertionError(f"no worker replaced the one killed: {now}")


def _children(pid: int) -> list[int]:
    """The processes ``pid`` started (Linux: /proc)."""
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text(encoding="ascii")
    return [int(p) for p in text.split()]


def test_workers_listen_on_every_address_the_host_names():
    """`--workers N` binds each address the host resolves to, as waitress does in one
    process (here "": every IPv4 and IPv6 address), not only the first."""
    from locator.cli.server import listening_sockets
    from tests.conftest import free_port

    port = free_port()
    wanted = {
        info[0]
        for info in socket.getaddrinfo(None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    }
    socks = listening_sockets("", port)
    try:
        assert {s.family for s in socks} == wanted and len(socks) == len(wanted)
        for family, loopback in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            if family in wanted:
                with socket.create_connection((loopback, port), timeout=2):
                    pass
    finally:
        for s in socks:
            s.close()
