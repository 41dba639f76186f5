"""`make run` from the README: migrate, load the demo, serve `/` and `/admin/login/`."""

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_status(url: str) -> int:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status


@pytest.mark.slow
def test_make_run_serves_the_report_and_the_admin(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG"}}
    # A database of its own, so the test never touches the developer's db.sqlite3.
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'run.sqlite3'}"
    process = subprocess.Popen(
        ["make", "run", f"PORT={port}", "SEED_SCALE=0.02"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                status = get_status(f"http://127.0.0.1:{port}/")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"make run did not serve: {process.stdout.read()}")
                time.sleep(0.5)
        assert status == 200
        assert get_status(f"http://127.0.0.1:{port}/admin/login/") == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert "Hong Kong" in response.read().decode()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    # The way in to the desk is printed, with no second terminal; no banner on every command.
    output = process.stdout.read()
    assert "Desk: log in at /admin/ as 'admin' with the password " in output
    assert "AXES: BEGIN" not in output
