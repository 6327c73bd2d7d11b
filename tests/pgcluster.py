"""A throw-away PostgreSQL cluster on 127.0.0.1, for the tests and the benchmarks.

``initdb`` and ``pg_ctl`` from Debian's packages (``postgresql`` and ``postgresql-postgis``)
run as an unprivileged user: PostgreSQL refuses to run as root, so when we are root the
cluster belongs to the ``postgres`` system user the Debian package creates (or ``nobody``).
The cluster listens on 127.0.0.1 only, on a free port, with its socket in its own folder,
and is removed when stopped.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


class ClusterError(RuntimeError):
    pass


def _bindir() -> Path:
    """The newest PostgreSQL server binaries installed (Debian keeps them per version)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name)
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise ClusterError(
        "PostgreSQL's initdb was not found: install Debian's packages "
        "postgresql and postgresql-postgis (make test does)"
    )


def postgis_installed() -> bool:
    try:
        share = subprocess.run(
            [str(_bindir() / "pg_config"), "--sharedir"], check=True, capture_output=True, text=True
        ).stdout.strip()
    except (ClusterError, OSError, subprocess.CalledProcessError):
        share = ""
    if not share:
        share = "/usr/share/postgresql/" + _bindir().parent.name
    return bool(glob.glob(f"{share}/extension/postgis.control"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    """A running throw-away cluster; ``url`` connects to its database ``locator``."""

    folder: Path
    port: int
    user: str
    run_as: str | None

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/locator"

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = list(args)
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        return subprocess.run(cmd, check=True, capture_output=True, text=True)

    def stop(self) -> None:
        try:
            self._run(
                str(_bindir() / "pg_ctl"),
                "-D",
                str(self.folder / "data"),
                "-m",
                "immediate",
                "-w",
                "stop",
            )
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.folder, ignore_errors=True)


def start_cluster(user: str = "locator", parent: str | None = None) -> Cluster:
    """initdb a new cluster in a temporary folder (in ``parent``, else the system's
    temporary folder), start it on 127.0.0.1 and create the database ``locator`` (owned by
    ``user``, a superuser of this cluster, trust auth)."""
    bindir = _bindir()
    run_as = None
    if os.geteuid() == 0:
        for candidate in ("postgres", "nobody"):
            try:
                pwd.getpwnam(candidate)
            except KeyError:
                continue
            run_as = candidate
            break
        if run_as is None:
            raise ClusterError("running as root with no unprivileged user to run PostgreSQL")
    folder = Path(tempfile.mkdtemp(prefix="locator-pg-", dir=parent))
    if run_as:
        entry = pwd.getpwnam(run_as)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    os.chmod(folder, 0o700)
    cluster = Cluster(folder, _free_port(), user, run_as)
    try:
        cluster._run(
            str(bindir / "initdb"),
            "-D",
            str(folder / "data"),
            "-U",
            user,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        opts = (
            f"-c listen_addresses=127.0.0.1 -p {cluster.port} "
            f"-c unix_socket_directories={folder} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300 "
            "-c shared_buffers=256MB"
        )
        cluster._run(
            str(bindir / "pg_ctl"),
            "-D",
            str(folder / "data"),
            "-o",
            opts,
            "-l",
            str(folder / "log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        cluster._run(
            str(bindir / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(cluster.port),
            "-U",
            user,
            "locator",
        )
    except subprocess.CalledProcessError as exc:
        log = ""
        if (folder / "log").exists():
            log = (folder / "log").read_text(errors="replace")[-2000:]
        cluster.stop()
        raise ClusterError(f"could not start PostgreSQL: {exc.stderr or exc}\n{log}") from None
    return cluster


def memory_folder(min_free_bytes: int = 4 << 30) -> str | None:
    """A folder in memory (Linux's /dev/shm) with room to spare, else None.

    The tests' cluster copies, writes and finally deletes some ten thousand files: on a
    disk shared with other work, deleting them alone has taken over 20 s."""
    folder = "/dev/shm"
    try:
        stats = os.statvfs(folder)
    except OSError:
        return None
    if not os.access(folder, os.W_OK) or stats.f_bavail * stats.f_frsize < min_free_bytes:
        return None
    return folder
