"""Serving with waitress, with limits that keep slow or idle clients from locking others out.

waitress's defaults let 100 connections that each send half a request hold every
connection slot for 120 s, renewable for ever, and accept 1 GiB bodies. Here:

- ``connection_limit`` 1,000 (waitress refuses new connections beyond it; ``poll()``
  instead of ``select()``, so more than 1,024 descriptors work);
- ``channel_timeout`` 10 s: a connection that sends nothing for that long is closed,
  checked every 2 s (``cleanup_interval``);
- ``max_request_header_size`` 64 KiB and ``max_request_body_size`` 12 MiB (the public API
  is read-only; the admin's register upload takes up to 10 MB, and every other upload
  path sets a lower limit of its own in the app).

A half-sent request occupies a connection slot, never a worker thread: waitress buffers a
request until it is complete before handing it to the app. With ``--workers N`` the same
holds: N waitress processes, forked from one supervisor, share one listening socket
(:func:`serve_prefork`), each with these limits (connection limit per process).

What waitress cannot do is bound how long a client may take to send its headers while it
keeps trickling bytes; a reverse proxy in front (nginx ``client_header_timeout``/
``client_body_timeout``, Caddy ``read_header`` timeouts) does, and also terminates TLS.
See the README.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("locator.server")


@dataclass(frozen=True)
class Limits:
    """Connection limits for waitress; times in seconds, sizes in bytes."""

    connection_limit: int = 1000
    channel_timeout_s: int = 10
    max_header_bytes: int = 64 * 1024
    max_body_bytes: int = 12 * 1024 * 1024

    def waitress_options(self) -> dict:
        return {
            "connection_limit": self.connection_limit,
            "channel_timeout": self.channel_timeout_s,
            "cleanup_interval": max(1, min(2, self.channel_timeout_s)),
            "max_request_header_size": self.max_header_bytes,
            "max_request_body_size": self.max_body_bytes,
            "asyncore_use_poll": True,
        }


class EveryFewSeconds(logging.Filter):
    """Let a noisy record through at most once per ``interval_s``, saying how many were
    held back and the largest figure among them (waitress logs "Task queue depth is N" for
    every request queued while all threads are busy: 100,000 lines in 90 s under load)."""

    def __init__(self, interval_s: float = 10.0):
        super().__init__()
        self.interval_s = interval_s
        self._last = -float("inf")
        self._held = 0
        self._peak = 0
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        figure = record.args[0] if isinstance(record.args, tuple) and record.args else 0
        with self._lock:
            self._peak = max(self._peak, figure if isinstance(figure, int) else 0)
            now = time.monotonic()
            if now - self._last < self.interval_s:
                self._held += 1
                return False
            held, peak = self._held, self._peak
            self._last, self._held, self._peak = now, 0, 0
        if held:
            record.msg = (
                f"{record.getMessage()} ({held} more such warnings in the last "
                f"{self.interval_s:.0f} s, deepest queue {peak})"
            )
            record.args = ()
        return True


def _waitress_options(threads: int, limits: Limits) -> dict:
    return {
        "threads": threads,
        "ident": "locator",
        # ProxyFix (LOCATOR_PROXY_COUNT > 0, from LOCATOR_TRUSTED_PROXIES only) decides
        # whom to trust, and without it werkzeug ignores these headers; waitress would
        # strip them first
        "clear_untrusted_proxy_headers": False,
        **limits.waitress_options(),
    }


def serve(app, host: str, port: int, threads: int, limits: Limits) -> None:
    """Run ``app`` under waitress until interrupted."""
    from waitress import serve as waitress_serve

    logging.getLogger("waitress.queue").addFilter(EveryFewSeconds())
    waitress_serve(app, host=host, port=port, **_waitress_options(threads, limits))


def serve_worker(
    app, socks: list[socket.socket], threads: int, limits: Limits, parent: int
) -> None:
    """A pre-forked worker: waitress on the shared listening ``sock`` until SIGTERM or the
    supervisor (pid ``parent``) is gone. Then it stops accepting and lets the requests it
    has finish (``GRACEFUL_S`` at most) before it returns."""
    from waitress import wasyncore
    from waitress.channel import HTTPChannel
    from waitress.server import BaseWSGIServer, MultiSocketServer, create_server

    logging.getLogger("waitress.queue").addFilter(EveryFewSeconds())
    server: Any = create_server(app, sockets=socks, **_waitress_options(threads, limits))
    server.print_listen("Serving on http://{}:{}")
    # one socket: the server is its listener; several: a MultiSocketServer over them
    smap = server.map if isinstance(server, MultiSocketServer) else server._map
    listeners = [d for d in list(smap.values()) if isinstance(d, BaseWSGIServer)]
    stop_at: list[float] = []
    signal.signal(signal.SIGTERM, lambda *_: stop_at.append(time.monotonic()))
    signal.signal(signal.SIGINT, lambda *_: stop_at.append(time.monotonic()))
    try:
        while True:
            if not stop_at and os.getppid() != parent:
                stop_at.append(time.monotonic())  # the supervisor died: do not linger
            if stop_at:
                for listener in listeners:
                    if listener.accepting:
                        # stop accepting: close this worker's copy of the socket (the others
                        # still accept), not the server's trigger, which its channels use
                        wasyncore.dispatcher.close(listener)
                busy = [
                    c
                    for c in list(smap.values())
                    if isinstance(c, HTTPChannel) and (c.requests or c.total_outbufs_len)
                ]
                if not busy or time.monotonic() - stop_at[0] > GRACEFUL_S:
                    break
            wasyncore.loop(timeout=0.2, map=smap, use_poll=True, count=1)
    finally:
        server.task_dispatcher.shutdown(timeout=1)


def prefork_available() -> bool:
    """Pre-forking needs ``os.fork`` (POSIX); elsewhere one waitress process serves."""
    return hasattr(os, "fork")


def listening_sockets(host: str, port: int, backlog: int = 1024) -> list[socket.socket]:
    """TCP sockets listening on ``host``:``port``: one per address the name resolves to
    (IPv4 and IPv6 alike, as waitress binds them in one process; "" is every address)."""
    infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    socks: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            socks.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:  # its own socket: do not also take the IPv4 port
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(backlog)
    except OSError:
        for sock in socks:
            sock.close()
        raise
    return socks


#: seconds a stopping worker may take to finish its requests before it is killed
GRACEFUL_S = 10.0
#: a worker that dies this soon after it started counts as a failed start
FAILED_START_S = 5.0
#: failed starts in a row after which the supervisor gives up (exit 1)
MAX_FAILED_STARTS = 5


def serve_prefork(
    make_app: Callable[[], object],
    host: str,
    port: int,
    workers: int,
    threads: int,
    limits: Limits,
) -> int:
    """Serve in ``workers`` waitress processes sharing one listening socket, until SIGTERM
    or SIGINT; the exit status (0, or 1 when workers keep failing to start).

    This process only supervises: it binds the socket, forks the workers, forwards SIGHUP
    to them (each reloads its data), starts a new worker when one dies, and on SIGTERM or
    SIGINT stops them (each stops accepting and has ``GRACEFUL_S`` to finish the requests
    it holds, then is killed). Each worker calls ``make_app()`` after the fork (which
    starts its own watcher thread; database pools are made per process), so nothing
    running is shared across a fork. waitress reads every request whole in its event loop
    before a thread gets it, so slow or half-sent requests hold connection slots, never
    threads.
    """
    socks = listening_sockets(host, port)
    parent = os.getpid()
    children: dict[int, tuple[int, float]] = {}  # pid -> (worker number, started at)
    stopping = False
    failed_starts = 0

    def spawn(number: int) -> None:
        pid = os.fork()
        if pid:
            children[pid] = (number, time.monotonic())
            return
        # the worker: its own signal handling, then its own app and server
        status = 0
        try:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGHUP, signal.SIG_IGN)  # make_app may handle it
            signal.signal(signal.SIGTERM, _exit_worker)  # until it serves
            app = make_app()
            log.info("worker %d of %d (pid %d) serving", number, workers, os.getpid())
            serve_worker(app, socks, threads, limits, parent)
        except (KeyboardInterrupt, SystemExit):
            pass
        except BaseException:
            log.exception("worker %d (pid %d) failed", number, os.getpid())
            status = 1
        finally:
            logging.shutdown()
            os._exit(status)

    def stop(signum, _frame) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            _signal(pid, signal.SIGTERM)

    def forward_hup(_signum, _frame) -> None:
        for pid in list(children):
            _signal(pid, signal.SIGHUP)

    previous = {
        sig: signal.signal(sig, handler)
        for sig, handler in (
            (signal.SIGTERM, stop),
            (signal.SIGINT, stop),
            (signal.SIGHUP, forward_hup),
        )
    }
    try:
        for number in range(1, workers + 1):
            spawn(number)
        deadline = None
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                if stopping:
                    deadline = deadline or time.monotonic() + GRACEFUL_S + 2
                    if time.monotonic() > deadline:
                        for left in list(children):
                            _signal(left, signal.SIGKILL)
                time.sleep(0.1)
                continue
            number, started = children.pop(pid)
            if stopping:
                continue
            code = os.waitstatus_to_exitcode(status)
            log.warning("worker %d (pid %d) ended (status %d); starting another", number, pid, code)
            failed_starts = failed_starts + 1 if time.monotonic() - started < FAILED_START_S else 0
            if failed_starts >= MAX_FAILED_STARTS:
                log.error("workers keep failing to start: stopping")
                stop(signal.SIGTERM, None)
                continue
            spawn(number)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for sock in socks:
            sock.close()
    return 1 if failed_starts >= MAX_FAILED_STARTS else 0


def _exit_worker(_signum, _frame) -> None:
    raise SystemExit(0)


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass
