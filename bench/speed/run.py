"""The site benchmark: the pages readers and buyers ask for, as production serves them.

Builds a fresh PostgreSQL database with the demo site, starts moto (S3) with a media and a
private bucket, the Stripe stand-in, and the site under gunicorn with
config.settings.production (2 sync workers, Redis cache), then loads it from wrk in its own
process: a static CSS file, /robots.txt (the smallest view behind every middleware), the
article, the glossary, the Q&A page, the product page and the article in the pages API. Each
with the shared page cache at its default (cached) and off (PAGE_CACHE_SECONDS=0, uncached),
then again for the article and the glossary after adding 1,000 glossary terms. Also: the SQL
queries of each page, bytes plain and compressed, Lighthouse (bench/lighthouse/audit.py) on the
article, the product page and the payment step, and billing_run over 1,000 and 10,000 due
plans (bench/billing_run_bench.py). Results: bench/results/site.md and site.json, and the
README's table between its bench markers. Run with `make bench`.

`--tree PATH` also measures another checkout (e.g. `git worktree add ../base fec350d`) in the
same run, written to site-<label>.json; site.md then shows both side by side.
Everything started is stopped on the way out (Ctrl-C included) and the databases dropped.
"""

import argparse
import http.cookiejar
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.speed import report  # noqa: E402

RESULTS = ROOT / "bench" / "results"
README = ROOT / "README.md"
LUA = Path(__file__).resolve().parent / "status.lua"
COUNT_QUERIES = Path(__file__).resolve().parent / "count_queries.py"
GROW_GLOSSARY = Path(__file__).resolve().parent / "grow_glossary.py"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
POSTGRES = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
MEDIA_BUCKET = "bench-media"
PRIVATE_BUCKET = "bench-private"
GROWN_TERMS = 1000
BILLING_PLANS = (1000, 10000)
# The page paths; the static file, the product and the article's API id are read from the site.
PAGE_PATHS = {
    "robots.txt": "/robots.txt",
    "article": "/",
    "glossary": "/glossary/",
    "Q&A": "/back-pain-questions-and-answers/",
}
# Production sits behind a TLS proxy: every request says it came over HTTPS, as the proxy would.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
COMPRESSED_HEADERS = {"Accept-Encoding": "gzip, br"}
STARTED = time.monotonic()


def say(text: str) -> None:
    print(f"[bench {time.monotonic() - STARTED:6.0f} s] {text}", flush=True)


def wait_for_url(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
                if response.status < 500:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return
            time.sleep(0.2)
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def wrk_ensure() -> str:
    """wrk's path, installed from Debian when missing (the bench runs as root)."""
    found = shutil.which("wrk")
    if found:
        return found
    say("wrk is missing: apt-get install -y wrk")
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk could not be installed")
    return found


def machine_describe() -> dict:
    cpu_model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu_model = line.split(":", 1)[1].strip()
            break
    ram_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            ram_kb = int(line.split()[1])
    with psycopg.connect(f"{POSTGRES}/postgres") as connection:
        postgresql = connection.execute("SHOW server_version").fetchone()[0]
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    return {
        "cpu_model": cpu_model,
        "cores": os.cpu_count(),
        "ram_gb": round(ram_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "postgresql": postgresql,
        "wrk": (wrk.stdout + wrk.stderr).strip().splitlines()[0].split(" [")[0],
        "platform": platform.platform(),
        # Other work on the machine skews every figure: a run on a busy machine shows it here.
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def git(tree: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(tree), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


class Processes:
    """Everything the bench starts, each in its own process group, stopped in reverse."""

    def __init__(self, work: Path):
        self.work = work
        self.running: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, command: list[str], *, cwd: Path, env: dict) -> subprocess.Popen:
        log = open(self.work / f"{name}.log", "a")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.running.append((name, process))
        return process

    def stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        self.running = [(n, p) for n, p in self.running if p is not process]

    def stop_all(self) -> None:
        for _, process in reversed(list(self.running)):
            self.stop(process)

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.work / f"{name}.log"
        return "\n".join(path.read_text().splitlines()[-lines:]) if path.exists() else ""


class Tree:
    """One checkout of the project being measured, with its own database and ports."""

    def __init__(self, *, path: Path, label: str, database: str, ports: range, stand_ins: dict):
        self.path = path
        self.label = label
        self.database = database
        self.site_port = ports[0]
        self.site = f"http://127.0.0.1:{self.site_port}"
        venv = path / ".venv" / "bin"
        venv = venv if (venv / "python").exists() else ROOT / ".venv" / "bin"
        self.python = str(venv / "python")
        self.gunicorn = str(venv / "gunicorn")
        self.env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(
                    ("AWS_", "DATABASE_URL", "DJANGO_", "STRIPE_", "REDIS_", "PAGE_CACHE")
                )
            },
            "PYTHONPATH": str(path),
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            # A fresh random key and fake Stripe keys each run: nothing shipped, as production
            # insists; test-mode keys, the stand-in being Stripe's test mode.
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": self.site,
            "DATABASE_URL": f"{POSTGRES}/{database}",
            "REDIS_URL": REDIS_URL,
            "TRUSTED_PROXY_COUNT": "0",
            "STRIPE_TEST_MODE": "true",
            "STRIPE_SECRET_KEY": f"sk_test_{secrets.token_hex(12)}",
            "STRIPE_PUBLISHABLE_KEY": f"pk_test_{secrets.token_hex(12)}",
            "STRIPE_WEBHOOK_SECRET": f"whsec_{secrets.token_hex(12)}",
            "STRIPE_API_BASE": stand_ins["stripe"],
            "STRIPE_JS_URL": f"{stand_ins['stripe']}/js.stripe.com/v3/",
            "AWS_STORAGE_BUCKET_NAME": MEDIA_BUCKET,
            "AWS_PRIVATE_BUCKET_NAME": PRIVATE_BUCKET,
            "AWS_S3_ENDPOINT_URL": stand_ins["s3"],
            "AWS_S3_ADDRESSING_STYLE": "path",
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": secrets.token_hex(16),
            "EMAIL_URL": "dummymail://",
            # Lighthouse cannot send X-Forwarded-Proto, so the site must answer plain HTTP;
            # wrk still sends the header and the site sees HTTPS as behind the proxy.
            "SECURE_SSL_REDIRECT": "false",
            # wrk sends hundreds of API requests a second from one address; the throttle stays
            # on (its cache work is measured) with a limit it never reaches.
            "API_ANON_THROTTLE_RATE": "10000000/minute",
        }

    def settings_described(self, args) -> dict:
        return {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "gunicorn": f"{args.workers} sync workers",
            "PAGE_CACHE_SECONDS": "its default (cached) / 0 (uncached)",
            "cache": "Redis (db 5, flushed before each start)",
            "media": "S3 on moto",
            "wrk": f"{args.threads} threads, {args.connections} connections, "
            f"{args.duration} s after {args.warmup} s warm-up",
            "headers": "X-Forwarded-Proto: https",
            "SECURE_SSL_REDIRECT": "false (for Lighthouse)",
            "API_ANON_THROTTLE_RATE": self.env["API_ANON_THROTTLE_RATE"],
            "TRUSTED_PROXY_COUNT": "0",
        }

    def run(self, *args: str, timeout: float = 600, env: dict | None = None, check=True):
        return subprocess.run(
            [self.python, *args],
            cwd=self.path,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
        )

    def manage(self, *args: str, timeout: float = 600, env: dict | None = None):
        try:
            return self.run("manage.py", *args, timeout=timeout, env=env)
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(
                f"manage.py {' '.join(args)} failed:\n{(exc.stdout + exc.stderr)[-3000:]}"
            ) from exc


def database_recreate(name: str) -> None:
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def database_drop(name: str) -> None:
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def redis_flush() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def s3_reset(s3: str) -> None:
    """Empty moto, then make the media and the private bucket."""
    import boto3

    urllib.request.urlopen(  # noqa: S310 (loopback)
        urllib.request.Request(f"{s3}/moto-api/reset", method="POST"), timeout=10
    ).close()
    client = boto3.client(
        "s3",
        endpoint_url=s3,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",  # noqa: S106 (moto accepts anything)
    )
    for bucket in (MEDIA_BUCKET, PRIVATE_BUCKET):
        client.create_bucket(Bucket=bucket)


def media_bucket_open(tree: Tree) -> None:
    """The public-read policy on the media prefix, put there by the site's own command as an
    operator would (checkouts from before the command sign every media address instead)."""
    command = tree.path / "media_config" / "management" / "commands" / "media_bucket_policy.py"
    if command.exists():
        tree.manage("media_bucket_policy", "--apply")


@contextmanager
def site_running(procs: Processes, tree: Tree, args, *, page_cache: str | None):
    """gunicorn with production settings; page_cache None keeps PAGE_CACHE_SECONDS's default."""
    redis_flush()
    env = dict(tree.env)
    if page_cache is not None:
        env["PAGE_CACHE_SECONDS"] = page_cache
    if not port_free(tree.site_port):
        raise RuntimeError(f"port {tree.site_port} is taken")
    process = procs.start(
        f"site-{tree.label}",
        [
            tree.gunicorn,
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{tree.site_port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            "sync",
            "--timeout",
            "60",
        ],
        cwd=tree.path,
        env=env,
    )
    try:
        wait_for_url(f"{tree.site}/healthz", timeout=90)
        yield
    except Exception:
        say(f"site log:\n{procs.log_tail(f'site-{tree.label}')}")
        raise
    finally:
        procs.stop(process)


def fetch(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """One request as wrk sends it (no cookies): status, headers, the body as sent."""
    request = urllib.request.Request(url, headers={**PROXY_HEADERS, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def pages_discover(tree: Tree) -> dict[str, str]:
    """Every page's path: the fixed ones, the stylesheet the article links, the product page
    and the article's address in the pages API."""
    paths = dict(PAGE_PATHS)
    _, _, body = fetch(f"{tree.site}/")
    html = body.decode(errors="replace")
    css = re.search(r'<link[^>]+href="(/static/[^"]+\.css)"', html)
    if css:
        paths = {"static CSS": css.group(1), **paths}
    _, _, body = fetch(f"{tree.site}/api/shop/products/")
    try:
        paths["product"] = urllib.parse.urlsplit(json.loads(body)["items"][0]["url"]).path
    except (ValueError, KeyError, IndexError) as exc:
        say(f"no product found in the API ({exc}); product page skipped")
    request = urllib.request.Request(
        f"{tree.site}/api/v2/pages/find/?html_path=/", headers=PROXY_HEADERS
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        urllib.request.build_opener(NoRedirect).open(request, timeout=30)
    except urllib.error.HTTPError as exc:
        found = re.search(r"/api/v2/pages/(\d+)/", exc.headers.get("Location", ""))
        if found:
            paths["pages API"] = f"/api/v2/pages/{found.group(1)}/"
    return paths


def wrk_measure(wrk: str, url: str, args) -> dict:
    """A short warm-up, then the measurement, both from wrk in its own process."""
    headers = [item for k, v in PROXY_HEADERS.items() for item in ("-H", f"{k}: {v}")]
    common = [wrk, f"-t{args.threads}", f"-c{args.connections}", "--timeout", "10s", *headers]
    subprocess.run(
        [*common, f"-d{args.warmup}s", url], capture_output=True, timeout=args.warmup + 30
    )
    result = subprocess.run(
        [*common, f"-d{args.duration}s", "-s", str(LUA), url],
        capture_output=True,
        text=True,
        timeout=args.duration + 60,
        check=True,
    )
    return report.wrk_parse(result.stdout)


def page_measure(wrk: str, tree: Tree, name: str, path: str, variant: str, args) -> dict:
    url = f"{tree.site}{path}"
    status, plain_headers, plain = fetch(url)
    # Twice: a page cache may only store the compressed answer on the second ask.
    fetch(url, COMPRESSED_HEADERS)
    _, headers, compressed = fetch(url, COMPRESSED_HEADERS)
    row = {
        "name": name,
        "path": path,
        "variant": variant,
        "status": status,
        "bytes_plain": len(plain),
        "bytes_compressed": len(compressed),
        "content_encoding": headers.get("Content-Encoding", ""),
        "cache_control": plain_headers.get("Cache-Control", ""),
        "vary": plain_headers.get("Vary", ""),
        "sets_cookie": "Set-Cookie" in plain_headers,
        **wrk_measure(wrk, url, args),
    }
    say(
        f"{tree.label} {variant:>14} {name:<11} {row['requests_per_second']:>8.1f} req/s "
        f"p50 {row['p50_ms']:.1f} ms p99 {row['p99_ms']:.1f} ms non-2xx {row['non_2xx']} "
        f"{row['bytes_plain']} B / {row['bytes_compressed']} B {row['content_encoding']}"
    )
    return row


def queries_count(tree: Tree, paths: dict[str, str]) -> dict:
    result = tree.run(
        str(COUNT_QUERIES), *paths.values(), env={"PAGE_CACHE_SECONDS": "0"}, timeout=300
    )
    by_path = json.loads(result.stdout.strip().splitlines()[-1])
    return {name: by_path[path] for name, path in paths.items()}


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    return found.group(1) if found else ""


class Visitor:
    """A browser on plain HTTP, as Lighthouse's browser is later with the same cookies (the
    site then builds http:// redirects; with X-Forwarded-Proto it would send https:// ones
    that nothing here answers)."""

    def __init__(self, site: str):
        self.site = site
        # The site marks its cookies Secure (it believes it is behind HTTPS), so the jar
        # must send them over this plain-HTTP hop too.
        policy = http.cookiejar.DefaultCookiePolicy(secure_protocols=("https", "wss", "http"))
        self.cookies = http.cookiejar.CookieJar(policy)
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def open(self, path: str, fields: dict | None = None, referer: str = "") -> tuple[str, str]:
        data = urllib.parse.urlencode(fields).encode() if fields is not None else None
        headers = {"Referer": self.site + referer} if data else {}
        request = urllib.request.Request(self.site + path, data=data, headers=headers)
        with self.opener.open(request, timeout=30) as response:
            return response.geturl(), response.read().decode(errors="replace")

    def cookie_header(self) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.cookies)


def visitor_at_payment_step(tree: Tree, product_path: str) -> str:
    """A new customer with the program in the basket who reached the payment step, driven as
    a browser would; returns their cookies as a Cookie header."""
    visitor = Visitor(tree.site)
    _, page = visitor.open(product_path)
    product_id = re.search(r'name="product" value="(\d+)"', page)
    if not product_id:
        raise RuntimeError("no Start free tryout button on the product page")
    # The button puts the program in the basket and leads a visitor without an account to
    # the sign-in page, which also registers.
    url, page = visitor.open(
        "/shop/checkout/start-tryout/",
        {"csrfmiddlewaretoken": csrf_token(page), "product": product_id.group(1)},
        product_path,
    )
    sign_in = urllib.parse.urlsplit(url)
    sign_in_path = sign_in.path + (f"?{sign_in.query}" if sign_in.query else "")
    password = secrets.token_urlsafe(16)
    url, _ = visitor.open(
        sign_in_path,
        {
            "csrfmiddlewaretoken": csrf_token(page),
            "registration-email": f"bench-{secrets.token_hex(4)}@example.com",
            "registration-password1": password,
            "registration-password2": password,
            "registration-redirect_url": "/shop/checkout/",
            "registration_submit": "Register",
        },
        sign_in_path,
    )
    if "/shop/checkout/payment-details/" not in url:
        raise RuntimeError(f"the checkout ended at {url}")
    return visitor.cookie_header()


def instrument(tree: Tree, relative: str, args) -> Path | None:
    """A measuring script: the running bench's own copy first, then the measured tree's, then
    those in --instruments (checkouts that have it when neither does yet)."""
    for base in (ROOT, tree.path, *args.instruments):
        if (base / relative).exists():
            return base / relative
    return None


def lighthouse_run(tree: Tree, pages: dict[str, str], work: Path, args) -> dict:
    audit = instrument(tree, "bench/lighthouse/audit.py", args)
    if audit is None:
        return {"available": False, "reason": "bench/lighthouse/audit.py is not in this tree"}
    targets = {"article": pages["article"]}
    if "product" in pages:
        targets["product page"] = pages["product"]
    out: dict = {"available": True, "pages": []}
    runs = [(targets, None)]
    try:
        cookie = visitor_at_payment_step(tree, pages["product"])
        runs.append(({"payment step": "/shop/checkout/payment-details/"}, cookie))
    except (RuntimeError, KeyError, OSError) as exc:
        out.setdefault("problems", []).append(f"payment step not reached: {exc}")
    for group, cookie in runs:
        command = [tree.python, str(audit), "--out", str(work / "lighthouse")]
        if cookie:
            command += ["--cookie", cookie]
        command += [f"{tree.site}{path}" for path in group.values()]
        result = subprocess.run(
            command, cwd=ROOT, env=tree.env, capture_output=True, text=True, timeout=600
        )
        if result.returncode != 0:
            out.setdefault("problems", []).append(
                f"audit.py exit {result.returncode}: {(result.stderr or result.stdout)[-500:]}"
            )
            continue
        answer = json.loads(result.stdout.strip().splitlines()[-1])
        for name, page in zip(group, answer["pages"], strict=False):
            out["pages"].append({"name": name, **page})
    if not out["pages"]:
        return {"available": False, "reason": "; ".join(out.get("problems", ["no page"]))}
    return out


def billing_run(tree: Tree, args) -> dict:
    script = instrument(tree, "bench/billing_run_bench.py", args)
    if script is None:
        return {"available": False, "reason": "bench/billing_run_bench.py is not in this tree"}
    runs = []
    for plans in args.billing_plans:
        say(f"{tree.label} billing_run with {plans:,} due plans")
        # Bounded, with room for ~25 plans a second plus seeding (one stand-in call per plan).
        limit = 120 + plans * 0.045
        try:
            result = tree.run(str(script), "--plans", str(plans), timeout=limit, check=False)
        except subprocess.TimeoutExpired:
            runs.append({"plans": plans, "error": f"took over {limit:.0f} s"})
            continue
        lines = result.stdout.strip().splitlines()
        try:
            runs.append(json.loads(lines[-1]))
        except (IndexError, ValueError):
            tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
            runs.append({"plans": plans, "error": f"exit {result.returncode}: {tail[0][:200]}"})
        say(f"{tree.label} billing_run: {runs[-1]}")
    return {"available": True, "runs": runs}


def tree_measure(procs: Processes, tree: Tree, wrk: str, args, work: Path) -> dict:
    began = time.monotonic()
    result: dict = {
        "label": tree.label,
        "tree": str(tree.path),
        "commit": git(tree.path, "rev-parse", "HEAD"),
        "commit_subject": git(tree.path, "log", "-1", "--format=%s"),
        "dirty": bool(git(tree.path, "status", "--porcelain", "--untracked-files=no")),
        "date": datetime.now(tz=UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine_describe(),
        "settings": tree.settings_described(args),
        "pages": [],
        "problems": [],
    }
    say(f"{tree.label}: database {tree.database}, migrating ({tree.path})")
    database_recreate(tree.database)
    s3_reset(args.stand_ins["s3"])
    # Static files need no database: collected (and compressed) while the migrations run.
    collecting = subprocess.Popen(
        [tree.python, "manage.py", "collectstatic", "--noinput"],
        cwd=tree.path,
        env=tree.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        tree.manage("migrate", "--noinput")
        say(f"{tree.label}: demo content")
        tree.manage("load_demo_content")
        tree.manage("sync_site_records")
        media_bucket_open(tree)
        _, errors = collecting.communicate(timeout=600)
        if collecting.returncode:
            raise RuntimeError(f"collectstatic failed:\n{errors[-3000:]}")

        page_cache_default = tree.manage(
            "shell",
            "-c",
            "from django.conf import settings; "
            "print(getattr(settings, 'PAGE_CACHE_SECONDS', 'not a setting'))",
        ).stdout.splitlines()[-1]
        result["settings"]["PAGE_CACHE_SECONDS"] = f"{page_cache_default} (cached) / 0 (uncached)"
        paths: dict[str, str] = {}
        for variant, page_cache in (("cached", None), ("uncached", "0")):
            with site_running(procs, tree, args, page_cache=page_cache):
                paths = paths or pages_discover(tree)
                for name, path in paths.items():
                    result["pages"].append(page_measure(wrk, tree, name, path, variant, args))
                if variant == "cached" and not args.skip_lighthouse:
                    say(f"{tree.label}: Lighthouse")
                    result["lighthouse"] = lighthouse_run(tree, paths, work, args)
        say(f"{tree.label}: SQL queries per page (uncached)")
        queries = queries_count(tree, paths)

        say(f"{tree.label}: adding {GROWN_TERMS:,} glossary terms")
        grown = json.loads(
            tree.run(str(GROW_GLOSSARY), "--terms", str(GROWN_TERMS)).stdout.splitlines()[-1]
        )
        result["grown"] = grown
        # The saves queued ~2,000 background tasks (search and reference indexes) that no page
        # reads; a worker would take minutes over them. The page cache needs no purge either:
        # Redis is emptied and gunicorn started afresh for each measurement.
        grown_paths = {name: paths[name] for name in ("article", "glossary")}
        for variant, page_cache in (("grown cached", None), ("grown uncached", "0")):
            with site_running(procs, tree, args, page_cache=page_cache):
                for name, path in grown_paths.items():
                    result["pages"].append(page_measure(wrk, tree, name, path, variant, args))
        grown_queries = queries_count(tree, grown_paths)

        for row in result["pages"]:
            counted = (grown_queries if row["variant"].startswith("grown") else queries).get(
                row["name"]
            )
            if counted and row["variant"].endswith("uncached"):
                row["queries"] = counted["warm"]
                row["queries_cold"] = counted["cold"]
            if not row["requests"]:
                result["problems"].append(
                    f"{row['name']} ({row['variant']}): no answer within {args.duration} s"
                )
            if row["status"] != 200:
                result["problems"].append(f"{row['name']} ({row['variant']}): {row['status']}")
            if row["non_2xx"] or row["socket_errors"]:
                result["problems"].append(
                    f"{row['name']} ({row['variant']}): {row['non_2xx']} non-2xx, "
                    f"{row['socket_errors']} socket errors under load"
                )
        result["billing_run"] = (
            {"available": False, "reason": "skipped (--skip-billing)"}
            if args.skip_billing
            else billing_run(tree, args)
        )
        if "lighthouse" not in result:
            result["lighthouse"] = {"available": False, "reason": "skipped (--skip-lighthouse)"}
        result["problems"] += result["lighthouse"].get("problems", [])
    finally:
        if collecting.poll() is None:
            collecting.kill()
            collecting.wait(timeout=10)
        if not args.keep_database:
            database_drop(tree.database)
    result["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    result["ratios"] = report.ratios_compute(result["pages"])
    result["duration_seconds"] = round(time.monotonic() - began)
    return result


def results_write(result: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"site{report.slug_label(result['label'])}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    say(f"written {path.relative_to(ROOT)}")


def reports_render(baseline_label: str) -> None:
    def load(name: str) -> dict | None:
        path = RESULTS / name
        return json.loads(path.read_text()) if path.exists() else None

    current = load("site.json")
    baseline = load(f"site{report.slug_label(baseline_label)}.json")
    (RESULTS / "site.md").write_text(report.markdown_render(current, baseline) + "\n")
    if current:
        README.write_text(
            report.readme_replace(README.read_text(), report.readme_table_render(current, baseline))
        )
    say("written bench/results/site.md and the README's table")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, help="also measure this checkout of the project")
    parser.add_argument("--label", default="baseline", help="the --tree run's name")
    parser.add_argument("--skip-current", action="store_true", help="measure only --tree")
    parser.add_argument("--duration", type=int, default=8, help="seconds of wrk per page")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per page")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", default="backcare_bench")
    parser.add_argument("--baseline-database", default="backcare_bench_base")
    parser.add_argument("--port", type=int, default=8610, help="first of 6 loopback ports")
    parser.add_argument(
        "--instruments",
        type=Path,
        action="append",
        default=[],
        help="a checkout to take bench/lighthouse/audit.py or bench/billing_run_bench.py "
        "from when the measured trees lack them (may be repeated)",
    )
    parser.add_argument("--skip-lighthouse", action="store_true")
    parser.add_argument("--skip-billing", action="store_true")
    parser.add_argument(
        "--billing-plans",
        type=lambda text: [int(n) for n in text.split(",")],
        default=list(BILLING_PLANS),
        help="due plans for each billing_run, comma-separated (default 1000,10000)",
    )
    parser.add_argument("--keep-database", action="store_true")
    args = parser.parse_args()

    wrk = wrk_ensure()
    work = Path(tempfile.mkdtemp(prefix="bench-site-"))
    procs = Processes(work)
    # Ctrl-C and a plain kill both end in the finally below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    trees = []
    if not args.skip_current:
        trees.append((ROOT, "current", args.database))
    if args.tree:
        trees.append((args.tree.resolve(), args.label, args.baseline_database))
    if not trees:
        parser.error("nothing to measure: --skip-current needs --tree")
    try:
        s3_port, stripe_port = args.port + 4, args.port + 5
        args.stand_ins = {
            "s3": f"http://127.0.0.1:{s3_port}",
            "stripe": f"http://127.0.0.1:{stripe_port}",
        }
        say(f"stand-ins: moto on {s3_port}, Stripe on {stripe_port}; logs in {work}")
        bin_dir = ROOT / ".venv" / "bin"
        procs.start(
            "moto",
            [str(bin_dir / "moto_server"), "-H", "127.0.0.1", "-p", str(s3_port)],
            cwd=ROOT,
            env=dict(os.environ),
        )
        procs.start(
            "stripe",
            [str(bin_dir / "python"), "scripts/stripe_standin.py", "--port", str(stripe_port)],
            cwd=ROOT,
            env=dict(os.environ),
        )
        wait_for_url(f"{args.stand_ins['s3']}/moto-api/", timeout=60)
        wait_for_url(f"{args.stand_ins['stripe']}/js.stripe.com/v3/", timeout=60)
        for number, (path, label, database) in enumerate(trees):
            tree = Tree(
                path=path,
                label=label,
                database=database,
                ports=range(args.port + 2 * number, args.port + 2 * number + 2),
                stand_ins=args.stand_ins,
            )
            results_write(tree_measure(procs, tree, wrk, args, work))
        reports_render(args.label)
    finally:
        procs.stop_all()
        if os.environ.get("BENCH_KEEP_LOGS"):
            say(f"logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    say("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
