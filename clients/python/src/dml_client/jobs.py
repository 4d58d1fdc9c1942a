"""``/v1/jobs``: requesters post jobs for a marketplace algorithm package; devices take a
lease, run the package on their own data in a sandbox, and send the output with a run receipt
signed by their key (docs/algorithms.md). Running WebAssembly needs a sandbox: ``DmlRunner``
uses ``dml algo run`` in a child process, the same sandbox ``dml worker`` uses; any object with
the ``Runner`` method works instead."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional, Union, cast

from . import calls
from .artifacts import Downloaded, download
from .client import Resource
from .errors import DMLError, DMLIntegrityError
from .protocol import RunReceipt
from .types import AcceptedView, JobPage, JobReport, JobView, ResultPage, WorkView, WriteView

try:
    from typing import Protocol
except ImportError:  # pragma: no cover
    Protocol = object  # type: ignore

__all__ = ["JobsAPI", "RunResult", "Runner", "DmlRunner", "matrix_to_csv"]


@dataclass(frozen=True)
class RunResult:
    """One sandboxed run: the output bytes, the fuel, and the digests of what the module saw and wrote."""

    outcome: str
    output: bytes
    fuel_used: int
    input_digest: bytes
    output_digest: bytes


class Runner(Protocol):
    def run(self, package: Path, *, input_file: Optional[Path] = None, input_bytes: Optional[bytes] = None,
            drop_columns: int = 0) -> RunResult: ...


def matrix_to_csv(matrix: bytes) -> str:
    """An f32-matrix (u32 rows, u32 columns, f32 cells, little-endian) as CSV text that parses
    back to the same float32 values."""
    if len(matrix) < 8:
        raise DMLError(0, "client.bad_matrix", "an f32-matrix starts with 8 header bytes")
    rows, columns = struct.unpack_from("<II", matrix, 0)
    if 8 + rows * columns * 4 != len(matrix):
        raise DMLError(0, "client.bad_matrix", f"{rows} × {columns} cells need {8 + rows * columns * 4} bytes, got {len(matrix)}")
    values = struct.unpack_from(f"<{rows * columns}f", matrix, 8)
    lines = [",".join(repr(v) for v in values[r * columns:(r + 1) * columns]) for r in range(rows)]
    return "\n".join(lines) + "\n"


class DmlRunner:
    """Runs packages with ``dml algo run --json --child`` (the ``dml`` binary on PATH, or ``binary``)."""

    def __init__(self, binary: Optional[str] = None, timeout: float = 300.0) -> None:
        found = binary or os.environ.get("DML_BIN") or shutil.which("dml")
        if not found or not os.access(found, os.X_OK):
            raise DMLError(0, "client.no_sandbox", "running a package needs the dml binary: put it on PATH or pass binary= (or set DML_BIN)")
        self.binary = found
        self.timeout = timeout

    def run(self, package: Path, *, input_file: Optional[Path] = None, input_bytes: Optional[bytes] = None,
            drop_columns: int = 0) -> RunResult:
        manifest = json.loads(Path(package).read_bytes())["manifest"]
        with tempfile.TemporaryDirectory(prefix="dml-run-") as folder:
            if input_bytes is not None:
                input_file = Path(folder) / "input"
                if manifest["input"]["format"] == "f32-matrix":
                    input_file.write_text(matrix_to_csv(input_bytes))
                else:
                    input_file.write_bytes(input_bytes)
            if input_file is None:
                raise DMLError(0, "client.no_input", "a run needs an input file or bytes")
            command = [self.binary, "algo", "run", str(package), "--input", str(input_file), "--json", "--child"]
            if drop_columns:
                command += ["--drop-columns", str(drop_columns)]
            done = subprocess.run(command, capture_output=True, text=True, timeout=self.timeout)
        try:
            result = json.loads(done.stdout)["result"]
        except (ValueError, KeyError):
            raise DMLError(0, "client.run_failed", f"dml algo run failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}") from None
        if result["outcome"] != "completed":
            raise DMLError(0, "client.run_failed", f"the package did not complete: {result['outcome']} {result.get('logs', '')}")
        output = base64.b64decode(result["output"])
        run = RunResult(result["outcome"], output, int(result["fuelUsed"]), bytes.fromhex(result["inputDigest"]),
                        bytes.fromhex(result["outputDigest"]))
        if hashlib.sha256(output).digest() != run.output_digest:
            raise DMLIntegrityError(0, "client.output_mismatch", "the runner's output does not hash to its output digest")
        if input_bytes is not None and hashlib.sha256(input_bytes).digest() != run.input_digest:
            raise DMLIntegrityError(0, "client.input_mismatch", "the runner did not see the input it was given")
        return run


class JobsAPI(Resource):
    # Requester ---------------------------------------------------------------------------------

    def create(self, algorithm: int, devices: int, reward_per_device: int, deadline_ms: int,
               requirements: Optional[str] = None) -> WriteView:
        """Posts a job for an active algorithm the caller created or bought (its artifact must
        be a package); ``devices × reward_per_device`` is escrowed."""
        body: Dict[str, Any] = {"algorithm": algorithm, "devices": devices, "rewardPerDevice": str(reward_per_device),
                                "deadlineMilliseconds": deadline_ms}
        if requirements is not None:
            body["requirements"] = requirements
        return cast(WriteView, self._post("/v1/jobs", body))

    def list(self, *, status: Optional[str] = None, mine: bool = False, limit: Optional[int] = None,
             offset: Optional[int] = None) -> JobPage:
        return cast(JobPage, self._get("/v1/jobs", {"status": status, "mine": "true" if mine else None, "limit": limit, "offset": offset}))

    def get(self, job: int) -> JobView:
        return cast(JobView, self._get(f"/v1/jobs/{job}"))

    def results(self, job: int) -> ResultPage:
        return cast(ResultPage, self._get(f"/v1/jobs/{job}/results"))

    def report(self, job: int) -> JobReport:
        """The report as JSON (requester, moderators)."""
        return cast(JobReport, self._get(f"/v1/jobs/{job}/report", {"format": "json"}))

    def save_report(self, job: int, destination: Union[str, Path], format: str = "html") -> Downloaded:
        """Writes the report (``html``, ``csv`` or ``json``) to a file."""
        if format not in ("html", "csv", "json"):
            raise DMLError(0, "client.bad_format", "format is html, csv or json")
        return download(self._client, f"/v1/jobs/{job}/report", destination, query={"format": format})

    def close(self, job: int) -> WriteView:
        """After the deadline, the requester takes back what was not paid."""
        return self._write(f"/v1/jobs/{job}/close", None, lambda: calls.Jobs.close(job), id=job)

    # Device ------------------------------------------------------------------------------------

    def work(self, wait_seconds: int = 0) -> Optional[WorkView]:
        """A lease on the oldest job this device may work on, or None when none came in time."""
        reply = self._client.request("POST", "/v1/jobs/work", json_body={"waitSeconds": wait_seconds},
                                     timeout=wait_seconds + 60, expect=(204,))
        return None if reply.status == 204 else cast(WorkView, reply.json())

    def package(self, lease: WorkView, destination: Optional[Union[str, Path]] = None) -> Downloaded:
        """The job's package, checked against the algorithm address (SHA-256) the lease names."""
        return download(self._client, lease["package"], destination, expected_sha256=lease["algorithm"], expected_cid=lease["artifact"])

    def submit_result(self, job: int, lease: str, output: bytes, receipt: RunReceipt, *,
                      challenge: Optional[Dict[str, Any]] = None, audit_input: Optional[bytes] = None) -> AcceptedView:
        body: Dict[str, Any] = {"lease": lease, "output": base64.b64encode(output).decode("ascii"), "receipt": receipt.to_json()}
        if challenge is not None:
            body["challenge"] = challenge
        if audit_input is not None:
            body["auditInput"] = base64.b64encode(audit_input).decode("ascii")
        return cast(AcceptedView, self._post(f"/v1/jobs/{job}/results", body))

    def receipt(self, lease: WorkView, run: RunResult) -> RunReceipt:
        """A receipt of ``run`` for ``lease``, signed with the client's key (the device's account)."""
        key = self._client.key
        if key is None:
            raise DMLError(0, "client.no_key", "a device signs its receipts: sign in with a key (users.key_login)")
        return RunReceipt(bytes.fromhex(lease["algorithm"]), run.input_digest, run.output_digest, run.fuel_used,
                          key.public_key, bytes.fromhex(lease["nonce"])).signed(key)

    def run_once(self, input_file: Union[str, Path], *, runner: Optional[Runner] = None, wait_seconds: int = 0,
                 drop_columns: int = 0, disclose: bool = False) -> Optional[AcceptedView]:
        """One job as a device: take a lease, download and check the package, run it on
        ``input_file`` (and on the lease's challenge, if any), sign the receipts and send the
        result. Returns what the server paid, or None when there was no work."""
        lease = self.work(wait_seconds)
        if lease is None:
            return None
        runner = runner or DmlRunner()
        with tempfile.TemporaryDirectory(prefix="dml-job-") as folder:
            package = Path(folder) / "package.json"
            self.package(lease, package)
            run = runner.run(package, input_file=Path(input_file), drop_columns=drop_columns)
            challenge = None
            if lease.get("challenge"):
                challenge_input = base64.b64decode(lease["challenge"])
                answer = runner.run(package, input_bytes=challenge_input)
                challenge = {"output": base64.b64encode(answer.output).decode("ascii"), "receipt": self.receipt(lease, answer).to_json()}
            audit = None
            if disclose:
                audit = Path(input_file).read_bytes() if json.loads(package.read_bytes())["manifest"]["input"]["format"] == "bytes" else None
                if audit is None:
                    raise DMLError(0, "client.cannot_disclose", "disclosing an input is supported for bytes-format packages only")
        return self.submit_result(lease["job"], lease["lease"], run.output, self.receipt(lease, run), challenge=challenge, audit_input=audit)
