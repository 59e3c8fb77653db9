"""Local development: debug on, emails kept in the outbox and printed, jobs run inside the
request."""

from .base import *  # noqa: F403
from .base import EMAIL_OUTBOX_FORWARD_BACKEND, env

DEBUG = env.bool("DEBUG", default=True)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
LOG_FORMAT = env("LOG_FORMAT", default="plain")
LOGGING["handlers"]["stdout"]["formatter"] = LOG_FORMAT  # noqa: F405
# No worker is needed locally: Wagtail's jobs (search index, references) run at once.
TASKS = {  # noqa: F405
    "default": {
        "BACKEND": env("TASKS_BACKEND", default="django_tasks.backends.immediate.ImmediateBackend"),
        "QUEUES": ["default"],
    }
}
# Static files straight from the source folders: no collectstatic for local runs.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Each email kept in the back office's outbox is also printed on the console, unless
# EMAIL_OUTBOX_FORWARD_BACKEND names another backend.
EMAIL_OUTBOX_FORWARD_BACKEND = (
    EMAIL_OUTBOX_FORWARD_BACKEND or "django.core.mail.backends.console.EmailBackend"
)
