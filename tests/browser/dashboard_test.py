#!/usr/bin/python3
"""The dashboard in a real browser: headless Chromium loads the page from the running daemon
and must show the endpoint names, a receive rate above zero once traffic flows, and a tapped
message; the filter and pause of the tap work; a screenshot is saved for people to look at.

Chromium is driven over its DevTools protocol (a WebSocket, python3-websocket), with nothing
else in between. Usage: dashboard_test.py OSCBRIDGE_BINARY SCREENSHOT.png

Exit codes: 0 passed, 1 failed, 77 skipped (no chromium, and CI is not set; under CI=true a
missing chromium fails the test).
"""
import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

TIMEOUT = 30  # seconds for each thing the page must show (a loaded 2-CPU machine)


def fail(message, daemon_log=None):
    print("FAIL: " + message, file=sys.stderr)
    if daemon_log:
        print("--- daemon log ---\n" + daemon_log, file=sys.stderr)
    sys.exit(1)


def free_port(kind):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def osc_message(address, *ints):
    def padded(data):
        return data + b"\0" * (4 - len(data) % 4)
    return (padded(address.encode()) + padded(("," + "i" * len(ints)).encode()) +
            b"".join(i.to_bytes(4, "big", signed=True) for i in ints))


class Daemon:
    def __init__(self, binary, directory, yaml):
        self.path = os.path.join(directory, "oscbridge.yaml")
        with open(self.path, "w") as f:
            f.write(yaml)
        self.log = ""
        self.process = subprocess.Popen([binary, "run", "-c", self.path],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.log += line

    def wait_log(self, needle, timeout=TIMEOUT):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if needle in self.log:
                return True
            time.sleep(0.05)
        return False

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return None


class Chromium:
    """One headless Chromium with a fresh profile, and one page driven over DevTools."""

    def __init__(self, executable, profile):
        import websocket  # python3-websocket; imported here so a skip needs no module
        self.process = subprocess.Popen(
            [executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--user-data-dir=" + profile, "--remote-debugging-port=0",
             "--window-size=1440,900", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        port_file = os.path.join(profile, "DevToolsActivePort")
        deadline = time.time() + TIMEOUT
        while not (os.path.exists(port_file) and open(port_file).read().count("\n") >= 1):
            if time.time() > deadline or self.process.poll() is not None:
                raise RuntimeError("chromium did not start its DevTools endpoint")
            time.sleep(0.1)
        port = int(open(port_file).read().split("\n")[0])
        targets = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port))
        page = next(t for t in targets if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=TIMEOUT,
                                              suppress_origin=True)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError("%s: %s" % (method, reply["error"]))
                return reply.get("result", {})

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError("%s: %s" % (expression, result["exceptionDetails"]))
        return result["result"].get("value")

    def wait_for(self, expression, what, daemon, timeout=TIMEOUT, while_waiting=None):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if while_waiting:
                while_waiting()
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.2)
        self.screenshot_on_failure = True
        fail("the page did not show %s within %d s (%s)" % (what, timeout, expression),
             daemon.log)

    def close(self):
        try:
            self.ws.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    binary, screenshot = sys.argv[1], sys.argv[2]
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        if os.environ.get("CI") == "true":
            fail("chromium is not installed (scripts/install-deps.sh installs it)")
        print("SKIP: chromium is not installed (scripts/install-deps.sh installs it)")
        return 77

    directory = tempfile.mkdtemp(prefix="oscbridge-browser-")
    http_port = free_port(socket.SOCK_STREAM)
    desk_port = free_port(socket.SOCK_DGRAM)
    daw_port = free_port(socket.SOCK_DGRAM)
    daw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # the routed messages land here
    daw.bind(("127.0.0.1", daw_port))
    daemon = Daemon(binary, directory, """\
control: off
http: { listen: 127.0.0.1:%d }
endpoints:
  touchosc: { protocol: udp, listen: 127.0.0.1:%d }
  reaper: { protocol: udp, send: 127.0.0.1:%d }
routes:
  - { name: faders, from: touchosc, to: reaper, match: "/1/fader[1-4]", address: "/track/{1}/volume" }
""" % (http_port, desk_port, daw_port))
    browser = None
    try:
        if not daemon.wait_log("ready: "):
            fail("the daemon did not start", daemon.log)
        browser = Chromium(executable, os.path.join(directory, "profile"))
        browser.call("Page.enable")
        browser.call("Page.navigate", url="http://127.0.0.1:%d/" % http_port)

        browser.wait_for("""!!document.querySelector('tr[data-endpoint="touchosc"]') &&
                            !!document.querySelector('tr[data-endpoint="reaper"]')""",
                         "both endpoint names", daemon)
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        counter = [0]

        def traffic():
            for _ in range(5):
                counter[0] += 1
                sender.sendto(osc_message("/1/fader%d" % (counter[0] % 4 + 1), counter[0]),
                              ("127.0.0.1", desk_port))
                sender.sendto(osc_message("/2/push1", 1), ("127.0.0.1", desk_port))

        browser.wait_for("""parseFloat(document.querySelector(
                              'tr[data-endpoint="touchosc"] .rate-in').textContent) > 0""",
                         "a receive rate above zero", daemon, while_waiting=traffic)
        browser.wait_for("""[...document.querySelectorAll('#tap-lines .tap')].some(
                              (l) => l.textContent.includes('/track/') &&
                                     l.textContent.includes('reaper'))""",
                         "a tapped message as sent", daemon, while_waiting=traffic)
        # The filter: only /2/* from now on.
        browser.evaluate("""document.getElementById('tap-clear').click();
                            document.getElementById('tap-pattern').value = '/2/*';
                            document.getElementById('tap-apply').click(); true""")
        browser.wait_for("""(() => { const lines = [...document.querySelectorAll('#tap-lines .tap')];
                              return lines.some((l) => l.textContent.includes('/2/push1')) &&
                                     !lines.some((l) => l.textContent.includes('/1/fader')); })()""",
                         "only the filtered addresses", daemon, while_waiting=traffic)
        # Pause: nothing new arrives while paused.
        browser.evaluate("document.getElementById('tap-pause').click(); true")
        time.sleep(0.5)
        before = browser.evaluate("document.querySelectorAll('#tap-lines .tap').length")
        for _ in range(5):
            traffic()
            time.sleep(0.2)
        after = browser.evaluate("document.querySelectorAll('#tap-lines .tap').length")
        if after != before:
            fail("the paused tap kept adding lines (%d, then %d)" % (before, after), daemon.log)
        browser.evaluate("""document.getElementById('tap-pause').click();
                            document.getElementById('tap-pattern').value = '';
                            document.getElementById('tap-apply').click(); true""")
        # Something for the screenshot: traffic in the charts and the tap.
        for _ in range(15):
            traffic()
            time.sleep(0.2)
        browser.wait_for("document.querySelectorAll('#tap-lines .tap').length > 10",
                         "the tap filling again", daemon, while_waiting=traffic)
        shot = browser.call("Page.captureScreenshot", format="png")
        with open(screenshot, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        print("screenshot: " + screenshot)
    finally:
        if browser:
            browser.close()
        code = daemon.stop()
        shutil.rmtree(directory, ignore_errors=True)
    if code != 0:
        fail("the daemon exited with %s" % code, daemon.log)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
