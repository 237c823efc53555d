"""The load generator of ``benchmarks/web_load.py``: locust, used as a library.

    .venv/bin/python benchmarks/web_locustfile.py --host URL [--users 4] [--warmup 2]
        [--duration 15] < scenarios.json

Reads a JSON list of scenarios on stdin (``name``, ``path``, ``pages``, ``session``,
``expect``) and measures them one after another against ``--host``, in one process (starting
locust costs seconds on a busy machine). For each: ``--users`` simulated people ask for the
page as soon as they have their previous answer (no think time), on kept-alive connections;
the first ``--warmup`` seconds are not counted; then every response in ``--duration`` seconds
is. Prints one JSON object per scenario: requests, failures (first reasons), requests per
second, and p50/p95/max latency in milliseconds, computed from every response time (not
locust's rounded buckets).

A scenario's ``path`` may contain ``{page}``, replaced on every request by a random page number
from 1 to ``pages``. ``session`` is the ``sessionid`` cookie of a real sign-in (empty: signed
out). A response that is not 200 or does not contain ``expect`` — a sign-in page after a
redirect, an error page — is a failure.

Run directly, ``locust -f benchmarks/web_locustfile.py`` also works (the home page, signed out).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections import Counter
from typing import Any

import gevent  # type: ignore[import-untyped]
from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment


class PageReader(FastHttpUser):
    """Asks for one page over and over. The runner sets the scenario on the class."""

    wait_time = constant(0)
    path = "/"
    pages = 1
    session = ""
    expect = ""
    label = "/"

    @task
    def read(self) -> None:
        path = self.path.replace("{page}", str(random.randint(1, self.pages)))
        headers = {"Cookie": f"sessionid={self.session}"} if self.session else {}
        with self.client.get(path, headers=headers, name=self.label, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"status {r.status_code}")
            elif self.expect and self.expect not in (r.text or ""):
                r.failure(f"the page does not contain {self.expect!r}")
            else:
                r.success()


def wait(seconds: float) -> None:
    """Sleep on the monotonic clock (gevent's loop clock can be stale after slow imports)."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        gevent.sleep(min(left, 0.1))


def measure(
    scenario: dict[str, Any], host: str, users: int, warmup: float, duration: float
) -> dict[str, Any]:
    PageReader.path = scenario["path"]
    PageReader.pages = int(scenario.get("pages", 1))
    PageReader.session = scenario.get("session", "")
    PageReader.expect = scenario.get("expect", "")
    PageReader.label = scenario["name"]
    env = Environment(user_classes=[PageReader], host=host)
    times: list[float] = []
    errors: Counter[str] = Counter()
    counting = False

    def on_request(response_time: float, exception: BaseException | None, **_: Any) -> None:
        if counting:
            times.append(response_time)
            if exception is not None:
                errors[str(exception)] += 1

    env.events.request.add_listener(on_request)  # type: ignore[no-untyped-call]
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=users)
    wait(warmup)
    counting = True
    began = time.monotonic()
    wait(duration)
    counting = False
    elapsed = time.monotonic() - began
    runner.quit()
    q = statistics.quantiles(times, n=100, method="inclusive") if len(times) > 1 else [0.0] * 99
    return {
        "name": scenario["name"],
        "requests": len(times),
        "failures": sum(errors.values()),
        "errors": dict(errors.most_common(3)),
        "rps": len(times) / elapsed,
        "p50_ms": q[49],
        "p95_ms": q[94],
        "max_ms": max(times, default=0.0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=15.0)
    args = parser.parse_args()
    for scenario in json.load(sys.stdin):
        result = measure(scenario, args.host, args.users, args.warmup, args.duration)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
