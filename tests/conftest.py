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
