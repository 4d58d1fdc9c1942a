"""``/v1/tasks``: DecentralML work items — create (rewards escrowed), assignments, results,
validation, settlement and withdrawal."""
from __future__ import annotations

from typing import Any, Dict, Optional, cast

from . import calls
from .calls import StoredArtifact, TaskDraft
from .client import Resource
from .errors import DMLError
from .types import TaskPage, TaskResultPage, TaskView, WriteView

__all__ = ["TasksAPI", "TaskDraft", "StoredArtifact"]


class TasksAPI(Resource):
    def create(self, draft: TaskDraft) -> WriteView:
        """Posts a task; ``reward_per_result × max_assignments`` is escrowed."""
        return self._write("/v1/tasks", draft.to_json(), lambda: calls.Tasks.create(draft), created="created")

    def list(self, scope: str = "open", *, limit: Optional[int] = None, offset: Optional[int] = None) -> TaskPage:
        """``open`` tasks (anyone), or ``mine`` / ``assigned`` (signed in)."""
        return cast(TaskPage, self._get("/v1/tasks", {"scope": scope, "limit": limit, "offset": offset}))

    def get(self, task: int) -> TaskView:
        return cast(TaskView, self._get(f"/v1/tasks/{task}"))

    def assign(self, task: int) -> WriteView:
        """Takes an assignment as a worker (the task's stake is held)."""
        return self._write(f"/v1/tasks/{task}/assignments", None, lambda: calls.Tasks.assign(task), id=task)

    def send_result(self, task: int, *, inline: Optional[str] = None, stored: Optional[StoredArtifact] = None) -> WriteView:
        """The assigned worker's result: inline text (≤ 2 048 bytes) or a stored artifact."""
        if (inline is None) == (stored is None):
            raise DMLError(0, "client.bad_result", "a result is inline text or a stored artifact, exactly one")
        body: Dict[str, Any] = {"inline": inline} if inline is not None else {"stored": stored.to_json()}  # type: ignore[union-attr]
        return self._write(f"/v1/tasks/{task}/results", body, lambda: calls.Tasks.send_result(task, inline, stored), id=task)

    def results(self, task: int, *, limit: Optional[int] = None, offset: Optional[int] = None) -> TaskResultPage:
        return cast(TaskResultPage, self._get(f"/v1/tasks/{task}/results", {"limit": limit, "offset": offset}))

    def validate(self, task: int, worker: str, accept: bool, *, input_digest: Optional[str] = None,
                 output_digest: Optional[str] = None) -> WriteView:
        """The creator's (or the custom validator's) verdict on a worker's result."""
        body: Dict[str, Any] = {"worker": worker, "accept": accept}
        if input_digest is not None:
            body["inputDigest"] = input_digest
        if output_digest is not None:
            body["outputDigest"] = output_digest
        return self._write(f"/v1/tasks/{task}/validations", body,
                           lambda: calls.Tasks.validate(task, worker, accept, input_digest, output_digest), id=task)

    def settle(self, task: int, worker: str) -> WriteView:
        return self._write(f"/v1/tasks/{task}/settle", {"worker": worker}, lambda: calls.Tasks.settle(task, worker), id=task)

    def withdraw(self, task: int) -> WriteView:
        return self._write(f"/v1/tasks/{task}/withdraw", None, lambda: calls.Tasks.withdraw(task), id=task)
