"""The SQL queries each page takes, with the site's own settings and database.

Run inside the checkout being measured (cwd and PYTHONPATH), with the same environment as its
gunicorn and PAGE_CACHE_SECONDS=0:

    python bench/speed/count_queries.py / /glossary/ ...

Each path is asked twice by a visitor without cookies, through the whole middleware chain
(Django's test Client): "cold" is the first answer of a fresh process, "warm" the second, the
one wrk's steady load sees. Prints one JSON object {path: {"status", "cold", "warm"}}.
"""

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def queries_for(path: str) -> tuple[int, int]:
    # A fresh client each time: no cookie from an earlier answer, as with wrk.
    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    return response.status_code, len(captured.captured_queries)


def main() -> None:
    figures = {}
    for path in sys.argv[1:]:
        status, cold = queries_for(path)
        _, warm = queries_for(path)
        figures[path] = {"status": status, "cold": cold, "warm": warm}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
