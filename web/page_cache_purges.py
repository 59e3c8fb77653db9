"""When content changes, the shared page cache and the CDN forget the pages that show it.

Every page shows the navigation, the site settings and its badges; articles show glossary
terms, testimonials, author profiles, images and the offer's live terms and price; the site
contents page lists every page. So any such change retires every cached page at once (a new
content generation, web.page_cache) and, when a CDN is configured, asks it to purge every
live page's address, robots.txt and the sitemap. Wagtail itself purges a published page's own
addresses; the rest of the site is purged here.
"""

from functools import cache, partial

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from wagtail.contrib.frontend_cache.utils import PurgeBatch, purge_urls_from_cache
from wagtail.contrib.settings.models import BaseGenericSetting, BaseSiteSetting
from wagtail.contrib.settings.registry import registry as settings_registry
from wagtail.models import Page, Site
from wagtail.signals import page_published, page_unpublished, post_page_move
from wagtail.snippets.models import get_snippet_models

from web.page_cache import page_cache_generation_bump


def site_urls_to_purge() -> set[str]:
    """Every live page's addresses (private ones too: a page just made private may still be
    kept from when it was public), and each site's robots.txt and sitemap."""
    batch = PurgeBatch()
    batch.add_pages(Page.objects.live().specific())
    for site in Site.objects.all():
        root = site.root_url.rstrip("/")
        batch.add_urls([f"{root}/robots.txt", f"{root}/sitemap.xml"])
    return batch.urls


def cdn_configured() -> bool:
    return bool(settings.WAGTAILFRONTENDCACHE)


def cdn_purge_site() -> None:
    """Ask the CDN (if any) to drop every page of the site."""
    if cdn_configured():
        purge_urls_from_cache(sorted(site_urls_to_purge()))


def urls_of_url_path(url_path: str) -> list[str]:
    """The full addresses a page's ``url_path`` has on each site it is under."""
    return [
        root.root_url + url_path[len(root.root_path) - 1 :]
        for root in Site.get_site_root_paths()
        if url_path.startswith(root.root_path)
    ]


def _after_commit() -> None:
    page_cache_generation_bump()
    cdn_purge_site()


def content_changed(*, gone_urls: list[str] | tuple = (), **kwargs) -> None:
    """Retire cached pages now, and again once the change is committed: a page rendered by
    another request in between would otherwise be stored as current. ``gone_urls`` are
    addresses no live page has any more (a page deleted or moved away), purged at the CDN."""
    if kwargs.get("raw"):  # loading fixtures
        return
    if kwargs.get("created") and _is_site_setting(kwargs.get("sender")):
        # Wagtail creates a site's settings row, with its defaults, the first time a page
        # reads it: what pages show has not changed.
        return
    page_cache_generation_bump()
    if gone_urls and cdn_configured():
        transaction.on_commit(partial(purge_urls_from_cache, sorted(set(gone_urls))))
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        callback is _after_commit for _, callback, _ in connection.run_on_commit
    ):
        return  # one purge per transaction, however many rows it changes
    transaction.on_commit(_after_commit)


def _is_site_setting(model) -> bool:
    return isinstance(model, type) and issubclass(model, BaseSiteSetting | BaseGenericSetting)


def _row_saved(sender, **kwargs) -> None:
    if sender in content_models():
        content_changed(sender=sender, **kwargs)


def _row_deleted(sender, instance, **kwargs) -> None:
    if isinstance(instance, Page):
        gone = urls_of_url_path(instance.url_path) if cdn_configured() else []
        content_changed(gone_urls=gone)
    elif sender in content_models():
        content_changed(sender=sender, **kwargs)


def _page_moved(sender, instance, url_path_before, url_path_after, **kwargs) -> None:
    gone = []
    if cdn_configured() and url_path_before != url_path_after:
        # The page and everything under it had addresses under the old path.
        for page in instance.get_descendants(inclusive=True):
            gone += urls_of_url_path(url_path_before + page.url_path[len(url_path_after) :])
    content_changed(gone_urls=gone)


@cache
def content_models() -> frozenset:
    """The models whose rows pages show: those of ``PAGE_CACHE_CONTENT_MODELS``, every snippet
    and every setting (read on the first save, once every app has registered its snippets and
    settings)."""
    listed = [apps.get_model(name) for name in settings.PAGE_CACHE_CONTENT_MODELS]
    return frozenset([*listed, *get_snippet_models(), *settings_registry])


def purges_connect() -> None:
    """Wire the signals that mean pages have changed (called once, at start-up)."""
    dispatch = "web.page_cache_purges"
    page_published.connect(content_changed, dispatch_uid=f"{dispatch}.published")
    page_unpublished.connect(content_changed, dispatch_uid=f"{dispatch}.unpublished")
    post_page_move.connect(_page_moved, dispatch_uid=f"{dispatch}.moved")
    # Every model's saves and deletes, looked up in content_models(): snippets and settings
    # added later are covered without a line here.
    post_save.connect(_row_saved, dispatch_uid=f"{dispatch}.saved")
    post_delete.connect(_row_deleted, dispatch_uid=f"{dispatch}.deleted")
