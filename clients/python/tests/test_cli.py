"""The command line: every role's story through subcommands and through its interactive menu
(driven on stdin, in a real ``dml-client`` process), checked against the server's state."""
from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import List


from dml_client import DML, Client, Key
from dml_client.calls import TaskDraft
from dml_client.cli import MENUS, run

from conftest import PASSWORD, dml_binary, unique_email
from packages import byte_count_package


def cli(server, home: Path, *argv: str, expect: int = 0) -> str:
    """Runs ``dml-client --server … --home … ARGV`` in this process; returns what it printed."""
    out = io.StringIO()
    status = run(["--server", server.url, "--home", str(home), *argv], stdout=out)
    assert status == expect, f"dml-client {' '.join(argv)} exited {status}:\n{out.getvalue()}"
    return out.getvalue()


def cli_json(server, home: Path, *argv: str):
    return json.loads(cli(server, home, "--json", *argv))


def executable() -> List[str]:
    found = shutil.which("dml-client")
    return [found] if found else [sys.executable, "-m", "dml_client.cli"]


def menu(server, home: Path, role: str, answers: List[str]) -> str:
    """Drives ``dml-client menu ROLE`` through stdin in a real process; returns its output."""
    env = dict(os.environ, DML_BIN=dml_binary())
    done = subprocess.run(executable() + ["--server", server.url, "--home", str(home), "menu", role],
                          input="\n".join(answers) + "\n", capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "error:" not in done.stdout, done.stdout
    return done.stdout


def pick(role: str, label: str) -> str:
    """The menu number of an item, by its label."""
    labels = [item.label for item in MENUS[role]]
    return str(labels.index(label) + 1)


def test_requester_story_through_subcommands(server, make, tmp_path) -> None:
    home = tmp_path / "requester"
    email = unique_email("cli")
    signed_up = cli_json(server, home, "signup", "--email", email, "--password", PASSWORD, "--name", "Rita")
    assert signed_up["user"]["profile"]["displayName"] == "Rita"
    text = cli(server, home, "confirm", signed_up["confirmationToken"])
    assert f"confirmed {email}" in text
    assert "signed in as" in cli(server, home, "login", "--email", email, "--password", PASSWORD)
    session = json.loads((home / "session.json").read_text())
    assert oct((home / "session.json").stat().st_mode & 0o777) == "0o600" and session["user"]["email"] == email
    account = session["user"]["account"]
    make.fund(account, 30)
    assert "free  30 DML" in cli(server, home, "balance")
    assert cli_json(server, home, "whoami")["account"] == account

    created = cli_json(server, home, "bounty", "create", "--title", "CLI bounty", "--description", "from the command line",
                       "--prizes", "4,1.5")
    bounty = created["id"]
    listed = cli(server, home, "bounty", "list", "--mine")
    assert "CLI bounty" in listed and "5.5 DML" in listed
    cli(server, home, "bounty", "open-enrollment", str(bounty))
    shown = cli(server, home, "bounty", "show", str(bounty))
    assert "[enrollment_open]" in shown and "prizes 4 DML, 1.5 DML" in shown
    first, second = make.custodial(0), make.self_custody(0)
    for participant in (first, second):
        participant.bounties.enroll(bounty)
    cli(server, home, "bounty", "close-enrollment", str(bounty))
    cli(server, home, "bounty", "open-submissions", str(bounty))
    first.bounties.submit(bounty, "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e", "mine")
    second.bounties.submit(bounty, "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")
    cli(server, home, "bounty", "close-submissions", str(bounty))
    assert "mine" in cli(server, home, "bounty", "submissions", str(bounty))
    cli(server, home, "bounty", "award", str(bounty), "--winners", f"{second.account},{first.account}")
    assert "payout bounty" in cli(server, home, "bounty", "payout", str(bounty))
    assert (second.ledger.balance(), first.ledger.balance()) == (4 * DML, 1_500_000_000)
    assert "[paid]" in cli(server, home, "bounty", "show", str(bounty))

    worker = make.custodial(0)
    task = cli_json(server, home, "task", "create", "--question", "Label these", "--reward", "2", "--max-assignments", "1",
                    "--files", "a.txt,b.txt")["id"]
    worker.tasks.assign(task)
    worker.tasks.send_result(task, inline="cat, dog")
    assert "cat, dog" in cli(server, home, "task", "results", str(task))
    cli(server, home, "task", "validate", str(task), worker.account)
    assert worker.ledger.balance() == 2 * DML

    receiver = Key.generate().address
    assert "sent 1.25 DML" in cli(server, home, "transfer", receiver, "1.25")
    assert Client(server.url).ledger.balance(receiver) == 1_250_000_000
    block = cli_json(server, home, "block")
    assert block["height"] >= 1
    assert cli(server, home, "bounty", "show", "999999", expect=1) == ""
    assert "signed out" in cli(server, home, "logout")
    cli(server, home, "whoami", expect=2)


def test_developer_moderator_requester_and_device_through_menus(server, make, moderator, tmp_path) -> None:
    # The developer signs up, confirms and signs in through the menu, then publishes a package.
    developer_home = tmp_path / "developer"
    email = unique_email("dev")
    package = tmp_path / "count.json"
    package.write_bytes(byte_count_package())
    out = menu(server, developer_home, "developer", [pick("developer", "Sign up"), email, PASSWORD, "Dee", "0"])
    token = next(line.split(": ")[1] for line in out.splitlines() if line.startswith("confirmation token"))
    out = menu(server, developer_home, "developer", [
        pick("developer", "Confirm your email"), token,
        pick("developer", "Sign in (email and password)"), email, PASSWORD,
        pick("developer", "Publish an algorithm"), "Menu byte counter", "Published from the menu", str(package), "2", "menu,count",
        pick("developer", "My algorithms"),
        "0"])
    assert "$ dml-client algo publish --title 'Menu byte counter'" in out and "pending review" in out
    developer = Client(server.url)
    developer.users.login(email, PASSWORD)
    algorithm = developer.algorithms.list(creator=developer.account, status="any")["items"][0]
    assert (algorithm["title"], algorithm["price"], algorithm["tags"]) == ("Menu byte counter", str(2 * DML), ["menu", "count"])

    # A moderator approves it from the moderator menu.
    moderator_home = tmp_path / "moderator"
    out = menu(server, moderator_home, "moderator", [
        pick("moderator", "Sign in (email and password)"), moderator.email, PASSWORD,  # type: ignore[attr-defined]
        pick("moderator", "Algorithms waiting for review"),
        pick("moderator", "Approve an algorithm"), str(algorithm["id"]), "0"])
    assert "Menu byte counter" in out
    assert developer.algorithms.get(algorithm["id"])["status"] == "active"

    # A requester buys it and posts a job for one device.
    requester_home = tmp_path / "requester"
    requester = make.custodial(20, "menu-requester")
    out = menu(server, requester_home, "requester", [
        pick("requester", "Sign in (email and password)"), requester.email, PASSWORD,  # type: ignore[attr-defined]
        pick("requester", "Buy an algorithm"), str(algorithm["id"]),
        pick("requester", "Create a job"), str(algorithm["id"]), "1", "3", "30",
        pick("requester", "My jobs"), "0"])
    job = requester.jobs.list(mine=True)["items"][0]
    assert (job["devices"], job["status"], job["rewardPerDevice"]) == (1, "open", str(3 * DML))
    assert job["artifact"] == developer.algorithms.get(algorithm["id"])["artifact"]

    # A device signs in with a new key, gets test DML, and works the job on its own data.
    device_home = tmp_path / "device"
    data = tmp_path / "mine.txt"
    data.write_text("twelve bytes")
    out = menu(server, device_home, "device", [
        pick("device", "Sign in with your key (creates it the first time)"), "phone",
        pick("device", "Get test DML (development chains)"), "2",
        pick("device", "Open jobs"),
        pick("device", "Work on a job with my data"), str(data), "1", "0",
        pick("device", "My balance"), "0"])
    assert f"job {job['id']}: paid 3 DML" in out
    device_key = Key.from_hex((device_home / "keys" / "phone.key").read_text())
    assert Client(server.url).ledger.balance(device_key.address) == 5 * DML
    assert "free  5 DML" in out

    # The requester reads the report from the menu: one device, 12 bytes.
    out = menu(server, requester_home, "requester", [pick("requester", "Job report"), str(job["id"]), "0"])
    report = json.loads(out[out.index("{"):out.rindex("}") + 1])
    assert report["aggregate"] == [12.0] and report["totalPaid"] == str(3 * DML)
    assert requester.jobs.get(job["id"])["status"] == "completed"
    assert f"job {job['id']} [completed] 1/1 devices paid 3 DML each" in cli(server, requester_home, "job", "show", str(job["id"]))
    assert device_key.address in cli(server, requester_home, "job", "results", str(job["id"]))
    assert "bytes,12" in cli(server, requester_home, "job", "report", str(job["id"]), "--format", "csv")
    assert "wrote the report" in cli(server, requester_home, "job", "report", str(job["id"]), "--out", str(tmp_path / "r.html"))
    assert "<svg" in (tmp_path / "r.html").read_text()
    assert "1 results, 3 DML paid" in cli(server, requester_home, "job", "report", str(job["id"]))


def test_storage_provider_menu(server, make, tmp_path) -> None:
    home = tmp_path / "provider"
    node = Key.generate().address  # a node's key (dml storage-node prints its address)
    out = menu(server, home, "storage", [
        pick("storage", "Sign in with your key (creates it the first time)"), "provider",
        pick("storage", "Get test DML (development chains)"), "5",
        pick("storage", "Register a node"), node, "50", "1000", "http://127.0.0.1:7001",
        pick("storage", "Create a cluster"), "10", "2",
        pick("storage", "My clusters"), "0"])
    provider = Key.from_hex((home / "keys" / "provider.key").read_text())
    client = Client(server.url)
    cluster = client.storage.clusters(manager=provider.address)["items"][0]["id"]
    out = menu(server, home, "storage", [
        pick("storage", "Add a node to my cluster"), str(cluster), node, "0,9223372036854775808",
        pick("storage", "Set a node's status"), str(cluster), node, "",
        pick("storage", "My nodes"),
        pick("storage", "Show a cluster"), str(cluster), "0"])
    assert f"cluster {cluster} by {provider.address}: 1 nodes, 2 vnodes" in out
    view = client.storage.node(node)
    assert (view["provider"], view["capacity"], view["cluster"], view["status"], view["params"]["url"]) == (
        provider.address, 50, cluster, "active", "http://127.0.0.1:7001")
    assert view["vnodes"] == ["0", "9223372036854775808"]


def test_contributor_menu_tasks_and_federated_training(server, make, tmp_path) -> None:
    requester = make.custodial(10, "fl-cli")
    task = requester.tasks.create(TaskDraft(
        kind="data_annotation", question="Is it a cat?", reward_per_result=DML, max_assignments=1,
        expires_at_height=int(requester.system.ready()["head"]) + 500, validation="auto_accept", files=["cat.jpg"],
        annotation_type="image"))["id"]
    plan = {"model": {"kind": "softmax", "inputs": 2, "classes": 3, "hidden": []}, "strategy": {"name": "fedavg"},
            "training": {"learningRate": 0.5, "batchSize": 4, "epochs": 2}, "rounds": 1, "devicesPerRound": 1,
            "minimumDevices": 1, "initialSeed": 3}
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(plan))
    requester_home = tmp_path / "requester"
    cli(server, requester_home, "login", "--email", requester.email, "--password", PASSWORD)  # type: ignore[attr-defined]
    job = cli_json(server, requester_home, "fl", "create", "--plan", str(plan_file), "--reward", "1", "--deadline-minutes", "30")["id"]

    data = tmp_path / "points.csv"
    data.write_text("x,y,label\n" + "".join(f"{i % 3},{(i * 7) % 5},{i % 3}\n" for i in range(30)))
    home = tmp_path / "contributor"
    out = menu(server, home, "device", [
        pick("device", "Sign in with your key (creates it the first time)"), "laptop",
        pick("device", "Open tasks"),
        pick("device", "Take a task"), str(task),
        pick("device", "Send a task result"), str(task), "yes, a cat",
        pick("device", "Open federated jobs"),
        pick("device", "Train in a federated job"), str(data), str(job), "1",
        pick("device", "My balance"), "0"])
    assert f"job {job}: aggregated in 1 round(s)" in out
    assert "free  2 DML" in out  # 1 for the task (auto accept), 1 for the round
    assert requester.federated.get(job)["status"] == "completed"
    out = cli(server, requester_home, "fl", "report", str(job))
    assert "[completed]: 1 DML paid" in out
    model = tmp_path / "model.dmlw"
    cli(server, requester_home, "fl", "model", str(job), "--out", str(model))
    assert model.read_bytes()[:4] == b"DMLW"
    assert f"federated job {job} [completed] rounds 1/1" in cli(server, requester_home, "fl", "show", str(job))
    assert "round" in cli(server, requester_home, "fl", "report", str(job), "--format", "csv")
    listed = cli_json(server, requester_home, "fl", "publish", str(job), "--title", "Points", "--description", "3 classes", "--price", "1")
    assert requester.algorithms.get(listed["id"])["title"] == "Points"
    closing = requester.federated.create(plan, DML, int(time.time() * 1000) + 1000)["id"]
    time.sleep(1.5)
    assert "closed federated job" in cli(server, requester_home, "fl", "close", str(closing))


def test_usage_errors_are_plain(server, tmp_path) -> None:
    err = io.StringIO()
    assert run(["--home", str(tmp_path), "--server", server.url, "transfer", "dml1nope", "abc"], stdout=err) == 2
    status = subprocess.run(executable() + ["--home", str(tmp_path), "--server", server.url, "login", "--email", "x@example.org"],
                            capture_output=True, text=True)
    assert status.returncode == 2 and "login needs --email and --password" in status.stderr
    status = subprocess.run(executable() + ["--home", str(tmp_path), "--server", server.url, "login", "--email", "nobody@example.org",
                                            "--password", "wrong password"], capture_output=True, text=True)
    assert status.returncode == 1 and "401 auth.unauthorized" in status.stderr
    help_text = subprocess.run(executable() + ["--help"], capture_output=True, text=True).stdout
    for command in ("bounty", "algo", "task", "job", "fl", "storage", "voucher", "menu"):
        assert command in help_text


def test_menus_survive_wrong_answers(server, tmp_path) -> None:
    answers = io.StringIO("\n".join([
        "7",                      # not a role
        "1",                      # Requester
        "99",                     # not an item
        "m",                      # the menu again
        pick("requester", "Show a bounty"), "999999",        # refused by the server: printed, the menu goes on
        pick("requester", "Send DML"), "",                   # a required answer left empty
        pick("requester", "Who am I"),                       # not signed in: said plainly
    ]) + "\n")
    out = io.StringIO()
    status = run(["--server", server.url, "--home", str(tmp_path), "menu"], stdout=out, menu_stdin=answers)
    text = out.getvalue()
    assert status == 0  # the end of the answers ends the menu
    assert "who are you today?" in text and "'7' is not on the menu" in text
    assert "'99' is not on the menu" in text and text.count("Requester menu") == 2
    assert "error: 404 request.not_found: bounty 999999 does not exist" in text
    assert "error: To (dml1… address) is needed" in text
    assert "error: not signed in" in text


def test_every_remaining_subcommand(server, make, moderator, tmp_path) -> None:
    """Each subcommand not covered by the stories above, in its human output."""
    home, other = tmp_path / "issuer", tmp_path / "recipient"
    issuer, recipient = make.custodial(30, "tour"), make.custodial(0, "tour-recipient")
    cli(server, home, "login", "--email", issuer.email, "--password", PASSWORD)  # type: ignore[attr-defined]
    cli(server, other, "login", "--email", recipient.email, "--password", PASSWORD)  # type: ignore[attr-defined]
    assert "profile:" in cli(server, home, "profile", "--name", "Ivy", "--country", "fr")
    assert "'country': 'FR'" in cli(server, home, "profile", "--bio", "issues vouchers")

    # Vouchers: a hub, a voucher written to a file, redeemed by the recipient.
    hub = cli_json(server, home, "voucher", "open-hub", "5")["id"]
    assert "funded hub" in cli(server, home, "voucher", "fund", str(hub), "10")
    assert f"hub {hub} of {issuer.account}: balance 10 DML, fee 5%" in cli(server, home, "voucher", "hub", str(hub))
    voucher = tmp_path / "voucher.json"
    assert "written to" in cli(server, home, "voucher", "issue", str(hub), recipient.account, "2", "--out", str(voucher))
    assert "redeemed a voucher of hub" in cli(server, other, "voucher", "redeem", str(voucher))
    assert recipient.ledger.balance() == 2 * DML - 2 * DML * 5 // 100
    assert "withdrew from hub" in cli(server, home, "voucher", "withdraw", str(hub), "1")

    # The marketplace from the command line: upload, publish, price, version, download.
    package = tmp_path / "count.json"
    package.write_bytes(byte_count_package())
    cid = cli_json(server, home, "algo", "upload", str(package))["cid"]
    algorithm = cli_json(server, home, "algo", "publish", "--title", "Tour", "--description", "d", "--artifact", cid, "--price", "1")["id"]
    assert "priced algorithm" in cli(server, home, "algo", "price", str(algorithm), "1.5")
    second = tmp_path / "count2.json"
    second.write_bytes(byte_count_package("2.0.0"))
    assert "new version of algorithm" in cli(server, home, "algo", "version", str(algorithm), "--file", str(second))
    moderator.algorithms.review(algorithm, "approve")
    assert "v2" in cli(server, home, "algo", "show", str(algorithm)) and "price 1.5 DML" in cli(server, home, "algo", "show", str(algorithm))
    assert "Tour" in cli(server, home, "algo", "list", "--mine")
    out = tmp_path / "v1.json"
    assert "CID" in cli(server, home, "algo", "download", str(algorithm), "--out", str(out), "--version", "1")
    assert out.read_bytes() == byte_count_package()
    cli(server, home, "algo", "deactivate", str(algorithm))
    cli(server, home, "algo", "activate", str(algorithm))
    cli(server, home, "algo", "withdraw", str(algorithm), expect=1)  # nothing bought yet: refused, status 1
    moderator_home = tmp_path / "moderator"
    cli(server, moderator_home, "login", "--email", moderator.email, "--password", PASSWORD)  # type: ignore[attr-defined]
    cli(server, moderator_home, "algo", "review", str(algorithm), "--decision", "return_to_review")
    assert "[pending_review]" in cli(server, home, "algo", "show", str(algorithm))
    cli(server, moderator_home, "algo", "review", str(algorithm))
    job = cli_json(server, home, "job", "create", "--algorithm", str(algorithm), "--devices", "2", "--reward", "1",
                   "--deadline-minutes", "0.02")["id"]
    time.sleep(1.5)
    assert "closed job" in cli(server, home, "job", "close", str(job))
    assert f"job {job} [closed]" in cli(server, home, "job", "show", str(job))

    # Bounties: fund, submissions, cancel.
    bounty = cli_json(server, home, "bounty", "create", "--title", "Tour bounty", "--description", "d", "--prizes", "1", "--no-fund")["id"]
    cli(server, home, "bounty", "fund", str(bounty), "1")
    assert "(none)" in cli(server, home, "bounty", "submissions", str(bounty))
    cli(server, home, "bounty", "cancel", str(bounty))
    assert "[cancelled]" in cli(server, home, "bounty", "show", str(bounty))

    # Jobs and federated lists, budgets, tasks, ledger reads.
    for listing in (("job", "list"), ("fl", "list"), ("storage", "clusters"), ("storage", "nodes"), ("storage", "buckets", "--mine")):
        cli(server, home, *listing)  # tables, or "(none)" on a fresh server
    dataset = f"tour/{os.getpid()}"
    cli(server, home, "budget", "set", dataset, "3.5")
    assert f"{dataset}: ε 3.5 (spent 0)" in cli(server, home, "budget", "show", dataset)
    task = cli_json(server, home, "task", "create", "--question", "q", "--reward", "1", "--files", "f", "--expires-in-blocks", "2")["id"]
    assert f"task {task} [created]" in cli(server, home, "task", "show", str(task))
    assert str(task) in cli(server, home, "task", "list", "--scope", "mine")
    receipt = cli_json(server, home, "transfer", recipient.account, "0.5")
    assert f"in block {receipt['height']}" in cli(server, home, "tx", receipt["hash"])
    assert "transferred" in cli(server, home, "events", "--after", str(receipt["height"] - 1), "--limit", "5")
    assert f"block {receipt['height']}" in cli(server, home, "block", str(receipt["height"]))

    # Storage reads and an owner's deposit and withdrawal.
    cli(server, home, "storage", "deposit", "2")
    assert "deposit 2 DML" in cli(server, home, "storage", "account")
    cli(server, home, "storage", "withdraw", "1")
    assert "withdrew from task" in cli(server, home, "task", "withdraw", str(task))  # expired by now: rewards back

    # Keys and roles: a key folder of its own, and the admin granting a role with --key.
    keys_home = tmp_path / "keys-home"
    address = cli(server, keys_home, "--print", "address", "keys", "create", "k1").strip()
    assert address.startswith("dml1") and "k1" in cli(server, keys_home, "keys", "list")
    assert "granted moderator to" in cli(server, tmp_path / "admin", "--keys", str(server.data / "keys"), "--key", "admin",
                                       "role", "grant", "moderator", address)
