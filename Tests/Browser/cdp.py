"""Headless Chromium driven over the Chrome DevTools Protocol, with the standard library only.

    browser = Chromium.launch()            # /usr/bin/chromium --headless=new …
    page = browser.new_page(1280, 800)
    page.open("http://127.0.0.1:8080/console/#/bounties")
    page.fill("Title", "…"); page.click("Post the bounty"); page.wait_for("…", "what")
    page.screenshot("bounties.png"); page.errors   # console errors and uncaught exceptions
    browser.close()

The WebSocket client (RFC 6455) speaks just what CDP needs: one text message per command,
client frames masked, server frames possibly fragmented and large (screenshots).
"""
import base64
import hashlib
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import urllib.parse

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


class WebSocket:
    GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    def __init__(self, url, timeout=10):
        parts = urllib.parse.urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        path = parts.path + (("?" + parts.query) if parts.query else "")
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("the DevTools endpoint closed during the WebSocket handshake")
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        if " 101 " not in lines[0] + " ":
            raise ConnectionError(f"WebSocket upgrade refused: {lines[0]}")
        want = base64.b64encode(hashlib.sha1((key + self.GUID).encode()).digest()).decode()
        headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:] if ":" in l)}
        if headers.get("sec-websocket-accept") != want:
            raise ConnectionError("bad Sec-WebSocket-Accept in the handshake")

    def _exact(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buffer)))
            if not chunk:
                raise ConnectionError("the DevTools connection closed")
            self.buffer += chunk
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def _send_frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 1 << 16:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        # XOR with the repeated 4-byte mask, done as one big integer (fast enough for commands).
        repeated = (mask * (n // 4 + 1))[:n]
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(n, "big") if n else b""
        self.sock.sendall(header + mask + masked)

    def send(self, text):
        self._send_frame(0x1, text.encode())

    def recv(self, timeout=None):
        """One whole text message; socket.timeout if none starts within `timeout` seconds."""
        self.sock.settimeout(timeout)
        message, opcode_of_message = b"", None
        while True:
            if not self.buffer:  # only the first byte may time out; the rest of a frame follows
                self.buffer += self.sock.recv(65536) or b""
                if not self.buffer:
                    raise ConnectionError("the DevTools connection closed")
            self.sock.settimeout(30)
            b0, b1 = self._exact(2)
            opcode, length = b0 & 0x0F, b1 & 0x7F
            if length == 126:
                length = struct.unpack("!H", self._exact(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", self._exact(8))[0]
            mask = self._exact(4) if b1 & 0x80 else None
            payload = self._exact(length)
            if mask:
                payload = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
            if opcode == 0x9:        # ping → pong
                self._send_frame(0xA, payload)
                continue
            if opcode == 0xA:
                continue
            if opcode == 0x8:
                raise ConnectionError("the DevTools connection was closed by the browser")
            if opcode in (0x1, 0x2):
                opcode_of_message = opcode
            message += payload
            if b0 & 0x80 and opcode_of_message is not None:
                return message.decode()

    def close(self):
        try:
            self._send_frame(0x8, b"")
        except OSError:
            pass
        self.sock.close()


class CDPError(Exception):
    pass


class CDP:
    """Commands and events over one browser-level connection; pages are flattened sessions."""

    def __init__(self, url):
        self.ws = WebSocket(url)
        self.next_id = 0
        self.listeners = []   # functions (method, params, sessionId)

    def _dispatch(self, message):
        for listener in self.listeners:
            listener(message.get("method"), message.get("params", {}), message.get("sessionId"))

    def send(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        ident = self.next_id
        message = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no reply to {method} within {timeout} s")
            try:
                reply = json.loads(self.ws.recv(timeout=left))
            except socket.timeout:
                continue
            if reply.get("id") == ident:
                if "error" in reply:
                    raise CDPError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            if "method" in reply:
                self._dispatch(reply)

    def pump(self, seconds):
        """Handle the events that arrive within `seconds`."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = json.loads(self.ws.recv(timeout=left))
            except socket.timeout:
                return
            if "method" in message:
                self._dispatch(message)


class Chromium:
    def __init__(self, process, profile, cdp):
        self.process, self.profile, self.cdp = process, profile, cdp

    @classmethod
    def launch(cls, width=1280, height=800, timeout=30):
        if not os.path.exists(CHROMIUM):
            raise RuntimeError(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
        profile = tempfile.mkdtemp(prefix="dml-chromium.")
        args = [CHROMIUM, "--headless=new", "--no-sandbox", "--remote-debugging-port=0", f"--user-data-dir={profile}",
                "--no-first-run", "--no-default-browser-check", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-extensions", "--disable-background-networking", "--disable-sync", "--disable-component-update",
                "--disable-default-apps", "--metrics-recording-only", "--mute-audio", "--hide-scrollbars",
                f"--window-size={width},{height}", "about:blank"]
        log = open(os.path.join(profile, "chromium.log"), "wb")
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        # Chromium writes the port it picked and the browser's WebSocket path to this file.
        port_file = os.path.join(profile, "DevToolsActivePort")
        deadline = time.monotonic() + timeout
        while True:
            if os.path.exists(port_file):
                lines = open(port_file).read().split("\n")
                if len(lines) >= 2 and lines[0].strip() and lines[1].strip():
                    break
            if process.poll() is not None:
                raise RuntimeError("Chromium exited: " + open(os.path.join(profile, "chromium.log"), errors="replace").read()[-2000:])
            if time.monotonic() > deadline:
                process.kill()
                raise TimeoutError("Chromium did not open its DevTools port")
            time.sleep(0.05)
        cdp = CDP(f"ws://127.0.0.1:{lines[0].strip()}{lines[1].strip()}")
        return cls(process, profile, cdp)

    def new_page(self, width=1280, height=800):
        target = self.cdp.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        return Page(self.cdp, session, width, height)

    def close(self):
        try:
            self.cdp.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.cdp.ws.close()
        shutil.rmtree(self.profile, ignore_errors=True)


# Finds a form control by its label's text (exact, else prefix), inside <main>: the test uses
# the page the way a person does, and fails if a control has no label.
_FIND_CONTROL = """
(label) => {
  const labels = [...document.querySelectorAll('main label')];
  const l = labels.find(x => x.textContent.trim() === label) || labels.find(x => x.textContent.trim().startsWith(label));
  return l ? l.control : null;
}"""
# Finds a button or link by its visible text or aria-label, in <main> first, then anywhere.
_FIND_CLICKABLE = """
(text) => {
  const name = e => (e.getAttribute('aria-label') || e.textContent).trim();
  for (const scope of ['main', 'body']) {
    const all = [...document.querySelectorAll(scope + ' button, ' + scope + ' a, ' + scope + ' [role=button]')].filter(e => e.offsetParent !== null);
    const found = all.find(e => name(e) === text) || all.find(e => name(e).startsWith(text));
    if (found) return found;
  }
  return null;
}"""


class Page:
    def __init__(self, cdp, session, width, height):
        self.cdp, self.session = cdp, session
        self.errors = []
        cdp.listeners.append(self._on_event)
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def send(self, method, params=None, timeout=30):
        return self.cdp.send(method, params, session=self.session, timeout=timeout)

    def _on_event(self, method, params, session):
        if session != self.session:
            return
        if method == "Runtime.exceptionThrown":
            d = params["exceptionDetails"]
            text = d.get("exception", {}).get("description") or d.get("text")
            self.errors.append({"kind": "exception", "text": text, "url": d.get("url", "")})
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            e = params["entry"]
            self.errors.append({"kind": "log:" + e.get("source", ""), "text": e.get("text", ""), "url": e.get("url", "")})
        elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            self.errors.append({"kind": "console." + params["type"], "text": text, "url": ""})

    def take_errors(self, allowed=lambda error: False):
        """The errors collected so far (minus the allowed ones), and forget them."""
        self.cdp.pump(0.05)
        errors, self.errors = [e for e in self.errors if not allowed(e)], []
        return errors

    def evaluate(self, function, *args):
        """Calls `function` (JavaScript source of a function) with `args` (as JSON) in the page;
        returns its value, awaited if it is a promise."""
        expression = f"({function})(...{json.dumps(list(args))})"
        reply = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in reply:
            raise CDPError(reply["exceptionDetails"].get("exception", {}).get("description") or reply["exceptionDetails"]["text"])
        return reply["result"].get("value")

    def open(self, url):
        """Navigates; the current page's heading is marked stale first, so that wait_heading
        waits for the new route's page, not the old one (hash routes render asynchronously)."""
        same = self.evaluate("(url) => { const h = document.querySelector('main h1'); if (h) h.dataset.stale = '1'; return location.href === url; }", url)
        if same:
            self.send("Page.reload")
        else:
            self.send("Page.navigate", {"url": url})

    def wait_for(self, expression, what, *args, timeout=10):
        """Polls until `expression` is truthy; fails with what the page shows instead."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression, *args)
            if value:
                return value
            if time.monotonic() > deadline:
                shown = self.evaluate("() => document.querySelector('main') ? document.querySelector('main').innerText.slice(0, 1500) : document.body.innerText.slice(0, 1500)")
                raise AssertionError(f"timed out waiting for {what}; the page shows:\n{shown}")
            self.cdp.pump(0.1)

    def wait_heading(self, title, timeout=10):
        self.wait_for("(t) => { const h = document.querySelector('main h1'); return h && !h.dataset.stale && h.textContent.trim() === t && !document.querySelector('main .loading'); }",
                      f"the page titled {title!r}", title, timeout=timeout)

    def click(self, text, timeout=10):
        """A real mouse click at the centre of the button or link named `text` (waits for it
        to appear and be enabled: pages render after their API calls)."""
        box = self.wait_for(f"""(key) => {{
            const el = ({_FIND_CLICKABLE})(key);
            if (!el || el.disabled) return null;
            el.scrollIntoView({{block: 'center'}});
            const r = el.getBoundingClientRect();
            return {{x: r.left + r.width / 2, y: r.top + r.height / 2}};
        }}""", f"a button or link named {text!r}", text, timeout=timeout)
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": box["x"], "y": box["y"], "button": "left", "clickCount": 1})

    def fill(self, label, text, timeout=10):
        """Focuses the control labelled `label` (waiting for it), clears it and types `text`."""
        self.wait_for(f"""(label) => {{
            const c = ({_FIND_CONTROL})(label);
            if (!c) return false;
            c.focus(); c.select && c.select();
            return true;
        }}""", f"a form control labelled {label!r}", label, timeout=timeout)
        self.send("Input.insertText", {"text": text})

    def set_files(self, label, paths):
        """Chooses `paths` in the file input labelled `label`, as the file picker would."""
        self.wait_for(f"(label) => !!({_FIND_CONTROL})(label)", f"a file input labelled {label!r}", label)
        found = self.send("Runtime.evaluate", {"expression": f"({_FIND_CONTROL})({json.dumps(label)})"})
        self.send("DOM.setFileInputFiles", {"files": [os.path.abspath(p) for p in paths], "objectId": found["result"]["objectId"]})

    def set_value(self, label, value):
        """For controls typing cannot fill (select, datetime-local, checkbox): sets and fires events."""
        ok = self.evaluate(f"""(label, value) => {{
            const c = ({_FIND_CONTROL})(label);
            if (!c) return false;
            if (c.type === 'checkbox') c.checked = value; else c.value = value;
            c.dispatchEvent(new Event('input', {{bubbles: true}}));
            c.dispatchEvent(new Event('change', {{bubbles: true}}));
            return true;
        }}""", label, value)
        if not ok:
            raise AssertionError(f"no form control labelled {label!r}")

    def value(self, label):
        return self.evaluate(f"(label) => {{ const c = ({_FIND_CONTROL})(label); return c ? (c.type === 'checkbox' ? c.checked : c.value) : null; }}", label)

    def text(self, selector="main"):
        return self.evaluate("(s) => { const e = document.querySelector(s); return e ? e.innerText : ''; }", selector)

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", {"format": "png"}, timeout=60)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
