"""Pictures on pages come in AVIF and WebP with a JPEG (PNG for badges) fallback, in a few
widths, with their size written down (no layout shift) and loaded lazily below the fold."""

import re
from io import BytesIO

import pytest
from django.core.cache import cache
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from PIL import features
from wagtail.images.models import Image, Rendition
from wagtail.models import Site

from home.content_changes import content_changed
from home.models import HomePage
from home.models.site_settings import SiteSettings, TrustBadge
from tests.home.factories import ArticlePageFactory, AuthorProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": "/media/"},
        },
    }


def wagtail_image(title: str, size=(1600, 1000), mode="RGB", color=(40, 110, 150)) -> Image:
    buffer = BytesIO()
    PILImage.new(mode, size, color).save(buffer, "PNG")
    return Image.objects.create(
        title=title, file=ImageFile(buffer, name=f"{title.lower().replace(' ', '-')}.png")
    )


def pictures(html: str) -> list[str]:
    return re.findall(r"<picture>.*?</picture>", html, flags=re.S)


def test_pillow_here_writes_avif_and_webp():
    assert features.check("avif")
    assert features.check("webp")


def test_an_article_shows_modern_formats_with_sizes_and_lazy_loading(client):
    photo = wagtail_image("Stretching on the floor")
    poster = wagtail_image("Video poster", size=(1280, 720))
    author = AuthorProfileFactory(photo=wagtail_image("Author portrait", size=(400, 400)))
    page = ArticlePageFactory(
        parent=HomePage.objects.get(),
        slug="with-pictures",
        author=author,
        body=[
            (
                "image",
                {"image": photo, "alt_text": "Lying on the floor", "caption": "", "credit": ""},
            ),
            (
                "video",
                {
                    "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
                    "title": "The first movement",
                    "poster": poster,
                    "caption": "",
                    "duration": "",
                },
            ),
        ],
    )

    html = client.get(page.url).content.decode()

    found = pictures(html)
    assert len(found) == 3
    for picture in found:
        assert re.search(r'<source [^>]*type="image/avif"', picture), picture
        assert re.search(r'<source [^>]*type="image/webp"', picture), picture
        assert re.search(r'<img [^>]*src="[^"]+\.jpg"', picture), picture
        assert re.search(r'<img [^>]*width="\d+"', picture), picture
        assert re.search(r'<img [^>]*height="\d+"', picture), picture
        assert "sizes=" in picture and "srcset=" in picture
    body_picture = next(p for p in found if "Lying on the floor" in p)
    assert 'loading="lazy"' in body_picture
    assert re.search(r"\.avif 480w, [^\"]+\.avif 800w, [^\"]+\.avif 1200w", body_picture)
    poster_picture = next(p for p in found if "video-poster" in p)
    assert 'loading="lazy"' in poster_picture
    # The byline sits at the top of the page: loaded at once.
    byline_picture = next(p for p in found if "byline-photo" in p)
    assert 'loading="lazy"' not in byline_picture

    # (The page's Open Graph image is one more rendition, in the original format.)
    made = Rendition.objects.filter(image=photo, filter_spec__contains="format-")
    assert sorted(r.file.name.rsplit(".", 1)[1] for r in made) == sorted(
        ["avif", "webp", "jpg"] * 3
    )
    for rendition in made:
        with rendition.file.open("rb") as handle, PILImage.open(handle) as opened:
            assert (
                opened.format
                == {"avif": "AVIF", "webp": "WEBP", "jpg": "JPEG"}[
                    rendition.file.name.rsplit(".", 1)[1]
                ]
            )
            assert opened.size == (rendition.width, rendition.height)


def test_trust_badges_keep_transparency_in_their_fallback(client):
    home = HomePage.objects.get()
    site_settings = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    badge = wagtail_image("Seal", size=(320, 160), mode="RGBA", color=(0, 0, 0, 0))
    TrustBadge.objects.create(settings=site_settings, image=badge, alt_text="A seal of approval")

    html = client.get(home.url).content.decode()

    badge_picture = next(p for p in pictures(html) if "A seal of approval" in p)
    assert re.search(r'<source [^>]*type="image/avif"', badge_picture)
    assert re.search(r'<img [^>]*src="[^"]+\.png"', badge_picture)
    assert 'loading="lazy"' in badge_picture


def test_a_page_drawn_again_reuses_its_badges_renditions(client, monkeypatch):
    """Renditions are made once: the badges' renditions are looked up, never drawn again on a
    later render (an edit elsewhere, a page cache gone cold)."""
    home = HomePage.objects.get()
    site_settings = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    badge = wagtail_image("Seal", size=(320, 160), mode="RGBA", color=(0, 0, 0, 0))
    TrustBadge.objects.create(settings=site_settings, image=badge, alt_text="A seal of approval")
    client.get(home.url)
    made = Rendition.objects.filter(image=badge).count()
    assert made == 6  # AVIF, WebP and PNG, at two sizes

    drawn = []
    original = Image.generate_rendition_instance
    monkeypatch.setattr(
        Image,
        "generate_rendition_instance",
        lambda self, *args, **kwargs: drawn.append(self) or original(self, *args, **kwargs),
    )
    content_changed()
    cache.clear()
    html = client.get(home.url).content.decode()
    assert "A seal of approval" in html
    assert drawn == []
    assert Rendition.objects.filter(image=badge).count() == made
