"""A hanging webhook receiver must not delay other receivers or the task queue.

    .venv/bin/python benchmarks/webhooks_bench.py [--events 20] [--runs 3]

For each mode (``dispatcher``: today's ``smarketing worker``; ``single queue``: the same worker
with ``SMARKETING_WEBHOOK_DISPATCHER=0``, every delivery a huey task as before), per run:
a fresh SQLite data dir, a real ``smarketing worker`` process, two receivers on 127.0.0.1 (one
answering at once, one that never answers within the 10 s timeout), ``--events`` events emitted
to both, and one huey task (a scoring rescore) queued right after. Prints, median over runs:
how long the fast receiver waited for its last event, and how long the task waited for its
result. Load average is printed beside: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _receiver(delay: float):
    got: list[float] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            if delay:
                time.sleep(delay)
            got.append(time.monotonic())
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/hook", got


def run(mode: str, events: int) -> tuple[float, float]:
    data = tempfile.mkdtemp(prefix="smk-webhooks-bench-")
    env = {**os.environ, "SMARKETING_DATA_DIR": data, "DJANGO_SETTINGS_MODULE": "smarketing.config.settings"}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env["SMARKETING_WEBHOOK_DISPATCHER"] = "1" if mode == "dispatcher" else "0"
    os.environ.update(env)
    subprocess.run([BIN / "smarketing", "migrate", "-v", "0"], env=env, check=True)
    import django

    django.setup()
    from django.db import connection

    from smarketing.ingest import webhooks
    from smarketing.ingest.models import WebhookEndpoint
    from smarketing.scoring.tasks import rescore_contacts_task

    slow_server, slow_url, _ = _receiver(delay=15)
    fast_server, fast_url, fast_got = _receiver(delay=0)
    WebhookEndpoint.objects.all().delete()
    WebhookEndpoint.objects.create(name="Hanging", url=slow_url)
    WebhookEndpoint.objects.create(name="Fast", url=fast_url)
    worker = subprocess.Popen(
        [BIN / "smarketing", "worker", "-w", "2", "-k", "thread", "-d", "0.05", "-m", "0.2"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        ready = rescore_contacts_task([])  # wait until the consumer answers
        while ready.get(preserve=True) is None:
            time.sleep(0.05)
        start = time.monotonic()
        for n in range(events):
            webhooks.emit("lead.assigned", {"contact": {"id": n + 1}, "n": n}, event_id=f"b{n}")
        result = rescore_contacts_task([1])
        task_at = None
        deadline = start + 200
        while time.monotonic() < deadline and (task_at is None or len(fast_got) < events):
            if task_at is None and result.get(preserve=True) is not None:
                task_at = time.monotonic()
            time.sleep(0.05)
        fast = (fast_got[-1] - start) if len(fast_got) >= events else float("inf")
        task = (task_at - start) if task_at else float("inf")
        return fast, task
    finally:
        worker.terminate()
        try:
            worker.wait(20)  # a sender may finish its attempt (at most the 10 s timeout)
        except subprocess.TimeoutExpired:
            worker.kill()
        slow_server.shutdown()
        fast_server.shutdown()
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--mode", choices=["dispatcher", "single queue", "both"], default="both")
    args = parser.parse_args()
    modes = ["dispatcher", "single queue"] if args.mode == "both" else [args.mode]
    for mode in modes:
        # Each mode in its own process: django.setup() reads the environment once.
        if len(modes) > 1:
            subprocess.run(
                [sys.executable, __file__, "--events", str(args.events), "--runs", str(args.runs),
                 "--mode", mode], check=True,
            )  # fmt: skip
            continue
        fast, task = [], []
        for _ in range(args.runs):
            f, t = run(mode, args.events)
            fast.append(f)
            task.append(t)
        print(
            f"{mode:>13}: fast receiver got all {args.events} events after "
            f"{statistics.median(fast):.2f} s, the queued task answered after "
            f"{statistics.median(task):.2f} s (median of {args.runs}; runs {fast} / {task}); "
            f"load average {os.getloadavg()[0]:.2f}",
            flush=True,
        )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    main()
