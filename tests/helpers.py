"""Small helpers shared by test modules."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Settings the test run may have set that a "production" subprocess must not inherit.
PRODUCTION_SENSITIVE = {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def run_manage(*args, **env) -> subprocess.CompletedProcess:
    """Run ``manage.py`` in a fresh process with only ``env`` on top of a clean environment."""
    environment = {k: v for k, v in os.environ.items() if k not in PRODUCTION_SENSITIVE}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True
    )
