"""A few minutes of mixed traffic against the real stack on PostgreSQL, then the money checks.

Builds a fresh PostgreSQL database with the demo site, starts the Stripe stand-in and the site
under gunicorn on loopback ports, and lets Locust (from its own `.venv-bench`) send readers,
buyers, customers downloading their program and a webhook replayer at it, while a clock
runs `billing_run` with the time moved forward. Then `billing_check` compares every plan with
the stand-in, and the figures go to bench/results/load.md. Run with `make bench-load`.

Each simulated visitor comes from its own address through `X-Forwarded-For`, the site being
told one proxy stands in front (TRUSTED_PROXY_COUNT=1), so the per-address limits stay on.
Everything stops by itself: Locust after its run time, every command under a hard timeout.
LOAD_KEEP_LOGS=1 keeps the logs of the site, the stand-in and Locust; --keep-database keeps
the database for a look afterwards.
"""

import argparse
import csv
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
PY = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
LOCUST = str(ROOT / ".venv-bench" / "bin" / "locust")
RESULTS = ROOT / "bench" / "results" / "load.md"
STRIPE_SECRET = "sk_test_load_standin"
WEBHOOK_SECRET = "whsec_load_standin"
# How far the clock jumps at each billing run: into the week before the first payment (the
# reminder), past the end of the tryout (day 14), the retries after a decline, the second
# installment (day 42) and its retries.
CLOCK_DAYS = (8, 15, 17, 43, 46, 60)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_url(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
                if response.status < 500:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def say(text: str) -> None:
    print(f"[load {datetime.now(tz=UTC):%H:%M:%S}] {text}", flush=True)


class Stack:
    """The database, the stand-in and the site, and how to take them down again."""

    def __init__(self, *, pg_url: str, db_name: str, workers: int, work: Path):
        self.pg_url = pg_url.rstrip("/")
        self.db_name = db_name
        self.workers = workers
        self.work = work
        self.processes: list[subprocess.Popen] = []
        self.standin_port = free_port()
        self.site_port = free_port()
        self.standin = f"http://127.0.0.1:{self.standin_port}"
        self.site = f"http://127.0.0.1:{self.site_port}"
        self.env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("AWS_", "DATABASE_URL", "DJANGO_", "STRIPE_", "REDIS_"))
            },
            # Production needs S3 and real secrets; dev settings with DEBUG off are the
            # closest that runs on local files (no debug pages, no debug toolbar, real 500s).
            "DJANGO_SETTINGS_MODULE": "config.settings.dev",
            "DEBUG": "false",
            "DATABASE_URL": f"{self.pg_url}/{db_name}",
            "CONN_MAX_AGE": "60",
            "STRIPE_API_BASE": self.standin,
            "STRIPE_JS_URL": f"{self.standin}/js.stripe.com/v3/",
            "STRIPE_SECRET_KEY": STRIPE_SECRET,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "SITE_URL": self.site,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "TRUSTED_PROXY_COUNT": "1",
            "EMAIL_URL": "dummymail://",
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "plain",
        }

    def database_recreate(self) -> None:
        with psycopg.connect(f"{self.pg_url}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{self.db_name}"')

    def database_drop(self) -> None:
        with psycopg.connect(f"{self.pg_url}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')

    def manage(self, *args: str, timeout: float = 300, check: bool = True):
        return subprocess.run(
            [PY, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
        )

    def start(self, name: str, command: list[str]) -> subprocess.Popen:
        log = open(self.work / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def up(self) -> None:
        say(f"database {self.db_name}: fresh, migrating, demo content")
        self.database_recreate()
        self.manage("migrate", "--noinput", timeout=600)
        self.manage("load_demo_content")
        self.manage("sync_site_records")
        # The author lets a card that already had its tryout buy on the installments, first
        # payment at once: the load then also takes money at checkout.
        self.manage(
            "shell",
            "-c",
            "from shop.billing.models import TrialOffer; "
            "TrialOffer.objects.update(sell_without_trial=True)",
        )
        say(f"Stripe stand-in on {self.standin}")
        self.start("standin", [PY, "scripts/stripe_standin.py", "--port", str(self.standin_port)])
        wait_for_url(f"{self.standin}/js.stripe.com/v3/", timeout=30)
        # The stand-in sends payment_intent.* events to the site, as Stripe would.
        data = urllib.parse.urlencode(
            {"url": f"{self.site}/shop/stripe/webhook/", "secret": WEBHOOK_SECRET}
        ).encode()
        request = urllib.request.Request(
            f"{self.standin}/_config/webhooks/load-site",
            data=data,
            headers={"Authorization": f"Bearer {STRIPE_SECRET}"},
        )
        urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 (loopback)
        say(f"site under gunicorn ({self.workers} workers) on {self.site}")
        self.start(
            "site",
            [
                GUNICORN,
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{self.site_port}",
                "--workers",
                str(self.workers),
                "--timeout",
                "60",
            ],
        )
        wait_for_url(f"{self.site}/healthz", timeout=60)

    def down(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def clock_runs(stack: Stack, *, first: float, last: float, log: list[dict]) -> None:
    """Billing runs spread over the load, each with the clock moved further forward; a run
    that starts late (the one before took long) starts at once, none is skipped."""
    started = datetime.now(tz=UTC)
    began_at = time.monotonic()
    step = (last - first) / max(len(CLOCK_DAYS) - 1, 1)
    for number, days in enumerate(CLOCK_DAYS):
        time.sleep(max(0.0, began_at + first + number * step - time.monotonic()))
        at = started + timedelta(days=days)
        began = time.monotonic()
        result = stack.manage("billing_run", "--now", at.isoformat(), timeout=240, check=False)
        log.append(
            {
                "days": days,
                "seconds": round(time.monotonic() - began, 1),
                "code": result.returncode,
                "output": (result.stdout + result.stderr).strip()[-600:],
            }
        )
        say(f"billing_run at +{days} days: {log[-1]['output'][:200]}")


def database_figures(stack: Stack) -> dict:
    queries = {
        "users": "SELECT count(*) FROM auth_user",
        "orders": "SELECT count(*) FROM order_order",
        "plans": "SELECT status, count(*) FROM billing_installmentplan GROUP BY 1 ORDER BY 1",
        "charges": "SELECT status, count(*) FROM billing_scheduledcharge GROUP BY 1 ORDER BY 1",
        "plan events": "SELECT kind, count(*) FROM billing_planevent GROUP BY 1 ORDER BY 1",
        "Stripe events recorded": "SELECT count(*) FROM billing_stripeevent",
        "download grants": "SELECT count(*) FROM downloads_downloadgrant",
        # Every email owed is one row (unique per order, kind and event): sent or still waiting.
        "emails owed, by sent": (
            "SELECT sent_at IS NOT NULL, count(*) FROM billing_outgoingemail GROUP BY 1 ORDER BY 1"
        ),
        (
            "emails in the orders' history (kinds with a text in Communications; the 1 "
            "confirmation per order uses Oscar's built-in text and is not listed there)"
        ): ("SELECT count(*) FROM order_communicationevent"),
    }
    figures = {}
    with psycopg.connect(stack.env["DATABASE_URL"]) as connection:
        for label, sql in queries.items():
            try:
                rows = connection.execute(sql).fetchall()
            except psycopg.Error as exc:
                connection.rollback()
                figures[label] = f"(not read: {exc.__class__.__name__})"
                continue
            figures[label] = rows[0][0] if len(rows[0]) == 1 else dict(rows)
    return figures


def locust_stats(prefix: Path) -> list[dict]:
    with open(f"{prefix}_stats.csv", newline="") as file:
        return list(csv.DictReader(file))


def report_write(
    *,
    args,
    started,
    finished,
    stats,
    statuses,
    clock_log,
    check,
    figures,
    locust_code,
    setup_seconds,
) -> tuple[int, int, int]:
    rows = [r for r in stats if r["Name"] != "Aggregated"]
    total = next((r for r in stats if r["Name"] == "Aggregated"), None)
    five_xx = sum(n for code, n in statuses["codes"].items() if code.startswith("5"))
    too_many = statuses["codes"].get("429", 0)
    lines = [
        "# Load test: mixed traffic on PostgreSQL",
        "",
        f"Run by `make bench-load` (bench/load/run.py, Locust from .venv-bench). Date: "
        f"{started:%Y-%m-%d %H:%M} UTC, {(finished - started).total_seconds():.0f} s in all, "
        f"of which {setup_seconds:.0f} s building the database (migrations on a shared machine).",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, PostgreSQL on loopback; everything on this one machine "
        "(Locust, gunicorn, the stand-in and PostgreSQL share the cores).",
        f"Site: gunicorn, {args.workers} sync workers, config.settings.dev with DEBUG off "
        "(production settings need S3 and real secrets), local file storage, "
        "TRUSTED_PROXY_COUNT=1 and one X-Forwarded-For address per simulated visitor, "
        "so no rate limit was raised.",
        f"Load: {args.users} users (spawn rate {args.spawn_rate}/s) for {args.run_time}; "
        f"billing_run at +{', +'.join(str(d) for d in CLOCK_DAYS)} days during the run and once "
        "more after it. Locust exit code: "
        f"{locust_code}.",
        "",
        "## Requests",
        "",
        "| group | requests | failures | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in sorted(rows, key=lambda r: r["Name"]):
        lines.append(
            f"| {r['Name']} | {r['Request Count']} | {r['Failure Count']} | {r['50%']} | "
            f"{r['95%']} | {float(r['Max Response Time']):.0f} |"
        )
    if total:
        lines.append(
            f"| **all** | {total['Request Count']} | {total['Failure Count']} | {total['50%']} "
            f"| {total['95%']} | {float(total['Max Response Time']):.0f} |"
        )
    codes = ", ".join(f"{c}: {n}" for c, n in sorted(statuses["codes"].items()))
    lines += [
        "",
        f"Status codes: {codes}.",
        f"**5xx: {five_xx}** (must be 0). 429 (rate limited): {too_many}. The 400s are "
        "expected answers, counted as successes: forged webhooks refused, and checkouts "
        "refused with a message (a card that already had its tryout, a declined card).",
        f"Requests per second (all groups): {float(total['Requests/s']):.1f}." if total else "",
        "",
        "What the simulated visitors did: "
        + ", ".join(f"{k}: {v}" for k, v in sorted(statuses["actions"].items()))
        + ".",
        "",
        "## Clock (billing_run with the time moved forward)",
        "",
    ]
    for entry in clock_log:
        lines.append(
            f"- +{entry['days']} days, {entry['seconds']} s, exit {entry['code']}: "
            f"{entry['output'].splitlines()[-1] if entry['output'] else ''}"
        )
    lines += ["", "## Database afterwards", ""]
    for label, value in figures.items():
        lines.append(f"- {label}: {value}")
    lines += [
        "",
        "## Money invariants (`manage.py billing_check`, database and stand-in)",
        "",
        f"Exit code {check['code']}. {check['summary']}",
    ]
    if check["problems"]:
        lines += ["", "```", *check["problems"][:40], "```"]
    lines += ["", "## Findings", ""]
    if five_xx == 0 and check["code"] == 0:
        lines.append(
            "No defect found: no 5xx and no broken invariant, so nothing was fixed after this "
            "run (no before/after to show)."
        )
    else:
        lines.append(
            "DEFECT: the run found 5xx answers or broken invariants (above); each needs a "
            "failing test and a fix before this file is committed."
        )
    lines.append("")
    RESULTS.write_text("\n".join(lines))
    return five_xx, too_many, check["code"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=24)
    parser.add_argument("--spawn-rate", type=float, default=4)
    parser.add_argument("--run-time", default="3m")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--database", default=os.environ.get("LOAD_DATABASE", "backcare_load"))
    parser.add_argument(
        "--postgres", default=os.environ.get("LOAD_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--keep-database", action="store_true")
    args = parser.parse_args()
    if not Path(LOCUST).exists():
        print("Locust is missing: run `make bench-load` (it builds .venv-bench).", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    stack = Stack(pg_url=args.postgres, db_name=args.database, workers=args.workers, work=work)
    started = datetime.now(tz=UTC)
    clock_log: list[dict] = []
    try:
        stack.up()
        setup_seconds = (datetime.now(tz=UTC) - started).total_seconds()
        statuses_file = work / "statuses.json"
        seconds = _seconds(args.run_time)
        clock = threading.Thread(
            target=clock_runs,
            args=(stack,),
            kwargs={"first": seconds * 0.15, "last": seconds * 0.8, "log": clock_log},
            daemon=True,
        )
        clock.start()
        say(f"Locust: {args.users} users for {args.run_time}")
        locust = subprocess.run(
            [
                LOCUST,
                "-f",
                str(ROOT / "bench" / "load" / "locustfile.py"),
                "--headless",
                "-u",
                str(args.users),
                "-r",
                str(args.spawn_rate),
                "--run-time",
                args.run_time,
                "--stop-timeout",
                "20",
                "--host",
                stack.site,
                "--csv",
                str(work / "locust"),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env={
                **stack.env,
                "LOAD_STRIPE_BASE": stack.standin,
                "LOAD_STRIPE_SECRET": STRIPE_SECRET,
                "LOAD_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "LOAD_STATUSES_FILE": str(statuses_file),
            },
            capture_output=True,
            text=True,
            timeout=seconds + 180,
        )
        (work / "locust.log").write_text(locust.stdout + locust.stderr)
        clock.join(timeout=600)
        # The stand-in sends its events about a second after each payment.
        time.sleep(3)
        final = (started + timedelta(days=CLOCK_DAYS[-1] + 15)).isoformat()
        began = time.monotonic()
        result = stack.manage("billing_run", "--now", final, timeout=300, check=False)
        clock_log.append(
            {
                "days": CLOCK_DAYS[-1] + 15,
                "seconds": round(time.monotonic() - began, 1),
                "code": result.returncode,
                "output": (result.stdout + result.stderr).strip()[-600:],
            }
        )
        time.sleep(3)
        say("billing_check: every plan against the stand-in")
        checked = stack.manage("billing_check", timeout=600, check=False)
        out = checked.stdout.strip().splitlines()
        check = {
            "code": checked.returncode,
            "summary": out[-1] if out else checked.stderr.strip()[-500:],
            "problems": list(out[:-1]) + checked.stderr.strip().splitlines()[-20:],
        }
        figures = database_figures(stack)
        statuses = (
            json.loads(statuses_file.read_text())
            if statuses_file.exists()
            else {"codes": {}, "actions": {}}
        )
        finished = datetime.now(tz=UTC)
        five_xx, too_many, check_code = report_write(
            args=args,
            started=started,
            finished=finished,
            stats=locust_stats(work / "locust"),
            statuses=statuses,
            clock_log=clock_log,
            check=check,
            figures=figures,
            locust_code=locust.returncode,
            setup_seconds=setup_seconds,
        )
        say(f"5xx: {five_xx}, 429: {too_many}, billing_check exit {check_code}; see {RESULTS}")
        if os.environ.get("LOAD_KEEP_LOGS") is not None:
            say(f"logs in {work}")
        return 0 if five_xx == 0 and check_code == 0 else 1
    finally:
        stack.down()
        if not args.keep_database:
            stack.database_drop()
        if os.environ.get("LOAD_KEEP_LOGS") is None:
            shutil.rmtree(work, ignore_errors=True)


def _seconds(run_time: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600}
    return int(run_time[:-1]) * units[run_time[-1]] if run_time[-1] in units else int(run_time)


if __name__ == "__main__":
    sys.exit(main())
