"""Users: sign-up, confirmation, password and key sign-in, refresh, profiles."""
from __future__ import annotations

import pytest

from dml_client import Client, DMLError, Key
from dml_client.protocol import login_message

from conftest import PASSWORD, unique_email


def test_sign_up_confirm_login_refresh(server) -> None:
    client = Client(server.url)
    email = unique_email("ada")
    view = client.users.sign_up(email, PASSWORD, profile={"displayName": "Ada", "country": "GB"})
    user = view["user"]
    assert user["email"] == email and user["custodial"] is True and user["emailConfirmed"] is False
    assert user["profile"]["displayName"] == "Ada" and user["profile"]["country"] == "GB"
    assert user["account"].startswith("dml1") and len(user["account"]) == 62
    token = view["confirmationToken"]
    assert len(token) == 64

    with pytest.raises(DMLError) as refused:
        client.users.login(email, PASSWORD)
    assert (refused.value.status, refused.value.code) == (403, "users.email_unconfirmed")

    confirmed = client.users.confirm(token)
    assert confirmed["emailConfirmed"] is True

    with pytest.raises(DMLError) as wrong:
        client.users.login(email, "not the password")
    assert (wrong.value.status, wrong.value.code) == (401, "auth.unauthorized")

    session = client.users.login(email, PASSWORD)
    assert session["tokenType"] == "Bearer" and session["expiresInSeconds"] == 900
    assert client.users.me()["id"] == user["id"]

    first_refresh = client.refresh_token
    renewed = client.users.refresh()
    assert renewed["refreshToken"] != first_refresh and renewed["user"]["id"] == user["id"]
    # A refresh token works once.
    stale = Client(server.url, refresh_token=first_refresh)
    with pytest.raises(DMLError) as used:
        stale.users.refresh()
    assert used.value.status == 401

    public = Client(server.url).users.get(user["id"])
    assert public == {"id": user["id"], "account": user["account"], "profile": public["profile"]}
    assert "email" not in public


def test_an_expired_access_token_is_refreshed_once(make) -> None:
    client = make.custodial(0)
    before = client.refresh_token
    client.transport.token = client.token[:-4] + "AAAA"  # a token the server rejects (401)
    assert client.users.me()["account"] == client.account
    assert client.refresh_token != before


def test_profile_update_and_validation(make) -> None:
    client = make.custodial(0)
    user = client.users.update_profile(display_name="Grace", bio="compilers", country="us", website="https://example.org/grace")
    assert user["profile"]["displayName"] == "Grace" and user["profile"]["country"] == "US"
    with pytest.raises(DMLError) as bad:
        client.users.update_profile(country="XX")
    assert bad.value.status == 422 and bad.value.details.get("field") == "country"


def test_key_login_creates_a_self_custody_user(server) -> None:
    key = Key.generate()
    client = Client(server.url)
    session = client.users.key_login(key)
    assert session["user"]["account"] == key.address
    assert session["user"]["custodial"] is False
    assert client.signs_locally
    # Signing in again with the same key is the same user.
    again = Client(server.url).users.key_login(key)
    assert again["user"]["id"] == session["user"]["id"]


def test_key_login_with_a_wrong_signature_is_refused(server) -> None:
    client = Client(server.url)
    key, other = Key.generate(), Key.generate()
    challenge = client.users.challenge(key.address)
    assert challenge["message"] == login_message(client.chain_id, challenge["nonce"])
    body = {"account": key.address, "nonce": challenge["nonce"], "signature": other.sign(challenge["message"].encode()).hex()}
    with pytest.raises(DMLError) as refused:
        client.request("POST", "/v1/users/key-login", json_body=body, auth=False)
    assert (refused.value.status, refused.value.code) == (401, "auth.bad_signature")


def test_self_custody_sign_up_with_a_key(server) -> None:
    key = Key.generate()
    client = Client(server.url)
    email = unique_email("own")
    view = client.users.sign_up(email, PASSWORD, key=key)
    assert view["user"]["account"] == key.address and view["user"]["custodial"] is False
    client.users.confirm(view["confirmationToken"])
    session = client.users.login(email, PASSWORD)
    assert session["user"]["account"] == key.address


def test_short_password_and_bad_email_are_422(server) -> None:
    client = Client(server.url)
    with pytest.raises(DMLError) as short:
        client.users.sign_up(unique_email(), "short")
    assert short.value.status == 422
    with pytest.raises(DMLError) as email:
        client.users.sign_up("not-an-email", PASSWORD)
    assert email.value.status in (400, 422)
