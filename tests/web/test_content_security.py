"""Every page is sent with the Content Security Policy: scripts run only from our files or
inline with this request's nonce; Stripe.js and Stripe's frames only on the pages that take a
card, a video player's frame only where a video is shown, no other frame; the same policy can
be sent as report-only instead."""

from html.parser import HTMLParser

import pytest
from django.test import override_settings

from tests.config.test_settings import PRODUCTION_ENV
from tests.shop.factories import ProgramFactory
from tests.support.processes import python_printed_json
from web.content_security import csp_settings, media_origins, policy_directives, stripe_sources

pytestmark = pytest.mark.django_db

STRIPE_FRAMES = {"https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"}
VIDEO_FRAMES = {"https://www.youtube-nocookie.com", "https://player.vimeo.com"}


class _InlineScripts(HTMLParser):
    """The nonce attribute of every inline script (None when it has none); data blocks such as
    JSON-LD are not run, so the policy does not apply to them."""

    def __init__(self):
        super().__init__()
        self.nonces: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        data_block = attrs.get("type", "").endswith("json")
        if tag == "script" and not attrs.get("src") and not data_block:
            self.nonces.append(attrs.get("nonce"))


def inline_script_nonces(html: str) -> list[str | None]:
    parser = _InlineScripts()
    parser.feed(html)
    return parser.nonces


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def nonce_of(policy: dict) -> str:
    (nonce,) = [v for v in policy["script-src"] if v.startswith("'nonce-")]
    return nonce.removeprefix("'nonce-").removesuffix("'")


def assert_every_inline_script_carries_the_nonce(response) -> dict:
    policy = directives(response["Content-Security-Policy"])
    nonces = inline_script_nonces(response.content.decode())
    if nonces:
        assert set(nonces) == {nonce_of(policy)}, response.request["PATH_INFO"]
    return policy


@pytest.fixture
def reader(django_user_model):
    return django_user_model.objects.create_user("reader", "reader@example.com", "a-long-pass-1")


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("staff", "staff@example.com", "a-long-pass-2")


PUBLIC_PAGES = ["/", "/glossary/", "/testimonials/", "/shop/catalogue/", "/shop/basket/"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_run_scripts_only_by_nonce_and_frame_nothing_but_a_video(
    client, demo_site, path
):
    # The store opens the demo's one program: its page is checked too.
    response = client.get(path, follow=True)
    assert response.status_code == 200
    policy = assert_every_inline_script_carries_the_nonce(response)
    assert "'unsafe-inline'" not in policy["script-src"]
    assert policy["script-src-attr"] == ["'none'"]
    # Stripe only where a card is taken.
    assert policy["script-src"][0] == "'self'"
    # Besides our own files, only this response's nonce (a page without inline scripts,
    # such as a cached article, needs none).
    assert all(v.startswith("'nonce-") for v in policy["script-src"][1:]), policy["script-src"]
    assert len(policy["script-src"]) <= 2, policy["script-src"]
    assert not any("stripe" in source or "127.0.0.1" in source for source in policy["connect-src"])
    shows_video = "data-video-embed" in response.content.decode()
    assert set(policy["frame-src"]) == (VIDEO_FRAMES if shows_video else {"'none'"})
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    # Both headers say the same: only our own pages (the CMS preview) may frame a page.
    assert policy["frame-ancestors"] == ["'self'"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "Content-Security-Policy-Report-Only" not in response


def test_the_articles_structured_data_carries_no_nonce(client, demo_site):
    # JSON-LD is data, which the policy does not govern; without a nonce the article's HTML
    # is the same for every visitor and can be served from the shared page cache.
    html = client.get("/").content.decode()
    assert '<script type="application/ld+json">' in html
    assert "nonce=" not in html


def test_only_a_page_showing_a_video_may_frame_the_video_players(client, demo_site):
    with_video = directives(client.get("/webinar-recordings/")["Content-Security-Policy"])
    assert set(with_video["frame-src"]) >= VIDEO_FRAMES
    without = directives(client.get("/glossary/")["Content-Security-Policy"])
    assert without["frame-src"] == ["'none'"]


def test_the_nonce_is_new_for_every_request(client, demo_site):
    first = nonce_of(directives(client.get("/shop/basket/")["Content-Security-Policy"]))
    second = nonce_of(directives(client.get("/shop/basket/")["Content-Security-Policy"]))
    assert first != second
    assert len(first) >= 22  # 16 random bytes, base64


def test_the_payment_page_allows_the_configured_stripe_js(client, reader, settings, stripe_standin):
    settings.STRIPE_API_BASE = stripe_standin
    client.force_login(reader)
    product = ProgramFactory()
    assert client.post(f"/shop/basket/add/{product.pk}/", {"quantity": 1}).status_code == 302
    response = client.get("/shop/checkout/", follow=True)
    assert response.redirect_chain[-1][0].endswith("/shop/checkout/payment-details/")
    policy = assert_every_inline_script_carries_the_nonce(response)
    html = response.content.decode()
    # The page loads Stripe.js from the configured address, whose origin the policy names.
    assert 'src="http://127.0.0.1:8420/js.stripe.com/v3/"' in html
    assert {"https://js.stripe.com", "http://127.0.0.1:8420"} <= set(policy["script-src"])
    assert set(policy["frame-src"]) == STRIPE_FRAMES | {"http://127.0.0.1:8420"}
    assert {"https://api.stripe.com", "http://127.0.0.1:8420"} <= set(policy["connect-src"])
    assert "'unsafe-inline'" not in policy["script-src"]


@pytest.mark.parametrize("path", ["/shop/accounts/", "/shop/accounts/downloads/"])
def test_account_pages_carry_the_policy(client, reader, path):
    client.force_login(reader)
    response = client.get(path, follow=True)
    assert response.status_code == 200
    policy = assert_every_inline_script_carries_the_nonce(response)
    assert "'unsafe-inline'" not in policy["script-src"]
    assert policy["script-src-attr"] == ["'none'"]


def test_the_cms_alone_runs_inline_scripts_and_frames_its_preview(client, staff):
    client.force_login(staff)
    response = client.get("/cms/")
    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    # Wagtail's widgets print inline scripts without the request: no nonce can reach them.
    assert policy["script-src"] == ["'self'", "'unsafe-inline'"]
    assert "'self'" in policy["frame-src"]
    assert policy["object-src"] == ["'none'"]


def test_the_shop_dashboard_gives_its_inline_scripts_the_nonce(client, staff):
    client.force_login(staff)
    response = client.get("/shop/dashboard/")
    assert response.status_code == 200
    policy = assert_every_inline_script_carries_the_nonce(response)
    assert inline_script_nonces(response.content.decode()), "the dashboard starts its scripts"
    assert "'unsafe-inline'" not in policy["script-src"]
    # Its widgets' onload/onclick attributes, on this staff-only path only.
    assert policy["script-src-attr"] == ["'unsafe-inline'"]


def test_the_django_admin_needs_no_exception(client, staff):
    client.force_login(staff)
    response = client.get("/django-admin/")
    assert response.status_code == 200
    policy = assert_every_inline_script_carries_the_nonce(response)
    assert inline_script_nonces(response.content.decode()) == []
    assert "'unsafe-inline'" not in policy["script-src"]


def test_the_api_and_the_not_found_page_carry_the_policy(client, demo_site):
    api = client.get("/api/navigation/")
    assert api.status_code == 200
    assert directives(api["Content-Security-Policy"])["default-src"] == ["'self'"]
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert_every_inline_script_carries_the_nonce(missing)


def test_report_only_sends_the_policy_as_a_report_and_blocks_nothing(client, demo_site):
    enforced, report_only = csp_settings(
        report_only=True,
        directives=policy_directives(media=[], report_uri="/csp-reports/"),
    )
    with override_settings(
        CONTENT_SECURITY_POLICY=enforced, CONTENT_SECURITY_POLICY_REPORT_ONLY=report_only
    ):
        response = client.get("/")
    assert "Content-Security-Policy" not in response
    policy = directives(response["Content-Security-Policy-Report-Only"])
    assert policy["report-uri"] == ["/csp-reports/"]
    nonces = set(inline_script_nonces(response.content.decode()))
    assert nonces == ({nonce_of(policy)} if nonces else set())


SHOW_POLICY = (
    "import json; from django.conf import settings as s; "
    "print(json.dumps([s.CONTENT_SECURITY_POLICY, s.CONTENT_SECURITY_POLICY_REPORT_ONLY, "
    "s.X_FRAME_OPTIONS, s.STRIPE_JS_URL], default=repr))"
)


def load_policy(**env) -> list:
    return python_printed_json(SHOW_POLICY, **env)


def test_the_report_only_switch_comes_from_the_environment():
    enforced, report_only, *_ = load_policy(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        CSP_REPORT_ONLY="true",
        CSP_REPORT_URI="https://reports.example.com/csp",
    )
    assert enforced is None
    assert report_only["DIRECTIVES"]["report-uri"] == ["https://reports.example.com/csp"]
    enforced, report_only, *_ = load_policy(DJANGO_SETTINGS_MODULE="config.settings.dev")
    assert report_only is None
    assert "report-uri" not in enforced["DIRECTIVES"]


def test_production_names_stripe_and_the_buckets_and_never_the_stand_in():
    enforced, report_only, frame_options, stripe_js_url = load_policy(**PRODUCTION_ENV)
    assert report_only is None
    assert frame_options == "SAMEORIGIN"
    policy = enforced["DIRECTIVES"]
    stripe = stripe_sources(stripe_js_url)
    # Every page's policy names no Stripe; the pages that take a card add Stripe's own origins.
    assert not any("stripe" in source for values in policy.values() for source in values)
    assert stripe["script-src"] == ["https://js.stripe.com", "https://*.js.stripe.com"]
    for values in [*policy.values(), *stripe.values()]:
        assert not any("127.0.0.1" in source for source in values)
    assert "https://public-media.s3.amazonaws.com" in policy["img-src"]
    # The author's browser uploads program files straight to the private bucket.
    assert "https://program-files.s3.amazonaws.com" in policy["connect-src"]


def test_media_origins_follow_the_storage_settings():
    assert media_origins(bucket="") == []
    assert media_origins(bucket="media", custom_domain="cdn.example.com")[0] == (
        "https://cdn.example.com"
    )
    assert media_origins(bucket="media", endpoint_url="http://127.0.0.1:9000") == [
        "http://127.0.0.1:9000",
        "http://*.127.0.0.1:9000",
    ]
    assert media_origins(bucket="media", private_bucket="files", region="eu-west-1") == [
        "https://media.s3.amazonaws.com",
        "https://media.s3.eu-west-1.amazonaws.com",
        "https://files.s3.amazonaws.com",
        "https://files.s3.eu-west-1.amazonaws.com",
    ]
