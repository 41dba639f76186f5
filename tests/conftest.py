import pytest


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


def pytest_collection_modifyitems(items):
    # Browser tests use a live server, hence transactional tests that empty the database when
    # they finish, roles included: run them after every test that relies on migrated data.
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # A reused test database (--reuse-db) may have been emptied by the browser tests' flush in an
    # earlier run: put the migrated roles back once per session.
    from requests_app.roles import ensure_roles

    with django_db_blocker.unblock():
        ensure_roles()
