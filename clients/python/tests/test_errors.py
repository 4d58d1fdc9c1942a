"""Error mapping and the transport: the API's error shape, statuses, Idempotency-Key, retries
after 429/503 (against a stub server), unreachable servers."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import List

import pytest

from dml_client import DML, Client, DMLConnectionError, DMLError, Key


def test_unknown_ids_and_routes_are_404(make) -> None:
    client = make.custodial(0)
    for call in (lambda: client.bounties.get(123_456), lambda: client.algorithms.get(123_456), lambda: client.tasks.get(123_456),
                 lambda: client.vouchers.hub(123_456), lambda: client.ledger.block(10**9), lambda: client.ledger.transaction("ab" * 32),
                 lambda: client.users.get("00000000-0000-0000-0000-000000000000")):
        with pytest.raises(DMLError) as missing:
            call()
        assert (missing.value.status, missing.value.code) == (404, "request.not_found")
        assert "does not exist" in missing.value.message
    with pytest.raises(DMLError) as route:
        client.request("GET", "/v1/no-such-thing")
    assert (route.value.status, route.value.code) == (404, "request.not_found")


def test_bad_input_is_400_or_422_naming_the_field(make) -> None:
    client = make.custodial(1)
    with pytest.raises(DMLError) as path:
        client.request("GET", "/v1/bounties/abc")
    assert (path.value.status, path.value.code, path.value.details) == (400, "request.bad_path", {"field": "id"})
    with pytest.raises(DMLError) as query:
        client.request("GET", "/v1/bounties", query={"limit": 0})
    assert (query.value.status, query.value.code) == (400, "request.bad_query")
    with pytest.raises(DMLError) as not_json:
        client.request("POST", "/v1/ledger/transfers", data=b"{not json", headers={"Content-Type": "application/json"})
    assert not_json.value.status == 400
    with pytest.raises(DMLError) as wrong_type:
        client.request("POST", "/v1/ledger/transfers", json_body={"to": Key.generate().address, "amount": 5})
    assert wrong_type.value.status == 400 and wrong_type.value.details.get("field") == "amount"
    with pytest.raises(DMLError) as invalid:
        client.request("POST", "/v1/ledger/transfers", json_body={"to": "dml1nope", "amount": "5"})
    assert (invalid.value.status, invalid.value.code, invalid.value.details) == (422, "request.invalid_field", {"field": "to"})
    assert "422 request.invalid_field" in str(invalid.value) and "POST /v1/ledger/transfers" in str(invalid.value)


def test_writes_need_a_token_and_a_bad_token_is_401(server) -> None:
    anonymous = Client(server.url)
    with pytest.raises(DMLError) as none:
        anonymous.request("POST", "/v1/bounties", json_body={})
    assert none.value.status == 401
    forged = Client(server.url, token="a.b.c")
    with pytest.raises(DMLError) as bad:
        forged.users.me()
    assert bad.value.status == 401


def test_idempotency_key_replays_instead_of_paying_twice(make) -> None:
    payer, payee = make.custodial(5), make.custodial(0)
    body = {"to": payee.account, "amount": str(DML)}
    first = payer.request("POST", "/v1/ledger/transfers", json_body=body, idempotency_key="pay-once-1")
    second = payer.request("POST", "/v1/ledger/transfers", json_body=body, idempotency_key="pay-once-1")
    assert first.status == second.status == 201 and first.json() == second.json()
    assert second.headers.get("idempotent-replayed") == "true"
    assert payee.ledger.balance() == DML
    with pytest.raises(DMLError) as reused:
        payer.request("POST", "/v1/ledger/transfers", json_body=dict(body, amount="2"), idempotency_key="pay-once-1")
    assert (reused.value.status, reused.value.code) == (422, "request.idempotency_key_reused")


def test_an_unreachable_server_is_a_connection_error() -> None:
    with pytest.raises(DMLConnectionError) as failure:
        Client("http://127.0.0.1:9", timeout=2).system.health()
    assert failure.value.status == 0 and failure.value.code == "client.unreachable"
    with pytest.raises(ValueError):
        Client("ftp://example.org")


class Stub(BaseHTTPRequestHandler):
    """Answers from a script: a list of (status, headers, body) per request; records requests."""

    script: List[tuple] = []
    seen: List[dict] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        Stub.seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers), "body": self.rfile.read(length)})
        status, headers, body = Stub.script.pop(0)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        data = json.dumps(body).encode()
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:  # quiet
        pass


@pytest.fixture()
def stub():
    httpd = HTTPServer(("127.0.0.1", 0), Stub)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    Stub.seen = []
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_429_and_503_are_retried_after_retry_after_with_the_same_key(stub) -> None:
    limited = {"code": "request.rate_limited", "message": "slow down", "details": {"retryAfterSeconds": "1"}}
    Stub.script = [(429, {"Retry-After": "1"}, limited), (503, {}, {"code": "ledger.overloaded", "message": "busy", "details": {}}),
                   (201, {}, {"ok": True})]
    client = Client(stub)
    slept: List[float] = []
    client.transport.sleep = slept.append
    reply = client.request("POST", "/v1/anything", json_body={"x": 1})
    assert reply.status == 201 and reply.json() == {"ok": True}
    assert slept[0] == 1.0 and len(slept) == 2
    keys = {r["headers"].get("Idempotency-Key") for r in Stub.seen}
    assert len(Stub.seen) == 3 and len(keys) == 1 and None not in keys


def test_a_queued_write_is_not_retried_and_errors_keep_their_details(stub) -> None:
    queued = {"code": "ledger.queued", "message": "not in a block after 30 s", "details": {"hash": "ab" * 32}}
    Stub.script = [(503, {}, queued)]
    client = Client(stub)
    client.transport.sleep = lambda seconds: None
    with pytest.raises(DMLError) as error:
        client.request("POST", "/v1/ledger/transfers", json_body={})
    assert (error.value.status, error.value.code, error.value.details) == (503, "ledger.queued", {"hash": "ab" * 32})
    assert len(Stub.seen) == 1
    Stub.script = [(429, {"Retry-After": "0"}, {"code": "request.rate_limited", "message": "", "details": {}})] * 3
    client.transport.retries = 2
    with pytest.raises(DMLError) as gave_up:
        client.request("GET", "/health")
    assert gave_up.value.status == 429 and len(Stub.seen) == 4


def test_a_reply_without_the_error_shape_still_says_what_happened(stub) -> None:
    Stub.script = [(502, {}, "bad gateway")]
    with pytest.raises(DMLError) as error:
        Client(stub, retries=0).request("GET", "/health")
    assert error.value.status == 502 and error.value.code == "http.502" and "bad gateway" in error.value.message
