"""Load and fault test of the production setup (`make loadtest`; prints figures, is not a test).

Serves the demo with gunicorn + whitenoise, DEBUG=0 and a real SECRET_KEY, against PostgreSQL,
behind a simulated TLS proxy (``X-Forwarded-Proto: https``), all on 127.0.0.1, then:

1. Throughput: wrk drives each public page for LOADTEST_SECONDS (30) at LOADTEST_CONNECTIONS (64)
   from a second process, and, in the same run, a static file of exactly the page's size served by
   the same server (whitenoise: the ceiling). Prints requests/s, p50/p99 latency and errors per
   URL. Target: no errors, every page at >= 50% of its static twin's requests/s.
2. Database restart under load: PostgreSQL is stopped for a few seconds and started again while
   a load generator keeps requesting the pages. Counts 503 vs other answers during the outage,
   when 200s resume, and whether gunicorn's master and workers are the same processes after.
3. Two app instances on one database: a period re-published and a pause decision published by a
   third process must show on both instances' pages at once, and both must serve exactly what a
   freshly started instance serves (no stale cache).

PostgreSQL here is a private, throwaway cluster (initdb into a temporary directory, a free port),
not the shared one on 5432: stopping it for phase 2 disturbs nobody else's tests. Everything the
script starts is stopped at the end, also on error or Ctrl-C; the whole run is bounded
(LOADTEST_DEADLINE, 20 minutes) and every child has its own timeout. Needs PostgreSQL's server
binaries (initdb, pg_ctl) and `wrk` (installed with apt-get when missing).
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
OUT = ROOT / "bench" / "out"
STATIC_ROOT = ROOT / "staticfiles"
TWIN_DIR = STATIC_ROOT / "loadtest"

PAGES = ["/", "/countries/", "/countries/HK/", "/paused/", "/data/requests.json"]
FLOOR_PATH = "/no-such-page-loadtest/"  # Django's 404 page: what an uncached answer costs
SECONDS = int(os.environ.get("LOADTEST_SECONDS", "30"))
CONNECTIONS = int(os.environ.get("LOADTEST_CONNECTIONS", "64"))
WORKERS = int(os.environ.get("LOADTEST_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
WRK_THREADS = min(4, os.cpu_count() or 1)
WRK_TIMEOUT = "10s"  # a reverse proxy waits far longer; wrk's default (2 s) would count queueing
OUTAGE_SECONDS = 5
DEADLINE = time.monotonic() + int(os.environ.get("LOADTEST_DEADLINE", str(20 * 60)))
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


def log(message: str) -> None:
    print(message, flush=True)


def remaining(cap: float) -> float:
    """Seconds a step may take: at most ``cap``, never past the run's deadline."""
    left = DEADLINE - time.monotonic()
    if left <= 0:
        raise TimeoutError("loadtest deadline reached")
    return min(cap, left)


def _die_with_parent() -> None:
    # Children get SIGTERM if this script is killed outright (SIGKILL skips our cleanup).
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def run(args: list[str], *, env=None, timeout: float = 120, user: str | None = None, check=True):
    if user:
        args = ["runuser", "-u", user, "--", *args]
    result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=remaining(timeout))
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- PostgreSQL: a private cluster ------------------------------------------------------------


class PrivatePostgres:
    """A throwaway PostgreSQL cluster in a temporary directory on a free loopback port."""

    def __init__(self) -> None:
        self.bindir = Path(run(["pg_config", "--bindir"]).stdout.strip())
        if not (self.bindir / "initdb").exists():
            versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
            if not versions:
                raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found")
            self.bindir = versions[-1].parent
        # initdb refuses to run as root; run the server as the postgres user then.
        self.user = "postgres" if os.geteuid() == 0 else None
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="transparency-loadtest-pg-"))
        self.data = self.dir / "data"
        self.running = False
        if self.user:
            shutil.chown(self.dir, self.user)
        run(
            [str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8"]
            + ["--no-sync"],
            user=self.user,
        )

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200"
        run(
            [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "server.log")]
            + ["-o", options, "-w", "-t", "60", "start"],
            user=self.user,
            timeout=90,
        )
        self.running = True

    def stop(self) -> None:
        # "fast": what a restart or failover does to open connections (they are terminated).
        run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"], user=self.user)
        self.running = False

    def destroy(self) -> None:
        if self.running:
            with contextlib.suppress(Exception):
                self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


# --- gunicorn ---------------------------------------------------------------------------------


class Gunicorn:
    def __init__(self, name: str, port: int, env: dict, workers: int) -> None:
        self.name, self.port = name, port
        OUT.mkdir(parents=True, exist_ok=True)
        self.logfile = open(OUT / f"gunicorn-{name}.log", "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [GUNICORN, "transparency.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
            + ["--timeout", "30", "--graceful-timeout", "5"],
            cwd=ROOT,
            env=env,
            stdout=self.logfile,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        self.workers = workers
        try:
            self._wait_until_serving()
        except BaseException:
            self.stop()
            raise

    def _wait_until_serving(self) -> None:
        give_up = time.monotonic() + remaining(60)
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn {self.name} exited; see {self.logfile.name}")
            with contextlib.suppress(OSError):
                status, _, _ = get(self.port, "/static/css/site.css", timeout=2)
                if status == 200 and len(self.worker_pids()) == self.workers:
                    return
            if time.monotonic() > give_up:
                raise RuntimeError(f"gunicorn {self.name} did not start; see {self.logfile.name}")
            time.sleep(0.2)

    def worker_pids(self) -> set[int]:
        result = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True, text=True
        )
        return {int(pid) for pid in result.stdout.split()}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.logfile.close()


def get(port: int, path: str, timeout: float = 10) -> tuple[int, bytes, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers=PROXY_HEADERS)
        response = connection.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        connection.close()


# --- wrk ----------------------------------------------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk not found; installing it with apt-get (Debian package 'wrk')")
    if os.geteuid() != 0:
        raise RuntimeError("wrk is missing and installing it needs root: apt-get install wrk")
    run(["apt-get", "install", "-y", "-q", "wrk"], timeout=300, check=False)
    if not shutil.which("wrk"):
        run(["apt-get", "update", "-q"], timeout=300)
        run(["apt-get", "install", "-y", "-q", "wrk"], timeout=300)
    return shutil.which("wrk")


@dataclass
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # non-2xx/3xx answers + socket errors (connect, read, write, timeout)
    detail: str


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * UNITS_MS[unit]


def wrk(wrk_path: str, port: int, path: str, seconds: int) -> WrkResult:
    args = [wrk_path, f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    args += ["--timeout", WRK_TIMEOUT]
    for name, value in PROXY_HEADERS.items():
        args += ["-H", f"{name}: {value}"]
    output = run([*args, f"http://127.0.0.1:{port}{path}"], timeout=seconds + 60).stdout
    slug = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "overview"
    (OUT / f"wrk-{slug}.txt").write_text(output)  # the raw figures, for a second look
    non_2xx = int((re.search(r"Non-2xx or 3xx responses: (\d+)", output) or [0, 0])[1])
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    socket_errors = sum(map(int, sockets.groups())) if sockets else 0
    detail = f"non-2xx/3xx {non_2xx}" + (
        f", socket {'/'.join(sockets.groups())} (c/r/w/t)" if sockets else ""
    )
    return WrkResult(
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),
        # The "Latency Distribution" lines (not a "+/- Stdev" figure that ends in 99%).
        p50_ms=_ms(re.search(r"^\s+50%\s+(\S+)\s*$", output, re.MULTILINE)[1]),
        p99_ms=_ms(re.search(r"^\s+99%\s+(\S+)\s*$", output, re.MULTILINE)[1]),
        requests=int(re.search(r"(\d+) requests in", output)[1]),
        errors=non_2xx + socket_errors,
        detail=detail,
    )


# --- a small load generator with a timeline (for the fault phase) -------------------------------


@dataclass
class Timeline:
    # (when the answer arrived, path, status): an answer says what the server did at that time.
    events: list[tuple[float, str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, path: str, status: str) -> None:
        with self.lock:
            self.events.append((time.monotonic(), path, status))


def generate_load(port: int, paths: list[str], until: float, timeline: Timeline, threads: int = 8) -> None:
    def worker(offset: int) -> None:
        index = offset
        while time.monotonic() < until:
            path = paths[index % len(paths)]
            index += 1
            try:
                status, _, _ = get(port, path, timeout=10)
                timeline.add(path, str(status))
            except (OSError, http.client.HTTPException) as error:
                timeline.add(path, f"no answer ({type(error).__name__})")
                time.sleep(0.05)

    pool = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=max(1.0, until - time.monotonic() + 15))


def counts(events) -> str:
    tally = Counter(status for _, _, status in events)
    return ", ".join(f"{status}: {n}" for status, n in sorted(tally.items())) or "none"


# --- the run ----------------------------------------------------------------------------------


def manage(env: dict, *args: str, timeout: float = 300) -> str:
    return run([PYTHON, "manage.py", *args], env=env, timeout=timeout).stdout


def app_env(database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DJANGO_"))}
    env.update(
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO:https",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def _row(label: str, size: int, page: WrkResult, twin: WrkResult, page_errors: str) -> str:
    return (
        f"{label:<22}{size:>9}{page.requests_per_second:>9.1f}{page.p50_ms:>9.1f}{page.p99_ms:>9.1f}"
        f"{page_errors:>8} | {twin.requests_per_second:>17.1f}{twin.p50_ms:>9.1f}{twin.p99_ms:>9.1f}"
        f"{twin.errors:>8} | {page.requests_per_second / twin.requests_per_second:>10.0%}"
    )


def measure_pair(wrk_path: str, port: int, path: str) -> tuple[WrkResult, WrkResult]:
    """The static twin, then the page, each after the server has drained the previous run."""
    settle(port)
    twin = wrk(wrk_path, port, twin_path(path), SECONDS)
    settle(port)
    return wrk(wrk_path, port, path, SECONDS), twin


def phase_throughput(wrk_path: str, port: int, sizes: dict[str, int]) -> list[str]:
    log(f"\n== 1. Throughput: wrk, {SECONDS} s per URL, {CONNECTIONS} connections, {WRK_THREADS} threads")
    header = f"{'URL':<22}{'bytes':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
    log(f"{header} | {'static twin req/s':>17}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8} | {'page/static':>11}")
    failures = []
    for page in PAGES:
        if page not in sizes:
            log(f"{page:<22} not served here yet (404): not measured")
            continue
        result, twin = measure_pair(wrk_path, port, page)
        log(_row(page, sizes[page], result, twin, str(result.errors)))
        ratio = result.requests_per_second / twin.requests_per_second
        if result.errors or twin.errors:
            log(f"{'':<22}errors: page {result.detail}; static {twin.detail}")
            failures.append(f"{page}: {result.errors} errors under load")
        if ratio < 0.5:
            failures.append(f"{page}: {ratio:.0%} of the static file's requests/s (target >= 50%)")
    # Calibration, not a target: the 404 page (the token query, then the whole middleware stack,
    # no view) shows what an answer that misses the page cache costs at the least.
    floor, twin = measure_pair(wrk_path, port, FLOOR_PATH)
    log(_row("404 page (uncached)", sizes[FLOOR_PATH], floor, twin, "-"))
    return failures


def twin_path(page: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", page.lower()).strip("-") or "overview"
    extension = ".json" if page.endswith(".json") else ".html"
    return f"/static/loadtest/{slug}{extension}"


def write_twins(existing: dict[str, int]) -> None:
    """A static file of exactly each page's size, served by whitenoise from STATIC_ROOT."""
    TWIN_DIR.mkdir(parents=True, exist_ok=True)
    for page, size in existing.items():
        filler = (secrets.token_hex(size // 2 + 1))[:size]
        (STATIC_ROOT / twin_path(page).removeprefix("/static/")).write_text(filler)


def settle(port: int) -> None:
    """Wait until requests queued by the previous phase are done (a page answers quickly)."""
    give_up = time.monotonic() + remaining(60)
    while time.monotonic() < give_up:
        started = time.monotonic()
        with contextlib.suppress(OSError, http.client.HTTPException):
            get(port, "/", timeout=10)
        if time.monotonic() - started < 0.25:
            return
        time.sleep(1)


def phase_outage(pg: PrivatePostgres, server: Gunicorn, existing: dict[str, int]) -> list[str]:
    log(f"\n== 2. PostgreSQL stopped for {OUTAGE_SECONDS} s and started again under load (8 clients)")
    master, workers = server.process.pid, server.worker_pids()
    settle(server.port)
    timeline = Timeline()
    begin = time.monotonic()
    until = begin + 5 + OUTAGE_SECONDS + 12
    load = threading.Thread(target=generate_load, args=(server.port, list(existing), until, timeline))
    load.start()
    time.sleep(5)
    down_at = time.monotonic()
    pg.stop()
    stopped_at = time.monotonic()
    time.sleep(OUTAGE_SECONDS)
    pg.start()
    up_at = time.monotonic()
    load.join(timeout=remaining(60))
    before = [e for e in timeline.events if e[0] < down_at]
    during = [e for e in timeline.events if down_at <= e[0] < up_at]
    after = [e for e in timeline.events if e[0] >= up_at]
    first_ok = next((t for t, _, status in sorted(after) if status == "200"), None)
    resumed = [e for e in after if first_ok is not None and e[0] >= first_ok]
    last_five = [e for e in after if e[0] >= until - 5]
    log("answers received (by status):")
    log(f"  before the stop ({down_at - begin:.1f} s): {counts(before)}")
    log(
        f"  from 'pg_ctl stop' until PostgreSQL accepted connections again ({up_at - down_at:.1f} s, "
        f"of which stopping {stopped_at - down_at:.1f} s): {counts(during)}"
    )
    if first_ok is None:
        log("  after the start: no 200 at all")
    else:
        log(f"  after the start ({until - up_at:.1f} s): {counts(after)}")
        log(f"  first 200 {first_ok - up_at:.2f} s after the start; from then on: {counts(resumed)}")
        log(f"  the last 5 s: {counts(last_five)}")
    same = server.process.poll() is None and server.process.pid == master and server.worker_pids() == workers
    log(
        f"gunicorn master {master} and its {len(workers)} workers "
        + ("unchanged: nothing was restarted" if same else f"CHANGED: now {sorted(server.worker_pids())}")
    )
    failures = []
    unexpected = [e for e in during + after if e[2] not in ("200", "503")]
    if unexpected:
        failures.append(f"outage: {len(unexpected)} answers other than 200/503 ({counts(unexpected)})")
    if not any(status == "503" for _, _, status in during):
        failures.append("outage: no 503 seen while the database was down")
    if first_ok is None or any(status != "200" for _, _, status in last_five):
        failures.append("outage: 200s did not resume")
    if not same:
        failures.append("outage: gunicorn processes changed")
    return failures


# The demo's unpublished draft (Belarus) gets its statement and is published, through the services.
PUBLISH_DRAFT_PAUSES = """
from requests_app.models import PauseDecision
from requests_app.services import pause_publish, pause_update
for draft in PauseDecision.objects.filter(is_published=False):
    draft, _ = pause_update(pause=draft, public_statement="We are assessing requests from this country.")
    pause_publish(decision=draft)
"""


def page_state(port: int, page: str) -> tuple[int, str, bytes]:
    status, body, _ = get(port, page)
    return status, hashlib.sha256(body).hexdigest()[:12], body


def phase_two_instances(env: dict, a: Gunicorn, existing: dict[str, int]) -> list[str]:
    log("\n== 3. Two app instances (A, B) on one database: a change shows on both at once")
    b = Gunicorn("b", free_port(), env, workers=WORKERS)
    failures = []
    try:
        # Warm every worker of both (each page several times per worker), then compare A and B.
        for server in (a, b):
            for page in existing:
                for _ in range(3 * server.workers):
                    get(server.port, page)
        before = {page: page_state(a.port, page)[1] for page in existing}
        stable = {page: before[page] == page_state(b.port, page)[1] for page in existing}

        latest = json.loads(get(a.port, "/data/requests.json")[1])["generated_from"][-1]["period"]
        note = f"Load-test re-publication {uuid.uuid4().hex[:8]}"
        manage(env, "publish_period", latest, "--note", note)
        manage(env, "shell", "-c", PUBLISH_DRAFT_PAUSES)
        log(f"published by a third process: {latest} again with note {note!r}; the unpublished pause draft")
        # What a freshly started instance (empty caches) serves now.
        fresh = Gunicorn("fresh", free_port(), env, workers=1)
        try:
            reference = {page: page_state(fresh.port, page)[1] for page in existing}
        finally:
            fresh.stop()

        # Text each change must bring to a page (the overview lists paused and redirected
        # jurisdictions only, not one under assessment like the Belarus draft).
        expectations = {
            "/": [note],
            "/paused/": ["Belarus"],
            "/data/requests.json": [note],
        }
        for server in (a, b):
            for page in existing:
                answers = [page_state(server.port, page) for _ in range(2 * server.workers)]
                statuses = {status for status, _, _ in answers}
                missing = [text for text in expectations.get(page, []) if text.encode() not in answers[0][2]]
                stale_bodies = sum(digest != reference[page] for _, digest, _ in answers)
                verdict = []
                if statuses != {200}:
                    verdict.append(f"statuses {sorted(statuses)}")
                if missing:
                    verdict.append(f"missing {missing}")
                if stable[page] and stale_bodies:
                    verdict.append(f"{stale_bodies}/{len(answers)} answers differ from a fresh instance")
                changed = "changed" if reference[page] != before[page] else "not changed"
                outcome = f"fresh (page {changed} by the publications)"
                if not stable[page]:
                    outcome += " (page differs between instances anyway: body not compared)"
                if verdict:
                    outcome = "STALE/WRONG: " + "; ".join(verdict)
                log(f"  {server.name.upper()} {page:<22} {len(answers)} requests: {outcome}")
                if verdict:
                    failures.append(f"two instances: {server.name.upper()} {page}: {'; '.join(verdict)}")
    finally:
        b.stop()
    return failures


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the cleanup below
    started = time.monotonic()
    log(f"Load test: {os.cpu_count()} CPUs, gunicorn {WORKERS} sync workers, all traffic on 127.0.0.1")
    log(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (other work on this machine)")
    wrk_path = ensure_wrk()
    failures: list[str] = []
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, TWIN_DIR, True)
        pg = PrivatePostgres()
        cleanup.callback(pg.destroy)
        pg.start()
        run(
            [
                str(pg.bindir / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(pg.port),
                "-U",
                "postgres",
                "transparency_load",
            ]
        )
        env = app_env(pg.url("transparency_load"))
        log(f"PostgreSQL: private cluster on 127.0.0.1:{pg.port} ({pg.dir}), database transparency_load")

        step = time.monotonic()
        manage(env, "migrate", "--noinput")
        log(
            manage(env, "seed_demo").strip().splitlines()[-1]
            + f" ({time.monotonic() - step:.0f} s with migrate)"
        )
        # After a bulk load: fresh planner statistics, and no autovacuum busy during the measurements.
        run(
            [str(pg.bindir / "psql"), "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres"]
            + ["-d", "transparency_load", "-c", "VACUUM ANALYZE", "-c", "CHECKPOINT"],
            timeout=300,
        )
        manage(env, "collectstatic", "--noinput")

        # Measure each page once, then give it a static twin of the same size.
        probe = Gunicorn("probe", free_port(), env, workers=1)
        try:
            sizes = {page: page_state(probe.port, page) for page in PAGES}
            _, _, floor_body = page_state(probe.port, FLOOR_PATH)
        finally:
            probe.stop()
        existing = {page: len(body) for page, (status, _, body) in sizes.items() if status == 200}
        absent = {page: status for page, (status, _, _) in sizes.items() if status != 200}
        log(f"pages: {', '.join(f'{p} {n} B' for p, n in existing.items())}")
        if absent:
            log(f"not served here (yet): {', '.join(f'{p} {s}' for p, s in absent.items())}")
        write_twins({**existing, FLOOR_PATH: len(floor_body)})

        server = Gunicorn("a", free_port(), env, workers=WORKERS)
        cleanup.callback(server.stop)
        failures += phase_throughput(wrk_path, server.port, {**existing, FLOOR_PATH: len(floor_body)})
        failures += phase_outage(pg, server, existing)
        failures += phase_two_instances(env, server, existing)

    log(f"\nLoad test finished in {time.monotonic() - started:.0f} s; everything it started is stopped.")
    if failures:
        log("Targets missed:\n  - " + "\n  - ".join(failures))
        return 1
    log("All targets met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
