"""The version of what the site shows: it changes whenever the author changes content.

Rendered parts of pages (an article's body, a page's SEO data, the footer, the glossary
matcher) are kept under keys that include this version, so a change anywhere makes every
kept part be rendered again on its next request, and nothing shown is ever older than the
last change. Reading the version is one shared-cache read per request.

Every save or delete of a model readers see counts: pages, sites, images, documents, site
settings, navigation, badges, testimonials, authors, glossary terms, the products and their
trial offers. Drafts, logs, renditions, orders and sessions do not.

Writes that bypass model signals (``QuerySet.update``, ``bulk_create``) are not seen:
call :func:`content_changed` after them.
"""

import time
import uuid

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import storages
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest
from wagtail.contrib.settings.models import BaseGenericSetting, BaseSiteSetting
from wagtail.signals import page_published, page_unpublished, post_page_move

from web.page_cache import GENERATION_KEY as PAGE_CACHE_GENERATION_KEY

__all__ = [
    "GLOSSARY",
    "SITE",
    "connect_content_signals",
    "content_changed",
    "content_memo",
    "content_version",
    "rendered_content_seconds",
]

SITE = "site"
GLOSSARY = "glossary"
_KEY = "home:content-version:{}"

# Every model of these apps is content, except the bookkeeping listed below.
CONTENT_APPS = frozenset({"home", "wagtailcore", "wagtailimages", "wagtaildocs", "sites"})
# Models of other apps that pages show: the offer block's product, price and terms.
CONTENT_MODELS = frozenset(
    {("catalogue", "product"), ("partner", "stockrecord"), ("billing", "trialoffer")}
)
NOT_CONTENT = frozenset(
    {
        ("wagtailcore", name)
        for name in (
            "revision",
            "pagelogentry",
            "modellogentry",
            "workflowstate",
            "taskstate",
            "pagesubscription",
            "comment",
            "commentreply",
            "referenceindex",
            "uploadedfile",
        )
    }
    | {("wagtailimages", "rendition"), ("wagtailimages", "uploadedimage")}
)


def is_content(model) -> bool:
    meta = model._meta
    key = (meta.app_label, meta.model_name)
    if key in NOT_CONTENT:
        return False
    return meta.app_label in CONTENT_APPS or key in CONTENT_MODELS


def rendered_content_seconds() -> int:
    """How long a rendered part is kept at most: a day, or less while public media have
    signed addresses that expire (an image in a kept article must still load)."""
    seconds = settings.RENDERED_CONTENT_SECONDS
    media = storages["default"]
    if getattr(media, "querystring_auth", False) and not getattr(media, "custom_domain", None):
        # How long the storage signs an address for (its AWS_QUERYSTRING_EXPIRE).
        seconds = min(seconds, media.querystring_expire // 2)
    return seconds


def content_version(name: str = SITE, request: HttpRequest | None = None) -> str:
    """The current version of ``name`` (SITE: anything readers see; GLOSSARY: its terms).

    Read once per request when a request is given.
    """
    memo = getattr(request, "_content_versions", None) if request is not None else None
    # A change made by this process during the request (an edit, then a page) is seen too.
    if memo is not None and memo.get("_changes") != _changes_here:
        memo = None
    if memo is not None and name in memo:
        return memo[name]
    version = cache.get(_KEY.format(name))
    if version is None:
        # A cache emptied or restarted loses the version: a new one is safe, never stale.
        version = uuid.uuid4().hex
        if not cache.add(_KEY.format(name), version, timeout=None):
            version = cache.get(_KEY.format(name)) or version
    if request is not None:
        if memo is None:
            memo = request._content_versions = {"_changes": _changes_here}
        memo[name] = version
    return version


# Changes this process has made, so a request's own edits are never hidden from it.
_changes_here = 0
# Per-process values worked out from content: (version, values), per version name.
_memos: dict[str, tuple[str, dict]] = {}


def content_memo(name: str = SITE, request: HttpRequest | None = None) -> dict:
    """A dict for this process that is emptied whenever ``name``'s version changes.

    For values worked out from content that are costly to read or build on every request
    (the glossary's address, its matcher); the version check is one cache read per request.
    """
    version = content_version(name, request)
    memo = _memos.get(name)
    if memo is None or memo[0] != version:
        memo = _memos[name] = (version, {})
    return memo[1]


def content_version_forget() -> None:
    """Drop every version, so the next read starts a new one (for tests and scripts)."""
    cache.delete_many([_KEY.format(name) for name in (SITE, GLOSSARY)])
    _memos.clear()


def _bump(*names: str) -> None:
    global _changes_here
    _changes_here += 1
    versions = {_KEY.format(name): uuid.uuid4().hex for name in names}
    # Whole pages kept by the page cache are made from these parts: they go with them.
    versions[PAGE_CACHE_GENERATION_KEY] = time.time_ns()
    cache.set_many(versions, timeout=None)


def content_changed(*, glossary: bool = False) -> None:
    """Record that content changed: now, and again once the transaction commits.

    The second change makes sure a page rendered by another process between the write and
    its commit, from the old rows, is not kept under the new version.
    """
    names = (SITE, GLOSSARY) if glossary else (SITE,)
    _bump(*names)
    transaction.on_commit(lambda: _bump(*names))


def _model_changed(sender, **kwargs) -> None:
    if kwargs.get("raw") or not is_content(sender):
        return
    # A settings row is made on a site's first visit, holding the defaults already shown.
    if kwargs.get("created") and issubclass(sender, (BaseSiteSetting, BaseGenericSetting)):
        return
    glossary = sender._meta.label_lower == "home.glossaryterm"
    content_changed(glossary=glossary)


def _page_changed(sender, **kwargs) -> None:
    # Publishing, unpublishing, moving a page, or changing a content model's many-to-many.
    content_changed()


def connect_content_signals() -> None:
    """Connect the model signals; called once from the app's ``ready``."""
    post_save.connect(_model_changed, dispatch_uid="home.content_changes.saved")
    post_delete.connect(_model_changed, dispatch_uid="home.content_changes.deleted")
    for model in apps.get_models():
        for field in model._meta.local_many_to_many:
            if is_content(model):
                m2m_changed.connect(
                    _page_changed,
                    sender=field.remote_field.through,
                    dispatch_uid=f"home.content_changes.m2m.{model._meta.label_lower}.{field.name}",
                )
    page_published.connect(_page_changed, dispatch_uid="home.content_changes.published")
    page_unpublished.connect(_page_changed, dispatch_uid="home.content_changes.unpublished")
    post_page_move.connect(_page_changed, dispatch_uid="home.content_changes.moved")
