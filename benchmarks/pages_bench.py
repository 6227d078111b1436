"""Server time of every page of the navigation over real HTTP, cold and repeat.

Starts ``smarketing serve`` (waitress) on the current database (``SMARKETING_DATA_DIR`` /
``DATABASE_URL``, e.g. the medium demo), logs in as ``--user`` and, for each page of the
navigation (``smarketing.web.context.NAVIGATION``) plus ``--extra`` URLs, times the first
GET ("cold": a fresh server process, nothing cached in it) and the median of ``--repeat``
GETs after it ("repeat"), as wall time at the client and as the server process's CPU time
for the request (the sum over its threads of ``/proc/PID/task/*/schedstat``: on a shared
machine the wall time also holds the time spent waiting for a core, the CPU time does not).
The server is restarted for every run; the figures are the medians over ``--runs`` runs, with
the 1-minute load average of each page's requests. Before the
pages, the login page and ``/healthz`` are requested once, so the process start-up (URL
configuration, template engine) is not charged to the first page.

    SMARKETING_DATA_DIR=/tmp/medium .venv/bin/python benchmarks/pages_bench.py --runs 3
    .venv/bin/python benchmarks/pages_bench.py --only /planning/,/content/ --runs 5
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path


def nav_urls() -> list[str]:
    """The navigation's URLs, resolved by Django (same settings as the server)."""
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
        "'smarketing.config.settings'); django.setup(); from django.urls import reverse; "
        "from smarketing.web.context import NAVIGATION; "
        "print(' '.join(reverse(name) for _, name in NAVIGATION))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.split()


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by every thread of process ``pid`` (nanosecond schedstat)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            continue  # a thread that just ended
    return total / 1e9


class Session:
    """A logged-in browser-like client (cookies, CSRF) over urllib."""

    def __init__(self, base: str, pid: int):
        self.base = base
        self.pid = pid
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, float, float, bytes]:
        """``(status, wall seconds, server CPU seconds, body)`` of one GET."""
        c0, t0 = cpu_seconds(self.pid), time.perf_counter()
        with self.opener.open(self.base + path, timeout=600) as resp:
            body = resp.read()
            status = resp.status
        return status, time.perf_counter() - t0, cpu_seconds(self.pid) - c0, body

    def login(self, user: str, password: str) -> None:
        page = self.get("/login/")[-1]
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode(
            {"username": user, "password": password, "csrfmiddlewaretoken": token.decode()}
        ).encode()
        req = urllib.request.Request(self.base + "/login/", data=data)
        req.add_header("Referer", self.base + "/login/")
        with self.opener.open(req, timeout=60) as resp:
            if resp.url.rstrip("/").endswith("/login"):
                raise SystemExit(f"login as {user!r} failed")


def serve(port: int) -> subprocess.Popen:
    # the interpreter itself (not the console script's wrapper), so the pid is the server's
    code = "from smarketing.cli import main; main()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"server exited: {proc.stderr.read().decode()[-800:]}") from None
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("server did not start in 120 s")


def one_run(port: int, urls: list[str], args) -> dict[str, dict]:
    proc = serve(port)
    try:
        s = Session(f"http://127.0.0.1:{port}", proc.pid)
        s.login(args.user, args.password)
        out = {}
        for url in urls:
            status, cold, cold_cpu, _ = s.get(url)
            if status != 200:
                raise SystemExit(f"{url}: HTTP {status}")
            repeats = [s.get(url)[1:3] for _ in range(args.repeat)]
            out[url] = {
                "cold": cold,
                "cold_cpu": cold_cpu,
                "repeat": statistics.median(r[0] for r in repeats),
                "repeat_cpu": statistics.median(r[1] for r in repeats),
                "load": os.getloadavg()[0],
            }
        return out
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=3, help="repeat GETs per page and run")
    ap.add_argument("--port", type=int, default=8150)
    ap.add_argument("--user", default="admin")
    ap.add_argument("--password", default="smarketing-demo")
    ap.add_argument("--only", help="comma-separated URLs instead of the navigation")
    ap.add_argument("--extra", default="", help="comma-separated URLs to add")
    ap.add_argument("--skip", default="", help="comma-separated URLs to leave out")
    args = ap.parse_args()

    urls = args.only.split(",") if args.only else nav_urls()
    urls += [u for u in args.extra.split(",") if u]
    urls = [u for u in urls if u not in set(args.skip.split(","))]
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start; "
          f"{args.runs} runs (fresh server each), {args.repeat} repeats")  # fmt: skip
    runs = [one_run(args.port, urls, args) for _ in range(args.runs)]
    print(f"{'page':<30} {'cold wall':>10} {'cold CPU':>9} {'repeat wall':>12} {'repeat CPU':>11} "
          f"{'load':>5}")  # fmt: skip
    for url in urls:
        med = {k: statistics.median(r[url][k] for r in runs) * 1000
               for k in ("cold", "cold_cpu", "repeat", "repeat_cpu")}  # fmt: skip
        load = statistics.mean(r[url]["load"] for r in runs)
        print(f"{url:<30} {med['cold']:7.0f} ms {med['cold_cpu']:6.0f} ms {med['repeat']:9.0f} ms "
              f"{med['repeat_cpu']:8.0f} ms {load:5.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
