#!/usr/bin/env python3
"""Loads a page in headless Chromium and says what a browser made of it, as JSON.

    page_check.py PAGE.html [--screenshot OUT.png] [--width W] [--height H]

Talks to Chromium over --remote-debugging-pipe (the DevTools protocol: JSON messages ended
by a NUL byte on file descriptors 3 and 4), so it needs nothing but Chromium and Python's
standard library. Prints {"console": [...], "exceptions": [...], "elements": {...}}: every
console message and uncaught exception, and for each selector of interest how many
elements match and the size of the first one, measured after the page's scripts ran.
"""

import argparse
import base64
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

SELECTORS = {
    "header": "#top h1",
    "table_rows": "#image-table tbody tr.image-row",
    "timeline": "#timeline-view svg",
    "timeline_bars": "#timeline-view svg rect.bar",
    "graph": "#graph-view svg",
    "graph_nodes": "#graph-view svg g.node",
    "graph_edges": "#graph-view svg path.edge",
}

MEASURE = """(() => {
  const out = {};
  for (const [key, selector] of Object.entries(%s)) {
    const all = document.querySelectorAll(selector);
    const box = all.length ? all[0].getBoundingClientRect() : null;
    out[key] = {count: all.length, width: box ? box.width : 0, height: box ? box.height : 0};
  }
  return JSON.stringify(out);
})()"""

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-pipe",
]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("page_check: chromium is not installed (apt-get install chromium)")


class Browser:
    """One Chromium process and the session of its single page."""

    def __init__(self, width: int, height: int):
        self.profile = tempfile.mkdtemp(prefix="page-check-")
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()

        def wire():
            # Out of the way first: either end may itself be 3 or 4.
            reads = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
            writes = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(reads, 3)
            os.dup2(writes, 4)

        self.process = subprocess.Popen(
            [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}",
             f"--window-size={width},{height}", "about:blank"],
            close_fds=False,
            preexec_fn=wire,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.buffer = b""
        self.next_id = 0
        self.events = []
        self.session = None

    def send(self, method: str, params=None, session=True) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self.receive(deadline=time.monotonic() + 30)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def receive(self, deadline: float) -> dict:
        while b"\0" not in self.buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self.from_browser, 65536)
            if not chunk:
                raise RuntimeError("Chromium closed the pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def wait_for(self, method: str, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self.receive(deadline))

    def close(self) -> None:
        try:
            self.send("Browser.close", session=False)
        except Exception:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def check(page: str, screenshot: str, width: int, height: int) -> dict:
    browser = Browser(width, height)
    try:
        targets = browser.send("Target.getTargets", session=False)["targetInfos"]
        target = next(t["targetId"] for t in targets if t["type"] == "page")
        browser.session = browser.send(
            "Target.attachToTarget", {"targetId": target, "flatten": True}, session=False
        )["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            browser.send(domain + ".enable")
        browser.send("Page.navigate", {"url": "file://" + os.path.abspath(page)})
        browser.wait_for("Page.loadEventFired", 30)
        measured = browser.send(
            "Runtime.evaluate", {"expression": MEASURE % json.dumps(SELECTORS), "returnByValue": True}
        )
        elements = json.loads(measured["result"]["value"])
        if screenshot:
            shot = browser.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
            with open(screenshot, "wb") as out:
                out.write(base64.b64decode(shot["data"]))
        console = [
            {"level": e["params"]["type"], "text": " ".join(str(a.get("value", a.get("description", ""))) for a in e["params"]["args"])}
            for e in browser.events if e.get("method") == "Runtime.consoleAPICalled"
        ] + [
            {"level": e["params"]["entry"]["level"], "text": e["params"]["entry"]["text"]}
            for e in browser.events if e.get("method") == "Log.entryAdded"
        ]
        exceptions = [
            e["params"]["exceptionDetails"].get("exception", {}).get("description")
            or e["params"]["exceptionDetails"].get("text")
            for e in browser.events if e.get("method") == "Runtime.exceptionThrown"
        ]
        return {"console": console, "exceptions": exceptions, "elements": elements}
    finally:
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page")
    parser.add_argument("--screenshot", default="")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1000)
    args = parser.parse_args()
    print(json.dumps(check(args.page, args.screenshot, args.width, args.height), indent=2))


if __name__ == "__main__":
    main()
