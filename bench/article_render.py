"""Times pages rendered in-process through Django's test client, with their query counts.

No server and no network: what one uncached request costs in the web process itself.
Run with the site's own settings and database, e.g.::

    DEBUG=False DATABASE_URL=postgres://... .venv/bin/python bench/article_render.py \
        --renders 50 / /glossary/ --grow-glossary 1000

``--grow-glossary N`` adds N terms the article never mentions for the run (removed after),
the way a glossary grows; ``--profile`` prints a pyinstrument profile when it is installed.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from wagtail.models import Site  # noqa: E402

from home.models import GlossaryTerm  # noqa: E402

GROWN_PREFIX = "bench-grown-"
SHOW_QUERIES = "--show-queries" in sys.argv


def grow_glossary(count: int) -> None:
    GlossaryTerm.objects.bulk_create(
        GlossaryTerm(
            term=f"Grown term {i:05d}",
            slug=f"{GROWN_PREFIX}{i:05d}",
            definition=f"<p>A plain definition number {i} of a word the article never uses.</p>",
            also_matches=f"grown spelling {i:05d}",
        )
        for i in range(count)
    )
    # bulk_create sends no signals: save one term so the glossary counts as changed.
    GlossaryTerm.objects.filter(slug__startswith=GROWN_PREFIX).first().save()


def shrink_glossary() -> None:
    for term in GlossaryTerm.objects.filter(slug__startswith=GROWN_PREFIX)[:1]:
        term.delete()  # one delete through the model so the glossary counts as changed
    GlossaryTerm.objects.filter(slug__startswith=GROWN_PREFIX).delete()


def measure(client: Client, path: str, host: str, renders: int) -> dict:
    first = client.get(path, HTTP_HOST=host)
    if first.status_code != 200:
        raise SystemExit(f"{path} answered {first.status_code}")
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    # A wrapper rather than the debug query log: the request start clears that log.
    with connection.execute_wrapper(count):
        client.get(path, HTTP_HOST=host)
    timings = []
    for _ in range(renders):
        start = time.perf_counter()
        response = client.get(path, HTTP_HOST=host)
        timings.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
    if SHOW_QUERIES:
        for sql in queries:
            print(f"  {sql[:220]}", file=sys.stderr)
    return {
        "path": path,
        "renders": renders,
        "queries": len(queries),
        "bytes": len(response.content),
        "median_ms": round(statistics.median(timings) * 1000, 2),
        "renders_per_second": round(renders / sum(timings), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=["/"])
    parser.add_argument("--renders", type=int, default=50)
    parser.add_argument("--grow-glossary", type=int, default=0)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--show-queries", action="store_true")
    args = parser.parse_args()

    site = Site.objects.filter(is_default_site=True).first()
    host = site.hostname if site else "localhost"
    client = Client()
    shrink_glossary()
    results = [measure(client, path, host, args.renders) for path in args.paths]
    if args.grow_glossary:
        grow_glossary(args.grow_glossary)
        try:
            for path in args.paths:
                grown = measure(client, path, host, args.renders)
                grown["grown_terms"] = args.grow_glossary
                results.append(grown)
        finally:
            shrink_glossary()
    if args.profile:
        from pyinstrument import Profiler

        with Profiler() as profiler:
            for path in args.paths:
                for _ in range(args.renders):
                    client.get(path, HTTP_HOST=host)
        profiler.print(file=sys.stderr, show_all=os.environ.get("PROFILE_ALL") == "1")
    for result in results:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
