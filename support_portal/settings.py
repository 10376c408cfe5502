"""Settings for the support portal, read only from the environment (django-environ).

With nothing set and ``DEBUG=true`` the portal runs on embedded defaults: SQLite and a
filesystem Celery broker, so no server is needed. ``DATABASE_URL`` and ``REDIS_URL`` switch it
to PostgreSQL and Redis. Without ``DEBUG`` the secrets have no default and a missing one stops
start-up with ``ImproperlyConfigured``.
"""

from datetime import timedelta
from pathlib import Path

import environ
import jinja2
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="development-only-insecure-key-do-not-deploy")
else:
    SECRET_KEY = env.str("SECRET_KEY")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
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
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.usersessions",
    "csp",
    "support_portal",
    "accounts",
    "tickets",
    "sla",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # A staff user (or a contact whose company requires it) without a second factor can only
    # enrol: every other page redirects to enrolment (the API refuses in
    # ``accounts.mfa.MfaEnrolled``).
    "accounts.mfa.MfaEnrolmentMiddleware",
    # Times on every page in the viewer's own time zone (SPEC §10).
    "accounts.preferences.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so it sees the lockout flag that sign-in set on the request.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "support_portal.urls"
WSGI_APPLICATION = "support_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "support_portal.context_processors.portal",
            ],
            # Template tags that live in a feature package rather than an app's
            # ``templatetags`` folder.
            "libraries": {"tam_tags": "tickets.tam.templatetags",
                          "report_tags": "tickets.reports.templatetags"},
            # ``{% when value "list" %}``: times in the viewer's zone, one format per context.
            "builtins": ["support_portal.templatetags.portal_dates"],
        },
    },
    # Jinja2 renders only the hot per-row loops (the queue's rows, ``templates/jinja2/``);
    # every page stays a Django template. A missing attribute renders empty, as in Django's.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"undefined": jinja2.Undefined},
    },
]

# --- Database ------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # The embedded default: web, worker and beat share one file. IMMEDIATE transactions take
    # the write lock up front, so concurrent writers queue instead of failing half-way.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery ------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # A broker that needs no server: messages are files in one folder shared by all processes.
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
        "visibility_timeout": 3600,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Two queues, so e-mail never delays the SLA clock: ``sla`` (the breach/warning scan; on-call
# paging and escalation join it) and ``mail`` (outbox delivery, inbound polling). Everything
# else goes to the default ``celery`` queue. Run a worker per queue (README "Workers"); a
# routing rule below is all a new task needs to join a queue.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [Queue("sla"), Queue("mail"), Queue("celery")]
CELERY_TASK_ROUTES = {  # paging and escalation tasks: add their module here, on "sla"
    "sla.tasks.*": {"queue": "sla"},
    "tickets.oncall.tasks.*": {"queue": "sla"},
    "tickets.notifications.tasks.*": {"queue": "mail"},
}
# The SLA job works from the database, so a missed run only delays a flag, never loses it:
# each scan flags everything due since the last one. A scan still queued after a whole
# interval is dropped (the next one, already on its way, does the same work).
SLA_SCAN_SECONDS = env.float("SLA_SCAN_SECONDS", default=60.0)
# How often beat looks for accounts whose month has just ended (SPEC §15).
MONTHLY_REVIEW_SCAN_SECONDS = env.float("MONTHLY_REVIEW_SCAN_SECONDS", default=3600.0)
# How often beat sweeps the outbox for e-mails due (new, or due for a retry). A sweep that
# finds more than one batch fans out (EMAIL_DELIVERY_FANOUT tasks) and keeps going until the
# outbox is drained, so recovery after an outage is as fast as the workers can send.
EMAIL_SWEEP_SECONDS = env.float("EMAIL_SWEEP_SECONDS", default=20.0)
# How often beat looks for incident updates whose fan-out stopped (SPEC §13), and how many
# linked tickets one transaction of the fan-out posts to.
INCIDENT_SWEEP_SECONDS = env.float("INCIDENT_SWEEP_SECONDS", default=60.0)
INCIDENT_FANOUT_BATCH = env.int("INCIDENT_FANOUT_BATCH", default=50)
# On-call paging (SPEC §11): the SMS/voice gateway's address (empty: no webhook calls) and
# the secret its JSON body is signed with (HMAC-SHA256, header ``X-Portal-Signature``); how
# long the one-click acknowledge link of a page's e-mail works; the webhook's retries.
PAGING_WEBHOOK_URL = env.str("PAGING_WEBHOOK_URL", default="")
PAGING_WEBHOOK_SECRET = env.str("PAGING_WEBHOOK_SECRET", default="")
if PAGING_WEBHOOK_URL and not PAGING_WEBHOOK_SECRET:
    raise ImproperlyConfigured("PAGING_WEBHOOK_URL needs PAGING_WEBHOOK_SECRET to sign its calls.")
PAGING_WEBHOOK_TIMEOUT = env.float("PAGING_WEBHOOK_TIMEOUT", default=10.0)
PAGING_WEBHOOK_SWEEP_SECONDS = env.float("PAGING_WEBHOOK_SWEEP_SECONDS", default=15.0)
PAGING_WEBHOOK_RETRY_BASE_SECONDS = env.float("PAGING_WEBHOOK_RETRY_BASE_SECONDS", default=10.0)
PAGING_WEBHOOK_MAX_ATTEMPTS = env.int("PAGING_WEBHOOK_MAX_ATTEMPTS", default=8)
PAGING_ACK_LINK_HOURS = env.int("PAGING_ACK_LINK_HOURS", default=12)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "sla-scan": {"task": "sla.tasks.scan_sla", "schedule": SLA_SCAN_SECONDS,
                 "options": {"expires": SLA_SCAN_SECONDS}},
    "deliver-outbox": {"task": "tickets.notifications.tasks.deliver_outbox",
                       "schedule": EMAIL_SWEEP_SECONDS, "kwargs": {"sweep": True},
                       "options": {"expires": EMAIL_SWEEP_SECONDS}},
    "poll-inbound-mail": {"task": "tickets.notifications.tasks.poll_inbound_mail", "schedule": 60.0,
                          "options": {"expires": 60.0}},
    # Each account's previous month, e-mailed once it is the 1st in the account's time zone.
    "monthly-reviews": {"task": "tickets.reports.tasks.send_monthly_reviews",
                        "schedule": MONTHLY_REVIEW_SCAN_SECONDS,
                        "options": {"expires": MONTHLY_REVIEW_SCAN_SECONDS}},
    "clear-expired-sessions": {
        "task": "accounts.tasks.clear_expired_sessions",
        "schedule": timedelta(hours=6),
    },
    # SPEC §7, §13: fixes not confirmed in time, samples past their retention, and incident
    # updates whose fan-out stopped half-way (a worker killed mid-batch).
    "signature-assume-fixed": {"task": "tickets.signatures.tasks.assume_fixed",
                               "schedule": 300.0, "options": {"expires": 300.0}},
    "signature-purge-samples": {"task": "tickets.signatures.tasks.purge_samples",
                                "schedule": timedelta(hours=1)},
    # SPEC §11: unacknowledged pages escalate on the SLA scan's schedule (and queue), and
    # webhook calls due (new, or due for a retry) are swept like the e-mail outbox.
    "paging-escalation": {"task": "tickets.oncall.tasks.escalate_pages",
                          "schedule": SLA_SCAN_SECONDS, "options": {"expires": SLA_SCAN_SECONDS}},
    "paging-webhooks": {"task": "tickets.oncall.tasks.deliver_webhooks",
                        "schedule": PAGING_WEBHOOK_SWEEP_SECONDS,
                        "options": {"expires": PAGING_WEBHOOK_SWEEP_SECONDS}},
    "incident-fan-out-sweep": {"task": "tickets.incidents.tasks.resume_fan_outs",
                               "schedule": INCIDENT_SWEEP_SECONDS,
                               "options": {"expires": INCIDENT_SWEEP_SECONDS}},
}

# --- Authentication ------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses sign-in attempts for a locked (e-mail, IP) pair.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 12)
# A password-reset link works once (its token hashes the password and the last sign-in) and
# for this long.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60)
# Staff start in this time zone (contacts in their company's); each user can change theirs.
PORTAL_TIME_ZONE = env.str("PORTAL_TIME_ZONE", default="UTC")
# Secrets stored in the database (TOTP seeds, companies' SSO client secrets) are encrypted
# with Fernet. The first key encrypts, every key decrypts (rotation: put a new key first).
# Unset: one key derived from SECRET_KEY.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])

# django-allauth: the sign-in page, password reset and change, TOTP two-factor sign-in with
# recovery codes, the user's open sessions; OpenID Connect for company single sign-on
# (``accounts.sso``). Accounts are created by administrators and TAMs only: no sign-up.
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
MFA_ADAPTER = "accounts.adapters.MfaAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="Premium Support")
# One 30-second step either side: a phone clock a little off still works.
MFA_TOTP_TOLERANCE = 1
# Addresses are set by administrators and TAMs, so they count as verified.
MFA_ALLOW_UNVERIFIED_EMAIL = True
# The code step of sign-in counts failures with django-axes, like passwords.
MFA_FORMS = {"authenticate": "accounts.forms.MfaAuthenticateForm"}
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_AUTO_SIGNUP = False
USERSESSIONS_TRACK_ACTIVITY = False

# Throttling of sign-in (login page and token endpoint). Attempts are counted per
# (e-mail, client IP) pair: guessing from one address cannot lock the real contact out from
# theirs, and a lock lasts only AXES_COOLOFF_MINUTES.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "accounts.auth.axes_username"
AXES_LOCKOUT_CALLABLE = "accounts.auth.lockout_response"
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0)
AXES_VERBOSE = False
# A ceiling per client address on every sign-in attempt, the same on the sign-in page
# (allauth's "login" limit) as on the token endpoint (DRF's "sign_in" throttle).
SIGN_IN_RATE = env.str("SIGN_IN_RATE", default="30/min")


def _allauth_rate(drf_rate: str) -> str:
    """``30/min`` (DRF) -> ``30/m/ip`` (allauth)."""
    count, period = drf_rate.split("/")
    return f"{int(count)}/{period.strip()[0]}/ip"


ACCOUNT_RATE_LIMITS = {
    "login": _allauth_rate(SIGN_IN_RATE),
    # Failed passwords and two-factor codes: per (e-mail, address) django-axes locks above;
    # here only the ceiling per address (allauth's per-e-mail counter would let anyone lock a
    # contact out from everywhere, so it stays off).
    "login_failed": _allauth_rate(SIGN_IN_RATE),
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
}

# --- REST API ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Signed in, and enrolled in two-factor sign-in where it is mandatory (a view that a user
    # must reach to enrol names ``IsAuthenticated`` alone).
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated",
                                   "accounts.mfa.MfaEnrolled"],
    "DEFAULT_PAGINATION_CLASS": "support_portal.kernel.pagination.Pagination",
    # JSON bodies (the schema documents exactly this); the views that take files name
    # multipart themselves.
    "DEFAULT_PARSER_CLASSES": ["support_portal.kernel.parsers.BoundedJSONParser"],
    "EXCEPTION_HANDLER": "support_portal.kernel.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "support_portal.kernel.schema.ContractSchema",
    "DEFAULT_THROTTLE_RATES": {"sign_in": SIGN_IN_RATE},
    # Trust X-Forwarded-For only as far as our own proxies: a client cannot pick its address.
    "NUM_PROXIES": AXES_IPWARE_PROXY_COUNT,
    "DATETIME_FORMAT": "iso-8601",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Support portal API",
    "DESCRIPTION": "Enhanced Premium Support: tickets, SLA, queue, dashboards, signature requests.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Tags and operation ids from the path after /api/v1/ (tickets_create, queue_list, …).
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Request bodies get their own components (``…Request``): uploads are ``binary`` there,
    # read-only fields are left out, so a generated client sends exactly what is accepted.
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "TicketKindEnum": "tickets.models.Kind",
        "TicketStatusEnum": "tickets.models.Status",
        "SignatureStatusEnum": "tickets.models.SignatureStatus",
        # What a customer may file directly (signature changes have their own endpoint).
        "FilableKindEnum": ["incident", "service_request"],
        "UserRoleEnum": "accounts.models.Role",
        "TimeZoneEnum": "accounts.api.TIME_ZONES",
        "StaffRoleEnum": ["admin", "engineer", "expert", "tam"],
        # Major incidents (SPEC §13) and fix verification (§7).
        "IncidentStatusEnum": "tickets.models.IncidentStatus",
        "OpeningIncidentStatusEnum": ["investigating", "identified", "monitoring"],
        "VerificationStateEnum": "tickets.models.VerificationState",
        # On call (SPEC §11): a rotation's or an override's level.
        "RotationLevelEnum": "tickets.models.RotationLevel",
    },
}

# --- Internationalisation ------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("pt-br", _("Brazilian Portuguese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files and uploads --------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Production serves hashed, compressed files from ``collectstatic``; development and the test
# suite serve straight from the source folders.
STATIC_MANIFEST = env.bool("STATIC_MANIFEST", default=not DEBUG)
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Uploads live outside any public path and are only served through permission-checked views.
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private")))
MEDIA_ROOT = PRIVATE_MEDIA_ROOT
MEDIA_URL = "/nonexistent-media/"

# --- E-mail --------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = EMAIL_CONFIG["EMAIL_BACKEND"]
EMAIL_HOST = EMAIL_CONFIG.get("EMAIL_HOST", "localhost")
EMAIL_PORT = EMAIL_CONFIG.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = EMAIL_CONFIG.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = EMAIL_CONFIG.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = EMAIL_CONFIG.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = EMAIL_CONFIG.get("EMAIL_USE_SSL", False)
# Seconds an SMTP connect or command may take. A claimed e-mail whose worker died mid-send is
# taken back after EMAIL_STALE_CLAIM_FACTOR timeouts (default 4 × 30 s = 2 minutes).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
EMAIL_STALE_CLAIM_FACTOR = 4
# Retries of an e-mail the mail server refused: exponential backoff with jitter from
# EMAIL_RETRY_BASE_SECONDS, at most EMAIL_RETRY_MAX_SECONDS apart, EMAIL_MAX_ATTEMPTS in all;
# then it is marked failed, logged as an error and listed in the admin for a resend. While the
# server cannot be reached at all, no attempt is spent: the outbox waits for it.
EMAIL_RETRY_BASE_SECONDS = env.float("EMAIL_RETRY_BASE_SECONDS", default=30.0)
EMAIL_RETRY_MAX_SECONDS = env.float("EMAIL_RETRY_MAX_SECONDS", default=3600.0)
EMAIL_MAX_ATTEMPTS = env.int("EMAIL_MAX_ATTEMPTS", default=8)
# One delivery task sends up to this many e-mails over one SMTP connection; a backlog is
# drained by this many tasks in parallel.
EMAIL_BATCH = env.int("EMAIL_BATCH", default=200)
EMAIL_DELIVERY_FANOUT = env.int("EMAIL_DELIVERY_FANOUT", default=4)
# ``filemail:///path`` (the demo's default in ``make run``): one file per e-mail in that folder.
EMAIL_FILE_PATH = EMAIL_CONFIG.get("EMAIL_FILE_PATH") or str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="support@portal.example.com")
# Where customers write to and reply to (the inbound mailbox); and the domain of our
# Message-IDs, which thread replies back to their ticket.
SUPPORT_EMAIL_ADDRESS = env.str("SUPPORT_EMAIL_ADDRESS", default=DEFAULT_FROM_EMAIL)
EMAIL_MESSAGE_DOMAIN = env.str("EMAIL_MESSAGE_DOMAIN", default="portal.example.com")
# Links in e-mails point here.
PORTAL_URL = env.str("PORTAL_URL", default="http://127.0.0.1:8000")
# Inbound e-mail: the mailbox polled by Celery beat, e.g. imaps://support:pw@mail.example.com/INBOX
INBOUND_IMAP_URL = env.str("INBOUND_IMAP_URL", default="")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Product ----------------------------------------------------------------------------
PRIORITY_PHONE_LINE = env.str("PRIORITY_PHONE_LINE", default="+1 800 555 0199")
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=25 * 1024 * 1024)
SIGNATURE_SAMPLE_MAX_BYTES = env.int("SIGNATURE_SAMPLE_MAX_BYTES", default=32 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# JSON bodies of the API (support_portal.kernel.parsers): larger or deeper ones are a 400.
API_JSON_MAX_BYTES = env.int("API_JSON_MAX_BYTES", default=1024 * 1024)
API_JSON_MAX_DEPTH = env.int("API_JSON_MAX_DEPTH", default=32)

# --- Security --------------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Content-Security-Policy on every page: scripts only from our own origin, never inline
# script or an inline event handler (SPEC §14). Style attributes stay allowed (htmx, Chart.js
# and Swagger UI set them; they cannot run code). Images may be data: URIs (the TOTP QR code).
# Downloads replace it with a sandboxing policy (``kernel.files.private_download``).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Logging ---------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "client_errors": {"()": "support_portal.kernel.logging.ClientErrorsWithoutTraceback"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain",
                             "filters": ["client_errors"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Everything goes through the root handler once: Django's own console handler would
        # print each record a second time in DEBUG.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "axes": {"level": "WARNING"},
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint logs every step of every PDF at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
