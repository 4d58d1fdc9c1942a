"""``dml-client``: the command line, with a subcommand for every action and an interactive menu
per role (requester, developer, device/contributor, storage provider, moderator) whose items
run exactly those subcommands.

    dml-client --server http://127.0.0.1:8080 signup --email ada@example.org --password '…'
    dml-client login --email ada@example.org --password '…'
    dml-client bounty list
    dml-client menu requester

State lives in ``--home`` (default ``$DML_CLIENT_HOME`` or ``~/.dml-client``): ``session.json``
(0600: server, tokens, key name) and ``keys/NAME.key`` (0600, the format of ``dml keys``).
Amounts on the command line are in DML (``12.5``); ``--json`` prints the API's replies as they are.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, TextIO, Tuple

from . import calls
from .artifacts import download
from .calls import StoredArtifact, TaskDraft
from .client import Client
from .errors import DMLError
from .federated import RoundOutcome
from .jobs import DmlRunner
from .keys import Key, KeyFileError, KeyStore
from .learning import Dataset
from .protocol import ProtocolError, format_dml, is_address, parse_dml
from .storage import NodeClient
from .types import SessionView

DEFAULT_SERVER = "http://127.0.0.1:8080"


class CLIError(Exception):
    """A usage problem, said plainly (exit status 2)."""


# State ------------------------------------------------------------------------------------------

class State:
    """The ``--home`` folder: the session file and the key store."""

    def __init__(self, home: Path, server: Optional[str], keys: Optional[Path], key: Optional[str] = None) -> None:
        self.home = home
        self.key_name = key
        self.keys = KeyStore(keys or home / "keys")
        self.session_file = home / "session.json"
        self.session: Dict[str, Any] = {}
        if self.session_file.exists():
            try:
                self.session = json.loads(self.session_file.read_text())
            except ValueError:
                raise CLIError(f"{self.session_file} is not JSON; delete it and sign in again") from None
        self.server = server or os.environ.get("DML_SERVER") or self.session.get("server") or DEFAULT_SERVER
        if self.session and self.session.get("server") != self.server:
            self.session = {}  # a session belongs to one server

    def ensure_home(self) -> None:
        if not self.home.exists():
            self.home.mkdir(mode=0o700, parents=True)

    def save(self) -> None:
        self.ensure_home()
        temporary = self.session_file.with_suffix(".tmp")
        descriptor = os.open(str(temporary), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(self.session, handle, indent=2)
        os.replace(temporary, self.session_file)

    def client(self) -> Client:
        if self.key_name:
            # --key NAME: act as that key, signing every write here; no session.
            return Client(self.server, key=self.keys.load(self.key_name))
        key = self.keys.load(self.session["key"]) if self.session.get("key") else None
        client = Client(self.server, token=self.session.get("accessToken"), refresh_token=self.session.get("refreshToken"),
                        key=key, on_session=self._remember)
        if self.session.get("user"):
            client.user = self.session["user"]
        return client

    def _remember(self, session: SessionView) -> None:
        self.session.update(server=self.server, accessToken=session["accessToken"], refreshToken=session["refreshToken"],
                            user=session["user"])
        self.save()


# Output -----------------------------------------------------------------------------------------

@dataclass
class Out:
    json_mode: bool
    stream: TextIO = field(default_factory=lambda: sys.stdout)
    field_path: Optional[str] = None

    def emit(self, value: Any, text: Optional[str] = None) -> None:
        if self.field_path:
            found = value
            for part in self.field_path.split("."):
                if not isinstance(found, dict) or part not in found:
                    raise CLIError(f"the reply has no field '{self.field_path}' (it has: {', '.join(sorted(value)) if isinstance(value, dict) else '-'})")
                found = found[part]
            self.stream.write((found if isinstance(found, str) else json.dumps(found)) + "\n")
        elif self.json_mode or text is None:
            self.stream.write(json.dumps(value, indent=2, sort_keys=True) + "\n")
        else:
            self.stream.write(text.rstrip("\n") + "\n")
        self.stream.flush()


def dml(amount: Any) -> str:
    return f"{format_dml(int(amount))} DML"


def amount(text: str) -> int:
    try:
        return parse_dml(text)
    except ProtocolError as error:
        raise CLIError(str(error)) from None


def amounts(text: str) -> List[int]:
    return [amount(part) for part in text.split(",") if part.strip()]


def minutes_from_now(minutes: float) -> int:
    return int(time.time() * 1000 + minutes * 60_000)


def written(view: Mapping[str, Any], what: str) -> str:
    tx = view["transaction"]
    ident = f" {view['id']}" if "id" in view else ""
    return f"{what}{ident} (block {tx['height']}, transaction {tx['hash'][:16]}…)"


def table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    if not rows:
        return "(none)"
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells)


# Commands ---------------------------------------------------------------------------------------

Handler = Callable[[argparse.Namespace, State, Out], None]


def needs_key(state: State, client: Client) -> Key:
    if client.key is None:
        raise CLIError("this is signed with your own key: sign in with 'login --key NAME' first")
    return client.key


def cmd_signup(a: argparse.Namespace, state: State, out: Out) -> None:
    client = state.client()
    key = state.keys.load(a.key) if a.key else None
    view = client.users.sign_up(a.email, a.password, key=key, profile={"displayName": a.name} if a.name else None)
    if a.confirm:
        if not view.get("confirmationToken"):
            raise CLIError("this server sends the confirmation by email (not a development chain): use dml-client confirm TOKEN")
        view["user"] = client.users.confirm(view["confirmationToken"])
    text = f"signed up {view['user']['email']} as {view['user']['account']} ({'custodial' if view['user']['custodial'] else 'own key'})"
    if view.get("confirmationToken") and not a.confirm:
        text += f"\nconfirmation token: {view['confirmationToken']}\nconfirm with: dml-client confirm {view['confirmationToken']}"
    out.emit(view, text)


def cmd_confirm(a: argparse.Namespace, state: State, out: Out) -> None:
    user = state.client().users.confirm(a.token)
    out.emit(user, f"confirmed {user.get('email')}")


def cmd_login(a: argparse.Namespace, state: State, out: Out) -> None:
    client = state.client()
    if a.key:
        try:
            key = state.keys.load(a.key)
        except KeyFileError:
            if not a.create:
                raise
            state.ensure_home()
            key = state.keys.create(a.key)
        state.session = {"server": state.server, "key": a.key}
        client.key = key
        session = client.users.key_login(key)
    else:
        if not a.email or a.password is None:
            raise CLIError("login needs --email and --password, or --key NAME")
        state.session = {"server": state.server}
        if a.with_key:
            state.session["key"] = a.with_key
            client.key = state.keys.load(a.with_key)
        session = client.users.login(a.email, a.password)
    user = session["user"]
    out.emit(user, f"signed in as {user.get('email') or user['account']} ({user['account']}, {'custodial' if user['custodial'] else 'own key'})")


def cmd_logout(a: argparse.Namespace, state: State, out: Out) -> None:
    state.session = {"server": state.server}
    state.save()
    out.emit({"signedIn": False}, "signed out")


def cmd_whoami(a: argparse.Namespace, state: State, out: Out) -> None:
    client = state.client()
    if not client.token:
        raise CLIError("not signed in (dml-client login …)")
    user = client.users.me()
    out.emit(user, f"{user.get('email') or '(no email)'} {user['account']} ({'custodial' if user['custodial'] else 'own key'}) on {state.server}")


def cmd_profile(a: argparse.Namespace, state: State, out: Out) -> None:
    user = state.client().users.update_profile(display_name=a.name, bio=a.bio, country=a.country, website=a.website)
    out.emit(user, f"profile: {user['profile']}")


def cmd_keys_create(a: argparse.Namespace, state: State, out: Out) -> None:
    state.ensure_home()
    key = state.keys.create(a.name)
    out.emit({"name": a.name, "address": key.address, "path": str(state.keys.path(a.name))},
             f"created key '{a.name}': {key.address}\n(kept in {state.keys.path(a.name)}, mode 0600)")


def cmd_keys_list(a: argparse.Namespace, state: State, out: Out) -> None:
    keys = [{"name": name, "address": key.address} for name, key in state.keys.list()]
    out.emit(keys, table([(k["name"], k["address"]) for k in keys], ("name", "address")))


def cmd_keys_show(a: argparse.Namespace, state: State, out: Out) -> None:
    key = state.keys.load(a.name)
    out.emit({"name": a.name, "address": key.address}, key.address)


def cmd_balance(a: argparse.Namespace, state: State, out: Out) -> None:
    client = state.client()
    address = a.address
    if address and not is_address(address):
        address = state.keys.load(address).address
    view = client.ledger.account(address)
    out.emit(view, f"{view['address']}\n  free  {dml(view['free'])}\n  held  {dml(view['held'])}\n  nonce {view['nextNonce']}")


def cmd_transfer(a: argparse.Namespace, state: State, out: Out) -> None:
    client = state.client()
    to = a.to if is_address(a.to) else state.keys.load(a.to).address
    receipt = client.ledger.transfer(to, amount(a.amount))
    out.emit(receipt, f"sent {a.amount} DML to {to} (block {receipt['height']}, transaction {receipt['hash'][:16]}…)")


def cmd_faucet(a: argparse.Namespace, state: State, out: Out) -> None:
    client = state.client()
    needs_key(state, client)
    receipt = client.ledger.faucet(amount(a.amount))
    out.emit(receipt, f"minted {a.amount} DML to {client.key.address} (development chains only)")  # type: ignore[union-attr]


def cmd_block(a: argparse.Namespace, state: State, out: Out) -> None:
    client = state.client()
    height = a.height if a.height is not None else client.system.ready()["head"]
    block = client.ledger.block(height)
    lines = [f"block {block['height']} {block['hash']}", f"  time {block['timestampMilliseconds']}  state root {block['stateRoot']}"]
    lines += [f"  tx {t['hash'][:16]}… {t['signer']} {t['call']}" for t in block["transactions"]]
    out.emit(block, "\n".join(lines))


def cmd_tx(a: argparse.Namespace, state: State, out: Out) -> None:
    tx = state.client().ledger.transaction(a.hash)
    out.emit(tx, f"{tx['hash']} in block {tx['height']} #{tx['index']}: {tx['module']} {tx['call']} by {tx['signer']}")


def cmd_events(a: argparse.Namespace, state: State, out: Out) -> None:
    rows = state.client().ledger.events(after=a.after, limit=a.limit)
    out.emit(rows, "\n".join(f"{r['height']}.{r['position']} {r['module']} {r['text']}" for r in rows) or "(none)")


def cmd_role(a: argparse.Namespace, state: State, out: Out) -> None:
    client = state.client()
    key = needs_key(state, client)
    role = calls.Role.named(a.role, a.provider)
    receipt = (client.ledger.grant_role if a.action == "grant" else client.ledger.revoke_role)(role, a.account, key=key)
    out.emit(receipt, f"{a.action}ed {a.role} {'to' if a.action == 'grant' else 'from'} {a.account}")


# Bounties

def cmd_bounty(a: argparse.Namespace, state: State, out: Out) -> None:
    # Replies of several shapes pass through these names; they are only displayed here.
    view: Any
    page: Any
    rows: Any
    client = state.client()
    b = client.bounties
    action = a.bounty_action
    if action == "list":
        owner = client.account if a.mine else a.owner
        page = b.list(status=a.status, q=a.q, owner=owner, sort=a.sort, limit=a.limit)
        rows = [(i["id"], i["status"], dml(i["prizePool"]), i["participants"], i["submissions"], i["title"]) for i in page["items"]]
        out.emit(page, table(rows, ("id", "status", "pool", "people", "submitted", "title")))
    elif action == "show":
        view = b.get(a.id)
        out.emit(view, "\n".join([f"bounty {view['id']}: {view['title']} [{view['status']}]", f"  owner {view['owner']}",
                                  f"  prizes {', '.join(dml(p) for p in view['prizes'])} (funded {dml(view['funded'])})",
                                  f"  participants {view['participants']}, submissions {view['submissions']}",
                                  f"  winners {', '.join(view['winners']) or '-'}"]))
    elif action == "create":
        view = b.create(a.title, a.description, amounts(a.prizes), enrollment_end=minutes_from_now(a.enrollment_minutes),
                        submission_end=minutes_from_now(a.enrollment_minutes + a.submission_minutes),
                        evaluation_deadline=minutes_from_now(a.enrollment_minutes + a.submission_minutes + a.evaluation_minutes),
                        expiry_rule=a.expiry_rule, fund=not a.no_fund)
        out.emit(view, written(view, "posted bounty"))
    elif action == "fund":
        out.emit(b.fund(a.id, amount(a.amount)), f"funded bounty {a.id} with {a.amount} DML")
    elif action in ("open-enrollment", "close-enrollment", "open-submissions", "close-submissions", "enroll", "payout", "cancel", "expire"):
        method = getattr(b, action.replace("-", "_"))
        view = method(a.id)
        out.emit(view, written(view, f"{action} bounty"))
    elif action == "submit":
        artifact = a.artifact
        if a.file:
            artifact = client.algorithms.upload_artifact(a.file)["cid"]
        if not artifact:
            raise CLIError("submit needs --artifact CID or --file FILE")
        view = b.submit(a.id, artifact, a.note)
        out.emit(view, written(view, f"submitted {artifact} to bounty"))
    elif action == "submissions":
        rows = b.submissions(a.id)
        out.emit(rows, table([(s["participant"], s["artifact"], s["note"], s["height"]) for s in rows], ("participant", "artifact", "note", "block")))
    elif action == "award":
        view = b.award(a.id, [w.strip() for w in a.winners.split(",") if w.strip()])
        out.emit(view, written(view, "awarded bounty"))


# Algorithms

def cmd_algo(a: argparse.Namespace, state: State, out: Out) -> None:
    # Replies of several shapes pass through these names; they are only displayed here.
    view: Any
    page: Any
    v: Any
    rows: Any
    result: Any
    client = state.client()
    m = client.algorithms
    action = a.algo_action
    if action == "upload":
        view = m.upload_artifact(a.file)
        out.emit(view, f"uploaded {view['size']} bytes: {view['cid']}")
    elif action == "publish":
        artifact = a.artifact or (m.upload_artifact(a.file)["cid"] if a.file else None)
        if not artifact:
            raise CLIError("publish needs --artifact CID or --file FILE")
        view = m.publish(a.title, a.description, artifact, amount(a.price), device_fee=amount(a.device_fee),
                         data_required=a.data_required, tags=[t.strip() for t in a.tags.split(",") if t.strip()])
        out.emit(view, written(view, "published algorithm") + " — pending review by a moderator")
    elif action == "list":
        creator = client.account if a.mine else a.creator
        page = m.list(q=a.q, tags=a.tags.split(",") if a.tags else None, status=a.status, creator=creator, sort=a.sort, limit=a.limit)
        rows = [(i["id"], i["status"], dml(i["price"]), i["purchases"], ",".join(i["tags"]), i["title"]) for i in page["items"]]
        out.emit(page, table(rows, ("id", "status", "price", "bought", "tags", "title")))
    elif action == "show":
        v = m.get(a.id)
        out.emit(v, "\n".join([f"algorithm {v['id']}: {v['title']} [{v['status']}] v{v['version']}", f"  creator {v['creator']}",
                               f"  price {dml(v['price'])}, device fee {dml(v['deviceFee'])}, proceeds {dml(v['proceeds'])}",
                               f"  artifact {v['artifact']}", f"  purchases {v['purchases']}, downloads {v['downloads']}"]))
    elif action == "review":
        view = m.review(a.id, a.decision)
        out.emit(view, written(view, f"{a.decision} algorithm"))
    elif action == "purchase":
        view = m.purchase(a.id, amount(a.max_price) if a.max_price else None)
        out.emit(view, written(view, "bought algorithm"))
    elif action == "download":
        result = m.download(a.id, a.out, version=a.version)
        out.emit({"path": str(result.path), "size": result.size, "cid": result.cid, "sha256": result.sha256},
                 f"downloaded {result.size} bytes to {result.path} (CID {result.cid} verified)")
    elif action == "price":
        view = m.set_price(a.id, amount(a.price), amount(a.device_fee))
        out.emit(view, written(view, "priced algorithm"))
    elif action == "version":
        artifact = a.artifact or (m.upload_artifact(a.file)["cid"] if a.file else None)
        if not artifact:
            raise CLIError("version needs --artifact CID or --file FILE")
        view = m.publish_version(a.id, artifact)
        out.emit(view, written(view, "new version of algorithm"))
    elif action in ("activate", "deactivate", "withdraw"):
        view = getattr(m, action)(a.id)
        out.emit(view, written(view, f"{action} algorithm"))


# Tasks

def cmd_task(a: argparse.Namespace, state: State, out: Out) -> None:
    # Replies of several shapes pass through these names; they are only displayed here.
    view: Any
    page: Any
    v: Any
    rows: Any
    client = state.client()
    t = client.tasks
    action = a.task_action
    if action == "create":
        expires = a.expires_at_height
        if expires is None:
            expires = int(client.system.ready()["head"]) + a.expires_in_blocks
        stored = StoredArtifact(a.artifact_path, a.storage) if a.artifact_path else None
        draft = TaskDraft(kind=a.kind, question=a.question, reward_per_result=amount(a.reward), max_assignments=a.max_assignments,
                          expires_at_height=expires, validation=a.validation, validator=a.validator,
                          validator_algorithm=a.validator_algorithm, stake_per_assignment=amount(a.stake),
                          annotation_type=a.annotation_type, files=[f for f in a.files.split(",") if f], files_storage=a.storage,
                          class_labels=a.class_labels, script=stored if a.kind == "model_contribution" else None,
                          model=stored if a.kind == "model_engineering" else None)
        view = t.create(draft)
        out.emit(view, written(view, "created task"))
    elif action == "list":
        page = t.list(a.scope, limit=a.limit)
        rows = [(i["id"], i["status"], i["kind"]["type"], dml(i["rewardPerResult"]), f"{i['assignments']}/{i['maxAssignments']}", i["question"][:40])
                for i in page["items"]]
        out.emit(page, table(rows, ("id", "status", "kind", "reward", "taken", "question")))
    elif action == "show":
        v = t.get(a.id)
        out.emit(v, "\n".join([f"task {v['id']} [{v['status']}] {v['kind']['type']}: {v['question']}", f"  creator {v['creator']}",
                               f"  reward {dml(v['rewardPerResult'])} × {v['maxAssignments']}, stake {dml(v['stakePerAssignment'])}",
                               f"  validation {v['validation']['strategy']}, expires at block {v['expiresAtHeight']}",
                               f"  assignments {v['assignments']}, accepted {v['accepted']}, accepting work: {v['acceptingWork']}"]))
    elif action == "assign":
        view = t.assign(a.id)
        out.emit(view, written(view, "assigned to task"))
    elif action == "result":
        if a.inline is None and not a.stored_path:
            raise CLIError("result needs --inline TEXT or --stored-path PATH")
        view = t.send_result(a.id, inline=a.inline, stored=StoredArtifact(a.stored_path, a.storage) if a.stored_path else None)
        out.emit(view, written(view, "sent result for task"))
    elif action == "results":
        page = t.results(a.id)
        rows = [(r["worker"], r["status"], (r.get("result") or {}).get("inline") or (r.get("result") or {}).get("stored", {}).get("path", ""))
                for r in page["items"]]
        out.emit(page, table(rows, ("worker", "status", "result")))
    elif action == "validate":
        view = t.validate(a.id, a.worker, not a.reject)
        out.emit(view, written(view, f"{'rejected' if a.reject else 'accepted'} a result of task"))
    elif action == "settle":
        view = t.settle(a.id, a.worker)
        out.emit(view, written(view, "settled task"))
    elif action == "withdraw":
        view = t.withdraw(a.id)
        out.emit(view, written(view, "withdrew from task"))


# Jobs

def cmd_job(a: argparse.Namespace, state: State, out: Out) -> None:
    # Replies of several shapes pass through these names; they are only displayed here.
    view: Any
    page: Any
    v: Any
    rows: Any
    result: Any
    client = state.client()
    j = client.jobs
    action = a.job_action
    if action == "create":
        view = j.create(a.algorithm, a.devices, amount(a.reward), minutes_from_now(a.deadline_minutes), a.requirements)
        out.emit(view, written(view, "created job"))
    elif action == "list":
        page = j.list(status=a.status, mine=a.mine, limit=a.limit)
        rows = [(i["id"], i["status"], f"{i['accepted']}/{i['devices']}", dml(i["rewardPerDevice"]), i["requester"]) for i in page["items"]]
        out.emit(page, table(rows, ("id", "status", "paid", "reward", "requester")))
    elif action == "show":
        v = j.get(a.id)
        out.emit(v, f"job {v['id']} [{v['status']}] {v['accepted']}/{v['devices']} devices paid {dml(v['rewardPerDevice'])} each; "
                    f"algorithm {v['algorithm'][:16]}…, {v.get('liveLeases', 0)} live leases")
    elif action == "work":
        runner = DmlRunner(a.dml) if a.dml else DmlRunner()
        accepted = j.run_once(a.input, runner=runner, wait_seconds=a.wait, drop_columns=a.drop_columns, disclose=a.disclose)
        if accepted is None:
            out.emit({"work": None}, "no work right now")
        else:
            out.emit(accepted, f"job {accepted['job']}: paid {dml(accepted['paid'])}"
                               f"{' (challenge re-run matched)' if accepted['challenged'] else ''}")
    elif action == "results":
        page = j.results(a.id)
        out.emit(page, table([(r["device"], r.get("output"), r["transaction"][:16]) for r in page["items"]], ("device", "output", "transaction")))
    elif action == "report":
        if a.out:
            result = j.save_report(a.id, a.out, a.format or "html")
            out.emit({"path": str(result.path), "size": result.size}, f"wrote the report to {result.path}")
        elif a.format in ("csv", "html"):
            out.stream.write(download(client, f"/v1/jobs/{a.id}/report", query={"format": a.format}).data.decode())  # type: ignore[union-attr]
        elif a.format == "json":
            out.emit(j.report(a.id))
        else:
            report = j.report(a.id)
            fields = report["fields"]
            aggregate = report.get("aggregate") or []
            lines = [f"job {a.id}: {report['results']} results, {dml(report['totalPaid'])} paid"]
            lines += [f"  {f}\t{v}" for f, v in zip(fields, aggregate)]
            out.emit(report, "\n".join(lines))
    elif action == "close":
        view = j.close(a.id)
        out.emit(view, written(view, "closed job"))


# Federated

def cmd_fl(a: argparse.Namespace, state: State, out: Out) -> None:
    # Replies of several shapes pass through these names; they are only displayed here.
    view: Any
    page: Any
    v: Any
    rows: Any
    result: Any
    client = state.client()
    f = client.federated
    action = a.fl_action
    if action == "create":
        plan = json.loads(Path(a.plan).read_text())
        evaluation = Path(a.evaluation).read_text() if a.evaluation else None
        view = f.create(plan, amount(a.reward), minutes_from_now(a.deadline_minutes), dataset=a.dataset, delta=a.delta,
                        evaluation_csv=evaluation, evaluation_scale=a.evaluation_scale)
        out.emit(view, written(view, "created federated job"))
    elif action == "list":
        page = f.list(status=a.status, limit=a.limit)
        rows = [(i["id"], i["status"], f"{i['roundsRecorded']}/{i['rounds']}", i["devicesPerRound"], dml(i["rewardPerDevicePerRound"]))
                for i in page["items"]]
        out.emit(page, table(rows, ("id", "status", "rounds", "devices", "reward")))
    elif action == "show":
        v = f.get(a.id)
        out.emit(v, f"federated job {v['id']} [{v['status']}] rounds {v['roundsRecorded']}/{v['rounds']}, "
                    f"{v['devicesPerRound']} devices per round, reward {dml(v['rewardPerDevicePerRound'])}, "
                    f"final model {v.get('finalModel') or '-'}")
    elif action == "train":
        data = Dataset.from_file(a.input, a.scale)

        def progress(step: RoundOutcome) -> None:
            if not out.json_mode:
                out.stream.write(f"round {step.round}: {step.outcome}\n")
                out.stream.flush()

        log = f.train(a.job, data, wait_seconds=a.wait, rounds_max=a.rounds_max, log=progress)
        out.emit({"job": log.job, "rounds": [{"round": r.round, "outcome": r.outcome} for r in log.rounds]},
                 f"job {log.job}: aggregated in {log.aggregated} round(s)")
    elif action == "report":
        if a.out:
            result = f.save_report(a.id, a.out, a.format or "html")
            out.emit({"path": str(result.path), "size": result.size}, f"wrote the report to {result.path}")
        elif a.format in ("csv", "html"):
            out.stream.write(download(client, f"/v1/federated/{a.id}/report", query={"format": a.format}).data.decode())  # type: ignore[union-attr]
        elif a.format == "json":
            out.emit(f.report(a.id))
        else:
            report = f.report(a.id)
            lines = [f"federated job {a.id} [{report['status']}]: {dml(report['totalPaid'])} paid"]
            lines += [f"  round {r['round']}: {r['devices']} devices, accuracy {r.get('accuracy', '-')}, model {r['model']}" for r in report["rounds"]]
            out.emit(report, "\n".join(lines))
    elif action == "model":
        result = f.model(a.id, a.out)
        out.emit({"path": str(result.path), "size": result.size, "sha256": result.sha256}, f"wrote the model ({result.size} bytes) to {result.path}")
    elif action == "publish":
        view = f.publish(a.id, a.title, a.description, amount(a.price), tags=[t for t in a.tags.split(",") if t])
        out.emit(view, written(view, "listed the model as algorithm"))
    elif action == "close":
        view = f.close(a.id)
        out.emit(view, written(view, "closed federated job"))


def cmd_budget(a: argparse.Namespace, state: State, out: Out) -> None:
    client = state.client()
    if a.budget_action == "set":
        view = client.privacy.set_budget(a.dataset, a.epsilon, a.delta_max)
        out.emit(view, f"set the privacy budget of {a.dataset} to ε = {a.epsilon}")
    else:
        v = client.privacy.budget(a.dataset)
        out.emit(v, f"{v['dataset']}: ε {v['epsilon']} (spent {v['spent']}), δ max {v['deltaMax']}, owner {v['owner']}")


# Storage

def cmd_storage(a: argparse.Namespace, state: State, out: Out) -> None:
    # Replies of several shapes pass through these names; they are only displayed here.
    view: Any
    page: Any
    v: Any
    rows: Any
    result: Any
    receipt: Any
    client = state.client()
    s = client.storage
    action = a.storage_action
    if action == "nodes":
        provider = client.account if a.mine else a.provider
        page = s.nodes(provider=provider, status=a.status)
        rows = [(n["key"], n["capacity"], n["freeResource"], n.get("cluster", "-"), n.get("status", "-"), n["params"]["url"]) for n in page["items"]]
        out.emit(page, table(rows, ("node", "capacity", "free", "cluster", "status", "url")))
    elif action == "node":
        v = s.node(a.key)
        out.emit(v, f"node {v['key']} of {v['provider']}: capacity {v['capacity']} (free {v['freeResource']}), "
                    f"cluster {v.get('cluster', '-')}, status {v.get('status', '-')}, {v['params']['url']}")
    elif action == "clusters":
        manager = client.account if a.mine else a.manager
        page = s.clusters(manager=manager)
        rows = [(c["id"], c["manager"], c["nodeCount"], c["vnodeCount"], c["resourceUsed"], c["capacity"]) for c in page["items"]]
        out.emit(page, table(rows, ("id", "manager", "nodes", "vnodes", "used", "capacity")))
    elif action == "cluster":
        v = s.cluster(a.id)
        out.emit(v, f"cluster {v['id']} by {v['manager']}: {v['nodeCount']} nodes, {v['vnodeCount']} vnodes, "
                    f"used {v['resourceUsed']}/{v['capacity']}, revenues {dml(v['revenues'])}")
    elif action == "buckets":
        owner = client.account if a.mine else a.owner
        page = s.buckets(owner=owner)
        rows = [(b["id"], b["owner"], b["cluster"], b["resourceReserved"], b["rentPerMonth"]) for b in page["items"]]
        out.emit(page, table(rows, ("id", "owner", "cluster", "reserved", "rent/month")))
    elif action == "bucket":
        v = s.bucket(a.id)
        out.emit(v, f"bucket {v['id']} of {v['owner']} in cluster {v['cluster']}: reserved {v['resourceReserved']}, "
                    f"rent {v['rentPerMonth']} USD units/month, covered until {v.get('rentCoveredUntil', '-')}")
    elif action == "account":
        v = s.account(a.address)
        out.emit(v, f"{v['address']}: deposit {dml(v['deposit'])} (withdrawable {dml(v['withdrawable'])}), bonded {dml(v['bonded'])}")
    elif action == "register-node":
        key = needs_key(state, client)
        node = a.node if is_address(a.node) else state.keys.load(a.node).address
        receipt = s.register_node(node, a.capacity, a.rent, a.url, description=a.description, key=key)
        out.emit(receipt, f"registered node {node} ({a.url})")
    elif action == "trust":
        receipt = s.trust_manager(a.manager, key=needs_key(state, client))
        out.emit(receipt, f"{a.manager} may now add your nodes to its clusters")
    elif action == "create-cluster":
        view = s.create_cluster(a.replication_max, a.resource_per_vnode, a.description)
        out.emit(view, written(view, "created cluster"))
    elif action == "add-node":
        node = a.node if is_address(a.node) else state.keys.load(a.node).address
        receipt = s.add_node(a.cluster, node, [int(t) for t in a.vnodes.split(",") if t], key=needs_key(state, client))
        out.emit(receipt, f"added node {node} to cluster {a.cluster}")
    elif action == "node-status":
        node = a.node if is_address(a.node) else state.keys.load(a.node).address
        receipt = s.set_node_status(a.cluster, node, a.status, key=needs_key(state, client))
        out.emit(receipt, f"node {node} is {a.status} in cluster {a.cluster}")
    elif action == "create-bucket":
        view = s.create_bucket(a.cluster, replication=a.replication, description=a.description)
        out.emit(view, written(view, "created bucket"))
    elif action == "allocate":
        view = s.allocate(a.bucket, a.resource)
        out.emit(view, written(view, f"allocated {a.resource} to bucket"))
    elif action == "settle":
        view = s.settle(a.bucket)
        out.emit(view, written(view, "settled bucket"))
    elif action == "distribute":
        view = s.distribute(a.cluster)
        out.emit(view, written(view, "distributed the revenues of cluster"))
    elif action == "deposit":
        view = s.deposit(amount(a.amount))
        out.emit(view, written(view, f"deposited {a.amount} DML"))
    elif action == "withdraw":
        view = s.withdraw(amount(a.amount))
        out.emit(view, written(view, f"withdrew {a.amount} DML"))
    elif action == "put":
        cid = NodeClient(a.node_url, needs_key(state, client)).put(a.bucket, a.file)
        out.emit({"cid": cid}, f"stored {a.file} as {cid}")
    elif action == "get":
        result = NodeClient(a.node_url, client.key).get(a.bucket, a.cid, a.out)
        out.emit({"path": str(result.path), "size": result.size, "cid": result.cid}, f"fetched {result.size} bytes to {result.path} (CID verified)")


# Vouchers

def cmd_voucher(a: argparse.Namespace, state: State, out: Out) -> None:
    # Replies of several shapes pass through these names; they are only displayed here.
    view: Any
    v: Any
    client = state.client()
    v = client.vouchers
    action = a.voucher_action
    if action == "open-hub":
        view = v.open_hub(a.fee_percent)
        out.emit(view, written(view, "opened hub"))
    elif action == "hub":
        hub = v.hub(a.id)
        out.emit(hub, f"hub {hub['id']} of {hub['issuer']}: balance {dml(hub['balance'])}, fee {hub['feePercent']}%")
    elif action == "fund":
        view = v.fund(a.id, amount(a.amount))
        out.emit(view, written(view, "funded hub"))
    elif action == "withdraw":
        view = v.withdraw(a.id, amount(a.amount))
        out.emit(view, written(view, "withdrew from hub"))
    elif action == "issue":
        voucher = v.issue(a.id, a.recipient, amount(a.amount), a.nonce)
        if a.out:
            Path(a.out).write_text(json.dumps(voucher))
        out.emit(voucher, f"voucher #{voucher['nonce']} for {a.amount} DML to {a.recipient}" + (f", written to {a.out}" if a.out else
                                                                                              f"\n{json.dumps(voucher)}"))
    elif action == "redeem":
        text = sys.stdin.read() if a.file == "-" else Path(a.file).read_text()
        view = v.redeem(json.loads(text))
        out.emit(view, written(view, "redeemed a voucher of hub"))


def cmd_menu_placeholder(a: argparse.Namespace, state: State, out: Out) -> None:  # pragma: no cover
    raise AssertionError("run() starts menus itself")


# The parser ----------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dml-client", description="DML from the command line: every role, every resource.")
    p.add_argument("--server", help=f"the DML server (default: $DML_SERVER, the session's, or {DEFAULT_SERVER})")
    p.add_argument("--home", help="where the session and keys live (default: $DML_CLIENT_HOME or ~/.dml-client)")
    p.add_argument("--keys", help="the key folder (default: HOME/keys; a dml data folder's keys/ works too)")
    p.add_argument("--key", dest="act_as", metavar="NAME", help="act as this key (from the key folder): every write signed here, no sign-in")
    p.add_argument("--json", action="store_true", help="print the API's JSON replies")
    p.add_argument("--print", dest="field", metavar="FIELD", help="print only this field of the reply (e.g. id, account, user.account)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, help: str, handler: Handler, parent: Any = sub) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = parent.add_parser(name, help=help, description=help)
        parser.set_defaults(handler=handler)
        return parser

    c = add("signup", "create a user (custodial; with --key, keep your own key)", cmd_signup)
    c.add_argument("--email", required=True)
    c.add_argument("--password", required=True)
    c.add_argument("--name", help="display name")
    c.add_argument("--key", help="sign up with this key (self-custody)")
    c.add_argument("--confirm", action="store_true", help="confirm at once with the token a development chain returns")
    c = add("confirm", "confirm an email with its token", cmd_confirm)
    c.add_argument("token")
    c = add("login", "sign in by password, or by key (--key)", cmd_login)
    c.add_argument("--email")
    c.add_argument("--password")
    c.add_argument("--key", help="sign in with this key (the first time creates a self-custody user)")
    c.add_argument("--create", action="store_true", help="with --key: create the key if it does not exist")
    c.add_argument("--with-key", help="with a password: also keep this key for signing (self-custody users)")
    add("logout", "forget the session", cmd_logout)
    add("whoami", "the signed-in user", cmd_whoami)
    c = add("profile", "change your profile", cmd_profile)
    c.add_argument("--name")
    c.add_argument("--bio")
    c.add_argument("--country")
    c.add_argument("--website")

    keys = add("keys", "Ed25519 keys in the key folder", cmd_keys_list).add_subparsers(dest="keys_action", metavar="ACTION")
    add("create", "create a key", cmd_keys_create, keys).add_argument("name")
    add("list", "list keys", cmd_keys_list, keys)
    add("show", "a key's address", cmd_keys_show, keys).add_argument("name")

    add("balance", "an account's balance (yours by default)", cmd_balance).add_argument("address", nargs="?", help="dml1… or a key name")
    c = add("transfer", "send DML", cmd_transfer)
    c.add_argument("to", help="dml1… or a key name")
    c.add_argument("amount", help="DML, e.g. 2.5")
    add("faucet", "mint DML to your key's account (development chains)", cmd_faucet).add_argument("amount")
    add("block", "a block (the newest by default)", cmd_block).add_argument("height", nargs="?", type=int)
    add("tx", "a transaction by hash", cmd_tx).add_argument("hash")
    c = add("events", "ledger events", cmd_events)
    c.add_argument("--after", type=int, default=0)
    c.add_argument("--limit", type=int, default=50)
    c = add("role", "grant or revoke a role (signed with your key)", cmd_role)
    c.add_argument("action", choices=["grant", "revoke"])
    c.add_argument("role", choices=["super-admin", "moderator", "cluster-manager-trusted-by", "set-exchange-rate", "validator"])
    c.add_argument("account")
    c.add_argument("--provider", help="for cluster-manager-trusted-by")

    bounty = add("bounty", "bounties", cmd_bounty).add_subparsers(dest="bounty_action", metavar="ACTION", required=True)
    c = bounty.add_parser("list", help="list bounties")
    c.add_argument("--status")
    c.add_argument("--q")
    c.add_argument("--owner")
    c.add_argument("--mine", action="store_true")
    c.add_argument("--sort", choices=["newest", "deadline", "prize"])
    c.add_argument("--limit", type=int)
    bounty.add_parser("show", help="one bounty").add_argument("id", type=int)
    c = bounty.add_parser("create", help="post a bounty")
    c.add_argument("--title", required=True)
    c.add_argument("--description", required=True)
    c.add_argument("--prizes", required=True, help="DML per rank, comma-separated: 10,5")
    c.add_argument("--enrollment-minutes", type=float, default=60)
    c.add_argument("--submission-minutes", type=float, default=60, help="after enrollment ends")
    c.add_argument("--evaluation-minutes", type=float, default=60, help="after submissions end")
    c.add_argument("--expiry-rule", choices=["refund_owner", "split_among_submitters"], default="refund_owner")
    c.add_argument("--no-fund", action="store_true", help="do not escrow the prizes now")
    c = bounty.add_parser("fund", help="add to a bounty's pool")
    c.add_argument("id", type=int)
    c.add_argument("amount")
    for name in ("open-enrollment", "close-enrollment", "open-submissions", "close-submissions", "enroll", "payout", "cancel", "expire",
                 "submissions"):
        bounty.add_parser(name, help=f"{name.replace('-', ' ')}").add_argument("id", type=int)
    c = bounty.add_parser("submit", help="submit an artifact (an enrolled participant)")
    c.add_argument("id", type=int)
    c.add_argument("--artifact", help="a CID")
    c.add_argument("--file", help="upload this file and submit its CID")
    c.add_argument("--note", default="")
    c = bounty.add_parser("award", help="name the winners, one per prize in rank order")
    c.add_argument("id", type=int)
    c.add_argument("--winners", required=True, help="dml1… addresses, comma-separated")

    algo = add("algo", "the algorithm marketplace", cmd_algo).add_subparsers(dest="algo_action", metavar="ACTION", required=True)
    algo.add_parser("upload", help="upload an artifact").add_argument("file")
    c = algo.add_parser("publish", help="publish an algorithm")
    c.add_argument("--title", required=True)
    c.add_argument("--description", required=True)
    c.add_argument("--artifact", help="an uploaded CID")
    c.add_argument("--file", help="upload this file first")
    c.add_argument("--price", required=True, help="DML")
    c.add_argument("--device-fee", default="0")
    c.add_argument("--data-required", default="")
    c.add_argument("--tags", default="")
    c = algo.add_parser("list", help="list algorithms")
    c.add_argument("--q")
    c.add_argument("--tags")
    c.add_argument("--status", choices=["active", "pending_review", "inactive", "any"])
    c.add_argument("--creator")
    c.add_argument("--mine", action="store_true")
    c.add_argument("--sort", choices=["newest", "oldest", "price", "price_desc", "downloads"])
    c.add_argument("--limit", type=int)
    algo.add_parser("show", help="one algorithm").add_argument("id", type=int)
    c = algo.add_parser("review", help="approve or return to review (moderators)")
    c.add_argument("id", type=int)
    c.add_argument("--decision", choices=["approve", "return_to_review"], default="approve")
    c = algo.add_parser("purchase", help="buy an algorithm")
    c.add_argument("id", type=int)
    c.add_argument("--max-price", help="DML; refused if the price is higher (default: the price now)")
    c = algo.add_parser("download", help="download an algorithm's artifact (verified)")
    c.add_argument("id", type=int)
    c.add_argument("--out", required=True)
    c.add_argument("--version", type=int, default=0)
    c = algo.add_parser("price", help="set the price")
    c.add_argument("id", type=int)
    c.add_argument("price")
    c.add_argument("--device-fee", default="0")
    c = algo.add_parser("version", help="publish a new version")
    c.add_argument("id", type=int)
    c.add_argument("--artifact")
    c.add_argument("--file")
    for name in ("activate", "deactivate", "withdraw"):
        algo.add_parser(name, help=f"{name} (withdraw: take the proceeds)").add_argument("id", type=int)

    task = add("task", "tasks", cmd_task).add_subparsers(dest="task_action", metavar="ACTION", required=True)
    c = task.add_parser("create", help="create a task")
    c.add_argument("--question", required=True)
    c.add_argument("--reward", required=True, help="DML per accepted result")
    c.add_argument("--max-assignments", type=int, default=1)
    c.add_argument("--expires-in-blocks", type=int, default=1000)
    c.add_argument("--expires-at-height", type=int)
    c.add_argument("--kind", choices=["data_annotation", "model_contribution", "model_engineering"], default="data_annotation")
    c.add_argument("--annotation-type", choices=["image", "audio", "text", "video"], default="text")
    c.add_argument("--files", default="", help="paths to annotate, comma-separated")
    c.add_argument("--storage", choices=list(calls.STORAGE_TYPES), default="ipfs")
    c.add_argument("--class-labels")
    c.add_argument("--artifact-path", help="the script (model_contribution) or model (model_engineering)")
    c.add_argument("--validation", choices=["auto_accept", "manual_accept", "custom_accept"], default="manual_accept")
    c.add_argument("--validator")
    c.add_argument("--validator-algorithm")
    c.add_argument("--stake", default="0", help="DML held per assignment")
    c = task.add_parser("list", help="list tasks")
    c.add_argument("--scope", choices=["open", "mine", "assigned"], default="open")
    c.add_argument("--limit", type=int)
    for name in ("show", "assign", "results", "withdraw"):
        task.add_parser(name, help=name).add_argument("id", type=int)
    c = task.add_parser("result", help="send a result")
    c.add_argument("id", type=int)
    c.add_argument("--inline")
    c.add_argument("--stored-path")
    c.add_argument("--storage", choices=list(calls.STORAGE_TYPES), default="ipfs")
    c = task.add_parser("validate", help="accept (default) or reject a worker's result")
    c.add_argument("id", type=int)
    c.add_argument("worker")
    c.add_argument("--reject", action="store_true")
    c = task.add_parser("settle", help="settle a stalled assignment after expiry")
    c.add_argument("id", type=int)
    c.add_argument("worker")

    job = add("job", "device jobs", cmd_job).add_subparsers(dest="job_action", metavar="ACTION", required=True)
    c = job.add_parser("create", help="run an algorithm you created or bought on devices")
    c.add_argument("--algorithm", type=int, required=True)
    c.add_argument("--devices", type=int, required=True)
    c.add_argument("--reward", required=True, help="DML per device")
    c.add_argument("--deadline-minutes", type=float, default=60)
    c.add_argument("--requirements")
    c = job.add_parser("list", help="list jobs")
    c.add_argument("--status", choices=["open", "completed", "closed"])
    c.add_argument("--mine", action="store_true")
    c.add_argument("--limit", type=int)
    for name in ("show", "results", "close"):
        job.add_parser(name, help=name).add_argument("id", type=int)
    c = job.add_parser("work", help="as a device: take one job, run it on your data, get paid")
    c.add_argument("--input", required=True, help="your data (CSV or raw bytes)")
    c.add_argument("--drop-columns", type=int, default=0, help="CSV columns to drop from the right (a label)")
    c.add_argument("--wait", type=int, default=0, help="seconds to wait for work")
    c.add_argument("--dml", help="the dml binary that sandboxes the run (default: $DML_BIN or dml on PATH)")
    c.add_argument("--disclose", action="store_true", help="send the input for an audit re-run")
    c = job.add_parser("report", help="a job's report")
    c.add_argument("id", type=int)
    c.add_argument("--format", choices=["html", "csv", "json"], help="the report as it is (default: a summary; html with --out)")
    c.add_argument("--out", help="write it to a file")

    fl = add("fl", "federated learning", cmd_fl).add_subparsers(dest="fl_action", metavar="ACTION", required=True)
    c = fl.add_parser("create", help="create a federated job from a plan file")
    c.add_argument("--plan", required=True, help="the plan as JSON")
    c.add_argument("--reward", required=True, help="DML per device per round")
    c.add_argument("--deadline-minutes", type=float, default=60)
    c.add_argument("--dataset")
    c.add_argument("--delta", type=float)
    c.add_argument("--evaluation", help="your labelled CSV to evaluate each round's model")
    c.add_argument("--evaluation-scale", type=float)
    c = fl.add_parser("list", help="list federated jobs")
    c.add_argument("--status", choices=["open", "completed", "closed"])
    c.add_argument("--limit", type=int)
    for name in ("show", "close"):
        fl.add_parser(name, help=name).add_argument("id", type=int)
    c = fl.add_parser("train", help="as a device: train in a federated job until it finishes")
    c.add_argument("--job", type=int, help="default: the newest open job")
    c.add_argument("--input", required=True, help="labelled CSV, label last")
    c.add_argument("--scale", type=float, default=1.0)
    c.add_argument("--wait", type=int, default=5)
    c.add_argument("--rounds-max", type=int)
    c = fl.add_parser("report", help="a federated job's report")
    c.add_argument("id", type=int)
    c.add_argument("--format", choices=["html", "csv", "json"], help="the report as it is (default: a summary; html with --out)")
    c.add_argument("--out")
    c = fl.add_parser("model", help="download the newest model's weights file")
    c.add_argument("id", type=int)
    c.add_argument("--out", required=True)
    c = fl.add_parser("publish", help="list a completed job's model in the marketplace")
    c.add_argument("id", type=int)
    c.add_argument("--title", required=True)
    c.add_argument("--description", required=True)
    c.add_argument("--price", required=True)
    c.add_argument("--tags", default="")

    budget = add("budget", "privacy budgets", cmd_budget).add_subparsers(dest="budget_action", metavar="ACTION", required=True)
    c = budget.add_parser("set", help="create or change a dataset's budget")
    c.add_argument("dataset")
    c.add_argument("epsilon", type=float)
    c.add_argument("--delta-max", type=float)
    budget.add_parser("show", help="a dataset's budget").add_argument("dataset")

    st = add("storage", "the storage network", cmd_storage).add_subparsers(dest="storage_action", metavar="ACTION", required=True)
    c = st.add_parser("nodes", help="list nodes")
    c.add_argument("--provider")
    c.add_argument("--mine", action="store_true")
    c.add_argument("--status", choices=["adding", "active", "deleting", "offline"])
    st.add_parser("node", help="one node").add_argument("key")
    c = st.add_parser("clusters", help="list clusters")
    c.add_argument("--manager")
    c.add_argument("--mine", action="store_true")
    st.add_parser("cluster", help="one cluster").add_argument("id", type=int)
    c = st.add_parser("buckets", help="list buckets")
    c.add_argument("--owner")
    c.add_argument("--mine", action="store_true")
    st.add_parser("bucket", help="one bucket").add_argument("id", type=int)
    st.add_parser("account", help="a storage account (yours by default)").add_argument("address", nargs="?")
    c = st.add_parser("register-node", help="register a node you provide (signed with your key)")
    c.add_argument("node", help="the node's address (or a key name)")
    c.add_argument("--capacity", type=int, required=True, help="resource units")
    c.add_argument("--rent", type=int, default=0, help="USD units (10^-9 USD) per vnode per month")
    c.add_argument("--url", required=True)
    c.add_argument("--description", default="")
    st.add_parser("trust", help="let a manager add your nodes to its clusters").add_argument("manager")
    c = st.add_parser("create-cluster", help="create a cluster (you manage it)")
    c.add_argument("--replication-max", type=int, default=3)
    c.add_argument("--resource-per-vnode", type=int, required=True)
    c.add_argument("--description", default="")
    c = st.add_parser("add-node", help="add a node to your cluster")
    c.add_argument("cluster", type=int)
    c.add_argument("node")
    c.add_argument("--vnodes", required=True, help="ring tokens (u64), comma-separated")
    c = st.add_parser("node-status", help="set a node's status in your cluster")
    c.add_argument("cluster", type=int)
    c.add_argument("node")
    c.add_argument("status", choices=["adding", "active", "deleting", "offline"])
    c = st.add_parser("create-bucket", help="create a bucket in a cluster")
    c.add_argument("cluster", type=int)
    c.add_argument("--replication", type=int, default=1)
    c.add_argument("--description", default="")
    c = st.add_parser("allocate", help="reserve resource for a bucket")
    c.add_argument("bucket", type=int)
    c.add_argument("resource", type=int)
    st.add_parser("settle", help="settle a bucket's rent").add_argument("bucket", type=int)
    st.add_parser("distribute", help="pay a cluster's revenues out").add_argument("cluster", type=int)
    st.add_parser("deposit", help="deposit DML for rent").add_argument("amount")
    st.add_parser("withdraw", help="withdraw from your deposit").add_argument("amount")
    c = st.add_parser("put", help="store a file on a node")
    c.add_argument("--node-url", required=True)
    c.add_argument("--bucket", type=int, required=True)
    c.add_argument("file")
    c = st.add_parser("get", help="fetch a blob from a node (verified)")
    c.add_argument("--node-url", required=True)
    c.add_argument("--bucket", type=int, required=True)
    c.add_argument("cid")
    c.add_argument("--out", required=True)

    vo = add("voucher", "voucher hubs", cmd_voucher).add_subparsers(dest="voucher_action", metavar="ACTION", required=True)
    vo.add_parser("open-hub", help="open a hub").add_argument("fee_percent", type=int)
    vo.add_parser("hub", help="one hub").add_argument("id", type=int)
    for name in ("fund", "withdraw"):
        c = vo.add_parser(name, help=f"{name} a hub")
        c.add_argument("id", type=int)
        c.add_argument("amount")
    c = vo.add_parser("issue", help="sign a voucher (the hub's issuer)")
    c.add_argument("id", type=int)
    c.add_argument("recipient")
    c.add_argument("amount")
    c.add_argument("--nonce", type=int)
    c.add_argument("--out", help="write the voucher JSON here")
    vo.add_parser("redeem", help="redeem a voucher (JSON file, or - for stdin)").add_argument("file")

    c = add("menu", "interactive menus per role (answers read from standard input)", cmd_menu_placeholder)
    c.add_argument("role", nargs="?", choices=sorted(MENUS))
    return p


# Menus ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ask:
    """One question of a menu item: the answer becomes ``flag`` (or a positional when flag is
    empty); an empty answer takes ``default``, or leaves an optional flag out."""

    flag: str
    question: str
    default: Optional[str] = None
    optional: bool = False
    switch: bool = False  # a yes/no question for a store_true flag


@dataclass(frozen=True)
class Item:
    label: str
    command: Tuple[str, ...]
    asks: Tuple[Ask, ...] = ()


SIGN_UP = Item("Sign up", ("signup",), (Ask("--email", "Email"), Ask("--password", "Password"), Ask("--name", "Display name", optional=True)))
CONFIRM = Item("Confirm your email", ("confirm",), (Ask("", "Confirmation token"),))
SIGN_IN = Item("Sign in (email and password)", ("login",), (Ask("--email", "Email"), Ask("--password", "Password")))
KEY_SIGN_IN = Item("Sign in with your key (creates it the first time)", ("login", "--create"), (Ask("--key", "Key name", default="device"),))
WHOAMI = Item("Who am I", ("whoami",))
BALANCE = Item("My balance", ("balance",))
TRANSFER = Item("Send DML", ("transfer",), (Ask("", "To (dml1… address)"), Ask("", "Amount in DML")))

MENUS: Dict[str, List[Item]] = {
    "requester": [
        SIGN_UP, CONFIRM, SIGN_IN, WHOAMI, BALANCE, TRANSFER,
        Item("Post a bounty", ("bounty", "create"), (Ask("--title", "Title"), Ask("--description", "Description"),
                                                      Ask("--prizes", "Prizes in DML, by rank, comma-separated", "10"),
                                                      Ask("--enrollment-minutes", "Enrollment open for how many minutes", "60"),
                                                      Ask("--submission-minutes", "Submissions open for how many minutes after", "60"),
                                                      Ask("--evaluation-minutes", "Minutes to evaluate after that", "60"))),
        Item("My bounties", ("bounty", "list", "--mine")),
        Item("Show a bounty", ("bounty", "show"), (Ask("", "Bounty id"),)),
        Item("Open enrollment", ("bounty", "open-enrollment"), (Ask("", "Bounty id"),)),
        Item("Close enrollment", ("bounty", "close-enrollment"), (Ask("", "Bounty id"),)),
        Item("Open submissions", ("bounty", "open-submissions"), (Ask("", "Bounty id"),)),
        Item("Close submissions", ("bounty", "close-submissions"), (Ask("", "Bounty id"),)),
        Item("See submissions", ("bounty", "submissions"), (Ask("", "Bounty id"),)),
        Item("Choose winners", ("bounty", "award"), (Ask("", "Bounty id"), Ask("--winners", "Winners (addresses, by rank, comma-separated)"))),
        Item("Pay out a bounty", ("bounty", "payout"), (Ask("", "Bounty id"),)),
        Item("Cancel a bounty", ("bounty", "cancel"), (Ask("", "Bounty id"),)),
        Item("Create a task", ("task", "create"), (Ask("--question", "Question"), Ask("--reward", "Reward per result (DML)", "1"),
                                                    Ask("--max-assignments", "Results wanted", "1"),
                                                    Ask("--files", "Files to annotate (comma-separated)", "data/1.txt"),
                                                    Ask("--validation", "Validation (auto_accept, manual_accept)", "manual_accept"))),
        Item("My tasks", ("task", "list", "--scope", "mine")),
        Item("Results of a task", ("task", "results"), (Ask("", "Task id"),)),
        Item("Accept a result", ("task", "validate"), (Ask("", "Task id"), Ask("", "Worker address"))),
        Item("Reject a result", ("task", "validate", "--reject"), (Ask("", "Task id"), Ask("", "Worker address"))),
        Item("Browse algorithms", ("algo", "list")),
        Item("Buy an algorithm", ("algo", "purchase"), (Ask("", "Algorithm id"),)),
        Item("Create a job", ("job", "create"), (Ask("--algorithm", "Algorithm id"), Ask("--devices", "Devices", "1"),
                                                  Ask("--reward", "Reward per device (DML)", "1"),
                                                  Ask("--deadline-minutes", "Deadline in minutes", "60"))),
        Item("My jobs", ("job", "list", "--mine")),
        Item("Job report", ("job", "report", "--format", "json"), (Ask("", "Job id"),)),
        Item("Close a job", ("job", "close"), (Ask("", "Job id"),)),
        Item("Create a federated job", ("fl", "create"), (Ask("--plan", "Plan file (JSON)"), Ask("--reward", "Reward per device per round (DML)", "1"),
                                                          Ask("--deadline-minutes", "Deadline in minutes", "60"))),
        Item("Federated report", ("fl", "report", "--format", "json"), (Ask("", "Federated job id"),)),
        Item("Download a federated model", ("fl", "model"), (Ask("", "Federated job id"), Ask("--out", "Save to"))),
    ],
    "developer": [
        SIGN_UP, CONFIRM, SIGN_IN, WHOAMI, BALANCE,
        Item("Open bounties", ("bounty", "list", "--status", "enrollment_open")),
        Item("Show a bounty", ("bounty", "show"), (Ask("", "Bounty id"),)),
        Item("Enroll in a bounty", ("bounty", "enroll"), (Ask("", "Bounty id"),)),
        Item("Submit to a bounty", ("bounty", "submit"), (Ask("", "Bounty id"), Ask("--file", "File to upload and submit"),
                                                           Ask("--note", "Note", optional=True))),
        Item("Upload an artifact", ("algo", "upload"), (Ask("", "File"),)),
        Item("Publish an algorithm", ("algo", "publish"), (Ask("--title", "Title"), Ask("--description", "Description"),
                                                           Ask("--file", "Package or artifact file"), Ask("--price", "Price (DML)", "1"),
                                                           Ask("--tags", "Tags (comma-separated)", optional=True))),
        Item("My algorithms", ("algo", "list", "--mine", "--status", "any")),
        Item("Show an algorithm", ("algo", "show"), (Ask("", "Algorithm id"),)),
        Item("Set a price", ("algo", "price"), (Ask("", "Algorithm id"), Ask("", "Price (DML)"))),
        Item("Publish a new version", ("algo", "version"), (Ask("", "Algorithm id"), Ask("--file", "File"))),
        Item("Withdraw proceeds", ("algo", "withdraw"), (Ask("", "Algorithm id"),)),
        Item("Download an algorithm", ("algo", "download"), (Ask("", "Algorithm id"), Ask("--out", "Save to"))),
    ],
    "device": [
        KEY_SIGN_IN, WHOAMI, BALANCE,
        Item("Get test DML (development chains)", ("faucet",), (Ask("", "Amount (DML)", "10"),)),
        Item("Open tasks", ("task", "list")),
        Item("Show a task", ("task", "show"), (Ask("", "Task id"),)),
        Item("Take a task", ("task", "assign"), (Ask("", "Task id"),)),
        Item("Send a task result", ("task", "result"), (Ask("", "Task id"), Ask("--inline", "Your result"))),
        Item("Open jobs", ("job", "list", "--status", "open")),
        Item("Work on a job with my data", ("job", "work"), (Ask("--input", "Your data file"), Ask("--wait", "Seconds to wait for work", "5"),
                                                             Ask("--drop-columns", "CSV label columns to drop", "0"))),
        Item("Open federated jobs", ("fl", "list", "--status", "open")),
        Item("Train in a federated job", ("fl", "train"), (Ask("--input", "Your labelled CSV"), Ask("--job", "Job id (empty: newest)", optional=True),
                                                           Ask("--scale", "Feature scale", "1"))),
    ],
    "storage": [
        KEY_SIGN_IN, WHOAMI, BALANCE,
        Item("Get test DML (development chains)", ("faucet",), (Ask("", "Amount (DML)", "10"),)),
        Item("Register a node", ("storage", "register-node"), (Ask("", "Node address (dml1…, from dml storage-node)"),
                                                               Ask("--capacity", "Capacity (resource units)", "100"),
                                                               Ask("--rent", "Rent per vnode per month (USD units)", "0"),
                                                               Ask("--url", "Node URL"))),
        Item("My nodes", ("storage", "nodes", "--mine")),
        Item("Create a cluster", ("storage", "create-cluster"), (Ask("--resource-per-vnode", "Resource per vnode", "10"),
                                                                 Ask("--replication-max", "Most replicas", "3"))),
        Item("My clusters", ("storage", "clusters", "--mine")),
        Item("Trust a cluster manager", ("storage", "trust"), (Ask("", "Manager address"),)),
        Item("Add a node to my cluster", ("storage", "add-node"), (Ask("", "Cluster id"), Ask("", "Node address"),
                                                                   Ask("--vnodes", "Ring tokens (comma-separated)", "0"))),
        Item("Set a node's status", ("storage", "node-status"), (Ask("", "Cluster id"), Ask("", "Node address"), Ask("", "Status", "active"))),
        Item("Show a cluster", ("storage", "cluster"), (Ask("", "Cluster id"),)),
        Item("Pay out a cluster's revenues", ("storage", "distribute"), (Ask("", "Cluster id"),)),
        Item("Deposit for rent", ("storage", "deposit"), (Ask("", "Amount (DML)"),)),
        Item("Create a bucket", ("storage", "create-bucket"), (Ask("", "Cluster id"), Ask("--replication", "Replicas", "1"))),
        Item("Allocate to a bucket", ("storage", "allocate"), (Ask("", "Bucket id"), Ask("", "Resource units"))),
        Item("Settle a bucket's rent", ("storage", "settle"), (Ask("", "Bucket id"),)),
        Item("My storage account", ("storage", "account",)),
    ],
    "moderator": [
        SIGN_IN, WHOAMI,
        Item("Algorithms waiting for review", ("algo", "list", "--status", "pending_review")),
        Item("Show an algorithm", ("algo", "show"), (Ask("", "Algorithm id"),)),
        Item("Approve an algorithm", ("algo", "review", "--decision", "approve"), (Ask("", "Algorithm id"),)),
        Item("Send an algorithm back to review", ("algo", "review", "--decision", "return_to_review"), (Ask("", "Algorithm id"),)),
        Item("Cancel a bounty", ("bounty", "cancel"), (Ask("", "Bounty id"),)),
    ],
}

ROLE_TITLES = {"requester": "Requester", "developer": "Algorithm developer", "device": "Device / contributor",
               "storage": "Storage provider", "moderator": "Moderator"}


class MenuEnd(Exception):
    pass


def _read(question: str, stdin: TextIO, stdout: TextIO) -> str:
    stdout.write(question)
    stdout.flush()
    line = stdin.readline()
    if not line:
        raise MenuEnd()
    return line.rstrip("\r\n")


def menu_argv(item: Item, stdin: TextIO, stdout: TextIO) -> List[str]:
    """Asks the item's questions and returns the subcommand they make."""
    argv = list(item.command)
    for ask in item.asks:
        hint = f" [{ask.default}]" if ask.default is not None else (" (optional)" if ask.optional else "")
        answer = _read(f"{ask.question}{hint}: ", stdin, stdout).strip()
        if not answer:
            if ask.default is None:
                if ask.optional:
                    continue
                raise CLIError(f"{ask.question} is needed")
            answer = ask.default
        argv += [ask.flag, answer] if ask.flag else [answer]
    return argv


def run_menu(role: Optional[str], base: List[str], stdin: TextIO, stdout: TextIO) -> int:
    """The interactive loop: pick a role, then items; each item runs its subcommand."""
    try:
        while role is None:
            stdout.write("DML — who are you today?\n")
            roles = sorted(MENUS, key=list(ROLE_TITLES).index)
            for number, name in enumerate(roles, start=1):
                stdout.write(f"  {number}. {ROLE_TITLES[name]}\n")
            stdout.write("  0. Quit\n")
            choice = _read("> ", stdin, stdout).strip()
            if choice in ("0", "q", "quit"):
                return 0
            if choice.isdigit() and 1 <= int(choice) <= len(roles):
                role = roles[int(choice) - 1]
            elif choice in MENUS:
                role = choice
            else:
                stdout.write(f"'{choice}' is not on the menu\n")
        items = MENUS[role]
        show = True
        while True:
            if show:
                stdout.write(f"\n{ROLE_TITLES[role]} menu\n")
                for number, item in enumerate(items, start=1):
                    stdout.write(f"  {number:2}. {item.label}\n")
                stdout.write("   0. Quit\n")
            else:
                stdout.write(f"\n{ROLE_TITLES[role]}: pick 1–{len(items)}, m for the menu, 0 to quit\n")
            show = False
            choice = _read("> ", stdin, stdout).strip()
            if choice in ("0", "q", "quit"):
                return 0
            if choice in ("m", "?", "menu", ""):
                show = True
                continue
            if not (choice.isdigit() and 1 <= int(choice) <= len(items)):
                stdout.write(f"'{choice}' is not on the menu: pick 0 to {len(items)}, or m to see it\n")
                continue
            try:
                argv = menu_argv(items[int(choice) - 1], stdin, stdout)
            except CLIError as error:
                stdout.write(f"error: {error}\n")
                continue
            stdout.write(f"$ dml-client {' '.join(shlex.quote(a) for a in argv)}\n")
            run(base + argv, stdout=stdout, menu_stdin=stdin)
    except MenuEnd:
        stdout.write("\n")
        return 0


# Entry point ------------------------------------------------------------------------------------

def run(argv: Sequence[str], stdout: Optional[TextIO] = None, menu_stdin: Optional[TextIO] = None) -> int:
    """Runs one command line; returns the exit status (0 ok, 1 refused by the server, 2 usage)."""
    stdout = stdout or sys.stdout
    parser = build_parser()
    try:
        a = parser.parse_args(list(argv))
    except SystemExit as exit:
        return int(exit.code or 0)
    home = Path(a.home or os.environ.get("DML_CLIENT_HOME") or Path.home() / ".dml-client")
    try:
        if a.command is None:
            parser.print_help(stdout)
            return 2
        if a.command == "menu":
            base = ["--home", str(home)] + (["--server", a.server] if a.server else [])
            if a.keys:
                base += ["--keys", a.keys]
            if a.json:
                base.append("--json")
            return run_menu(a.role, base, menu_stdin or sys.stdin, stdout)
        state = State(home, a.server, Path(a.keys) if a.keys else None, a.act_as)
        a.handler(a, state, Out(a.json, stdout, a.field))
        return 0
    except DMLError as error:
        stdout.write(f"error: {error}\n") if menu_stdin else sys.stderr.write(f"dml-client: {error}\n")
        return 1
    except (CLIError, KeyFileError, ProtocolError, OSError, ValueError) as error:
        stdout.write(f"error: {error}\n") if menu_stdin else sys.stderr.write(f"dml-client: {error}\n")
        return 2


def main() -> None:
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
