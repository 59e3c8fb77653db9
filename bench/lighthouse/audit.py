"""Audit pages with Lighthouse (mobile, the default form factor) in Debian's Chromium, offline.

    .venv/bin/python bench/lighthouse/audit.py --out DIR [--cookie 'k=v; k2=v2'] [--runs N] URL...

Installs the pinned Lighthouse (package-lock.json) with `npm ci` when it is missing, audits
each URL in turn, keeps every full JSON report in DIR and prints one JSON object to stdout:

    {"pages": [{"url", "performance", "accessibility", "best_practices", "seo",
                "transfer_bytes", "offsite_requests": [urls]}]}

Scores are 0-100. With --runs N each page is audited N times and the run with the median
performance score is reported (Lighthouse's own advice: one run on a busy machine varies by
several points). `offsite_requests` lists every request the page made to a host other than
the site's own loopback one: Chromium resolves no outside host here, so such a request fails
instead of leaving the machine, but it is still made and counted.
"""

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
LIGHTHOUSE = HERE / "node_modules" / ".bin" / "lighthouse"
CHROME_PATH = "/usr/bin/chromium"
CHROME_FLAGS = " ".join(
    [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        # Without it Chromium looks outside hosts up; the EXCLUDE keeps 127.0.0.1 working.
        '--host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"',
    ]
)
CATEGORIES = {
    "performance": "performance",
    "accessibility": "accessibility",
    "best_practices": "best-practices",
    "seo": "seo",
}
OWN_HOSTS = {"127.0.0.1", "localhost"}
RUN_TIMEOUT_SECONDS = 180
# Lighthouse now and then misses the trace of a load ("NO_NAVSTART") and says to run again.
ATTEMPTS = 3


def install_lighthouse() -> None:
    """`npm ci` from the lock file, once: node_modules is not kept in the repository."""
    if LIGHTHOUSE.exists():
        return
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=HERE,
        check=True,
        stdout=sys.stderr,
        timeout=600,
    )


def report_name(url: str) -> str:
    parts = urlsplit(url)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", f"{parts.path}{parts.query}").strip("-")
    return f"{slug or 'root'}.report.json"


def run_lighthouse(url: str, report: Path, cookie: str | None) -> dict:
    command = [
        str(LIGHTHOUSE),
        url,
        "--output=json",
        f"--output-path={report}",
        f"--chrome-flags={CHROME_FLAGS}",
        "--only-categories=" + ",".join(CATEGORIES.values()),
        "--quiet",
    ]
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    for attempt in range(1, ATTEMPTS + 1):
        finished = subprocess.run(
            command,
            env={**os.environ, "CHROME_PATH": CHROME_PATH},
            stdout=sys.stderr,
            timeout=RUN_TIMEOUT_SECONDS,
            check=False,
        )
        lhr = json.loads(report.read_text()) if report.exists() else {}
        if finished.returncode == 0 and not lhr.get("runtimeError"):
            return lhr
        print(f"Lighthouse failed on {url} (attempt {attempt} of {ATTEMPTS})", file=sys.stderr)
        report.unlink(missing_ok=True)
    raise SystemExit(f"Lighthouse could not audit {url}")


def is_offsite(request_url: str) -> bool:
    parts = urlsplit(request_url)
    # data: and blob: URLs are made inside the page; they go nowhere.
    if parts.scheme not in {"http", "https", "ws", "wss"}:
        return False
    return parts.hostname not in OWN_HOSTS


def summarise(url: str, lhr: dict) -> dict:
    audits = lhr["audits"]
    requests = (audits.get("network-requests", {}).get("details") or {}).get("items", [])
    summary = {"url": url}
    for key, category in CATEGORIES.items():
        score = lhr["categories"][category]["score"]
        summary[key] = None if score is None else round(score * 100)
    summary["transfer_bytes"] = int(audits["total-byte-weight"]["numericValue"])
    summary["offsite_requests"] = [item["url"] for item in requests if is_offsite(item["url"])]
    # What cost points, so a score below 100 says where to look.
    summary["failed_audits"] = sorted(
        audit_id
        for category in CATEGORIES.values()
        for ref in lhr["categories"][category]["auditRefs"]
        if ref["weight"] > 0
        and (audit_id := ref["id"]) in audits
        and audits[audit_id]["score"] is not None
        and audits[audit_id]["score"] < 1
    )
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, type=Path, help="folder for the full reports")
    parser.add_argument("--cookie", help="Cookie header sent with every request, 'k=v; k2=v2'")
    parser.add_argument("--runs", type=int, default=1, help="audits per page; the median is kept")
    parser.add_argument("urls", nargs="+", metavar="URL")
    args = parser.parse_args(argv)

    install_lighthouse()
    args.out.mkdir(parents=True, exist_ok=True)
    pages = []
    for url in args.urls:
        name = report_name(url)
        runs = []
        for run in range(1, args.runs + 1):
            report = args.out / (name if args.runs == 1 else f"run{run}.{name}")
            runs.append(run_lighthouse(url, report, args.cookie))
        runs.sort(key=lambda lhr: lhr["categories"]["performance"]["score"] or 0)
        median = runs[len(runs) // 2]
        if args.runs > 1:
            (args.out / name).write_text(json.dumps(median))
        pages.append(summarise(url, median))
    json.dump({"pages": pages}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
