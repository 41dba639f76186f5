"""Settings come from the environment; production refuses to start without a real secret."""

import os

import pytest

from tests.helpers import run_manage


@pytest.mark.slow
def test_debug_off_without_secret_key_refuses_to_start():
    result = run_manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "refuses to start" in result.stderr


@pytest.mark.slow
def test_debug_off_with_a_real_secret_starts():
    result = run_manage("check", DEBUG="0", SECRET_KEY="x" * 60, ALLOWED_HOSTS="transparency.example.org")
    assert result.returncode == 0, result.stderr


def test_database_and_request_settings(settings):
    assert settings.DATABASES["default"]["ATOMIC_REQUESTS"] is True
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    expected = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite3"
    assert settings.DATABASES["default"]["ENGINE"].endswith(expected)
