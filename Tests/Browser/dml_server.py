"""A throwaway `dml serve` for browser tests and screenshots, and money for its users.

    server = DmlServer.start(os.environ["DML_BIN"])   # fresh data folder, free port
    server.fund("dml1…", 100 * DML)                   # a transfer signed with the chain's admin key
    server.stop()

New accounts have no money. The development chain's genesis gives 1 000 000 DML to the `admin`
key in DATA/keys/admin.key (a 32-byte Ed25519 seed in hex); `fund` signs a balances transfer
with it (docs/protocol.md, Tests/python/dml_sign.py) and posts it to /v1/ledger/transactions,
since `dml transfer` writes to the log directly and must not run beside a live server.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import dml_sign  # noqa: E402  (the repository's reference signer)

DML = 10**9
ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CONSOLE_DIR = os.path.join(ROOT, "Sources", "DMLServer", "Console")
MODULE_ROLES, MODULE_BALANCES = 2, 3
ROLE_MODERATOR = 1


class ApiError(Exception):
    def __init__(self, status, body):
        super().__init__(f"{status}: {body}")
        self.status, self.body = status, body


class DmlServer:
    def __init__(self, process, data, base):
        self.process, self.data, self.base = process, data, base

    @classmethod
    def start(cls, binary, console_dir=None, timeout=60):
        """Starts `dml serve` on a new data folder and a free port. With `console_dir` (or
        DML_CONSOLE_DIR in the environment) the console's files are read from that folder on each
        request; without, the server serves the copy bundled in the binary."""
        if not binary or not os.access(binary, os.X_OK):
            raise RuntimeError(f"DML_BIN must name the dml binary (got {binary!r})")
        data = tempfile.mkdtemp(prefix="dml-console.")
        env = dict(os.environ, DML_LOG_LEVEL="warning")
        console_dir = console_dir or os.environ.get("DML_CONSOLE_DIR")
        if console_dir:
            env["DML_CONSOLE_DIR"] = console_dir
        out = open(os.path.join(data, "stdout"), "wb")
        err = open(os.path.join(data, "stderr"), "wb")
        process = subprocess.Popen([binary, "serve", "--data", data, "--port", "0", "--bcrypt-cost", "4", "--rate-limit", "0"],
                                   stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + timeout
        base = None
        while base is None:
            text = open(os.path.join(data, "stdout"), errors="replace").read()
            for word in text.split():
                if word.startswith("http://"):
                    base = word.rstrip(".,")
                    break
            if base is None:
                if process.poll() is not None:
                    raise RuntimeError("dml serve exited: " + open(os.path.join(data, "stderr"), errors="replace").read()[-2000:])
                if time.monotonic() > deadline:
                    process.kill()
                    raise TimeoutError("dml serve did not print its address")
                time.sleep(0.05)
        server = cls(process, data, base)
        seed_hex = open(os.path.join(data, "keys", "admin.key")).read().strip()
        server.admin_key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex))
        server.admin = dml_sign.encode_address(server.admin_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
        server.chain = bytes.fromhex(server.get("/ready")["chain"])
        return server

    # --- HTTP ---------------------------------------------------------------------------
    def request(self, method, path, body=None, token=None):
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as reply:
                raw = reply.read()
                return json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raise ApiError(error.code, error.read().decode(errors="replace")) from None

    def get(self, path, token=None):
        return self.request("GET", path, token=token)

    def post(self, path, body=None, token=None):
        return self.request("POST", path, body if body is not None else {}, token=token)

    def upload(self, path, payload, token):
        req = urllib.request.Request(self.base + path, data=payload, method="POST",
                                     headers={"Content-Type": "application/octet-stream", "Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, timeout=60) as reply:
            return json.loads(reply.read())

    # --- ledger writes signed with the admin key -----------------------------------------
    def submit_as_admin(self, module, body):
        """Signs `body` (a call of `module`) with the admin key at its next nonce and submits it."""
        signer = self.admin_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        nonce = self.get(f"/v1/ledger/accounts/{self.admin}")["nextNonce"]
        payload = dml_sign.payload(self.chain, signer, nonce, module, body)
        transaction = payload + self.admin_key.sign(b"DML-TX" + payload)
        return self.post("/v1/ledger/transactions", {"transaction": transaction.hex()})

    def fund(self, address, base_units):
        """Transfers `base_units` from the admin key to `address`."""
        return self.submit_as_admin(MODULE_BALANCES, dml_sign.transfer_body(dml_sign.decode_address(address), base_units))

    def make_moderator(self, address):
        """roles.grant(moderator, address): the admin key is the chain's super-admin."""
        return self.submit_as_admin(MODULE_ROLES, dml_sign.u8(0) + dml_sign.u8(ROLE_MODERATOR) + dml_sign.decode_address(address))

    # --- users ----------------------------------------------------------------------------
    def sign_up(self, email, password, display_name=None):
        """A confirmed custodial user; returns the session (accessToken, user…)."""
        body = {"email": email, "password": password}
        if display_name:
            body["profile"] = {"displayName": display_name}
        reply = self.post("/v1/users", body)
        self.post("/v1/users/confirm", {"token": reply["confirmationToken"]})
        return self.post("/v1/users/login", {"email": email, "password": password})

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        errors = open(os.path.join(self.data, "stderr"), errors="replace").read()
        shutil.rmtree(self.data, ignore_errors=True)
        return errors
