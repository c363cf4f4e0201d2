"""Django settings for tinhso, built from the typed ``TINHSO_*`` environment settings."""

from __future__ import annotations

from pathlib import Path

import django_stubs_ext
from django.utils.translation import gettext_lazy as _

from tinhso import config

# Lets ModelAdmin[Model] and QuerySet[Model] be written at run time, as the type checker reads them.
django_stubs_ext.monkeypatch()

PLATFORM = config.load()
PACKAGE_DIR = Path(__file__).resolve().parent

DEBUG = PLATFORM.debug
SECRET_KEY = PLATFORM.secret_key
ALLOWED_HOSTS = PLATFORM.allowed_hosts
TINHSO_DATA_DIR = PLATFORM.data_dir

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "tinhso.core",
    "tinhso.ingest",
    "tinhso.geo",
    "tinhso.api",
    "tinhso.web",
    "tinhso.ioc",
    "tinhso.ioc.dashboards",
    "tinhso.ioc.alerts",
    "tinhso.reports",
    "tinhso.soc",
]

MIDDLEWARE = [
    "tinhso.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tinhso.web.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "tinhso.core.middleware.IdleSessionTimeoutMiddleware",
    "tinhso.core.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "tinhso.api.middleware.ApiAccessLogMiddleware",
    "tinhso.core.access.AccessPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tinhso.urls"
WSGI_APPLICATION = "tinhso.wsgi.application"
ASGI_APPLICATION = "tinhso.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "tinhso.web.context_processors.platform",
            ],
        },
    },
]

DATABASES = {"default": PLATFORM.database.as_django()}
if not PLATFORM.database.is_postgres:
    Path(PLATFORM.database.name).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

# --- Authentication and sessions ---------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "tinhso.core.passwords.CharacterClassValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"

# Lockout after repeated failed logins, counted per user name and, separately, per
# client address, so that neither guessing one account nor spraying many stays open.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Behind a reverse proxy the client address comes from X-Forwarded-For; without this count
# every client would share the proxy's address and one guesser would lock out everyone.
AXES_IPWARE_PROXY_COUNT = PLATFORM.proxy_count or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if PLATFORM.proxy_count else ["REMOTE_ADDR"]
)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_VERBOSE = False

SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PLATFORM.secure_cookies
CSRF_COOKIE_SECURE = PLATFORM.secure_cookies
CSRF_COOKIE_HTTPONLY = True
TINHSO_SESSION_IDLE_SECONDS = PLATFORM.session_idle_minutes * 60
OTP_TOTP_ISSUER = "Tỉnh số"
# Administrators manage other users' devices but never see their TOTP secrets or QR codes.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# --- Security headers --------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PLATFORM.secure_cookies:
    SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Nothing is loaded from another host. MapLibre runs its worker from a same-origin file
# (the CSP build of maplibre-gl), and decodes tiles into blob: and data: images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "child-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Internationalisation ------------------------------------------------------------------

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
FORMAT_MODULE_PATH = ["tinhso.formats"]
USE_THOUSAND_SEPARATOR = True
LANGUAGE_COOKIE_NAME = "tinhso_language"
LANGUAGE_COOKIE_SECURE = PLATFORM.secure_cookies
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Static files --------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = PLATFORM.data_dir / "static"
# WhiteNoise scans this folder at start; it exists before the first collectstatic.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = PLATFORM.data_dir / "media"
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024

# --- Logging -------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "tinhso.core.requestid.RequestIdLogFilter"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# --- Platform ------------------------------------------------------------------------------

# The province this deployment serves; the home map and the defaults of imports use it.
TINHSO_PROVINCE_CODE = "25"
TINHSO_REFORM_DATE = "2025-07-01"
# Requests per minute for an API key that has no rate limit of its own.
TINHSO_API_DEFAULT_RATE_LIMIT = 600

# --- Security operations centre ----------------------------------------------------------

# Sigma rule folders of live detection (TINHSO_SOC_RULES, paths separated by ":"; default
# DATA_DIR/soc/rules). Rules are reloaded when a file under them changes.
TINHSO_SOC_RULES = PLATFORM.soc_rules
# pySigma pipeline YAML files that map more log sources to channels, EventIDs and field names.
# Live detection applies them after the built-in Windows and Sysmon pipelines
# (TINHSO_SOC_PIPELINES, paths separated by ":", default none).
TINHSO_SOC_PIPELINES = PLATFORM.soc_pipelines
# Alerts of one host, user and rule join an open incident whose last event is at most this
# many seconds older; otherwise they open a new incident.
TINHSO_SOC_INCIDENT_WINDOW_SECONDS = 60 * 60
# Largest evidence file an analyst may attach to an incident, in bytes.
TINHSO_SOC_EVIDENCE_MAX_BYTES = 25 * 1024 * 1024
