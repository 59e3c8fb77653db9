"""WSGI entry point (`gunicorn config.wsgi`); production settings unless told otherwise."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from web.client_address import behind_proxies

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = behind_proxies(get_wsgi_application(), settings.TRUSTED_PROXY_COUNT)
