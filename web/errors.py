"""The page shown when the site fails on its side.

A lost database connection (a restart, a network cut) is answered with 503 "try again in a
minute": every step that takes money is written so that trying again finishes the work once,
never twice. Anything else gets the plain 500 page. Neither shows technical details; both
give the request's id, the reference to quote when asking for help."""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token
from django_guid.context import guid

logger = logging.getLogger(__name__)

DATABASE_LOST = (OperationalError, InterfaceError)


@requires_csrf_token
def server_error(request, template_name: str = "500.html"):
    """Django's ``handler500``, told apart by what went wrong."""
    error = sys.exc_info()[1]
    request_id = guid.get() or ""
    # Rendered without the request's context: its context processors may need the database.
    if isinstance(error, DATABASE_LOST):
        logger.error(
            "Database unavailable while serving %s %s (request %s)",
            request.method,
            request.path,
            request_id,
            exc_info=True,
        )
        response = HttpResponse(
            loader.render_to_string("503.html", {"request_id": request_id}), status=503
        )
        response["Retry-After"] = "60"
        return response
    return HttpResponseServerError(
        loader.render_to_string(template_name, {"request_id": request_id})
    )
