import os
from datetime import timedelta

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- hypothesis (tests/test_abuse.py, tests/test_csv_injection.py) ----------------------------
# `make test` uses the derandomized "ci" profile: the same examples every run, so a run cannot
# flake, and a bounded number of them, so the suite stays quick. HYPOTHESIS_PROFILE=explore
# searches wider and differently each run (use it when changing input handling).
hypothesis_settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    max_examples=40,
    # Generous: catches a pathological input (seconds per request), not a busy machine.
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
hypothesis_settings.register_profile(
    "explore",
    parent=hypothesis_settings.get_profile("ci"),
    derandomize=False,
    max_examples=400,
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
