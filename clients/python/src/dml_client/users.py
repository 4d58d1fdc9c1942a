"""``/v1/users``: sign-up, confirmation, sign-in by password or by key, refresh, profiles."""
from __future__ import annotations

from typing import Any, Dict, Optional, cast

from .client import Resource
from .errors import DMLError, DMLIntegrityError
from .keys import Key
from .protocol import login_message
from .types import ChallengeView, ProfileInput, PublicUserView, SessionView, SignUpView, UserView

__all__ = ["UsersAPI"]


class UsersAPI(Resource):
    def sign_up(self, email: str, password: str, *, profile: Optional[ProfileInput] = None,
                key: Optional[Key] = None) -> SignUpView:
        """Creates a user. Without ``key`` the server makes and keeps the user's key
        (custodial); with it the user keeps their own key and proves it with a signed challenge.
        ``confirmationToken`` comes back only on development chains."""
        body: Dict[str, Any] = {"email": email, "password": password}
        if profile is not None:
            body["profile"] = profile
        if key is not None:
            challenge = self.challenge(key.address)
            body["publicKey"] = key.address
            body["challenge"] = {"nonce": challenge["nonce"], "signature": self._sign_challenge(key, challenge)}
        return cast(SignUpView, self._post("/v1/users", body, auth=False))

    def confirm(self, token: str) -> UserView:
        return cast(UserView, self._post("/v1/users/confirm", {"token": token}, auth=False))

    def login(self, email: str, password: str) -> SessionView:
        """Signs in by password; the session is kept by the client (and refreshed when it expires)."""
        session = cast(SessionView, self._post("/v1/users/login", {"email": email, "password": password}, auth=False))
        return self._client.use_session(session)

    def refresh(self) -> SessionView:
        if not self._client.refresh_token:
            raise DMLError(0, "client.no_session", "no refresh token: sign in first")
        session = cast(SessionView, self._post("/v1/users/refresh", {"refreshToken": self._client.refresh_token}, auth=False))
        return self._client.use_session(session)

    def challenge(self, account: str) -> ChallengeView:
        return cast(ChallengeView, self._post("/v1/users/challenge", {"account": account}, auth=False))

    def _sign_challenge(self, key: Key, challenge: ChallengeView) -> str:
        # The message binds the chain: check it is the one we think before signing it.
        expected = login_message(self._client.chain_id, challenge["nonce"])
        if challenge["message"] != expected:
            raise DMLIntegrityError(0, "client.challenge_mismatch",
                                    f"the challenge message {challenge['message']!r} is not {expected!r}; refusing to sign it")
        return key.sign(challenge["message"].encode("utf-8")).hex()

    def key_login(self, key: Optional[Key] = None) -> SessionView:
        """Signs in with an Ed25519 key (the client's, by default): the first key sign-in
        creates a self-custody user. The key stays with the client for signing."""
        key = key or self._client.key
        if key is None:
            raise DMLError(0, "client.no_key", "key sign-in needs a key")
        challenge = self.challenge(key.address)
        body = {"account": key.address, "nonce": challenge["nonce"], "signature": self._sign_challenge(key, challenge)}
        session = cast(SessionView, self._post("/v1/users/key-login", body, auth=False))
        self._client.key = key
        return self._client.use_session(session)

    def me(self) -> UserView:
        user = cast(UserView, self._get("/v1/users/me"))
        self._client.user = user
        return user

    def update_profile(self, *, display_name: Optional[str] = None, bio: Optional[str] = None,
                       country: Optional[str] = None, website: Optional[str] = None) -> UserView:
        patch = {k: v for k, v in (("displayName", display_name), ("bio", bio), ("country", country), ("website", website))
                 if v is not None}
        user = cast(UserView, self._patch("/v1/users/me", patch))
        self._client.user = user
        return user

    def get(self, user_id: str) -> PublicUserView:
        return cast(PublicUserView, self._get(f"/v1/users/{user_id}"))
