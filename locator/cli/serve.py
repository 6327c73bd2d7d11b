"""``locator serve`` (the server itself: :mod:`locator.cli.server`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from locator.cli.options import DATA_DIR_OPTION, DATABASE_OPTION, fail
from locator.values.errors import LocatorError


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, envvar="LOCATOR_HOST")
@click.option(
    "--port", default=5000, show_default=True, type=click.IntRange(1, 65535), envvar="LOCATOR_PORT"
)
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--connection-limit",
    default=1000,
    show_default=True,
    type=click.IntRange(10, 100_000),
    envvar="LOCATOR_CONNECTION_LIMIT",
    help="Open connections at most (env LOCATOR_CONNECTION_LIMIT).",
)
@click.option(
    "--idle-timeout",
    default=10,
    show_default=True,
    type=click.IntRange(1, 3600),
    envvar="LOCATOR_IDLE_TIMEOUT",
    help="Seconds a connection may send nothing before it is closed (env LOCATOR_IDLE_TIMEOUT).",
)
@click.option(
    "--max-body-mb",
    default=12.0,
    show_default=True,
    type=click.FloatRange(0.01, 1024),
    envvar="LOCATOR_MAX_BODY_MB",
    help="Largest request body in MiB (env LOCATOR_MAX_BODY_MB).",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    envvar="LOCATOR_WORKERS",
    help="Worker processes (waitress in each, sharing one socket; POSIX) (env LOCATOR_WORKERS).",
)
@DATA_DIR_OPTION
@DATABASE_OPTION
def serve(
    host: str,
    port: int,
    threads: int,
    connection_limit: int,
    idle_timeout: int,
    max_body_mb: float,
    workers: int,
    data_dir: Path | None,
    database_url: str | None,
) -> None:
    """Serve the app: waitress in one process, or in N pre-forked processes with --workers N.

    The data is watched: changed files (or a new version in the database) are loaded,
    validated and swapped in within seconds, in every worker (a broken version is refused
    and logged); SIGHUP reloads at once.
    """
    import logging
    import signal

    from locator.cli.server import Limits
    from locator.cli.server import serve as run_server
    from locator.web import create_app

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    config: dict[str, Any] = {}
    if data_dir:
        config["DATA_DIR"] = str(data_dir)
    if database_url:
        config["DATABASE_URL"] = database_url
    config["DATABASE_POOL"] = max(8, threads)  # a connection per serving thread
    limits = Limits(connection_limit, idle_timeout, max_body_bytes=int(max_body_mb * 2**20))
    try:
        app = create_app(config)  # checked here, once, before any worker starts
    except LocatorError as exc:
        fail(exc)
    where = (
        f"the database {app.extensions['locator'].db!r}"
        if app.config.get("DATABASE_URL")
        else app.config["DATA_DIR"]
    )
    click.echo(
        f"locator: serving {where} (version "
        f"{app.extensions['locator'].catalog.version}) on http://{host}:{port}/"
        + (f" with {workers} workers" if workers > 1 else "")
    )
    proxies = int(app.config.get("PROXY_COUNT") or 0)
    for warning in (
        exposure_warning(host, proxies),
        trust_warning(host, proxies, app.config.get("TRUSTED_PROXIES")),
    ):
        if warning:
            click.echo(warning, err=True)
    if workers > 1:
        from locator.cli.server import prefork_available, serve_prefork

        if prefork_available():
            # the checked app is forked into each worker: end its thread and its
            # connections first, so that no child inherits a lock or a socket of them
            watcher = app.extensions.get("locator_watcher")
            if watcher is not None:
                watcher.stop(wait_s=10)
            db = getattr(app.extensions["locator"], "db", None)
            if db is not None:
                db.close()

            def worker_app():
                # in each worker, after the fork: the checked app, brought up to date
                # (a worker started again later may find newer data), with a watcher
                # thread of its own; its database pool is made on first use, here
                _catch_up(app)
                if watcher is not None:
                    from locator.stores.watch import DataWatcher

                    app.extensions["locator_watcher"] = DataWatcher(
                        app.extensions["locator"], float(app.config["WATCH_INTERVAL_S"])
                    ).start()
                if hasattr(signal, "SIGHUP"):
                    signal.signal(signal.SIGHUP, lambda *_: _reload_now(app))
                return app

            try:
                status = serve_prefork(worker_app, host, port, workers, threads, limits)
            except OSError as exc:  # the address is taken, or not ours
                fail(LocatorError(f"--host/--port: cannot listen on {host}:{port}: {exc}"))
            if status:
                raise SystemExit(status)
            return
        click.echo("locator: this system cannot fork; serving one process (waitress)", err=True)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, lambda *_: _reload_now(app))
    run_server(app, host, port, threads, limits)


def exposure_warning(host: str, proxies: int) -> str | None:
    """A warning when the server listens beyond this machine with no proxy declared in
    front: phones allow Locate me and offline use only over HTTPS (docs/DEPLOY.md)."""
    if proxies > 0 or _loopback(host):
        return None
    return (
        f"警告：正在 {host} 上对外监听，前面没有反向代理。手机只在 HTTPS 下允许定位和离线使用；"
        "请按 docs/DEPLOY.md 在前面放 Caddy 或 nginx（并设 LOCATOR_PROXY_COUNT=1）。\n"
        f"warning: listening on {host} with no reverse proxy in front. Phones allow "
        "Locate me and offline use only over HTTPS: put Caddy or nginx in front as "
        "docs/DEPLOY.md shows (and set LOCATOR_PROXY_COUNT=1)."
    )


def trust_warning(host: str, proxies: int, trusted: object) -> str | None:
    """A warning when proxies are declared and the server listens beyond this machine, but
    no proxy address is: forwarded headers are then believed from loopback only, so a
    proxy on another machine would count every client as itself."""
    if not proxies or trusted or _loopback(host):
        return None
    return (
        f"警告：设置了 LOCATOR_PROXY_COUNT={proxies}，但没有设置 LOCATOR_TRUSTED_PROXIES：只相信"
        "本机（回环地址）发来的 X-Forwarded-For。代理在别的机器上时，请把它的地址写进 "
        "LOCATOR_TRUSTED_PROXIES（如 10.0.0.5 或 10.0.0.0/8）。\n"
        f"warning: LOCATOR_PROXY_COUNT={proxies} but LOCATOR_TRUSTED_PROXIES is not set: "
        "X-Forwarded-For is believed from this machine (loopback) only. With the proxy on "
        "another machine, list its address in LOCATOR_TRUSTED_PROXIES (e.g. 10.0.0.5 or "
        "10.0.0.0/8)."
    )


def _loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _catch_up(app) -> None:
    """Load the data again when it changed since it was loaded (a broken new version is
    refused and logged; the loaded one is served)."""
    import logging

    holder = app.extensions["locator"]
    if holder.fingerprint() == holder.loaded_fingerprint:
        return
    try:
        fresh = holder.reload()
        logging.getLogger("locator.live").info("data reloaded: version %s", fresh.version)
    except LocatorError as exc:
        logging.getLogger("locator.live").error("data change refused: %s", exc.message)


def _reload_now(app) -> None:
    """SIGHUP: reload the data at once, through the watcher when there is one, else in a
    thread of its own (a signal handler must not do the work itself)."""
    import threading

    watcher = app.extensions.get("locator_watcher")
    if watcher is not None:
        watcher.trigger()
        return

    def reload() -> None:
        import logging

        try:
            fresh = app.extensions["locator"].reload()
            logging.getLogger("locator.live").info(
                "data reloaded on SIGHUP: version %s", fresh.version
            )
        except LocatorError as exc:
            logging.getLogger("locator.live").error("data change refused: %s", exc.message)

    threading.Thread(target=reload, name="locator-sighup-reload", daemon=True).start()
