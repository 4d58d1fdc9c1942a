"""A live ``dml serve`` for the whole session, and helpers to make funded users of each kind.

The server binary is ``$DML_BIN`` (default: /work/main/.build/debug/dml, else the repository's
debug build). It runs on a fresh data folder with the development chain it creates; its
``admin`` key (super-admin, holding the genesis supply) is read from ``DIR/keys/admin.key``
and funds test users with transfers signed here, through the API (a second process writing
the chain's log beside the server's sequencer would fork it).
"""
from __future__ import annotations

import itertools
import os
import re
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Iterator, Optional

import pytest

from dml_client import DML, Client, Key, calls, load_key

REPO = Path(__file__).resolve().parents[3]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def dml_binary() -> str:
    candidates = [os.environ.get("DML_BIN"), "/work/main/.build/debug/dml", str(REPO / ".build" / "debug" / "dml")]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    pytest.exit(f"no dml binary: set DML_BIN to a built `dml` (tried {', '.join(c for c in candidates if c)}); "
                "build one with `swift build`", returncode=2)
    raise AssertionError("unreachable")


class Server:
    def __init__(self, binary: str, data: Path) -> None:
        self.binary = binary
        self.data = data
        self.stdout = open(data.parent / "serve.stdout", "w+")
        self.stderr = open(data.parent / "serve.stderr", "w+")
        env = dict(os.environ, DML_LOG_LEVEL="warning")
        self.process = subprocess.Popen([binary, "serve", "--data", str(data), "--port", "0", "--bcrypt-cost", "4", "--rate-limit", "0",
                                         "--job-wait-max-seconds", "1"],
                                        stdout=self.stdout, stderr=self.stderr, env=env)
        deadline = time.time() + 60
        self.url = ""
        while time.time() < deadline:
            self.stdout.seek(0)
            match = re.search(r"http://127\.0\.0\.1:\d+", self.stdout.read())
            if match:
                self.url = match.group(0)
                break
            if self.process.poll() is not None:
                self.stderr.seek(0)
                raise RuntimeError(f"dml serve exited with {self.process.returncode}: {self.stderr.read()[-2000:]}")
            time.sleep(0.05)
        if not self.url:
            self.process.kill()
            raise RuntimeError("dml serve printed no URL within 60 s")
        self.admin = load_key(data / "keys" / "admin.key")

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return -9

    def log(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read()


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    folder = Path(tempfile.mkdtemp(prefix="dml-pytest-"))
    running = Server(dml_binary(), folder / "data")
    try:
        yield running
    finally:
        status = running.stop()
        log = running.log()
        assert status == 0, f"dml serve exited with {status} after SIGTERM (expected a clean shutdown):\n{log[-3000:]}"
        assert "unexpected error" not in log, f"the server logged unexpected errors:\n{log[-3000:]}"


@pytest.fixture(scope="session")
def admin(server: Server) -> Client:
    """The chain's super-admin, signing its own transactions with the admin key."""
    return Client(server.url, key=server.admin)


_counter = itertools.count(1)


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{next(_counter)}-{uuid.uuid4().hex[:8]}@example.org"


PASSWORD = "correct horse battery"


class Factory:
    def __init__(self, server: Server, admin: Client) -> None:
        self.server = server
        self.admin = admin

    def fund(self, address: str, dml: float) -> None:
        if dml:
            self.admin.ledger.transfer(address, int(dml * DML))

    def custodial(self, dml: float = 100, prefix: str = "user") -> Client:
        """A signed-up, confirmed, signed-in custodial user holding ``dml`` DML."""
        client = Client(self.server.url)
        email = unique_email(prefix)
        view = client.users.sign_up(email, PASSWORD)
        client.users.confirm(view["confirmationToken"])
        client.users.login(email, PASSWORD)
        client.email = email  # type: ignore[attr-defined]
        self.fund(client.account, dml)
        return client

    def self_custody(self, dml: float = 100, key: Optional[Key] = None) -> Client:
        """A user who keeps their own key (first key sign-in), holding ``dml`` DML."""
        client = Client(self.server.url)
        client.users.key_login(key or Key.generate())
        self.fund(client.account, dml)
        return client

    def moderator(self, dml: float = 10) -> Client:
        client = self.custodial(dml, "moderator")
        self.admin.ledger.grant_role(calls.Role.moderator(), client.account)
        return client


@pytest.fixture(scope="session")
def make(server: Server, admin: Client) -> Factory:
    return Factory(server, admin)


@pytest.fixture(scope="session")
def moderator(make: Factory) -> Client:
    return make.moderator()


def now_ms() -> int:
    return int(time.time() * 1000)
