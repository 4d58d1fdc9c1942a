"""``/v1/federated`` and ``/v1/privacy/budgets`` (docs/learning.md, docs/privacy.md): create a
federated job, follow it, read its report and model, publish the model; and take part in
its plain rounds as a device (``FederatedAPI.train``)."""
from __future__ import annotations

import base64
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union, cast

from . import calls
from .artifacts import Downloaded, download
from .client import Resource
from .errors import DMLError, DMLIntegrityError
from .learning import Dataset, ModelWeights, plan_digest, train
from .types import (BudgetView, ExchangeReply, FederatedJobPage, FederatedJobView, FederatedPlan, FederatedReport,
                    WriteView)

__all__ = ["FederatedAPI", "PrivacyAPI", "RoundOutcome", "TrainingLog"]


@dataclass
class RoundOutcome:
    round: int
    outcome: str


@dataclass
class TrainingLog:
    job: int
    rounds: List[RoundOutcome] = field(default_factory=list)

    @property
    def aggregated(self) -> int:
        return sum(1 for r in self.rounds if r.outcome == "aggregated")


class FederatedAPI(Resource):
    # Requester ---------------------------------------------------------------------------------

    def create(self, plan: FederatedPlan, reward_per_device_per_round: int, deadline_ms: int, *, dataset: Optional[str] = None,
               delta: Optional[float] = None, evaluation_csv: Optional[str] = None,
               evaluation_scale: Optional[float] = None) -> WriteView:
        """Posts a job (custodial requester): ``rounds × devicesPerRound × reward`` is escrowed
        and a differentially private plan spends ``dataset``'s budget in the same ledger call."""
        body: Dict[str, Any] = {"plan": plan, "rewardPerDevicePerRound": str(reward_per_device_per_round),
                                "deadlineMilliseconds": deadline_ms}
        for key, value in (("dataset", dataset), ("delta", delta), ("evaluationCSV", evaluation_csv),
                           ("evaluationScale", evaluation_scale)):
            if value is not None:
                body[key] = value
        return cast(WriteView, self._post("/v1/federated", body))

    def list(self, *, status: Optional[str] = None, limit: Optional[int] = None, offset: Optional[int] = None) -> FederatedJobPage:
        return cast(FederatedJobPage, self._get("/v1/federated", {"status": status, "limit": limit, "offset": offset}))

    def get(self, job: int) -> FederatedJobView:
        return cast(FederatedJobView, self._get(f"/v1/federated/{job}"))

    def report(self, job: int) -> FederatedReport:
        return cast(FederatedReport, self._get(f"/v1/federated/{job}/report", {"format": "json"}))

    def save_report(self, job: int, destination: Union[str, Path], format: str = "html") -> Downloaded:
        if format not in ("html", "csv", "json"):
            raise DMLError(0, "client.bad_format", "format is html, csv or json")
        return download(self._client, f"/v1/federated/{job}/report", destination, query={"format": format})

    def model(self, job: int, destination: Optional[Union[str, Path]] = None) -> Downloaded:
        """The newest recorded model's weights file (requester, moderators); once the job is
        completed it must hash to the final model digest on the ledger."""
        view = self.get(job)
        expected = view.get("finalModel") if view["status"] == "completed" else None
        result = download(self._client, f"/v1/federated/{job}/model", destination, expected_sha256=expected)
        data = result.data if result.data is not None else Path(result.path).read_bytes()  # type: ignore[arg-type]
        ModelWeights.decode(data)
        return result

    def publish(self, job: int, title: str, description: str, price: int, *, device_fee: int = 0, data_required: str = "",
                tags: Sequence[str] = ()) -> WriteView:
        """Lists a completed job's final model in the marketplace (reviewed like any listing)."""
        body = {"title": title, "description": description, "price": str(price), "deviceFee": str(device_fee),
                "dataRequired": data_required, "tags": list(tags)}
        return cast(WriteView, self._post(f"/v1/federated/{job}/publish", body))

    def close(self, job: int) -> WriteView:
        return self._write(f"/v1/federated/{job}/close", None, lambda: calls.Federated.close(job), id=job)

    # Device ------------------------------------------------------------------------------------

    def exchange(self, job: int, body: Dict[str, Any]) -> ExchangeReply:
        wait = int(body.get("waitSeconds") or 0)
        reply = self._client.request("POST", f"/v1/federated/{job}/exchange", json_body=body, timeout=wait + 60)
        return cast(ExchangeReply, reply.json())

    def _step(self, job: int, body: Dict[str, Any], wait_seconds: int) -> ExchangeReply:
        """Sends a step, then asks again without its payload while the answer is ``wait``."""
        body = dict(body, waitSeconds=wait_seconds)
        unavailable = 0
        while True:
            try:
                reply = self.exchange(job, body)
            except DMLError as error:
                if error.status == 503 and unavailable < 30:
                    unavailable += 1
                    time.sleep(1)
                    continue
                raise
            if reply["status"] != "wait":
                return reply
            if body["phase"] != "join":
                body = {"round": body["round"], "phase": body["phase"], "waitSeconds": wait_seconds}

    def train(self, job: Optional[int], data: Dataset, *, wait_seconds: int = 5, rounds_max: Optional[int] = None,
              log: Optional[Callable[[RoundOutcome], None]] = None) -> TrainingLog:
        """Takes part in a plain federated job (the newest open one when ``job`` is None) as a
        signed-in device until it finishes: join, train locally, send the update, round after
        round. The plan served must match the digest on the ledger."""
        if job is None:
            page = self.list(status="open", limit=1)
            if not page["items"]:
                raise DMLError(404, "client.no_job", "there is no open federated job")
            job = page["items"][0]["id"]
        details = self.get(job)
        plan = details.get("planDetails")
        if plan is None:
            raise DMLError(404, "client.no_plan", f"federated job {job} has no plan on this server")
        if plan_digest(cast(Dict[str, Any], plan)) != details["plan"]:
            raise DMLIntegrityError(0, "client.plan_mismatch", f"the plan served for job {job} does not match the digest on the ledger")
        if plan.get("secureAggregation"):
            raise DMLError(0, "client.unsupported_plan", "this Python device does not do secure aggregation; use dml fl worker")
        model = plan["model"]
        if data.columns != model["inputs"] or any(label >= model["classes"] for label in data.labels):
            raise DMLError(0, "client.bad_data", f"job {job} needs {model['inputs']} features and labels below {model['classes']}; "
                                                  f"the data has {data.columns} features")
        round_ = details.get("currentRound") or details["roundsRecorded"] + 1
        result = TrainingLog(job)
        limit = rounds_max if rounds_max is not None else plan["rounds"]
        trained = 0
        while trained < limit:
            outcome, next_round, did_train = self._take_part(job, cast(Dict[str, Any], plan), round_, data, wait_seconds)
            trained += did_train
            step = RoundOutcome(round_, outcome)
            result.rounds.append(step)
            if log:
                log(step)
            if next_round is None:
                break
            if next_round == round_:
                time.sleep(0.2)
            round_ = next_round
        return result

    def _take_part(self, job: int, plan: Dict[str, Any], round_: int, data: Dataset,
                   wait: int) -> Tuple[str, Optional[int], int]:
        """One round: join, train, send. Returns what happened, the round to join next (None:
        the job is over) and whether this device trained."""
        reply = self._step(job, {"round": round_, "phase": "join"}, wait)
        redirect = _redirect(reply, round_)
        if redirect:
            return redirect[0], redirect[1], 0
        if not reply.get("model"):
            raise DMLError(0, "client.no_model", f"round {round_} came without a model")
        global_model = ModelWeights.decode(base64.b64decode(reply["model"]))
        parameters, loss = train(global_model, data, plan["training"])
        raw = struct.pack(f"<{len(parameters)}f", *parameters)
        reply = self._step(job, {"round": round_, "phase": "update", "parameters": base64.b64encode(raw).decode("ascii"),
                                 "examples": len(data), "loss": loss}, wait)
        redirect = _redirect(reply, round_)
        if redirect:
            return redirect[0], redirect[1], 1
        return "aggregated", round_ + 1, 1


def _redirect(reply: ExchangeReply, round_: int) -> Optional[Tuple[str, Optional[int]]]:
    """Where a reply other than ``go``/``done`` sends the device: the next round, or nowhere."""
    status = reply["status"]
    if status in ("go", "done"):
        return None
    if status == "finished":
        return ("the job is finished", None)
    return (f"not in round {round_}: {reply.get('message') or status}", max(reply["round"], round_))


class PrivacyAPI(Resource):
    def set_budget(self, dataset: str, epsilon: float, delta_max: Optional[float] = None) -> WriteView:
        """Creates a dataset's privacy budget (the caller owns it) or changes it (the owner)."""
        body: Dict[str, Any] = {"dataset": dataset, "epsilon": epsilon}
        if delta_max is not None:
            body["deltaMax"] = delta_max
        delta = 1e-5 if delta_max is None else delta_max
        return self._write("/v1/privacy/budgets", body,
                           lambda: calls.Privacy.set_budget(dataset, int(epsilon * 1e6), round(delta * 1e12)))

    def budget(self, dataset: str) -> BudgetView:
        return cast(BudgetView, self._get("/v1/privacy/budgets", {"dataset": dataset}))
