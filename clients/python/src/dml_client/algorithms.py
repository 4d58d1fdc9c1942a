"""``/v1/algorithms``: the marketplace — upload an artifact, publish it, review (moderators),
price, versions, purchase, proceeds, and verified downloads."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Union, cast

from . import calls
from .artifacts import Downloaded, Source, download, upload_artifact
from .client import Resource
from .errors import DMLError
from .types import AlgorithmSummaryPage, AlgorithmView, ArtifactView, WriteView

__all__ = ["AlgorithmsAPI"]


class AlgorithmsAPI(Resource):
    def upload_artifact(self, source: Source) -> ArtifactView:
        """Uploads a file or bytes (a package, a model, any artifact ≤ 64 MiB); the CID the
        server answers is checked against the one computed here."""
        return upload_artifact(self._client, source)

    def publish(self, title: str, description: str, artifact: str, price: int, *, device_fee: int = 0,
                data_required: str = "", tags: Sequence[str] = ()) -> WriteView:
        """Lists an uploaded artifact (by CID) for ``price`` base units; it waits in
        ``pending_review`` until a moderator approves it."""
        body: Dict[str, Any] = {"title": title, "description": description, "artifact": artifact, "price": str(price),
                                "deviceFee": str(device_fee), "dataRequired": data_required, "tags": list(tags)}
        draft = calls.AlgorithmDraft(title, description, artifact, price, device_fee, data_required, tuple(tags))
        return self._write("/v1/algorithms", body, lambda: calls.Marketplace.publish(draft), created="published")

    def list(self, *, q: Optional[str] = None, tags: Optional[Sequence[str]] = None, status: Optional[str] = None,
             creator: Optional[str] = None, sort: Optional[str] = None, limit: Optional[int] = None,
             offset: Optional[int] = None) -> AlgorithmSummaryPage:
        """The index (``status`` defaults to ``active`` on the server; ``any`` for all)."""
        query = {"q": q, "tags": ",".join(tags) if tags else None, "status": status, "creator": creator, "sort": sort,
                 "limit": limit, "offset": offset}
        return cast(AlgorithmSummaryPage, self._get("/v1/algorithms", query))

    def get(self, algorithm: int) -> AlgorithmView:
        return cast(AlgorithmView, self._get(f"/v1/algorithms/{algorithm}"))

    def set_price(self, algorithm: int, price: int, device_fee: int = 0) -> WriteView:
        return self._write(f"/v1/algorithms/{algorithm}", {"price": str(price), "deviceFee": str(device_fee)},
                           lambda: calls.Marketplace.set_price(algorithm, price, device_fee), id=algorithm, method="PATCH")

    def publish_version(self, algorithm: int, artifact: str) -> WriteView:
        """A new version (back to review)."""
        return self._write(f"/v1/algorithms/{algorithm}/versions", {"artifact": artifact},
                           lambda: calls.Marketplace.publish_version(algorithm, artifact), id=algorithm)

    def review(self, algorithm: int, decision: str = "approve") -> WriteView:
        """A moderator's decision: ``approve`` or ``return_to_review``."""
        if decision not in ("approve", "return_to_review"):
            raise DMLError(0, "client.bad_decision", "decision is approve or return_to_review")
        call = calls.Marketplace.approve if decision == "approve" else calls.Marketplace.send_to_review
        return self._write(f"/v1/algorithms/{algorithm}/review", {"decision": decision}, lambda: call(algorithm), id=algorithm)

    def activate(self, algorithm: int) -> WriteView:
        return self._write(f"/v1/algorithms/{algorithm}/activate", None, lambda: calls.Marketplace.activate(algorithm), id=algorithm)

    def deactivate(self, algorithm: int) -> WriteView:
        return self._write(f"/v1/algorithms/{algorithm}/deactivate", None, lambda: calls.Marketplace.deactivate(algorithm), id=algorithm)

    def purchase(self, algorithm: int, max_price: Optional[int] = None) -> WriteView:
        """Buys at the listed price, refused if it is above ``max_price`` (default: the price
        read now, so a price raised meanwhile cannot take more)."""
        if max_price is None:
            max_price = int(self.get(algorithm)["price"])
        return self._write(f"/v1/algorithms/{algorithm}/purchase", {"maxPrice": str(max_price)},
                           lambda: calls.Marketplace.purchase(algorithm, max_price), id=algorithm)

    def withdraw(self, algorithm: int) -> WriteView:
        """The creator takes the proceeds escrowed by purchases."""
        return self._write(f"/v1/algorithms/{algorithm}/withdraw", None, lambda: calls.Marketplace.withdraw_proceeds(algorithm), id=algorithm)

    def download(self, algorithm: int, destination: Optional[Union[str, Path]] = None, *, version: int = 0) -> Downloaded:
        """Downloads an artifact (the current one, or ``version``) as its creator, a buyer or a
        moderator; the bytes must hash to the CID the ledger lists. A self-custody user's
        download is recorded on the ledger here (the server records custodial ones)."""
        view = self.get(algorithm)
        if version:
            found = [v for v in view["versions"] if v["version"] == version]
            if not found:
                raise DMLError(404, "client.no_version", f"algorithm {algorithm} has no version {version}")
            expected = found[0]["artifact"]
        else:
            expected = view["artifact"]
        result = download(self._client, f"/v1/algorithms/{algorithm}/artifact", destination,
                          query={"version": version} if version else None, expected_cid=expected)
        if self._client.signs_locally and view.get("viewerMayDownload"):
            self._client.ledger.submit(calls.Marketplace.record_download(algorithm))
        return result
