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
request until it is complete before handing it to the app. What waitress cannot do is
bound how long a client may take to send its headers while it keeps trickling bytes; a
reverse proxy in front (nginx ``client_header_timeout``/``client_body_timeout``, Caddy
``read_header`` timeouts) does, and also terminates TLS. See the README.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

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


def serve(app, host: str, port: int, threads: int, limits: Limits) -> None:
    """Run ``app`` under waitress until interrupted."""
    from waitress import serve as waitress_serve

    logging.getLogger("waitress.queue").addFilter(EveryFewSeconds())
    waitress_serve(
        app,
        host=host,
        port=port,
        threads=threads,
        ident="locator",
        # ProxyFix (LOCATOR_PROXY_COUNT > 0) decides whom to trust, and without
        # it werkzeug ignores these headers; waitress would strip them first
        clear_untrusted_proxy_headers=False,
        **limits.waitress_options(),
    )


def gunicorn_available() -> bool:
    """gunicorn runs on POSIX systems only (it forks)."""
    import importlib.util
    import os

    return os.name == "posix" and importlib.util.find_spec("gunicorn") is not None


def serve_gunicorn(
    make_app, host: str, port: int, workers: int, threads: int, limits: Limits
) -> None:
    """Run ``make_app()`` in ``workers`` gunicorn processes (threaded workers) until
    interrupted. Each worker builds its own app after the fork: its own data, its own
    watcher thread and database connections, none shared across a fork."""
    from gunicorn.app.base import BaseApplication

    class App(BaseApplication):
        def load_config(self) -> None:
            options = {
                "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "worker_connections": limits.connection_limit,
                "keepalive": min(limits.channel_timeout_s, 5),
                "timeout": 120,
                "graceful_timeout": 10,
                "limit_request_field_size": min(limits.max_header_bytes, 8190),
                "preload_app": False,
                "proc_name": "locator",
                "accesslog": None,
                "errorlog": "-",
                "loglevel": "info",
                # gunicorn 24+ opens a control socket in the home folder by default: one
                # path for every instance on the machine, so two would collide
                "control_socket_disable": True,
            }
            for key, value in options.items():
                if key in self.cfg.settings:  # older gunicorns lack some settings
                    self.cfg.set(key, value)

        def load(self):
            return make_app()

    App().run()
