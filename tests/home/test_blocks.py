"""Each StreamField block: it validates what the author enters and renders what visitors see."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from wagtail.models import Site

from home import blocks
from home.blocks import ArticleStreamBlock, video_embed_for
from home.models import HomePage, SiteSettings
from tests.home.factories import ArticlePageFactory, TestimonialFactory
from tests.shop.factories import ProgramFactory


def clean(block, raw):
    return block.clean(block.to_python(raw))


def test_every_block_has_an_icon_a_template_and_help_text():
    for name, block in ArticleStreamBlock().child_blocks.items():
        assert block.meta.icon and block.meta.icon != "placeholder", name
        assert block.meta.template and block.meta.template.startswith("home/blocks/"), name
        assert block.meta.help_text, name


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.youtube.com/watch?v=abcdefghijk", "youtube-nocookie.com/embed/abcdefghijk"),
        ("https://youtu.be/abcdefghijk", "youtube-nocookie.com/embed/abcdefghijk"),
        ("https://vimeo.com/123456", "player.vimeo.com/video/123456"),
        ("https://example.com/video.html", None),
        ("https://www.youtube.com/watch?v=short", None),
        ("javascript:alert(1)", None),
    ],
)
def test_video_addresses(url, expected):
    embed = video_embed_for(url)
    if expected is None:
        assert embed is None
    else:
        assert expected in embed[1]


def test_video_block_refuses_a_non_video_address():
    with pytest.raises(ValidationError) as error:
        clean(blocks.VideoBlock(), {"url": "https://example.com/page", "title": "Session"})
    assert "not a YouTube or Vimeo video address" in str(error.value.block_errors["url"])


def test_video_block_renders_a_placeholder_that_loads_the_player_only_on_click():
    block = blocks.VideoBlock()
    value = clean(block, {"url": "https://youtu.be/abcdefghijk", "title": "A session"})
    html = block.render(value)
    assert "<iframe" not in html
    assert 'data-video-embed="https://www.youtube-nocookie.com/embed/abcdefghijk' in html
    assert "Play video: A session" in html
    assert 'type="button"' in html


def test_heading_anchor_must_be_a_slug():
    with pytest.raises(ValidationError):
        clean(blocks.HeadingBlock(), {"text": "Why", "level": "h2", "anchor": "Not A Slug!"})
    value = clean(blocks.HeadingBlock(), {"text": "Why It Hurts", "level": "h2", "anchor": ""})
    assert '<h2 id="why-it-hurts">Why It Hurts</h2>' in blocks.HeadingBlock().render(value)


@pytest.mark.django_db
def test_callout_with_a_page_needs_a_link_text():
    home = HomePage.objects.get()
    with pytest.raises(ValidationError) as error:
        clean(blocks.CalloutBlock(), {"body": "<p>Hi</p>", "link_page": home.pk, "link_text": ""})
    assert "link_text" in error.value.block_errors


def test_bullet_list_renders_nested_items():
    block = blocks.BulletListBlock()
    value = clean(
        block,
        {
            "heading": "You can",
            "style": "bullets",
            "items": [{"text": "<p>Lift</p>", "sub_items": ["boxes", "children"]}],
        },
    )
    html = block.render(value)
    assert "<li><p>Lift</p>" in html.replace("\n", "").replace("  ", "")
    assert "<ul><li>boxes</li><li>children</li></ul>" in html.replace("\n", "").replace(" ", "")


@pytest.mark.django_db
def test_testimonial_block_needs_consent():
    testimonial = TestimonialFactory(consent_to_publish=False)
    with pytest.raises(ValidationError) as error:
        clean(blocks.TestimonialBlock(), {"testimonial": testimonial.pk, "show_as": "letter"})
    assert "consent to publication is not recorded" in str(error.value.block_errors["testimonial"])


@pytest.mark.django_db
def test_testimonial_block_hides_a_testimonial_whose_consent_was_withdrawn():
    testimonial = TestimonialFactory(person="Pat Doe")
    block = blocks.TestimonialBlock()
    value = clean(block, {"testimonial": testimonial.pk, "show_as": "letter"})
    assert "Pat Doe" in block.render(value)
    testimonial.consent_to_publish = False
    testimonial.save()
    value = block.to_python({"testimonial": testimonial.pk, "show_as": "letter"})
    assert "Pat Doe" not in block.render(value)


def test_recording_needs_a_video_or_a_file():
    with pytest.raises(ValidationError) as error:
        clean(blocks.RecordingBlock(), {"title": "Webinar", "video_url": "", "media": None})
    assert "Add a video address or a file." in str(error.value.non_block_errors)


@pytest.mark.django_db
def test_offer_block_shows_live_terms_from_the_shop():
    product = ProgramFactory()
    block = blocks.OfferBlock()
    value = clean(block, {"heading": "Try it", "product": product.pk, "button_text": "Start"})
    html = block.render(value)
    assert "$98.50" in html
    assert "every 4 weeks, 2 payments" in html
    assert "$197.00" in html
    assert "free 2-week tryout" in html
    assert "Quit 2-Week Tryout" in html
    assert product.get_absolute_url() in html
    # The button goes straight into checkout; the article's cached copy carries no token.
    assert '<form class="offer-start" method="post" action="/shop/checkout/start-tryout/">' in html
    assert f'<input type="hidden" name="product" value="{product.pk}">' in html
    assert '<button type="submit" class="button button-primary">Start</button>' in html
    assert "csrfmiddlewaretoken" not in html

    product.trial_offer.installment_amount = Decimal("49.00")
    product.trial_offer.installment_count = 3
    product.trial_offer.save()
    html = block.render(block.to_python({"heading": "Try", "product": product.pk}))
    assert "$49.00" in html and "$147.00" in html and "3 payments" in html


@pytest.mark.django_db
def test_offer_block_says_so_when_the_product_is_not_for_sale():
    product = ProgramFactory()
    product.is_public = False
    product.save()
    block = blocks.OfferBlock()
    html = block.render(block.to_python({"heading": "Try", "product": product.pk}))
    assert "not available just now" in html
    assert "$98.50" not in html


@pytest.mark.django_db
def test_contents_block_lists_the_pages_sections():
    page = ArticlePageFactory.build(
        body=[
            ("heading", {"text": "First Part", "level": "h2", "anchor": ""}),
            ("heading", {"text": "Detail", "level": "h3", "anchor": ""}),
            ("heading", {"text": "Second Part", "level": "h2", "anchor": "second"}),
        ]
    )
    block = blocks.ContentsBlock()
    html = block.render(block.to_python({"heading": "Topics"}), context={"page": page})
    assert '<a href="#first-part">First Part</a>' in html
    assert '<a href="#second">Second Part</a>' in html
    assert "Detail" not in html


@pytest.mark.django_db
def test_reproduction_notice_falls_back_to_the_site_setting():
    settings_ = SiteSettings.for_site(Site.objects.get())
    settings_.reproduction_notice = "Reproduce only whole."
    settings_.save()
    request = RequestFactory().get("/")
    block = blocks.ReproductionNoticeBlock()
    html = block.render(block.to_python({"text": ""}), context={"request": request})
    assert "Reproduce only whole." in html
    html = block.render(block.to_python({"text": "Custom."}), context={"request": request})
    assert "Custom." in html
