"""StreamField blocks for the article and the other pages. Each has an icon, help text and a
template of its own under site/templates/home/blocks/."""

import re
from urllib.parse import parse_qs, urlsplit

from django.core.exceptions import ValidationError
from django.forms.utils import ErrorList
from django.utils import timezone
from wagtail import blocks
from wagtail.blocks.stream_block import StreamBlockValidationError
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock
from wagtail.snippets.blocks import SnippetChooserBlock

from home.choosers import product_chooser_viewset
from home.references import citation_problems, doi_alone, page_citations, reference_entries
from shop.billing.selectors import trial_terms_for_product
from web.content_security import frames_allow_video

# Rich text features the templates style; nothing else is offered to the author.
PARAGRAPH_FEATURES = ["bold", "italic", "link", "document-link", "ol", "ul"]
INLINE_FEATURES = ["bold", "italic", "link"]

AUDIO_EXTENSIONS = {"mp3", "m4a", "ogg", "oga", "wav"}


def _anchor_validator(value: str) -> None:
    if value and not re.fullmatch(r"[a-z0-9][a-z0-9-]*", value):
        raise ValidationError("Use lower-case letters, digits and hyphens only, e.g. why-it-hurts.")


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(max_length=120, help_text="The section's heading.")
    level = blocks.ChoiceBlock(
        choices=[("h2", "Section (h2)"), ("h3", "Sub-section (h3)")],
        default="h2",
        help_text="Sections appear in the table of contents; sub-sections do not.",
    )
    anchor = blocks.CharBlock(
        required=False,
        max_length=80,
        validators=[_anchor_validator],
        help_text="Optional link target, e.g. 'why-it-hurts' for #why-it-hurts.",
    )

    class Meta:
        icon = "title"
        template = "home/blocks/heading.html"
        help_text = "Starts a headed section of the article."


class ParagraphBlock(blocks.RichTextBlock):
    def __init__(self, **kwargs):
        kwargs.setdefault("features", PARAGRAPH_FEATURES)
        super().__init__(**kwargs)

    class Meta:
        icon = "pilcrow"
        template = "home/blocks/paragraph.html"
        help_text = "Running text: paragraphs, links, simple lists."


class BulletItemBlock(blocks.StructBlock):
    text = blocks.RichTextBlock(features=INLINE_FEATURES, help_text="The item.")
    sub_items = blocks.ListBlock(
        blocks.CharBlock(max_length=200),
        required=False,
        default=[],
        help_text="Optional nested items under this one.",
    )

    class Meta:
        icon = "list-ul"


class BulletListBlock(blocks.StructBlock):
    heading = blocks.CharBlock(required=False, max_length=120, help_text="Optional list title.")
    items = blocks.ListBlock(BulletItemBlock(), min_num=1)
    style = blocks.ChoiceBlock(
        choices=[("bullets", "Bullets"), ("checks", "Check marks"), ("numbers", "Numbered")],
        default="bullets",
    )

    class Meta:
        icon = "list-ul"
        template = "home/blocks/bullet_list.html"
        help_text = "A list, each item with optional nested items."


class PullQuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock(max_length=400, help_text="A short sentence to set apart.")
    attribution = blocks.CharBlock(required=False, max_length=120)

    class Meta:
        icon = "openquote"
        template = "home/blocks/pull_quote.html"
        help_text = "A short quote set apart from the text."


class CalloutBlock(blocks.StructBlock):
    title = blocks.CharBlock(required=False, max_length=120)
    body = blocks.RichTextBlock(features=PARAGRAPH_FEATURES)
    kind = blocks.ChoiceBlock(
        choices=[("key-point", "Key point"), ("note", "Note"), ("invite", "Invitation")],
        default="key-point",
    )
    link_page = blocks.PageChooserBlock(required=False, help_text="Optional page to point to.")
    link_text = blocks.CharBlock(required=False, max_length=80)

    def clean(self, value):
        value = super().clean(value)
        if value.get("link_page") and not value.get("link_text"):
            raise StructBlockValidationError(
                {"link_text": ValidationError("Give the link a text, e.g. 'Send your feedback'.")}
            )
        return value

    class Meta:
        icon = "warning"
        template = "home/blocks/callout.html"
        help_text = "A boxed key point, note or invitation, optionally linking to a page."


_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")


def video_embed_for(url: str) -> tuple[str, str] | None:
    """Return (provider, embed URL) for a YouTube or Vimeo video link, else None.

    Embeds use the privacy-enhanced players; nothing is fetched from the provider until
    the visitor presses play."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    if parts.scheme not in {"http", "https"}:
        return None
    video_id = ""
    if host in {"youtube.com", "youtube-nocookie.com"}:
        if parts.path == "/watch":
            video_id = parse_qs(parts.query).get("v", [""])[0]
        elif parts.path.startswith(("/embed/", "/shorts/", "/live/")):
            video_id = parts.path.split("/")[2]
    elif host == "youtu.be":
        video_id = parts.path.lstrip("/").split("/")[0]
    if video_id:
        if not _YOUTUBE_ID.match(video_id):
            return None
        return "youtube", f"https://www.youtube-nocookie.com/embed/{video_id}?autoplay=1"
    if host in {"vimeo.com", "player.vimeo.com"}:
        number = parts.path.rstrip("/").split("/")[-1]
        if number.isdigit():
            return "vimeo", f"https://player.vimeo.com/video/{number}?autoplay=1&dnt=1"
    return None


# The sizes other front ends get for each picture in the content API.
API_IMAGE_RENDITIONS = {"small": "max-480x480", "medium": "max-960x960", "large": "max-1600x1600"}


def image_api_representation(image) -> dict | None:
    """A picture as the content API shows it: its size and ready-made renditions."""
    if image is None:
        return None
    return {
        "id": image.pk,
        "title": image.title,
        "width": image.width,
        "height": image.height,
        "renditions": {
            name: image.get_rendition(spec).full_url for name, spec in API_IMAGE_RENDITIONS.items()
        },
    }


class VideoBlock(blocks.StructBlock):
    url = blocks.URLBlock(help_text="A YouTube or Vimeo video address.")
    title = blocks.CharBlock(max_length=150, help_text="What the video shows; read aloud too.")
    poster = ImageChooserBlock(required=False, help_text="Picture shown before playing.")
    caption = blocks.RichTextBlock(features=INLINE_FEATURES, required=False)
    duration = blocks.CharBlock(required=False, max_length=20, help_text="e.g. 12 min")

    def clean(self, value):
        value = super().clean(value)
        if video_embed_for(value["url"]) is None:
            raise StructBlockValidationError(
                {"url": ValidationError("This is not a YouTube or Vimeo video address.")}
            )
        return value

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context)
        embed = video_embed_for(value["url"])
        context["provider"], context["embed_url"] = embed if embed else ("", "")
        if embed:
            frames_allow_video(context.get("request"))
        return context

    def get_api_representation(self, value, context=None):
        representation = super().get_api_representation(value, context)
        representation["poster"] = image_api_representation(value.get("poster"))
        return representation

    class Meta:
        icon = "media"
        template = "home/blocks/video.html"
        help_text = (
            "A video shown as a light placeholder; the player loads only when the visitor "
            "presses play (no third-party requests before that)."
        )


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock()
    alt_text = blocks.CharBlock(
        max_length=200, help_text="Describe the picture for people who cannot see it."
    )
    caption = blocks.CharBlock(required=False, max_length=250)
    credit = blocks.CharBlock(required=False, max_length=120)

    def get_api_representation(self, value, context=None):
        representation = super().get_api_representation(value, context)
        representation["image"] = image_api_representation(value.get("image"))
        return representation

    class Meta:
        icon = "image"
        template = "home/blocks/image.html"
        help_text = "A picture with a caption."


class TestimonialBlock(blocks.StructBlock):
    testimonial = SnippetChooserBlock("home.Testimonial")
    show_as = blocks.ChoiceBlock(
        choices=[("letter", "Letter of reference (full)"), ("quote", "Short quote")],
        default="letter",
    )

    def clean(self, value):
        value = super().clean(value)
        testimonial = value.get("testimonial")
        if testimonial is not None and not testimonial.consent_recorded:
            raise StructBlockValidationError(
                {
                    "testimonial": ValidationError(
                        "This person's consent to publication is not recorded: tick it and "
                        "give the day and the way they agreed first."
                    )
                }
            )
        return value

    class Meta:
        icon = "openquote"
        template = "home/blocks/testimonial.html"
        help_text = "A testimonial or letter of reference, shown only with consent to publish."


class RelatedTopicBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=120)
    page = blocks.PageChooserBlock(required=False)
    url = blocks.URLBlock(required=False, help_text="Used when no page is chosen.")

    class Meta:
        icon = "link"


class RelatedTopicsBlock(blocks.StructBlock):
    heading = blocks.CharBlock(default="Related topics", max_length=120)
    topics = blocks.ListBlock(RelatedTopicBlock(), min_num=1)

    class Meta:
        icon = "list-ul"
        template = "home/blocks/related_topics.html"
        help_text = "A list of related topics, each linking to a page or another site."


class GlossaryTermsBlock(blocks.StructBlock):
    heading = blocks.CharBlock(default="Terms used in this article", max_length=120)
    terms = blocks.ListBlock(SnippetChooserBlock("home.GlossaryTerm"), min_num=1)
    show_definitions = blocks.BooleanBlock(
        required=False, default=True, help_text="Show each definition, not only the term."
    )

    class Meta:
        icon = "help"
        template = "home/blocks/glossary_terms.html"
        help_text = "A list of glossary terms with their plain-language meanings."


class QALinkBlock(blocks.StructBlock):
    page = blocks.PageChooserBlock(page_type="home.QAPage")
    heading = blocks.CharBlock(max_length=120, help_text="e.g. 'Answers to ten basic questions'")
    text = blocks.CharBlock(required=False, max_length=200)

    class Meta:
        icon = "help"
        template = "home/blocks/qa_link.html"
        help_text = "Points readers to the questions-and-answers page."


class PageLinkBlock(blocks.StructBlock):
    page = blocks.PageChooserBlock()
    heading = blocks.CharBlock(max_length=120)
    text = blocks.CharBlock(required=False, max_length=250)

    class Meta:
        icon = "link"
        template = "home/blocks/page_link.html"
        help_text = "A highlighted link to another page, e.g. the glossary or webinars."


class ContentsBlock(blocks.StructBlock):
    heading = blocks.CharBlock(default="Topics in this article", max_length=120)

    class Meta:
        icon = "list-ol"
        template = "home/blocks/contents.html"
        help_text = "A table of contents built from this page's section headings."


ProductChooserBlock = product_chooser_viewset.get_block_class(
    name="ProductChooserBlock", module_path="home.blocks"
)


class OfferBlock(blocks.StructBlock):
    heading = blocks.CharBlock(default="Try the whole program free for two weeks", max_length=150)
    product = ProductChooserBlock(
        help_text="The program on offer; its price and terms come from the shop."
    )
    text = blocks.RichTextBlock(
        features=INLINE_FEATURES, required=False, help_text="What the reader gets."
    )
    button_text = blocks.CharBlock(default="Start the free 2-week tryout", max_length=60)

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context)
        context["terms"] = trial_terms_for_product(value["product"]) if value["product"] else None
        return context

    class Meta:
        icon = "tag"
        template = "home/blocks/offer.html"
        help_text = "The trial offer with its live price and terms from the shop."


class RecordingBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=150)
    recorded_on = blocks.DateBlock(required=False)
    summary = blocks.RichTextBlock(features=INLINE_FEATURES, required=False)
    video_url = blocks.URLBlock(required=False, help_text="A YouTube or Vimeo address.")
    media = DocumentChooserBlock(
        required=False, help_text="An audio file (mp3, m4a, ogg) or a document such as slides."
    )

    def clean(self, value):
        value = super().clean(value)
        if not value.get("video_url") and not value.get("media"):
            raise StructBlockValidationError(
                block_errors={}, non_block_errors=["Add a video address or a file."]
            )
        if value.get("video_url") and video_embed_for(value["video_url"]) is None:
            raise StructBlockValidationError(
                {"video_url": ValidationError("This is not a YouTube or Vimeo video address.")}
            )
        return value

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context)
        embed = video_embed_for(value["video_url"]) if value.get("video_url") else None
        context["provider"], context["embed_url"] = embed if embed else ("", "")
        if embed:
            frames_allow_video(context.get("request"))
        media = value.get("media")
        context["is_audio"] = bool(media) and media.file_extension.lower() in AUDIO_EXTENSIONS
        return context

    class Meta:
        icon = "media"
        template = "home/blocks/recording.html"
        help_text = "A recording: a video, an audio file, or a document to download."


class ReproductionNoticeBlock(blocks.StructBlock):
    text = blocks.CharBlock(
        required=False,
        max_length=200,
        help_text="Leave empty to use the notice from the site settings.",
    )

    class Meta:
        icon = "info-circle"
        template = "home/blocks/reproduction_notice.html"
        help_text = "States that the article may be reproduced only in its entirety."


def _doi_validator(value: str) -> None:
    if value and not re.fullmatch(r"10\.\d{4,9}/\S+", value):
        raise ValidationError(
            "Give the DOI alone, starting with 10., e.g. 10.1016/S0140-6736(18)30480-X."
        )


class ReferenceBlock(blocks.StructBlock):
    authors = blocks.CharBlock(
        max_length=300,
        help_text="As the source lists them, e.g. 'Hartvigsen J, Hancock MJ, Kongsted A, et al.'",
    )
    title = blocks.CharBlock(max_length=300, help_text="The article's, book's or page's title.")
    kind = blocks.ChoiceBlock(
        choices=[
            ("journal", "Article in a journal"),
            ("book", "Book"),
            ("web", "Web page or report"),
        ],
        default="journal",
    )
    source = blocks.CharBlock(
        max_length=200,
        label="Journal or publisher",
        help_text="The journal's name for an article; the publisher for a book or report.",
    )
    year = blocks.IntegerBlock(min_value=1800, max_value=2100)
    details = blocks.CharBlock(
        required=False,
        max_length=100,
        help_text="Optional volume, issue and pages, e.g. 391(10137):2356-2367.",
    )
    doi = blocks.CharBlock(
        required=False,
        max_length=200,
        label="DOI",
        validators=[_doi_validator],
        help_text="The DOI if it has one, e.g. 10.1016/S0140-6736(18)30480-X.",
    )
    url = blocks.URLBlock(
        required=False, label="Web address", help_text="Where readers can find it, if no DOI."
    )

    def clean(self, value):
        # A DOI pasted as its https://doi.org/ link is kept as the DOI alone.
        doi = doi_alone(value.get("doi") or "")
        if doi != (value.get("doi") or ""):
            value = blocks.StructValue(
                self, [(name, doi if name == "doi" else item) for name, item in value.items()]
            )
        value = super().clean(value)
        # Next year is allowed: journals often date an issue ahead of its online release.
        if value.get("year") and value["year"] > timezone.localdate().year + 1:
            raise StructBlockValidationError(
                {
                    "year": ValidationError(
                        f"{value['year']} is in the future: give the year the source was published."
                    )
                }
            )
        return value

    class Meta:
        icon = "doc-full"


class ReferencesBlock(blocks.StructBlock):
    heading = blocks.CharBlock(default="References", max_length=120)
    references = blocks.ListBlock(
        ReferenceBlock(),
        min_num=1,
        help_text=(
            "Numbered in this order. In the text, type the number in square brackets, e.g. "
            "[1], [2, 3] or [1-3], right after the sentence it supports: it becomes a link "
            "here and back."
        ),
    )

    class Meta:
        icon = "doc-full"
        template = "home/blocks/references.html"
        help_text = "The sources the article cites, numbered, with links to them and back."

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context)
        # Counted from the page's text, not as it is shown: the list may come before a marker.
        page = (parent_context or {}).get("page")
        cited = page_citations(page=page) if page is not None else {}
        context["entries"] = reference_entries(value["references"], cited)
        return context


class ArticleStreamBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = ParagraphBlock()
    bullet_list = BulletListBlock()
    pull_quote = PullQuoteBlock()
    callout = CalloutBlock()
    video = VideoBlock()
    image = ImageBlock()
    testimonial = TestimonialBlock()
    related_topics = RelatedTopicsBlock()
    glossary_terms = GlossaryTermsBlock()
    qa_link = QALinkBlock()
    page_link = PageLinkBlock()
    contents = ContentsBlock()
    offer = OfferBlock()
    recording = RecordingBlock()
    reproduction_notice = ReproductionNoticeBlock()
    references = ReferencesBlock()

    def clean(self, value):
        problems = {
            index: (value[index].block_type, messages)
            for index, messages in citation_problems(body=value).items()
        }
        try:
            value = super().clean(value)
        except StreamBlockValidationError as error:
            raise self._with_citation_problems(error, problems) from None
        if problems:
            raise self._with_citation_problems(StreamBlockValidationError(), problems)
        return value

    def _with_citation_problems(
        self, error: StreamBlockValidationError, problems: dict[int, tuple[str, list[str]]]
    ) -> StreamBlockValidationError:
        """The error with each marker's problem shown on the block that holds it, unless that
        block has an error of its own to fix first."""
        block_errors = dict(error.block_errors)
        for index, (block_type, messages) in problems.items():
            if index in block_errors:
                continue
            if isinstance(self.child_blocks[block_type], blocks.StructBlock):
                block_errors[index] = StructBlockValidationError(
                    non_block_errors=ErrorList(messages)
                )
            else:
                block_errors[index] = ValidationError(messages)
        return StreamBlockValidationError(
            block_errors=block_errors, non_block_errors=error.non_block_errors
        )

    class Meta:
        block_counts = {"contents": {"max_num": 1}, "references": {"max_num": 1}}
