"""The pure half of the site benchmark: reading wrk's answer, the ratios the goals name, the
Markdown tables and the README's table between its markers. No processes, no network: all of
it is tested in tests/bench/test_speed_report.py."""

import json
import re

WRK_RESULT_PREFIX = "BENCH_RESULT "
README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"

# (key, what the goal says, the least or most it may be, "min" or "max").
GOALS = [
    ("cached_article_over_static", "cached article / static CSS", 0.5, "min"),
    ("uncached_article_over_tiny_view", "uncached article / robots.txt", 0.03, "min"),
    ("uncached_article_queries", "uncached article, SQL queries", 12, "max"),
    (
        "grown_over_small_article_uncached",
        "article with +1,000 terms / article, uncached",
        0.9,
        "min",
    ),
    ("grown_over_small_article_cached", "article with +1,000 terms / article, cached", 0.9, "min"),
]

VARIANTS = ["cached", "uncached", "grown cached", "grown uncached"]


def wrk_parse(output: str) -> dict:
    """The figures of one wrk run, from the JSON line bench/speed/status.lua prints.

    wrk's own "Non-2xx or 3xx responses" counts only answers of 400 and more; the script
    counts every answer outside 2xx, so a redirect served fast is not taken for a page."""
    for line in output.splitlines():
        if line.startswith(WRK_RESULT_PREFIX):
            raw = json.loads(line[len(WRK_RESULT_PREFIX) :])
            break
    else:
        raise ValueError(f"no {WRK_RESULT_PREFIX.strip()} line in wrk's output: {output[-300:]!r}")
    seconds = raw["duration_us"] / 1_000_000
    errors = raw.get("errors", {})
    return {
        "requests": raw["requests"],
        "seconds": round(seconds, 2),
        "requests_per_second": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "p50_ms": round(raw["p50_us"] / 1000, 1),
        "p90_ms": round(raw["p90_us"] / 1000, 1),
        "p99_ms": round(raw["p99_us"] / 1000, 1),
        "max_ms": round(raw["max_us"] / 1000, 1),
        "non_2xx": raw["non_2xx"],
        "socket_errors": sum(errors.get(k, 0) for k in ("connect", "read", "write", "timeout")),
    }


def row_find(pages: list[dict], name: str, variant: str) -> dict | None:
    return next((p for p in pages if p["name"] == name and p["variant"] == variant), None)


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 3)


def ratios_compute(pages: list[dict]) -> dict:
    """The ratios issue goals name, from the measured rows (None where a row is missing)."""

    def rps(name: str, variant: str) -> float | None:
        row = row_find(pages, name, variant)
        return row["requests_per_second"] if row else None

    article_uncached = row_find(pages, "article", "uncached")
    return {
        "cached_article_over_static": _ratio(rps("article", "cached"), rps("static CSS", "cached")),
        "uncached_article_over_tiny_view": _ratio(
            rps("article", "uncached"), rps("robots.txt", "uncached")
        ),
        "uncached_article_queries": article_uncached.get("queries") if article_uncached else None,
        "grown_over_small_article_uncached": _ratio(
            rps("article", "grown uncached"), rps("article", "uncached")
        ),
        "grown_over_small_article_cached": _ratio(
            rps("article", "grown cached"), rps("article", "cached")
        ),
    }


def goal_met(key: str, value: float | None) -> bool | None:
    for goal_key, _, bound, kind in GOALS:
        if goal_key == key:
            if value is None:
                return None
            return value >= bound if kind == "min" else value <= bound
    return None


def readme_replace(readme: str, table: str) -> str:
    """The README with everything between the bench markers replaced by the table."""
    start, end = readme.find(README_START), readme.find(README_END)
    if start == -1 or end == -1 or end < start:
        raise ValueError(f"the README lacks the markers {README_START} ... {README_END}")
    return readme[: start + len(README_START)] + "\n" + table.strip() + "\n" + readme[end:]


def _number(value, digits: int = 0) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def _kb(value) -> str:
    return "–" if value is None else f"{value / 1024:.1f}"


def _page_names(pages: list[dict]) -> list[str]:
    names: list[str] = []
    for row in pages:
        if row["name"] not in names:
            names.append(row["name"])
    return names


def cookie_marks(row: dict) -> str:
    """What keeps a shared cache or a CDN from storing an anonymous answer."""
    marks = []
    if row.get("sets_cookie"):
        marks.append("Set-Cookie")
    if "cookie" in (row.get("vary") or "").lower():
        marks.append("Vary: Cookie")
    return ", ".join(marks) or "–"


def pages_table(result: dict) -> list[str]:
    """One line per page and variant: throughput, latency, queries and size."""
    lines = [
        "| page | variant | req/s | p50 ms | p99 ms | non-2xx | queries | KB plain | KB gzip/br "
        "| Cache-Control | cookies |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for name in _page_names(result["pages"]):
        for variant in VARIANTS:
            row = row_find(result["pages"], name, variant)
            if row is None:
                continue
            lines.append(
                f"| {name} | {variant} | {_number(row.get('requests_per_second'), 1)} "
                f"| {_number(row.get('p50_ms'), 1)} | {_number(row.get('p99_ms'), 1)} "
                f"| {_number(row.get('non_2xx'))} | {_number(row.get('queries'))} "
                f"| {_kb(row.get('bytes_plain'))} | {_kb(row.get('bytes_compressed'))}"
                f"{' (' + row['content_encoding'] + ')' if row.get('content_encoding') else ''} "
                f"| {row.get('cache_control') or '–'} | {cookie_marks(row)} |"
            )
    return lines


def comparison_table(current: dict, baseline: dict) -> list[str]:
    """Before and after side by side, for every page and variant both runs measured."""
    before_label, after_label = baseline["label"], current["label"]
    lines = [
        f"| page | variant | req/s {before_label} | req/s {after_label} | × | p50 ms "
        f"{before_label} | p50 ms {after_label} | queries {before_label} | queries {after_label} "
        f"| KB gzip/br {before_label} | KB gzip/br {after_label} |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in _page_names(current["pages"]):
        for variant in VARIANTS:
            after = row_find(current["pages"], name, variant)
            before = row_find(baseline["pages"], name, variant)
            if after is None or before is None:
                continue
            factor = _ratio(after.get("requests_per_second"), before.get("requests_per_second"))
            lines.append(
                f"| {name} | {variant} | {_number(before.get('requests_per_second'), 1)} "
                f"| {_number(after.get('requests_per_second'), 1)} | {_number(factor, 2)} "
                f"| {_number(before.get('p50_ms'), 1)} | {_number(after.get('p50_ms'), 1)} "
                f"| {_number(before.get('queries'))} | {_number(after.get('queries'))} "
                f"| {_kb(before.get('bytes_compressed'))} | {_kb(after.get('bytes_compressed'))} |"
            )
    return lines


def goals_table(results: list[dict]) -> list[str]:
    """The goals' ratios, one column per run (baseline first when there is one)."""
    header = "| goal | target | " + " | ".join(r["label"] for r in results) + " |"
    lines = [header, "|---|---|" + "---:|" * len(results)]
    for key, text, bound, kind in GOALS:
        cells = []
        for result in results:
            value = result["ratios"].get(key)
            met = goal_met(key, value)
            mark = "" if met is None else (" ✓" if met else " ✗")
            cells.append(
                f"{_number(value, 3) if isinstance(value, float) else _number(value)}{mark}"
            )
        target = f"{'≥' if kind == 'min' else '≤'} {bound}"
        lines.append(f"| {text} | {target} | " + " | ".join(cells) + " |")
    return lines


def lighthouse_lines(result: dict) -> list[str]:
    lighthouse = result.get("lighthouse") or {}
    if not lighthouse.get("available"):
        return [f"Lighthouse: not available ({lighthouse.get('reason', 'not run')})."]
    lines = [
        "| page | performance | accessibility | best practices | SEO | KB transferred "
        "| requests off the site |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for page in lighthouse["pages"]:
        lines.append(
            f"| {page.get('name', page.get('url'))} | {_number(page.get('performance'))} "
            f"| {_number(page.get('accessibility'))} | {_number(page.get('best_practices'))} "
            f"| {_number(page.get('seo'))} | {_kb(page.get('transfer_bytes'))} "
            f"| {len(page.get('offsite_requests') or [])} |"
        )
    return lines


def billing_lines(result: dict) -> list[str]:
    billing = result.get("billing_run") or {}
    if not billing.get("available"):
        return [f"billing_run: not available ({billing.get('reason', 'not run')})."]
    lines = [
        "| due plans | seconds | plans/s | queries | queries per plan | charged |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for run in billing["runs"]:
        if "error" in run:
            lines.append(f"| {_number(run.get('plans'))} | failed: {run['error']} | | | | |")
            continue
        lines.append(
            f"| {_number(run.get('plans'))} | {_number(run.get('seconds'), 1)} "
            f"| {_number(run.get('plans_per_second'), 1)} | {_number(run.get('queries'))} "
            f"| {_number(run.get('queries_per_plan'), 2)} | {_number(run.get('charged'))} |"
        )
    return lines


def about_lines(result: dict) -> list[str]:
    machine = result["machine"]
    return [
        f"- **{result['label']}**: commit `{result['commit'][:10]}`"
        f"{' (with uncommitted changes)' if result.get('dirty') else ''} "
        f"{result.get('commit_subject', '')!s:.80}, measured {result['date']} "
        f"in {result.get('duration_seconds', 0):.0f} s",
        f"  - machine: {machine['cpu_model']}, {machine['cores']} cores, "
        f"{machine['ram_gb']} GB RAM, Python {machine['python']}, PostgreSQL "
        f"{machine['postgresql']}, {machine.get('wrk', 'wrk')}"
        + (
            f"; load average {machine['load_average'][0]} at the start, "
            f"{machine.get('load_average_at_end', ['?'])[0]} at the end"
            if machine.get("load_average")
            else ""
        ),
    ]


def markdown_render(current: dict | None, baseline: dict | None = None) -> str:
    """bench/results/site.md: what was measured, on what, and the goals' ratios."""
    results = [r for r in (baseline, current) if r]
    if not results:
        raise ValueError("nothing to render")
    main = current or baseline
    lines = [
        "# Site speed",
        "",
        "Written by `make bench` (bench/speed/run.py). Load from wrk in its own process on the "
        "same machine as the site, PostgreSQL, Redis and the stand-ins, so the figures are "
        "relative: compare runs made on one machine.",
        "",
        *[line for r in results for line in about_lines(r)],
        "",
        "Settings: " + ", ".join(f"{k}={v}" for k, v in main["settings"].items()) + ".",
        "",
        "## Goals",
        "",
        *goals_table(results),
        "",
    ]
    if current and baseline:
        lines += ["## Before and after", "", *comparison_table(current, baseline), ""]
    for result in reversed(results):
        lines += [
            f"## Pages ({result['label']})",
            "",
            *pages_table(result),
            "",
            "### Lighthouse (mobile)",
            "",
            *lighthouse_lines(result),
            "",
            "### billing_run",
            "",
            *billing_lines(result),
            "",
        ]
        if result.get("problems"):
            lines += ["### Problems seen", "", *[f"- {p}" for p in result["problems"]], ""]
    return "\n".join(lines)


def readme_table_render(current: dict, baseline: dict | None = None) -> str:
    """The short table the README shows between its markers."""
    lines = [
        f"Latest `make bench`: commit `{current['commit'][:10]}`, {current['date']}, "
        f"{current['machine']['cores']} cores; full figures in `bench/results/site.md`.",
        "",
        "| page | cached req/s | uncached req/s | uncached p50 ms | queries | KB gzip/br |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in _page_names(current["pages"]):
        cached = row_find(current["pages"], name, "cached") or {}
        uncached = row_find(current["pages"], name, "uncached") or {}
        if not cached and not uncached:
            continue
        lines.append(
            f"| {name} | {_number(cached.get('requests_per_second'), 1)} "
            f"| {_number(uncached.get('requests_per_second'), 1)} "
            f"| {_number(uncached.get('p50_ms'), 1)} | {_number(uncached.get('queries'))} "
            f"| {_kb(cached.get('bytes_compressed'))} |"
        )
    lines += ["", *goals_table([r for r in (baseline, current) if r])]
    return "\n".join(lines)


def slug_label(label: str) -> str:
    """The results file's suffix for a labelled run: site.json, site-baseline.json."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
    return "" if cleaned in ("", "current") else f"-{cleaned}"
