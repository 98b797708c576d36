"""Simulated learners doing the learner journey against a running server, for a fixed time.

    python bench/load.py --base http://127.0.0.1:8000 --users 200 --seconds 60

Each simulated learner signs in (real CSRF, real PIN check), then loops: "Mis cursos", "Continuar" to her
next lesson, "Marcar como completada", the catalogue, with 0.5-1.5 s of reading time between steps.
Prints requests, errors and p50/p95/p99 latency per step. Bounded: it stops by itself after --seconds.
"""

import argparse
import http.cookiejar
import random
import re
import statistics
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict

PASSWORD = "carga-de-prueba-2026"  # the bench learners of bench/prepare_load.py

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CONTINUE = re.compile(r'href="(/aprender/[^"]+)"')
COMPLETE_FORM = re.compile(r'<form[^>]+action="([^"]*complet[^"]*)"', re.I)


class Learner:
    def __init__(self, base: str, username: str, record):
        self.base, self.username, self.record = base, username, record
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def request(self, step: str, path: str, data: dict | None = None) -> str:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        started = time.perf_counter()
        status, text = 0, ""
        try:
            with self.opener.open(self.base + path, data=body, timeout=30) as response:
                status, text = response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError:
            status = -1
        self.record(step, time.perf_counter() - started, status)
        return text

    def sign_in(self) -> None:
        token = CSRF.search(self.request("login form", "/login")).group(1)
        self.request("sign in", "/login", {"csrf_token": token, "login": self.username, "secret": PASSWORD})

    def journey_step(self) -> None:
        home = self.request("mis cursos", "/mis-cursos")
        link = CONTINUE.search(home)
        if link:
            lesson = self.request("lesson", link.group(1))
            form, token = COMPLETE_FORM.search(lesson), CSRF.search(lesson)
            if form and token:
                self.request("complete", form.group(1), {"csrf_token": token.group(1)})
        self.request("catalogue", "/cursos")


def run(base: str, users: int, seconds: float) -> dict:
    samples, lock = defaultdict(list), threading.Lock()

    def record(step, elapsed, status):
        with lock:
            samples[step].append((elapsed, status))

    deadline = time.monotonic() + seconds

    def simulate(n: int) -> None:
        learner = Learner(base, f"bench.{n:04d}", record)
        time.sleep(random.uniform(0, 5))  # people do not all arrive in the same second
        learner.sign_in()
        while time.monotonic() < deadline:
            learner.journey_step()
            time.sleep(random.uniform(0.5, 1.5))

    threads = [threading.Thread(target=simulate, args=(n,), daemon=True) for n in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    return samples


def percentile(values, q):
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else (values[0] if values else 0)


def report(samples, seconds) -> None:
    print(f"{'step':<12} {'requests':>8} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
    everything, errors = [], 0
    for step, rows in samples.items():
        times = [t * 1000 for t, _ in rows]
        bad = sum(1 for _, status in rows if status < 200 or status >= 400)
        errors += bad
        everything += times
        print(f"{step:<12} {len(rows):>8} {bad:>6} {percentile(times, 50):>7.0f} {percentile(times, 95):>7.0f} "
              f"{percentile(times, 99):>7.0f}")
    print(f"{'all':<12} {len(everything):>8} {errors:>6} {percentile(everything, 50):>7.0f} "
          f"{percentile(everything, 95):>7.0f} {percentile(everything, 99):>7.0f}   "
          f"({len(everything) / seconds:.0f} req/s)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    report(run(args.base, args.users, args.seconds), args.seconds)
