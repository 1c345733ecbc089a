"""Settings of the least Django payment (bench/reference): nothing but the view, its tables and the database."""

import environ

env = environ.Env()
SECRET_KEY = "bench-reference-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["bench.reference"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.reference.urls"
DATABASES = {"default": env.db("DATABASE_URL")}
# As the project runs (loyalty/settings.py): connections kept across requests.
DATABASES["default"]["CONN_MAX_AGE"] = 60
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
