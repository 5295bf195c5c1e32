"""A throw-away PostgreSQL + PostGIS cluster for the store tests (geopandas' PostGIS CI job, here).

The session fixture :func:`postgis_url` runs ``initdb`` in a temporary directory, starts the
server with ``pg_ctl`` on a free loopback port (no TCP on other interfaces, the Unix socket in
the same directory), creates a database with ``CREATE EXTENSION postgis`` and stops and
removes it all at the end. Running as root (as ``bash dev.sh test`` and CI do), the server
runs as the ``postgres`` user (``runuser``), which owns the directory; PostgreSQL refuses root.

The fixture FAILS — it never skips — when the server cannot start: the PostGIS tests are
part of the suite, and ``bash dev.sh test`` installs the Debian packages they need
(``postgresql``, ``postgresql-15-postgis-3``). The start time is printed in the terminal
summary ("PostGIS test server: ... started in N s").
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

__all__ = ["postgis_url", "server_bin"]

DATABASE = "county_gis_test"


def server_bin() -> Path:
    """The folder of ``initdb`` / ``pg_ctl``: Debian keeps them in /usr/lib/postgresql/N/bin."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda p: int(Path(p).parts[4]) if Path(p).parts[4].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    which = shutil.which("pg_ctl")
    if which:
        return Path(which).resolve().parent
    pytest.fail("PostgreSQL server programs (initdb, pg_ctl) not found; install the Debian "
                "packages postgresql and postgresql-15-postgis-3 (bash dev.sh test does)",
                pytrace=False)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _run(args: list[str], what: str) -> str:
    done = subprocess.run(_as_server_user(args), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.fail(f"PostGIS test server: {what} failed ({done.returncode}): "
                    f"{done.stderr.strip() or done.stdout.strip()}", pytrace=False)
    return done.stdout


class _StartTime:
    """A tiny plugin that prints the server start time in the terminal summary."""

    def __init__(self, text: str) -> None:
        self.text = text

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        terminalreporter.write_line(self.text)


@pytest.fixture(scope="session")
def postgis_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """``postgresql://postgres@127.0.0.1:PORT/county_gis_test`` of a fresh PostGIS cluster."""
    bindir = server_bin()
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="county_gis_pg_"))
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres", "postgres")
    data = tmp / "data"
    port = _free_port()
    _run([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
          "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], "initdb")
    options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {tmp} -c fsync=off "
               "-c full_page_writes=off -c synchronous_commit=off")
    try:
        _run([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(tmp / "server.log"),
              "-o", options, "-w", "-t", "60", "start"], "pg_ctl start")
        _run([str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
              DATABASE], "createdb")
        url = f"postgresql://postgres@127.0.0.1:{port}/{DATABASE}"
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")
            version = conn.execute("SELECT postgis_lib_version()").fetchone()
        seconds = time.perf_counter() - started
        short = str(version[0]) if version else "?"
        request.config.pluginmanager.register(_StartTime(
            f"PostGIS test server: PostgreSQL {bindir.parent.name} + PostGIS {short} on "
            f"127.0.0.1:{port}, started (initdb + start + CREATE EXTENSION) in {seconds:.2f} s"
        ), "county_gis_postgis_start_time")
        yield url
    except BaseException as exc:
        log = tmp / "server.log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        if isinstance(exc, Exception) and not isinstance(exc, pytest.fail.Exception):
            pytest.fail(f"PostGIS test server could not start: {exc}\n{tail}", pytrace=False)
        raise
    finally:
        with contextlib.suppress(Exception):
            subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m",
                                            "immediate", "-w", "stop"]),
                           capture_output=True, check=False, timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)


def rows(url: str, sql: str, *args: object) -> list[tuple]:
    """The rows of one query (a fresh connection)."""
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(sql, args or None).fetchall()


_HANG_AT_COMMIT = """
import logging, sys, time
from pathlib import Path

class _Hang(logging.Handler):
    def emit(self, record):
        if "committing" in record.getMessage():
            Path(sys.argv[2]).write_text("ready")
            time.sleep(600)  # killed here, the transaction open

logging.getLogger({logger!r}).addHandler(_Hang())
logging.getLogger({logger!r}).setLevel(logging.INFO)
"""


def kill_9_at_commit(url: str, logger: str, body: str, flag: Path, *extra: str,
                     while_open: Callable[[], None] | None = None) -> None:
    """Run ``body`` in a child Python that hangs when ``logger`` logs "committing"; kill -9 it.

    The child gets ``sys.argv[1:] = [url, flag, *extra]``. ``while_open`` runs while the child
    holds its transaction open (rows written, not committed). Returns once the server has
    ended the dead client's backend (and rolled its transaction back); no timing asserted.
    """
    root = Path(__file__).resolve().parents[1]
    script = _HANG_AT_COMMIT.format(logger=logger) + textwrap.dedent(body)
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    child = subprocess.Popen([sys.executable, "-c", script, url, str(flag), *extra], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for _ in range(1200):  # the child loads its data first
            if flag.exists() or child.poll() is not None:
                break
            time.sleep(0.1)
        assert flag.exists(), child.communicate()[1].decode()[-2000:]
        if while_open is not None:
            while_open()
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.communicate()
    assert child.returncode == -signal.SIGKILL
    for _ in range(600):
        if rows(url, "SELECT count(*) FROM pg_stat_activity WHERE state = "
                     "'idle in transaction'") == [(0,)]:
            break
        time.sleep(0.1)
