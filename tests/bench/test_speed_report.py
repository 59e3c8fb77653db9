"""The pure parts of `make bench`: wrk's answer read, the goals' ratios, the tables, the README."""

import pytest

from bench.speed import report

WRK_OUTPUT = """Running 8s test @ http://127.0.0.1:8610/
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   310.12ms   40.00ms 900.00ms   90.00%
  206 requests in 8.01s, 6.44MB read
Requests/sec:     25.72
BENCH_RESULT {"requests": 206, "duration_us": 8010000, "bytes": 6752000, "non_2xx": 3, \
"errors": {"connect": 0, "read": 1, "write": 0, "status": 3, "timeout": 2}, "p50_us": 302400, \
"p90_us": 350000, "p99_us": 801250, "max_us": 900000}
"""


def page(name, variant, rps, **extra):
    return {"name": name, "variant": variant, "requests_per_second": rps, **extra}


PAGES = [
    page("static CSS", "cached", 4000.0, bytes_plain=20480, bytes_compressed=4096),
    page("robots.txt", "uncached", 3000.0, queries=2),
    page(
        "article",
        "cached",
        2400.0,
        bytes_plain=32768,
        bytes_compressed=8192,
        content_encoding="br",
        cache_control="max-age=0, s-maxage=300",
    ),
    page("article", "uncached", 120.0, p50_ms=60.5, queries=11),
    page("article", "grown cached", 2280.0),
    page("article", "grown uncached", 96.0, queries=11),
]


def result(label, pages=PAGES):
    return {
        "label": label,
        "commit": "0123456789abcdef",
        "commit_subject": "A change",
        "date": "2026-11-30 04:00 UTC",
        "duration_seconds": 420,
        "machine": {
            "cpu_model": "Test CPU",
            "cores": 2,
            "ram_gb": 4.0,
            "python": "3.11.2",
            "postgresql": "15.20",
            "wrk": "wrk 4.1.0",
            "load_average": [1.5, 1.2, 1.0],
            "load_average_at_end": [6.25, 3.0, 1.5],
        },
        "settings": {"DJANGO_SETTINGS_MODULE": "config.settings.production"},
        "pages": pages,
        "ratios": report.ratios_compute(pages),
        "lighthouse": {
            "available": False,
            "reason": "bench/lighthouse/audit.py is not in this tree",
        },
        "billing_run": {
            "available": True,
            "runs": [
                {
                    "plans": 1000,
                    "seconds": 10.0,
                    "plans_per_second": 100.0,
                    "queries": 5000,
                    "queries_per_plan": 5.0,
                    "charged": 1000,
                },
                {"plans": 10000, "error": "took over 420 s"},
            ],
        },
    }


def test_wrk_result_line_read_into_rates_and_milliseconds():
    figures = report.wrk_parse(WRK_OUTPUT)
    assert figures == {
        "requests": 206,
        "seconds": 8.01,
        "requests_per_second": 25.7,
        "p50_ms": 302.4,
        "p90_ms": 350.0,
        "p99_ms": 801.2,
        "max_ms": 900.0,
        "non_2xx": 3,
        "socket_errors": 3,
    }


def test_wrk_output_without_result_line_is_an_error():
    with pytest.raises(ValueError, match="BENCH_RESULT"):
        report.wrk_parse("Running 8s test @ http://127.0.0.1:8610/\nRequests/sec: 1.00\n")


def test_ratios_the_goals_name():
    assert report.ratios_compute(PAGES) == {
        "cached_article_over_static": 0.6,
        "uncached_article_over_tiny_view": 0.04,
        "uncached_article_queries": 11,
        "grown_over_small_article_uncached": 0.8,
        "grown_over_small_article_cached": 0.95,
    }


def test_ratio_missing_when_a_page_was_not_measured():
    ratios = report.ratios_compute([page("article", "cached", 100.0)])
    assert ratios["cached_article_over_static"] is None
    assert ratios["uncached_article_queries"] is None


def test_ratio_zero_when_the_page_answered_nothing():
    ratios = report.ratios_compute(
        [page("article", "uncached", 20.0), page("article", "grown uncached", 0.0)]
    )
    assert ratios["grown_over_small_article_uncached"] == 0.0


def test_cookies_that_keep_a_shared_cache_out_are_named():
    assert report.cookie_marks({"sets_cookie": True, "vary": "Accept-Encoding, Cookie"}) == (
        "Set-Cookie, Vary: Cookie"
    )
    assert report.cookie_marks({"sets_cookie": False, "vary": "Accept-Encoding"}) == "–"


def test_goals_met_or_missed_by_their_bound():
    assert report.goal_met("cached_article_over_static", 0.5) is True
    assert report.goal_met("grown_over_small_article_uncached", 0.8) is False
    assert report.goal_met("uncached_article_queries", 12) is True
    assert report.goal_met("uncached_article_queries", 13) is False
    assert report.goal_met("uncached_article_queries", None) is None


def test_markdown_lists_every_page_and_goal():
    text = report.markdown_render(result("current"))
    assert "| article | cached | 2,400.0 |" in text
    assert "| 32.0 | 8.0 (br) | max-age=0, s-maxage=300 | – |" in text
    assert "| cached article / static CSS | ≥ 0.5 | 0.600 ✓ |" in text
    assert "| article with +1,000 terms / article, uncached | ≥ 0.9 | 0.800 ✗ |" in text
    assert "| uncached article, SQL queries | ≤ 12 | 11 ✓ |" in text
    assert "Lighthouse: not available (bench/lighthouse/audit.py is not in this tree)." in text
    assert "| 1,000 | 10.0 | 100.0 | 5,000 | 5.00 | 1,000 |" in text
    assert "| 10,000 | failed: took over 420 s |" in text
    assert "## Before and after" not in text
    assert "load average 1.5 at the start, 6.25 at the end" in text


def test_markdown_shows_baseline_and_current_side_by_side():
    before = result("baseline", [page("article", "uncached", 25.7, p50_ms=302.0, queries=31)])
    text = report.markdown_render(result("current"), before)
    assert "## Before and after" in text
    assert "| article | uncached | 25.7 | 120.0 | 4.67 | 302.0 | 60.5 | 31 | 11 |" in text
    assert "| goal | target | baseline | current |" in text


def test_readme_table_replaced_between_markers_only():
    readme = (
        "# Site\n\n## Speed\n\nText.\n\n"
        "<!-- bench:start -->\nold table\n<!-- bench:end -->\n\nAfter.\n"
    )
    table = report.readme_table_render(result("current"))
    updated = report.readme_replace(readme, table)
    assert "old table" not in updated
    assert updated.startswith("# Site\n\n## Speed\n\nText.\n\n<!-- bench:start -->\nLatest")
    assert updated.endswith("<!-- bench:end -->\n\nAfter.\n")
    assert "| article | 2,400.0 | 120.0 | 60.5 | 11 | 8.0 |" in updated
    # Running it again changes nothing more.
    assert report.readme_replace(updated, table) == updated


def test_readme_without_markers_is_refused():
    with pytest.raises(ValueError, match="markers"):
        report.readme_replace("# Site\n", "table")


def test_results_file_suffix_from_label():
    assert report.slug_label("current") == ""
    assert report.slug_label("baseline") == "-baseline"
    assert report.slug_label("Before fec350d") == "-before-fec350d"
