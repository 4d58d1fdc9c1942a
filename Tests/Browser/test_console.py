"""The web console in a real browser: headless Chromium, driven over the DevTools protocol.

    DML_BIN=.build/debug/dml python3 -m pytest -q Tests/Browser      (or scripts/test-console)

A person's path through the pages: sign up (the development chain confirms at once), sign in,
get money (the test's admin transfer), post a bounty without escrow, fund it from its page, and
find it listed with its prize pool. Then the other main pages must render, with blocks in the
ledger explorer, and no page may log an error or throw. Set DML_CONSOLE_DIR to test the files
in a folder instead of the copy bundled in the binary.
"""
import os
import tempfile
import uuid

import pytest

from cdp import Chromium
from dml_server import DML, DmlServer


@pytest.fixture(scope="module")
def server():
    binary = os.environ.get("DML_BIN")
    if not binary:
        pytest.fail("set DML_BIN to the dml binary to test (scripts/test-console does)")
    s = DmlServer.start(binary)
    yield s
    stderr = s.stop()
    assert "unexpected error" not in stderr, stderr[-3000:]


@pytest.fixture(scope="module")
def page():
    browser = Chromium.launch()
    p = browser.new_page(1280, 800)
    yield p
    browser.close()


def assert_no_errors(page, allowed=lambda error: False):
    errors = page.take_errors(allowed)
    assert not errors, "the console logged errors:\n" + "\n".join(f"{e['kind']}: {e['text']} {e['url']}" for e in errors)


def assert_accessible_basics(page):
    """What every page must have: one h1 with focus after a route change, labelled controls,
    table headers, buttons that are buttons."""
    report = page.evaluate("""() => {
        const main = document.querySelector('main');
        const unlabeled = [...main.querySelectorAll('input, select, textarea')]
            .filter(c => c.type !== 'hidden' && c.labels.length === 0 && !c.getAttribute('aria-label'))
            .map(c => c.outerHTML.slice(0, 120));
        const headless = [...main.querySelectorAll('table')].filter(t => !t.querySelector('th')).length;
        const fakeButtons = [...main.querySelectorAll('a:not([href]), div[onclick], span[onclick]')].length;
        return {h1: main.querySelectorAll('h1').length, unlabeled, headless, fakeButtons,
                landmarks: !!document.querySelector('header') && !!document.querySelector('nav') && !!document.querySelector('main'),
                live: !!document.querySelector('[aria-live]')};
    }""")
    assert report["h1"] == 1, report
    assert report["unlabeled"] == [], report
    assert report["headless"] == 0 and report["fakeButtons"] == 0, report
    assert report["landmarks"] and report["live"], report


def go(page, server, route, title):
    page.open(f"{server.base}/console/{route}")
    page.wait_heading(title)


def test_sign_up_sign_in_post_fund_and_list_a_bounty(server, page):
    email = f"ada-{uuid.uuid4().hex[:8]}@example.org"
    password = "correct horse battery"
    title = f"Classify bird songs {uuid.uuid4().hex[:6]}"

    # Sign up through the form; the development chain hands the console the confirmation token.
    go(page, server, "#/signup", "Sign up")
    assert_accessible_basics(page)
    page.fill("Email", email)
    page.fill("Password", password)
    page.fill("Display name (optional)", "Ada")
    page.click("Create account")
    page.wait_heading("Sign in")
    assert "confirmed your email automatically" in page.text()
    assert page.value("Email") == email

    # Sign in: the header shows who is signed in, and focus moved to the new page's heading.
    page.fill("Password", password)
    page.click("Sign in")
    page.wait_for("() => document.querySelector('#session-area').innerText.includes('Sign out')", "the signed-in header")
    page.wait_heading("Marketplace")
    assert page.evaluate("() => document.activeElement === document.querySelector('main h1')")
    account = page.evaluate("() => JSON.parse(sessionStorage.getItem('dml.session')).user.account")
    assert account.startswith("dml1")

    server.fund(account, 100 * DML)

    # Post a bounty with two prizes, without escrowing them yet.
    go(page, server, "#/bounties/new", "Post a bounty")
    assert_accessible_basics(page)
    page.fill("Title", title)
    page.fill("Description", "Label ten thousand recordings by species.")
    page.fill("Prize for rank 1 (DML)", "25")
    page.click("Add a prize")
    page.fill("Prize for rank 2 (DML)", "5.5")
    page.wait_for("() => document.querySelector('main').innerText.includes('Prize pool: 30.5 DML')", "the prize pool total")
    page.set_value("Escrow the prize pool now", False)
    page.click("Post the bounty")
    page.wait_heading(title)
    assert "0 DML of 30.5 DML" in page.text()

    # Fund it from its page: the form offers what is missing.
    assert page.value("Amount to escrow (DML)") == "30.5"
    page.click("Fund the bounty")
    page.wait_for("() => document.querySelector('main').innerText.includes('30.5 DML of 30.5 DML')", "the funded bounty")
    page.wait_for("() => [...document.querySelectorAll('main button')].some(b => b.textContent === 'Open enrollment')", "the next step")
    page.wait_for("() => document.querySelector('#session-area').innerText.includes('69.5 DML')", "the balance after funding")
    bounty_id = int(page.evaluate("() => location.hash.split('/')[2]"))
    bounty = server.get(f"/v1/bounties/{bounty_id}")
    assert (bounty["prizePool"], bounty["funded"], bounty["status"]) == ("30500000000", "30500000000", "pending")

    # The bounties page lists it with its prize pool, also sorted by prize pool.
    go(page, server, "#/bounties", "Bounties")
    assert_accessible_basics(page)
    # The row as {column header: cell text}.
    row = page.wait_for("""(title) => {
        const table = document.querySelector('main table');
        const row = table && [...table.tBodies[0].rows].find(r => r.cells[0].innerText.includes(title));
        if (!row) return null;
        const headers = [...table.tHead.rows[0].cells].map(c => c.innerText.trim());
        return Object.fromEntries(headers.map((h, i) => [h, row.cells[i].innerText.trim()]));
    }""", "the bounty in the list", title)
    assert (row["Prize pool"], row["Funded"], row["Status"]) == ("30.5 DML", "30.5 DML", "Pending"), row
    page.set_value("Sort by", "prize")
    page.click("Apply")
    page.wait_for("() => location.hash.includes('sort=prize')", "the sorted list")
    page.wait_for("(title) => document.querySelector('main tbody') && document.querySelector('main tbody').innerText.includes(title)", "the bounty in the sorted list", title)
    assert_no_errors(page)


def test_main_pages_render_without_errors(server, page):
    # At least one block beyond genesis, whatever ran before.
    server.fund("dml1ulck9ggta32e4l4pjhjde6ztd9tg6hfvkztradzxcp59u2ch7tcqcra0fx", DML)
    head = server.get("/ready")["head"]
    for route, title in [("#/marketplace", "Marketplace"), ("#/tasks", "Tasks"), ("#/jobs", "Jobs"), ("#/storage", "Storage"), ("#/ledger", "Ledger explorer")]:
        go(page, server, route, title)
        assert_accessible_basics(page)
        # A signed-in user without a storage deposit: the server answers 404 for their storage
        # account, which the page shows as "nothing deposited" (the browser logs the 404).
        assert_no_errors(page, allowed=lambda e: e["kind"] == "log:network" and "/v1/storage/accounts/" in e["url"] and "404" in e["text"])

    # The explorer lists the blocks, newest first, and the live stream is connected.
    page.wait_for("(head) => { const c = document.querySelector('main tbody th a'); return c && c.textContent === String(head); }", "the head block listed first", head)
    page.wait_for("() => document.querySelector('main').innerText.includes('Live')", "the live event stream")
    # A new block appears in the explorer while it is open.
    server.fund("dml1ulck9ggta32e4l4pjhjde6ztd9tg6hfvkztradzxcp59u2ch7tcqcra0fx", DML)
    page.wait_for("(h) => document.querySelector('main tbody th a').textContent === String(h)", "the new block, live", head + 1, timeout=15)
    assert "transferred" in page.text()
    assert_no_errors(page)


def test_api_errors_are_shown_next_to_the_form(server, page):
    session = server.sign_up(f"poor-{uuid.uuid4().hex[:8]}@example.org", "a long password")
    go(page, server, "#/signin", "Sign in")
    page.fill("Email", session["user"]["email"])
    page.fill("Password", "the wrong password")
    page.click("Sign in")
    message = page.wait_for("() => document.querySelector('main .form-error').textContent", "the sign-in error")
    assert "password" in message.lower()
    assert_no_errors(page, allowed=lambda e: e["kind"] == "log:network" and "/v1/users/login" in e["url"])

    # Signed in with no money, a bounty cannot be escrowed: the ledger's message is shown.
    page.fill("Password", "a long password")
    page.click("Sign in")
    page.wait_heading("Marketplace")
    go(page, server, "#/bounties/new", "Post a bounty")
    page.fill("Title", "Unfundable")
    page.click("Post the bounty")
    message = page.wait_for("() => document.querySelector('main .form-error').textContent", "the ledger's refusal")
    assert "has 0 DML free, needs 10 DML" in message, message
    assert_no_errors(page, allowed=lambda e: e["kind"] == "log:network" and e["url"].endswith("/v1/bounties"))

    # An expired or bad access token is refreshed once with the refresh token, transparently.
    page.evaluate("""() => {
        const session = JSON.parse(sessionStorage.getItem('dml.session'));
        session.accessToken = 'not-a-valid-token';
        sessionStorage.setItem('dml.session', JSON.stringify(session));
    }""")
    go(page, server, "#/account", "Your account")
    assert session["user"]["email"] in page.text()
    assert page.evaluate("() => JSON.parse(sessionStorage.getItem('dml.session')).accessToken") != "not-a-valid-token"
    assert_no_errors(page, allowed=lambda e: e["kind"] == "log:network" and "401" in e["text"])


def sign_in(page, server, email, password):
    go(page, server, "#/signin", "Sign in")
    page.fill("Email", email)
    page.fill("Password", password)
    page.click("Sign in")
    page.wait_heading("Marketplace")


def wait_text(page, text, what=None, timeout=10):
    page.wait_for("(t) => document.querySelector('main').innerText.includes(t)", what or repr(text), text, timeout=timeout)


def test_bounty_life_enroll_submit_pick_winners_pay_out(server, page):
    password = "lifecycle password"
    owner = server.sign_up(f"owner-{uuid.uuid4().hex[:8]}@example.org", password, "Owner")
    solver = server.sign_up(f"solver-{uuid.uuid4().hex[:8]}@example.org", password, "Solver")
    server.fund(owner["user"]["account"], 50 * DML)
    title = f"Denoise radio telescope images {uuid.uuid4().hex[:6]}"

    sign_in(page, server, owner["user"]["email"], password)
    go(page, server, "#/bounties/new", "Post a bounty")
    page.fill("Title", title)
    page.fill("Prize for rank 1 (DML)", "12")
    page.click("Post the bounty")          # escrowed at once (the default)
    page.wait_heading(title)
    page.click("Open enrollment")
    wait_text(page, "Enrollment open")
    bounty = page.evaluate("() => location.hash")

    page.click("Sign out")
    sign_in(page, server, solver["user"]["email"], password)
    go(page, server, bounty, title)
    page.click("Enroll")
    page.wait_for("() => document.querySelector('main').innerText.includes('Participants\\n1') || document.querySelector('main').innerText.includes('Participants\\t1')", "one participant")
    page.click("Sign out")

    sign_in(page, server, owner["user"]["email"], password)
    go(page, server, bounty, title)
    page.click("Close enrollment")
    wait_text(page, "Enrollment closed")
    page.click("Open submissions")
    wait_text(page, "Submissions open")
    page.click("Sign out")

    sign_in(page, server, solver["user"]["email"], password)
    go(page, server, bounty, title)
    page.fill("Artifact (content address)", "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")
    page.fill("Note (optional)", "U-Net, 3 dB better")
    page.click("Submit")
    wait_text(page, "U-Net, 3 dB better", "the submission in the list")
    page.click("Sign out")

    sign_in(page, server, owner["user"]["email"], password)
    go(page, server, bounty, title)
    page.click("Close submissions")
    wait_text(page, "Submissions closed")
    page.set_value("Winner of rank 1 (12 DML)", solver["user"]["account"])
    page.click("Name the winners")
    wait_text(page, "Evaluated")
    page.click("Pay out the prizes")
    wait_text(page, "Paid")
    assert server.get(f"/v1/ledger/accounts/{solver['user']['account']}")["free"] == str(12 * DML)
    page.click("Sign out")
    assert_no_errors(page)


def test_buy_an_algorithm_and_judge_a_task_result(server, page):
    password = "market password"
    seller = server.sign_up(f"seller-{uuid.uuid4().hex[:8]}@example.org", password, "Seller")
    buyer = server.sign_up(f"buyer-{uuid.uuid4().hex[:8]}@example.org", password, "Buyer")
    server.make_moderator(seller["user"]["account"])
    server.fund(buyer["user"]["account"], 20 * DML)
    server.fund(seller["user"]["account"], 20 * DML)
    cid = server.upload("/v1/algorithms/artifacts", b"weights" * 100, seller["accessToken"])["cid"]
    algorithm = server.post("/v1/algorithms", {"title": "Kestrel detector", "description": "Finds kestrels.", "tags": ["Vision", "birds"],
                                               "price": str(3 * DML), "artifact": cid}, seller["accessToken"])["id"]
    server.post(f"/v1/algorithms/{algorithm}/review", {"decision": "approve"}, seller["accessToken"])
    task = server.post("/v1/tasks", {"kind": {"type": "data_annotation", "annotationType": "text", "files": ["ipfs://a.txt"], "filesStorage": "ipfs"},
                                     "question": "Is this text about birds?", "rewardPerResult": str(DML), "maxAssignments": 2,
                                     "expiresAtHeight": server.get("/ready")["head"] + 1000, "validation": {"strategy": "manual_accept"}},
                       seller["accessToken"])["id"]

    # The buyer finds it by tag, buys it through its page, and may then download it.
    sign_in(page, server, buyer["user"]["email"], password)
    go(page, server, "#/marketplace?tags=birds&sort=price", "Marketplace")
    page.click("Kestrel detector")
    page.wait_heading("Kestrel detector")
    page.click("Buy for 3 DML")
    page.wait_for("() => [...document.querySelectorAll('main button')].some(b => b.textContent === 'Download the artifact')", "the download button")
    assert server.get(f"/v1/algorithms/{algorithm}")["purchases"] == 1

    # The buyer works on the seller's task; the seller accepts the result.
    go(page, server, f"#/tasks/{task}", f"Task {task}")
    page.click("Take an assignment")
    page.fill("Your result", "Yes, about kestrels.")
    page.click("Send the result")
    wait_text(page, "Your result: Pending validation")
    page.click("Sign out")
    sign_in(page, server, seller["user"]["email"], password)
    go(page, server, f"#/tasks/{task}", f"Task {task}")
    wait_text(page, "Yes, about kestrels.")
    page.click("Accept")
    wait_text(page, "Accepted results\n1")
    assert_no_errors(page, allowed=lambda e: e["kind"] == "log:network" and "/v1/storage/accounts/" in e["url"])


def test_every_page_renders(server, page):
    password = "every page password"
    user = server.sign_up(f"visitor-{uuid.uuid4().hex[:8]}@example.org", password, "Visitor")
    token, account = user["accessToken"], user["user"]["account"]
    receipt = server.fund(account, 30 * DML)
    cluster = server.post("/v1/storage/clusters", {"replicationMax": 2, "resourcePerVNode": 100, "description": "test"}, token)["id"]
    server.post("/v1/storage/deposits", {"amount": str(DML)}, token)
    bucket = server.post("/v1/storage/buckets", {"cluster": cluster}, token)["id"]
    sign_in(page, server, user["user"]["email"], password)
    pages = [
        ("#/account", "Your account"), ("#/marketplace/new", "Publish an algorithm"), ("#/tasks/new", "Post a task"),
        ("#/tasks?scope=mine", "Tasks"), ("#/tasks?scope=assigned", "Tasks"), ("#/jobs/new", "Post a job"), ("#/jobs?mine=1", "Jobs"),
        ("#/bounties?mine=1&status=pending", "Bounties"), ("#/marketplace?status=any&sort=downloads", "Marketplace"),
        (f"#/ledger/blocks/{receipt['height']}", f"Block {receipt['height']}"), (f"#/ledger/transactions/{receipt['hash']}", "Transaction"),
        (f"#/ledger/accounts/{account}", "Your ledger account"), (f"#/storage/clusters/{cluster}", f"Cluster {cluster}"),
        (f"#/storage/buckets/{bucket}", f"Bucket {bucket}"), ("#/storage?mine=1", "Storage"),
        ("#/bounties/999999", "Not found"), ("#/no/such/page", "Page not found"),
    ]
    for route, title in pages:
        go(page, server, route, title)
        assert_accessible_basics(page)
        assert_no_errors(page, allowed=lambda e: e["kind"] == "log:network" and "/v1/bounties/999999" in e["url"])
    # Publish an algorithm through the form: the file is uploaded, then listed by its CID.
    with tempfile.NamedTemporaryFile(suffix=".wasm") as artifact:
        artifact.write(b"\0asm" + os.urandom(256))
        artifact.flush()
        go(page, server, "#/marketplace/new", "Publish an algorithm")
        page.set_files("Artifact file", [artifact.name])
        page.fill("Title", "Heron counter")
        page.fill("Tags", "Vision, birds")
        page.fill("Price (DML)", "0.000000001")
        page.click("Upload and publish")
        page.wait_heading("Heron counter")
    wait_text(page, "0.000000001 DML")
    wait_text(page, "Pending review")
    algorithm = int(page.evaluate("() => location.hash.split('/')[2]"))
    listed = server.get(f"/v1/algorithms/{algorithm}")
    assert (listed["price"], listed["tags"], listed["status"]) == ("1", ["vision", "birds"], "pending_review"), listed
    assert_no_errors(page)

    # The task form shows only the fields of the chosen kind.
    go(page, server, "#/tasks/new", "Post a task")
    assert page.evaluate("() => document.querySelector('main legend').closest('fieldset').hidden") is False
    page.set_value("Kind of task", "model_contribution")
    assert page.evaluate("() => [...document.querySelectorAll('main fieldset')].filter(f => !f.hidden).map(f => f.querySelector('legend').textContent)") == ["Script or model"]
    assert_no_errors(page)
