"""Settings for the test suite: the real database from DATABASE_URL, tasks run eagerly."""

from loyalty.settings import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
SMS_BACKEND = "loyalty.messaging.ConsoleSmsBackend"
# Serve static files straight from the apps, so browser tests need no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# An endpoint answering an error code its contract does not declare fails the test that provoked it.
API_CONTRACT_STRICT = True
# A replica alias that mirrors the test database, so tests can prove report reads are routed to it.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
