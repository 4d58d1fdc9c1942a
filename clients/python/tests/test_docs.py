"""The README's and docs/python.md's examples, run as written against the live server.

```python blocks run in order as one program and ```sh blocks as one bash script, in a folder
laid out as the docs assume: ``.dml`` is the server's data folder (its ``keys/admin.key``), a
package ``count.dmlpkg.json``, a device's ``my-data.txt`` and ``points.csv``, and a running
``dml storage-node`` in ``node1``. Only addresses change: the server's and the node's URLs, and
``example.org`` becomes a fresh domain so that the emails are new. ```console blocks (install,
``dml serve``) are what this suite's script and fixture do; ```text blocks are transcripts,
checked against the real menus.
"""
from __future__ import annotations

import contextlib
import io
import os
import random
import re
import subprocess
import time
import uuid
from pathlib import Path
from typing import Dict, List

import pytest

from dml_client import DML, Client
from dml_client.cli import run

from conftest import REPO, dml_binary
from packages import byte_count_package

README = REPO / "clients" / "python" / "README.md"
GUIDE = REPO / "docs" / "python.md"


def fenced(text: str, language: str) -> List[str]:
    return re.findall(r"^```" + language + r"\n(.*?)^```", text, flags=re.S | re.M)


@pytest.fixture()
def workspace(server, tmp_path):
    (tmp_path / ".dml").symlink_to(server.data)
    (tmp_path / "count.dmlpkg.json").write_bytes(byte_count_package())
    (tmp_path / "my-data.txt").write_text("hello world")
    rng = random.Random(5)
    rows = []
    for _ in range(80):
        x, y = rng.uniform(-1, 1), rng.uniform(-1, 1)
        rows.append(f"{x:.4f},{y:.4f},{1 if y > x else 0}\n")
    (tmp_path / "points.csv").write_text("".join(rows))
    log = open(tmp_path / "node.log", "w+")
    node = subprocess.Popen([dml_binary(), "storage-node", "--data", "node1", "--chain", ".dml", "--port", "0"],
                            cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    url = None
    deadline = time.time() + 30
    while url is None and time.time() < deadline and node.poll() is None:
        log.seek(0)
        found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", log.read())
        url = found.group(1) if found else None
        time.sleep(0.05)
    assert url, "dml storage-node did not start"
    substitutions = {"http://127.0.0.1:8080": server.url, "http://127.0.0.1:7001": url,
                     "example.org": f"{uuid.uuid4().hex[:10]}.example.org"}
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield {"path": tmp_path, "subs": substitutions}
    finally:
        os.chdir(old)
        node.terminate()
        node.wait(timeout=20)


def localized(code: str, subs: Dict[str, str]) -> str:
    for old, new in subs.items():
        code = code.replace(old, new)
    return code


def run_python(doc: Path, workspace) -> Dict[str, object]:
    code = "\n".join(localized(block, workspace["subs"]) for block in fenced(doc.read_text(), "python"))
    namespace: Dict[str, object] = {"__name__": "docs"}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, str(doc), "exec"), namespace)
    namespace["__printed__"] = printed.getvalue()
    return namespace


def run_sh(doc: Path, workspace) -> str:
    script = "set -euo pipefail\n" + "\n".join(localized(block, workspace["subs"]) for block in fenced(doc.read_text(), "sh"))
    env = dict(os.environ, DML_BIN=dml_binary(), PATH=f"{Path(dml_binary()).parent}{os.pathsep}{os.environ['PATH']}")
    for name in ("DML_SERVER", "DML_CLIENT_HOME"):
        env.pop(name, None)
    done = subprocess.run(["bash", "-c", script], cwd=workspace["path"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{doc.name}'s shell blocks failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_readme_python_quick_start(workspace) -> None:
    ns = run_python(README, workspace)
    printed = str(ns["__printed__"])
    assert "10 DML won" in printed
    assert "pending_review" in printed and "\nactive\n" in printed
    assert ns["paid"]["paid"] == str(DML)  # type: ignore[index]
    assert "\n[11]\n" in printed
    assert "['aggregated', 'aggregated']" in printed and "\n2000000000\n" in printed
    assert "b'rows of a private dataset\\n'" in printed
    assert "True transferred" in printed and "409 tx.nonce_already_used" in printed
    assert "404 request.not_found bounty 999999 does not exist" in printed
    assert (workspace["path"] / "model.dmlw").read_bytes()[:4] == b"DMLW"
    assert (workspace["path"] / "bought.dmlpkg.json").read_bytes() == byte_count_package()


def test_readme_command_line(workspace, server) -> None:
    out = run_sh(README, workspace)
    assert "signed in as ada@" in out and "free  50 DML" in out
    assert "Label cats" in out
    assert "cat" in out and "free  2 DML" in out  # Pat: 1 from the faucet, 1 for the accepted result
    menu = out[out.index("Requester menu"):]
    assert "$ dml-client whoami" in menu and "(custodial) on http://" in menu
    assert "$ dml-client balance" in menu and "free  44 DML" in menu  # 50 − 5 for the bounty − 1 for the task


def test_readme_menu_transcript_is_the_real_menu(workspace) -> None:
    out = io.StringIO()
    assert run(["--home", str(workspace["path"] / "menu"), "menu", "requester"], stdout=out, menu_stdin=io.StringIO("0\n")) == 0
    for block in fenced(README.read_text(), "text"):
        shown = [line for line in block.splitlines() if line.strip() and line.strip() != "…"]
        real = [line.rstrip() for line in out.getvalue().splitlines() if line.strip()]
        assert shown == real[:len(shown)], f"the README's menu differs from the real one:\n{block}\n{out.getvalue()}"


def test_guide_python_and_command_line(workspace, server) -> None:
    ns = run_python(GUIDE, workspace)
    printed = str(ns["__printed__"])
    assert "pending\nTrue\n409 tx.nonce_already_used" in printed
    ada = ns["ada"]
    assert isinstance(ada, Client) and ada.ledger.balance() == 16 * DML  # 20 − 5 escrowed + 1 from the device
    out = run_sh(GUIDE, workspace)
    assert "signed in as grace@" in out and "free  10 DML" in out and "Who am I" in out
