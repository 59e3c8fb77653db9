"""The Content Security Policy every page is sent with.

A browser runs only the scripts we meant to send: our own static files, inline scripts that
carry this request's nonce, and Stripe.js on the pages that take a card. Nothing may frame our
pages (except our own CMS previewing a page), and our pages frame nothing, except Stripe's card
and bank-check windows on those pages and the video player on a page that shows a video.

``CSP_REPORT_ONLY=true`` sends the same policy as ``Content-Security-Policy-Report-Only``: the
browser reports what it would have blocked and blocks nothing. ``CSP_REPORT_URI`` is where
browsers send those reports (Sentry's security endpoint, for example).
"""

from urllib.parse import urlsplit

from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings

# Stripe.js and what it talks to, as Stripe's CSP guide lists them.
STRIPE_SCRIPT_ORIGINS = ["https://js.stripe.com", "https://*.js.stripe.com"]
STRIPE_FRAME_ORIGINS = [
    "https://js.stripe.com",
    "https://*.js.stripe.com",
    "https://hooks.stripe.com",
]
STRIPE_CONNECT_ORIGINS = ["https://api.stripe.com"]

# The privacy-enhanced players home.blocks.video_embed_for builds; framed only on a page that
# shows a video, and only after the visitor presses play.
VIDEO_FRAME_ORIGINS = ["https://www.youtube-nocookie.com", "https://player.vimeo.com"]

# Wagtail's admin still ships inline scripts in widget templates (date pickers, inline panels)
# that are rendered without the request, so they cannot carry a nonce. Only signed-in staff
# reach these paths; the public site and the customer pages never get this exception.
STAFF_PATHS_WITH_INLINE_SCRIPTS = ("/cms/",)

# Oscar's dashboard widgets (image upload previews, cancel links) use onclick/onload
# attributes, which no nonce can cover. Its inline <script> blocks still need the nonce; only
# these attribute handlers are allowed, and only on these staff-only paths.
STAFF_PATHS_WITH_INLINE_HANDLERS = ("/shop/dashboard/",)

_VIDEO_FLAG = "_csp_video_frames"
_STRIPE_FLAG = "_csp_stripe_js"
_UPLOAD_FLAG = "_csp_bucket_uploads"


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of an absolute URL, or "" for a relative one."""
    parts = urlsplit(url or "")
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def media_origins(
    *,
    bucket: str = "",
    private_bucket: str = "",
    region: str = "",
    endpoint_url: str = "",
    custom_domain: str = "",
) -> list[str]:
    """Where public media (images, audio) are read from and program files are uploaded to,
    when they live in S3; empty for local files, which are served from our own origin."""
    if not bucket:
        return []
    origins = []
    if custom_domain:
        origins.append(f"https://{custom_domain}")
    if endpoint_url:
        # An S3-compatible service: path-style URLs on the endpoint, or bucket sub-domains.
        endpoint = urlsplit(endpoint_url)
        origins += [origin_of(endpoint_url), f"{endpoint.scheme}://*.{endpoint.netloc}"]
    else:
        for name in dict.fromkeys(filter(None, [bucket, private_bucket])):
            origins.append(f"https://{name}.s3.amazonaws.com")
            if region:
                origins.append(f"https://{name}.s3.{region}.amazonaws.com")
    return origins


def policy_directives(*, media: list[str], report_uri: str = "") -> dict:
    """The directives for django-csp's ``CONTENT_SECURITY_POLICY["DIRECTIVES"]``: every page's,
    before the additions of a page that takes a card or shows a video."""
    directives = {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        # Inline event handlers (onclick=...) never run.
        "script-src-attr": [NONE],
        # Wagtail's admin, Oscar's dashboard widgets and Stripe's card field set style
        # attributes from their scripts; styles cannot run code, so inline styles stay allowed.
        "style-src": [SELF, UNSAFE_INLINE],
        # data: for inline icons (Wagtail, Bootstrap), blob: for image previews before upload.
        "img-src": [SELF, "data:", "blob:", *media],
        "media-src": [SELF, "blob:", *media],
        "font-src": [SELF, "data:"],
        # The program files upload straight to the bucket from the author's browser.
        "connect-src": [SELF, *media],
        # Our pages frame nothing, unless the page says otherwise (Stripe, a video, the CMS).
        "frame-src": [NONE],
        # Only our own pages may frame ours: the CMS editor shows the page being edited in its
        # preview panel and loads the live page beside it. X_FRAME_OPTIONS says the same.
        "frame-ancestors": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        # Checkout posts to ourselves; Stripe's bank checks run in its frames, not by a post.
        "form-action": [SELF],
        "worker-src": [SELF, "blob:"],
        "manifest-src": [SELF],
    }
    if report_uri:
        directives["report-uri"] = [report_uri]
    return {key: list(dict.fromkeys(value)) for key, value in directives.items()}


def stripe_sources(stripe_js_url: str) -> dict[str, list[str]]:
    """What a page that takes a card adds: Stripe.js, the API it calls and its frames.

    Locally and in tests Stripe.js comes from the stand-in, which it also calls back and whose
    bank-check window it shows; in production ``stripe_js_url`` is on https://js.stripe.com."""
    stripe_js = [origin_of(stripe_js_url)] if origin_of(stripe_js_url) else []
    return {
        "script-src": list(dict.fromkeys([*STRIPE_SCRIPT_ORIGINS, *stripe_js])),
        "connect-src": list(dict.fromkeys([*STRIPE_CONNECT_ORIGINS, *stripe_js])),
        "frame-src": list(dict.fromkeys([*STRIPE_FRAME_ORIGINS, *stripe_js])),
    }


def csp_settings(*, report_only: bool, directives: dict) -> tuple[dict | None, dict | None]:
    """(CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_REPORT_ONLY): one policy, sent either
    enforced or only reported, never both."""
    policy = {"DIRECTIVES": directives}
    return (None, policy) if report_only else (policy, None)


def media_origins_from(values: dict) -> list[str]:
    """``media_origins`` from settings values: a settings module's ``globals()`` while it is
    read, or the running settings."""
    return media_origins(
        bucket=values.get("AWS_STORAGE_BUCKET_NAME") or "",
        private_bucket=values.get("AWS_PRIVATE_BUCKET_NAME") or "",
        region=values.get("AWS_S3_REGION_NAME") or "",
        endpoint_url=values.get("AWS_S3_ENDPOINT_URL") or "",
        custom_domain=values.get("AWS_S3_CUSTOM_DOMAIN") or "",
    )


class _RunningSettings:
    """The running settings, read like the ``globals()`` of a settings module (the bucket
    settings exist only while S3 is configured, media_config.settings)."""

    def get(self, name: str, default=None):
        return getattr(settings, name, default)


def csp_settings_from(settings: dict) -> tuple[dict | None, dict | None]:
    """The two django-csp settings from a settings module's values (``globals()``)."""
    directives = policy_directives(
        media=media_origins_from(settings),
        report_uri=settings.get("SECURITY_POLICY_REPORT_URI") or "",
    )
    report_only = settings.get("SECURITY_POLICY_REPORT_ONLY", False)
    return csp_settings(report_only=report_only, directives=directives)


def stripe_js_allow(request) -> None:
    """Let this page load Stripe.js and show its frames: called by the views that take a card
    (checkout, Update card, confirming a payment with the bank)."""
    if request is not None:
        setattr(request, _STRIPE_FLAG, True)


def bucket_uploads_allow(request) -> None:
    """Let this page send files to the buckets as they are configured now: called by the
    program file form, whose upload goes from the author's browser straight to the bucket."""
    if request is not None:
        setattr(request, _UPLOAD_FLAG, True)


def frames_allow_video(request) -> None:
    """Let this page frame the video players: called by the blocks that show a video."""
    if request is not None:
        setattr(request, _VIDEO_FLAG, True)


_PAGE_FLAGS = (_VIDEO_FLAG, _STRIPE_FLAG, _UPLOAD_FLAG)


def page_allowances(request) -> list[str]:
    """What rendering this page allowed (see the ``*_allow`` functions), for the page cache to
    keep with the page: a page served from it is not rendered again."""
    return [flag for flag in _PAGE_FLAGS if getattr(request, flag, False)]


def page_allowances_restore(request, allowances: list[str]) -> None:
    """Allow again what the cached page's rendering allowed."""
    for flag in allowances:
        if flag in _PAGE_FLAGS:
            setattr(request, flag, True)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with per-page adjustments:

    - a page that takes a card may load Stripe.js, call Stripe and show its frames;
    - the program file form may send files to the buckets as configured at that moment;
    - a page showing a video may frame the video players;
    - the CMS admin may run inline scripts without a nonce (STAFF_PATHS_WITH_INLINE_SCRIPTS)
      and frame our own pages (its preview panel);
    - the shop dashboard may run inline event handlers (STAFF_PATHS_WITH_INLINE_HANDLERS).
    """

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        update = dict(parts.update or {})
        replace = dict(parts.replace or {})
        frames: list[str] = []
        if getattr(request, _STRIPE_FLAG, False):
            stripe = stripe_sources(settings.STRIPE_JS_URL)
            for directive in ("script-src", "connect-src"):
                update[directive] = [*update.get(directive, []), *stripe[directive]]
            frames += stripe["frame-src"]
        if getattr(request, _UPLOAD_FLAG, False):
            uploads = media_origins_from(_RunningSettings())
            update["connect-src"] = [*update.get("connect-src", []), *uploads]
        if getattr(request, _VIDEO_FLAG, False):
            frames += VIDEO_FRAME_ORIGINS
        if request.path_info.startswith(STAFF_PATHS_WITH_INLINE_SCRIPTS):
            # A nonce in script-src makes browsers ignore 'unsafe-inline', so it is left out.
            replace["script-src"] = [SELF, UNSAFE_INLINE]
            # The editor's preview panel frames the page being edited.
            frames.append(SELF)
        if frames:
            # Replaced, not added to: 'none' beside a source would make the list invalid.
            replace["frame-src"] = list(dict.fromkeys(frames))
        if request.path_info.startswith(STAFF_PATHS_WITH_INLINE_HANDLERS):
            replace["script-src-attr"] = [UNSAFE_INLINE]
        parts.update = update or None
        parts.replace = replace or None
        return parts
