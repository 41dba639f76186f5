import os
from datetime import timedelta

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_page_cache():
    # Rolled-back tests can reuse primary keys, so a cached page could outlive its data.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _forget_international_bodies():
    # A body a rolled-back test added must not stay known to the next test of this process.
    from requests_app import jurisdictions

    jurisdictions.forget()
    yield
    jurisdictions.forget()


@pytest.fixture(autouse=True)
def _english_after_each_test():
    # A request for a /zh-hant/ page leaves its language active in the thread (LocaleMiddleware
    # sets the language of every request and never unsets it): the next test starts in English.
    from django.utils import translation

    yield
    translation.deactivate()


def pytest_collection_modifyitems(items):
    # Browser tests use a live server, hence transactional tests that empty the database when
    # they finish, roles included: run them after every test that relies on migrated data.
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # A reused test database (--reuse-db) may have been emptied by the browser tests' flush in an
    # earlier run: put the migrated roles and managed lists' defaults back once per session.
    from requests_app.defaults import ensure_defaults
    from requests_app.roles import ensure_roles

    with django_db_blocker.unblock():
        ensure_roles()
        ensure_defaults()


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
