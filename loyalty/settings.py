"""Settings for the loyalty platform, read from the environment (django-environ).

With no DATABASE_URL the project runs on an embedded SQLite file in var/; with no REDIS_URL Celery
runs tasks eagerly and the cache lives in process memory. Production sets both, plus the secrets
and the security switches below.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="dev-insecure-key-change-me-in-production-0123456789abcdef")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "loyalty",
    "merchants",
    "cards.membership",
    "wallet",
    "coupons",
    "cards.punchcards",
    "cards.timecards",
    "cards.giftcards",
    "checkout",
    "webhooks",
    "reports",
    "finance",
    "campaigns",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "loyalty.tenancy.MerchantTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "loyalty.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "loyalty.wsgi.application"

# Database: Postgres in production and CI; SQLite in var/ otherwise. SQLite takes the write lock
# at BEGIN (IMMEDIATE) so concurrent writers queue behind each other instead of failing mid-way.
VAR_DIR.mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
# A read replica for reports (loyalty/replica.py): only reads inside `report_reads()` go there.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["loyalty.replica.ReportReplicaRouter"]
# Postgres through Django's backend with the pay path's prepared statements (loyalty/prepared.py, SQL PREPARE and
# EXECUTE): off behind any pooler in transaction or statement mode, whatever its version (PgBouncer 1.21+ keeps
# protocol-level prepared statements only), and where the pooler drops the `options` startup parameter.
PREPARED_STATEMENTS = env.bool("PREPARED_STATEMENTS", default=True)
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.postgresql":
        _database["ENGINE"] = "loyalty.postgres"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "loyalty.cache.LoyaltyRedisCache", "LOCATION": REDIS_URL,
                          "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="loyalty")}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Languages: merchants and members read Simplified Chinese by default; English is complete too.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": env.str("STATICFILES_BACKEND",
                                       default="whitenoise.storage.CompressedManifestStaticFilesStorage")},
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"

LOGIN_URL = "admin:login"

# Security: everything that must be on in production comes from the environment, so that
# `manage.py check --deploy` is clean with production values and local runs stay plain HTTP.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
SECURE_CONTENT_TYPE_NOSNIFF = True
# How many reverse proxies stand in front of the app and append to X-Forwarded-For (0: none, trust no header).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["merchants.authentication.TerminalKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["merchants.authentication.IsTerminal"],
    "DEFAULT_PAGINATION_CLASS": "loyalty.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "loyalty.api_errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "loyalty.api_contract.ContractSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # The API reads JSON only: a form-encoded body is refused (415) rather than read with other rules.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Loyalty platform terminal API",
    "DESCRIPTION": "For store terminals (POS, cash registers, payment plug-ins). "
                   "Authenticate with `Authorization: Terminal <key>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Requests and answers as separate components, so a generated client's models say exactly what is sent.
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"PaymentStatus": "checkout.models.Payment.Status",
                            "RewardStatus": "checkout.models.RewardGrant.Status",
                            "RechargeStatus": "wallet.models.Recharge.Status",
                            "MemberStatus": "merchants.models.Member.Status"},
    "TAGS": [
        {"name": "members", "description": "Look members up, register them, and the merchant's stores."},
        {"name": "checkout", "description": "Quote a bill, take a payment, refund it, list payments."},
        {"name": "coupons", "description": "Look a coupon up and redeem it."},
        {"name": "wallet", "description": "Stored value: balances and cash recharges."},
        {"name": "cards", "description": "Membership, punch, time and gift cards."},
        {"name": "campaigns", "description": "The merchant's live campaigns, their coupon and their links."},
        {"name": "webhooks", "description": "What the payment platform reports to this platform."},
    ],
}
# Off in production (an undeclared error code is logged); on in the tests, where it fails the test.
API_CONTRACT_STRICT = env.bool("API_CONTRACT_STRICT", default=False)

# Celery: a Redis broker when REDIS_URL is set, otherwise tasks run in-process (embedded mode).
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

# SMS: the console backend logs messages; the HTTP gateway posts them to SMS_GATEWAY_URL.
SMS_BACKEND = env.str("SMS_BACKEND", default="loyalty.messaging.ConsoleSmsBackend")
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env.str("SMS_GATEWAY_TOKEN", default="")
SMS_GATEWAY_TIMEOUT = env.float("SMS_GATEWAY_TIMEOUT", default=5.0)

# The other channels of the outbox (loyalty.messaging): a backend class each (the console one logs; the HTTP
# gateway posts the message as JSON to the channel's gateway URL with its bearer token). The inbox needs none:
# its outbox row is the member's message.
MESSAGE_BACKENDS = {
    "wechat_template": env.str("WECHAT_TEMPLATE_BACKEND", default="loyalty.messaging.ConsoleChannelBackend"),
    "wechat_subscription": env.str("WECHAT_SUBSCRIPTION_BACKEND", default="loyalty.messaging.ConsoleChannelBackend"),
    "alipay": env.str("ALIPAY_MESSAGE_BACKEND", default="loyalty.messaging.ConsoleChannelBackend"),
    "inbox": "loyalty.messaging.InboxBackend",
}
MESSAGE_GATEWAYS = {
    channel: {"URL": env.str(f"{prefix}_GATEWAY_URL", default=""),
              "TOKEN": env.str(f"{prefix}_GATEWAY_TOKEN", default=""),
              "TIMEOUT": env.float(f"{prefix}_GATEWAY_TIMEOUT", default=5.0)}
    for channel, prefix in (("wechat_template", "WECHAT_TEMPLATE"), ("wechat_subscription", "WECHAT_SUBSCRIPTION"),
                            ("alipay", "ALIPAY_MESSAGE"))
}

# Outgoing webhooks (webhooks/): the timeout of one request, and the private networks an operator lets them
# reach (none: only public addresses; e.g. "10.20.0.0/16" for an ERP inside the network).
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=15.0)
WEBHOOK_ALLOWED_PRIVATE_NETWORKS = env.list("WEBHOOK_ALLOWED_PRIVATE_NETWORKS", default=[])

# One-time login codes and their limits (per phone and per client IP).
OTP_TTL_SECONDS = 300
OTP_MAX_ATTEMPTS = 5
OTP_SEND_INTERVAL_SECONDS = 60
OTP_SENDS_PER_PHONE_PER_HOUR = 5
OTP_SENDS_PER_IP_PER_HOUR = 20
OTP_VERIFY_FAILURES_PER_PHONE_PER_HOUR = 10

# Idempotency records are kept at least this long (DESIGN.md: 24 hours).
IDEMPOTENCY_TTL_HOURS = 48

# The payment gateway members pay through (loyalty.payments); the sandbox confirms on its own page and
# signs its callbacks with this secret.
PAYMENT_GATEWAY = env.str("PAYMENT_GATEWAY", default="loyalty.payments.SandboxGateway")
PAYMENT_SANDBOX_SECRET = env.str("PAYMENT_SANDBOX_SECRET", default="sandbox-secret-not-for-production")

# Gift cards: China's single-purpose prepaid card rules (单用途商业预付卡管理办法), enforced on every face value
# and sale. A named card (activated with the holder's phone) never expires.
GIFT_CARD_ANONYMOUS_MAX_BALANCE = env.str("GIFT_CARD_ANONYMOUS_MAX_BALANCE", default="1000.00")
GIFT_CARD_NAMED_MAX_BALANCE = env.str("GIFT_CARD_NAMED_MAX_BALANCE", default="5000.00")
GIFT_CARD_ANONYMOUS_MIN_VALIDITY_MONTHS = env.int("GIFT_CARD_ANONYMOUS_MIN_VALIDITY_MONTHS", default=36)
# Balance lookups by code, per terminal and per IP address, in a minute.
GIFT_CARD_LOOKUPS_PER_MINUTE = env.int("GIFT_CARD_LOOKUPS_PER_MINUTE", default=20)

# Member QR codes change every step and are accepted for the window (a screenshot soon dies).
MEMBER_CODE_STEP_SECONDS = 30
MEMBER_CODE_VALID_SECONDS = 120

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # httpx logs every request at INFO: one line per webhook attempt; the delivery log keeps them instead.
    "loggers": {"django.db.backends": {"level": "INFO"}, "httpx": {"level": "WARNING"}},
}

CELERY_BEAT_SCHEDULE = {
    "finance-settle-days": {"task": "finance.tasks.settle_recent_days", "schedule": 3600.0},
    "purge-idempotency-records": {"task": "loyalty.tasks.purge_idempotency_records", "schedule": 3600.0},
    "wallet-pay-due-instalments": {"task": "wallet.tasks.pay_due_instalments", "schedule": 3600.0},
    "wallet-expire-cashback": {"task": "wallet.tasks.expire_cashback", "schedule": 3600.0},
    "wallet-keep-wallet-days": {"task": "wallet.tasks.keep_wallet_days", "schedule": 3600.0},
    "coupons-return-unclaimed-gifts": {"task": "coupons.tasks.return_unclaimed_gifts", "schedule": 600.0},
    "coupons-expire": {"task": "coupons.tasks.expire_coupons", "schedule": 3600.0},
    "giftcards-expire": {"task": "giftcards.tasks.expire_gift_cards", "schedule": 3600.0},
    "membership-expire-points": {"task": "membership.tasks.expire_points", "schedule": 3600.0},
    "membership-warn-expiring-points": {"task": "membership.tasks.warn_expiring_points", "schedule": 21600.0},
    "membership-recompute-levels": {"task": "membership.tasks.recompute_levels", "schedule": 3600.0},
    "membership-warn-level-drops": {"task": "membership.tasks.warn_level_drops", "schedule": 21600.0},
    "membership-keep-points-days": {"task": "membership.tasks.keep_points_days", "schedule": 3600.0},
    "webhooks-dispatch": {"task": "webhooks.tasks.dispatch_webhooks", "schedule": 5.0},
    "campaigns-schedule": {"task": "campaigns.tasks.schedule_campaigns", "schedule": 300.0},
    "campaigns-measure-uplift": {"task": "campaigns.tasks.measure_campaigns", "schedule": 21600.0},
    "outbox-deliver-due-messages": {"task": "loyalty.tasks.deliver_due_messages", "schedule": 60.0},
}

# Where the links in messages (short links, opt-out links) point: the public address of the member pages.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://localhost:8000")
