"""Settings shared by every environment.

Everything that differs between machines comes from the environment (``django-environ``);
the defaults here run the site locally on SQLite, local files and the Stripe stand-in.
"""

from datetime import timedelta
from pathlib import Path

import environ
from oscar.defaults import *  # noqa: F403  Oscar's documented way to load its defaults

from media_config.settings import storages_from_env
from shop.emails.providers import email_settings_from_env
from web.cdn import frontend_cache_from_env
from web.client_address import proxy_count_setting
from web.content_security import csp_settings_from
from web.observability import error_tracking_start

BASE_DIR = Path(__file__).resolve().parent.parent.parent
SITE_DIR = BASE_DIR / "site"

env = environ.Env()
# A local `.env` file is optional; real environment variables win over it.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="django-insecure-local-development-key-not-for-production")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The public address of the site, used in emails, the Wagtail admin and Stripe return URLs.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # Our apps first so their templates and commands win.
    "home",
    "shop",
    "shop.billing",
    "shop.downloads",
    "shop.sales",
    "shop.backoffice",
    "shop.emails",
    "anymail",
    "media_config",
    "demo",
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.flatpages",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    # Oscar (forks in shop/ replace their Oscar line in place)
    "oscar.config.Shop",
    "oscar.apps.analytics.apps.AnalyticsConfig",
    "shop.checkout.apps.CheckoutConfig",
    "oscar.apps.address.apps.AddressConfig",
    "oscar.apps.shipping.apps.ShippingConfig",
    "oscar.apps.catalogue.apps.CatalogueConfig",
    "oscar.apps.catalogue.reviews.apps.CatalogueReviewsConfig",
    "oscar.apps.communication.apps.CommunicationConfig",
    "oscar.apps.partner.apps.PartnerConfig",
    "oscar.apps.basket.apps.BasketConfig",
    "oscar.apps.payment.apps.PaymentConfig",
    "oscar.apps.offer.apps.OfferConfig",
    "oscar.apps.order.apps.OrderConfig",
    "shop.customer_app.CustomerConfig",
    "shop.search.apps.SearchConfig",
    "oscar.apps.voucher.apps.VoucherConfig",
    "oscar.apps.wishlists.apps.WishlistsConfig",
    "shop.dashboard.apps.DashboardConfig",
    "oscar.apps.dashboard.reports.apps.ReportsDashboardConfig",
    "oscar.apps.dashboard.users.apps.UsersDashboardConfig",
    "oscar.apps.dashboard.orders.apps.OrdersDashboardConfig",
    "shop.dashboard.catalogue.apps.CatalogueDashboardConfig",
    "oscar.apps.dashboard.offers.apps.OffersDashboardConfig",
    "oscar.apps.dashboard.partners.apps.PartnersDashboardConfig",
    "oscar.apps.dashboard.pages.apps.PagesDashboardConfig",
    "oscar.apps.dashboard.ranges.apps.RangesDashboardConfig",
    "oscar.apps.dashboard.reviews.apps.ReviewsDashboardConfig",
    "oscar.apps.dashboard.vouchers.apps.VouchersDashboardConfig",
    "shop.dashboard.communications.apps.CommunicationsDashboardConfig",
    "oscar.apps.dashboard.shipping.apps.ShippingDashboardConfig",
    "widget_tweaks",
    # haystack before wagtail.search: both ship `update_index` and the first one wins.
    "haystack",
    "treebeard",
    "django_tables2",
    "sorl.thumbnail",
    "heroicons",
    # Wagtail (no app labelled `search` of ours: Oscar owns that label)
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.frontend_cache",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    # The read API: Wagtail's v2 endpoints, our own DRF views, their OpenAPI document
    "rest_framework",
    "wagtail.api.v2",
    "drf_spectacular",
    "corsheaders",
    "django_guid",
    # Background jobs (Wagtail 8 enqueues index updates, file clean-up, ...)
    "django_tasks",
    "django_tasks_db",
    # Failed sign-ins per account and address, and the lockout (web.lockout)
    "axes",
]

MIDDLEWARE = [
    # First, so every log line of the request carries its id (web.observability).
    "django_guid.middleware.guid_middleware",
    "django.middleware.security.SecurityMiddleware",
    # Early, so cached and refused responses carry the policy too (web.content_security).
    "web.content_security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Anonymous pages from the shared cache, before sessions, CSRF, basket (web.page_cache).
    "web.page_cache.PageCacheMiddleware",
    # Right after the page cache, so cached pages are stored compressed; after WhiteNoise,
    # whose static files come pre-compressed (web.compression).
    "web.compression.PublicResponseCompressionMiddleware",
    # Before CommonMiddleware, so its redirects carry the CORS headers too.
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "web.api.ApiCacheMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Oscar's, without its "merged" notice when the account's basket was empty (shop.checkout).
    "shop.checkout.signed_in_basket.BasketMiddleware",
    "django.contrib.flatpages.middleware.FlatpageFallbackMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "web.lockout.PasswordResetLimitMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Project templates live in the top-level site/ folder, outside any package.
        "DIRS": [SITE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "oscar.apps.search.context_processors.search_form",
                "oscar.apps.checkout.context_processors.checkout",
                "oscar.core.context_processors.metadata",
            ],
        },
    },
]

# Databases: SQLite file by default; DATABASE_URL=postgres://... for PostgreSQL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a lock instead of failing at once when two requests or a worker overlap;
    # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of deadlocking.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("timeout", 20)
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / "test-db.sqlite3")}
    # SQLite creates the file but not its folder: a fresh clone has no var/ yet.
    for _sqlite_path in (DATABASES["default"]["NAME"], DATABASES["default"]["TEST"]["NAME"]):
        if _sqlite_path and _sqlite_path != ":memory:" and not _sqlite_path.startswith("file:"):
            Path(_sqlite_path).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

# How many proxies or load balancers stand in front of the web process (web.client_address):
# the visitor's address is read through exactly that many X-Forwarded-For entries.
TRUSTED_PROXY_COUNT = proxy_count_setting(env.str("TRUSTED_PROXY_COUNT", default="0"))

# Cache: Redis when REDIS_URL is set (shared by every process), else local memory.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "web.shared_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="backcare"),
            "TIMEOUT": 300,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Rendered parts of pages (an article's body, SEO data, the footer) are kept in that cache
# under the content's version, so an edit is shown at once; this only bounds their lifetime
# (home.content_changes; shorter while public media have expiring signed addresses).
RENDERED_CONTENT_SECONDS = env.int("RENDERED_CONTENT_SECONDS", default=24 * 60 * 60)

# The shared page cache (web.page_cache): how long an anonymous page is kept and what
# s-maxage tells a CDN; 0 turns both off. Stale pages may be served this long while refreshed.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=300)
PAGE_CACHE_STALE_SECONDS = env.int("PAGE_CACHE_STALE_SECONDS", default=60)
# Models whose rows pages show, besides every snippet and setting: saving or deleting one
# retires every cached page (web.page_cache_purges).
PAGE_CACHE_CONTENT_MODELS = (
    "home.SiteSettings",
    "home.TrustBadge",
    "home.NavigationSettings",
    "home.NavigationItem",
    "home.GlossaryTerm",
    "home.Testimonial",
    "home.AuthorProfile",
    # The offer block's terms and price, and whether the program is on sale.
    "billing.TrialOffer",
    "catalogue.Product",
    "partner.StockRecord",
    # Host names and site roots; who may see a page; pictures and documents pages link to.
    "wagtailcore.Site",
    "wagtailcore.PageViewRestriction",
    "wagtailimages.Image",
    "wagtaildocs.Document",
)

# A CDN in front of the site, told which pages to drop when content changes
# (web.cdn, web.page_cache_purges; Wagtail purges a page's own addresses when it is published).
WAGTAILFRONTENDCACHE = frontend_cache_from_env(env)

# Sessions in the database: nothing is kept inside a web process.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses any sign-in while its account or address is locked out.
    "web.lockout.SignInLockoutBackend",
    "oscar.apps.customer.auth_backends.EmailBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Oscar lives under /shop/: Django's default /accounts/login/ would fall through to Wagtail.
LOGIN_URL = "customer:login"
LOGIN_REDIRECT_URL = "customer:summary"
# A customer's account opens on their program (Oscar's default is the profile).
OSCAR_ACCOUNTS_REDIRECT_URL = "billing:program"
# Oscar's "Home" (breadcrumbs, signing out, an empty basket) leads to the site, not the store.
OSCAR_HOMEPAGE = "/"

# Guessing passwords (web.lockout): after LOGIN_FAILURE_LIMIT failed sign-ins for one
# account or from one address, sign-in is refused for LOGIN_LOCKOUT_MINUTES; each refused try
# restarts the wait. Staff unlock with `manage.py axes_reset_username EMAIL` / `axes_reset_ip`
# or by deleting the access attempt in the Django admin; a new password (the emailed reset link)
# ends the account's lockout itself (web.lockout.lockout_end_on_new_password).
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_CLIENT_IP_CALLABLE = "web.client_address.client_ip"
AXES_USERNAME_CALLABLE = "web.lockout.account_name"
AXES_LOCKOUT_CALLABLE = "web.lockout.lockout_response"
# The shop's form posts its password as login-password: never stored with the failure.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "login-password"]
# Failures are enough to lock out; no record of every successful sign-in is kept.
AXES_DISABLE_ACCESS_LOG = True
# Password reset requests per address and per account (email) in a window, e.g. "5/h".
PASSWORD_RESET_RATE = env("PASSWORD_RESET_RATE", default="5/h")

LANGUAGE_CODE = "en-us"
LANGUAGES = [("en-us", "English")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# "December 13, 2026" everywhere a date is shown (web/formats/en/formats.py).
FORMAT_MODULE_PATH = ["web.formats"]
SITE_ID = 1

# Static files: the project's own in site/static, served by whitenoise.
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [SITE_DIR / "static"]
# Browsers read the web manifest only under its own media type; whitenoise does not know it.
WHITENOISE_MIMETYPES = {".webmanifest": "application/manifest+json"}
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]

# Media and program files: local folders by default, S3 when its variables are set.
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "var" / "media"
PRIVATE_MEDIA_ROOT = BASE_DIR / "var" / "private"
_storage_settings = storages_from_env(
    env,
    media_root=MEDIA_ROOT,
    private_root=PRIVATE_MEDIA_ROOT,
    static_backend="django.contrib.staticfiles.storage.StaticFilesStorage",
)
STORAGES = _storage_settings.pop("STORAGES")
globals().update(_storage_settings)  # AWS_* settings read by django-storages
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# Email (shop.emails.providers): EMAIL_PROVIDER says how emails leave: kept in the back
# office's outbox (the default), the console, the SMTP server EMAIL_URL names, or a provider
# through django-anymail, whose ANYMAIL_* variables become ANYMAIL[...].
globals().update(email_settings_from_env(env))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Back pain relief <hello@example.com>")
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# The provider's delivery events (shop.emails.webhooks) arrive at /shop/email-events/<provider>/
# tracking/ with ANYMAIL_WEBHOOK_SECRET as basic auth ("user:password" in the webhook's URL)
# and, for Mailgun, signed with ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY. The production settings
# refuse a provider without the secret.

# Background jobs: the database queue, drained by `manage.py db_worker`.
TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Stripe (the gateway module is the only reader). Defaults point at the local stand-in;
# these public development values are refused by the production settings.
LOCAL_STRIPE_SECRET_KEY = "sk_test_local_standin"  # noqa: S105 (public, local only)
LOCAL_STRIPE_PUBLISHABLE_KEY = "pk_test_local_standin"
LOCAL_STRIPE_WEBHOOK_SECRET = "whsec_local_standin"  # noqa: S105 (public, local only)
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default=LOCAL_STRIPE_SECRET_KEY)
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default=LOCAL_STRIPE_PUBLISHABLE_KEY)
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default=LOCAL_STRIPE_WEBHOOK_SECRET)
# Test-mode keys (sk_test_, pk_test_, rk_test_): the stand-in locally; production says so.
STRIPE_TEST_MODE = env.bool("STRIPE_TEST_MODE", default=True)
STRIPE_API_BASE = env("STRIPE_API_BASE", default="http://127.0.0.1:8420")
STRIPE_JS_URL = env("STRIPE_JS_URL", default=f"{STRIPE_API_BASE}/js.stripe.com/v3/")
# Stripe takes uploads (a dispute's evidence PDF) at an address of their own; empty: the
# API's address, as the stand-in and the tests' recorded responses answer both.
STRIPE_FILES_BASE = env("STRIPE_FILES_BASE", default="")
# Who hears of a disputed payment besides the staff who may send its evidence; empty: them only.
SHOP_NOTIFICATIONS_EMAIL = env("SHOP_NOTIFICATIONS_EMAIL", default="")
# Currencies the payment account takes; a basket priced in any other is refused at checkout.
STRIPE_CURRENCIES = env.list("STRIPE_CURRENCIES", default=["USD"])
# Seconds to open a connection to Stripe and to wait for its answer, and retries after a
# network error (POSTs carry an idempotency key, so a retry never charges twice at Stripe).
# Short, so a visitor waits a few seconds at most.
STRIPE_CONNECT_TIMEOUT_SECONDS = 2.0
STRIPE_READ_TIMEOUT_SECONDS = 8.0
STRIPE_MAX_NETWORK_RETRIES = 1

# Content Security Policy (web.content_security): enforced unless CSP_REPORT_ONLY is set,
# which only reports what would be blocked; CSP_REPORT_URI receives the browsers' reports.
# (Setting names differ from the variables': django-csp's checks reject its old CSP_* names.)
SECURITY_POLICY_REPORT_ONLY = env.bool("CSP_REPORT_ONLY", default=False)
SECURITY_POLICY_REPORT_URI = env("CSP_REPORT_URI", default="")
# Rebuilt by any settings module that changes STRIPE_JS_URL or the storage settings.
CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_REPORT_ONLY = csp_settings_from(globals())
# Pages may be framed by our own pages only (the CMS preview), as frame-ancestors says.
X_FRAME_OPTIONS = "SAMEORIGIN"
# The deploy check warns when X-Frame-Options is not DENY; SAMEORIGIN is chosen above, and the
# policy's frame-ancestors 'self' is what current browsers obey.
SILENCED_SYSTEM_CHECKS = ["security.W019"]

# Billing (shop.billing.scheduler): retries of a failed installment, days after its due
# date; access kept while it is retried; the reminder before the first payment; when an
# attempt with no recorded answer is reconciled with Stripe.
BILLING_RETRY_DAYS = env.list("BILLING_RETRY_DAYS", cast=int, default=[1, 3, 6])
BILLING_GRACE_DAYS = env.int("BILLING_GRACE_DAYS", default=7)
BILLING_REMINDER_DAYS_BEFORE = env.int("BILLING_REMINDER_DAYS_BEFORE", default=7)
BILLING_PROCESSING_STALE_MINUTES = env.int("BILLING_PROCESSING_STALE_MINUTES", default=10)
# New cards a day that may retry a failed payment ("Update card"), so the page cannot be
# used to try card after card.
BILLING_CARD_RETRIES_PER_DAY = env.int("BILLING_CARD_RETRIES_PER_DAY", default=3)

# Card testing (shop.abuse): within each window, sign-ups per address, new SetupIntents and
# declined cards per address and per account; past them the visitor is asked to wait.
CARD_TESTING_WINDOW_SECONDS = env.int("CARD_TESTING_WINDOW_SECONDS", default=3600)
SIGNUPS_PER_ADDRESS = env.int("SIGNUPS_PER_ADDRESS", default=3)
CARD_SETUPS_PER_ADDRESS = env.int("CARD_SETUPS_PER_ADDRESS", default=6)
CARD_SETUPS_PER_ACCOUNT = env.int("CARD_SETUPS_PER_ACCOUNT", default=4)
CARD_DECLINES_PER_ADDRESS = env.int("CARD_DECLINES_PER_ADDRESS", default=5)
CARD_DECLINES_PER_ACCOUNT = env.int("CARD_DECLINES_PER_ACCOUNT", default=3)

# Contact and feedback forms: at most this many submissions per address and page per window.
FORM_RATE_LIMIT = env.int("FORM_RATE_LIMIT", default=5)
FORM_RATE_WINDOW_SECONDS = env.int("FORM_RATE_WINDOW_SECONDS", default=600)

# Wagtail
WAGTAIL_SITE_NAME = env("WAGTAIL_SITE_NAME", default="Lower Back Pain Relief")
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "key", "odt", "pdf", "pptx", "rtf", "txt", "xlsx", "zip"]
WAGTAIL_ENABLE_UPDATE_CHECK = False
# No avatars from gravatar.com: the admin would tell it who signs in, and the policy refuses it.
WAGTAIL_GRAVATAR_PROVIDER_URL = None

# robots.txt: paths crawlers are asked to leave alone (the sitemap address is added).
# The checkout is left open: a crawler without a basket is only redirected away from it, and
# the payment step it leads to is a page a search engine may read (Lighthouse's SEO audit).
ROBOTS_DISALLOW = env.list(
    "ROBOTS_DISALLOW",
    default=["/cms/", "/django-admin/", "/shop/accounts/", "/shop/basket/"],
)

# The read API under /api/
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_THROTTLE_CLASSES": ["web.api.AnonymousApiThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "web.api.api_exception_handler",
    # JSON is the only format: ?format= would be one more parameter to refuse.
    "URL_FORMAT_OVERRIDE": None,
}
# Requests per anonymous address, counted in the default cache (shared with Redis).
API_ANON_THROTTLE_RATE = env("API_ANON_THROTTLE_RATE", default="300/minute")
API_CACHE_SECONDS = env.int("API_CACHE_SECONDS", default=60)
SPECTACULAR_SETTINGS = {
    "TITLE": "Lower Back Pain Relief API",
    "DESCRIPTION": (
        "Read-only content and shop data. Wagtail's pages, images and documents are at "
        "/api/v2/ and follow Wagtail's API conventions."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "PREPROCESSING_HOOKS": ["web.api.schema_endpoints_ours"],
}
WAGTAILAPI_BASE_URL = SITE_URL
WAGTAILAPI_LIMIT_MAX = 50
# Rich text fields as front-end HTML, links resolved (as in the StreamField's blocks).
WAGTAILAPI_RICH_TEXT_FORMAT = "html"
# Other front ends allowed to call the API from a browser, e.g. https://app.example.com
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"

# Oscar
OSCAR_SHOP_NAME = env("OSCAR_SHOP_NAME", default="Lower Back Pain Relief")
OSCAR_SHOP_TAGLINE = ""
OSCAR_DEFAULT_CURRENCY = "USD"
OSCAR_FROM_EMAIL = DEFAULT_FROM_EMAIL
OSCAR_ALLOW_ANON_CHECKOUT = False
OSCAR_REQUIRED_ADDRESS_FIELDS = ("first_name", "last_name", "line1", "line4", "postcode", "country")
OSCAR_HIDDEN_FEATURES = ["reviews", "wishlists"]
# The plan's emails are edited in the CMS (Shop → Plan emails): the dashboard's menu leaves
# out its own editor of them, so the author has one place for each thing.
OSCAR_DASHBOARD_NAVIGATION = [
    {
        **section,
        "children": [
            child
            for child in section["children"]
            if child.get("url_name") != "dashboard:comms-list"
        ],
    }
    if "children" in section
    else section
    for section in OSCAR_DASHBOARD_NAVIGATION
]
# An order's life follows its installment plan.
OSCAR_INITIAL_ORDER_STATUS = "Free tryout"
OSCAR_ORDER_STATUS_PIPELINE = {
    "Free tryout": (
        "Payments under way",
        "Tryout quit",
        "Payment failed",
        "Confirmation needed",
        "Cancelled",
        "Refunded",
    ),
    "Payments under way": (
        "Paid in full",
        "Payment failed",
        "Confirmation needed",
        "Cancelled",
        "Refunded",
    ),
    "Payment failed": (
        "Payments under way",
        "Paid in full",
        "Confirmation needed",
        "Cancelled",
        "Refunded",
    ),
    "Confirmation needed": (
        "Payments under way",
        "Paid in full",
        "Payment failed",
        "Cancelled",
        "Refunded",
    ),
    "Paid in full": ("Refunded",),
    # Bought outright: paid at checkout in one payment.
    "Paid": ("Refunded",),
    "Tryout quit": (),
    "Cancelled": ("Refunded",),
    "Refunded": (),
}
OSCAR_INITIAL_LINE_STATUS = "Free tryout"
OSCAR_LINE_STATUS_PIPELINE = OSCAR_ORDER_STATUS_PIPELINE
# Oscar 4.2 still requires haystack; the simple backend needs no index server.
HAYSTACK_CONNECTIONS = {"default": {"ENGINE": "haystack.backends.simple_backend.SimpleEngine"}}
HAYSTACK_SIGNAL_PROCESSOR = "haystack.signals.BaseSignalProcessor"
THUMBNAIL_DEBUG = False
# sorl-thumbnail's own default, named here: thumbnails are public media (media_config.storages).
THUMBNAIL_PREFIX = "cache/"

# Logging: one JSON object a line on stdout (LOG_FORMAT=plain for humans).
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s",
        },
    },
    "filters": {
        # The id of the request being served ("None" outside requests).
        "request_id": {
            "()": "django_guid.log_filters.CorrelationId",
            "correlation_id_field": "request_id",
        },
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django.security.DisallowedHost": {"level": "ERROR"},
        # One line per job state change is noise at INFO.
        "django_tasks": {"level": "WARNING"},
        # Failed sign-ins and lockouts are warnings; its start-up banner is noise.
        "axes": {"level": "WARNING"},
    },
}

# Request ids (web.observability): the load balancer's X-Request-ID when it is a valid id,
# else a new one; returned in the response.
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": True,
}

# Error tracking: Sentry only when SENTRY_DSN is set, never with personal data.
SENTRY_DSN = env("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", default="production")
SENTRY_RELEASE = env("SENTRY_RELEASE", default="")
error_tracking_start(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT, release=SENTRY_RELEASE)
