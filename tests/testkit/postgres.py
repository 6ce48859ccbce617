"""A throwaway PostgreSQL server for tests and the benchmark.

    with postgres_server() as dsn:   # initdb in a temp folder, start on a free port, stop
        ...

It uses Debian's server binaries (/usr/lib/postgresql/<version>/bin, `tools/setup.sh`
installs them when SEEDBED_POSTGRES=1) or `initdb`/`pg_ctl` on PATH. PostgreSQL refuses to
run as root, so as root the server runs as the `postgres` user (`runuser`) in a folder it
owns; the DSN connects over TCP on 127.0.0.1 as the superuser `seedbed` (trust auth).

The rule for a missing server: under CI (CI=true) or SEEDBED_POSTGRES=1 (`make test`) it is
a failure, since the PostgreSQL tests must run there; otherwise the tests are skipped with
the reason. `server_for_tests()` applies it; `postgres_server()` raises `Unavailable`.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

USER = "seedbed"


class Unavailable(RuntimeError):
    """No PostgreSQL server can be started here (the message says why)."""


def required() -> bool:
    """Whether the PostgreSQL tests must run (a missing server fails them, not skips)."""
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("SEEDBED_POSTGRES") == "1"


def bindir() -> Path | None:
    """The folder with initdb and pg_ctl: the newest Debian version, else PATH."""
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    if versions:
        return Path(versions[-1]).parent
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).parent
    return None


@contextlib.contextmanager
def postgres_server(*, fsync: bool = True, timeout: float = 60.0) -> Iterator[str]:
    """Start a fresh server (its own data folder, a free port) and yield its DSN; stop it and
    remove the folder afterwards. `fsync=False` trades durability for speed (tests only)."""
    bin_dir = bindir()
    if bin_dir is None:
        raise Unavailable(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/pg_ctl, no pg_ctl on "
            "PATH): run `SEEDBED_POSTGRES=1 make setup` or `apt-get install postgresql`."
        )
    as_user = _run_as()
    root = Path(tempfile.mkdtemp(prefix="seedbed-pg-"))
    try:
        if as_user:
            shutil.chown(root, user=as_user, group=pwd.getpwnam(as_user).pw_gid)
        data = root / "data"
        initdb = [bin_dir / "initdb", "-D", data, "-A", "trust", "-U", USER, "-N", "-E", "UTF8"]
        _run(as_user, [*initdb, "--locale=C"], timeout)
        port = _start(as_user, bin_dir, root, fsync, timeout)
        try:
            yield f"postgresql://{USER}@127.0.0.1:{port}/postgres"
        finally:
            _run(as_user, [bin_dir / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop"], timeout)
    except subprocess.CalledProcessError as err:
        tail = (root / "log").read_text()[-2000:] if (root / "log").exists() else ""
        output = (err.stdout or "") + (err.stderr or "")
        raise Unavailable(
            f"PostgreSQL did not start: {' '.join(map(str, err.cmd))} exited {err.returncode}"
            f"\n{output}\n{tail}"
        ) from None
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def server_for_tests(*, fsync: bool = False) -> Iterator[str]:
    """`postgres_server()` for a pytest fixture, with the skip-or-fail rule above."""
    import pytest

    try:
        server = postgres_server(fsync=fsync)
        dsn = server.__enter__()
    except Unavailable as err:
        if required():
            pytest.fail(f"PostgreSQL is required here (CI or SEEDBED_POSTGRES=1): {err}")
        pytest.skip(str(err))
    try:
        yield dsn
    finally:
        server.__exit__(None, None, None)


def _run_as() -> str | None:
    """The user to run the server as: `postgres` when we are root (the server refuses root)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise Unavailable(
            "running as root and there is no `postgres` user to run the server as."
        ) from None
    if shutil.which("runuser") is None:
        raise Unavailable("running as root and `runuser` is missing (util-linux).")
    return "postgres"


def _start(as_user: str | None, bin_dir: Path, root: Path, fsync: bool, timeout: float) -> int:
    """pg_ctl start on a free port; a port taken between the probe and the start is retried."""
    for attempt in range(5):
        port = _free_port()
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1"
        if not fsync:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        command = [bin_dir / "pg_ctl", "-D", root / "data", "-o", options, "-l", root / "log"]
        command += ["-w", "-t", str(int(timeout)), "start"]
        try:
            _run(as_user, command, timeout + 10)
            return port
        except subprocess.CalledProcessError:
            log = (root / "log").read_text() if (root / "log").exists() else ""
            if attempt == 4 or "could not bind" not in log:
                raise
    raise AssertionError("unreachable")


def _run(as_user: str | None, command: Sequence[object], timeout: float) -> None:
    argv = [str(c) for c in command]
    if as_user:
        argv = ["runuser", "-u", as_user, "--", *argv]
    subprocess.run(argv, check=True, capture_output=True, text=True, timeout=timeout, cwd="/")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
