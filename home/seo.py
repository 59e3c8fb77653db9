"""What search engines and link previews read about a page: title, description, canonical
address, sharing image and structured data (JSON-LD)."""

import datetime
import json
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe
from wagtail.models import Page, Site
from wagtail.rich_text import expand_db_html

from home.models import QAPage, SiteSettings
from home.models.pages import ArticleContent
from home.references import doi_alone, doi_url, page_references
from home.serializers import PHOTO_RENDITION
from shop.billing.selectors import trial_terms_for_product
from shop.search.selectors import product_cover

SHARE_IMAGE_RENDITION = "fill-1200x630"
IN_STOCK = "https://schema.org/InStock"
OUT_OF_STOCK = "https://schema.org/OutOfStock"
# Initials alone ("J." or "M. J."), once a reference's authors are split at the commas.
_INITIALS = re.compile(r"(?:[A-Z]\.\s*){1,4}")
# A reference author that is a body, not a person.
_ORGANISATION = re.compile(
    r"\b(?:organi[sz]ation|institute|association|society|council|agency|department|ministry|"
    r"college|foundation|cent(?:re|er)|committee|collaborat\w*|group|service|university|board)\b",
    re.IGNORECASE,
)

# The same escapes as Django's json_script: nothing in the data can close the <script>.
_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@dataclass(frozen=True)
class PageSeo:
    title: str
    description: str
    canonical_url: str
    og_type: str
    image_url: str = ""
    structured_data: list[dict] = field(default_factory=list)

    @property
    def json_ld(self) -> list[SafeString]:
        return [json_ld_script_body(data=data) for data in self.structured_data]


def json_ld_script_body(*, data: dict) -> SafeString:
    """The JSON text of a JSON-LD block, safe inside <script type="application/ld+json">."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    return mark_safe(text.translate(_SCRIPT_ESCAPES))  # noqa: S308  escaped just above


def page_share_image(*, page: Page):
    """The first picture or video poster in the page's body, or None."""
    body = getattr(page, "body", None) or []
    for block in body:
        if block.block_type == "image" and block.value.get("image"):
            return block.value["image"]
        if block.block_type == "video" and block.value.get("poster"):
            return block.value["poster"]
    return None


def _absolute(url: str, request: HttpRequest | None) -> str:
    if url.startswith(("http://", "https://")):
        return url
    if request is not None:
        return request.build_absolute_uri(url)
    return f"{settings.SITE_URL}{url}"


def page_breadcrumbs(*, page: Page, request: HttpRequest | None) -> dict:
    """BreadcrumbList from the site's root page down to the page."""
    site = Site.find_for_request(request) if request else page.get_site()
    ancestors = page.get_ancestors(inclusive=True).live().public()
    if site is not None:
        ancestors = ancestors.filter(depth__gte=site.root_page.depth)
    items = []
    for position, crumb in enumerate(ancestors.order_by("depth"), start=1):
        # The page itself, named by its address: the vocabulary wants a Thing, not a string.
        page_node = {"@type": "WebPage", "@id": crumb.get_full_url(request)}
        items.append(
            {"@type": "ListItem", "position": position, "name": crumb.title, "item": page_node}
        )
    return {"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": items}


def person_data(*, person, url: str, same_as: list[str], request: HttpRequest | None) -> dict:
    """Person: an author or a medical reviewer with the letters after their name, their
    qualification, a few words about them, their pages and their photo."""
    data = {"@type": "Person", "name": person.name}
    if person.post_nominals:
        data["honorificSuffix"] = person.post_nominals
    if person.credentials:
        data["hasCredential"] = {
            "@type": "EducationalOccupationalCredential",
            "name": person.credentials,
        }
    if person.bio:
        data["description"] = " ".join(person.bio.split())
    if url:
        data["url"] = url
    if same_as:
        data["sameAs"] = same_as
    if person.photo_id:
        data["image"] = _absolute(person.photo.get_rendition(PHOTO_RENDITION).url, request)
    return data


def author_data(*, author, request: HttpRequest | None) -> dict:
    """The byline's author as a Person: their own page is their address; every link names
    them."""
    return person_data(
        person=author,
        url=author.personal_page_url,
        same_as=[url for _, url in author.links],
        request=request,
    )


def reviewer_data(*, reviewer, request: HttpRequest | None) -> dict:
    """The medical reviewer as a Person: the profile page where readers can check them."""
    profile = [reviewer.profile_url] if reviewer.profile_url else []
    return person_data(person=reviewer, url=reviewer.profile_url, same_as=profile, request=request)


def _reference_authors(text: str) -> list[dict]:
    """The reference's authors as listed ("Hartvigsen J, Hancock MJ, et al."), each a Person,
    or an Organization when the name is one ("World Health Organization"). "et al." names
    nobody, so it is left out."""
    separator = ";" if ";" in text else ","
    names: list[str] = []
    parts = [piece for part in text.split(separator) for piece in part.split(" & ")]
    for part in parts:
        name = re.sub(r"^(?:&|and)\s+", "", part.strip()).strip()
        if not name or name.lower().rstrip(".") in {"et al", "and others"}:
            continue
        if names and _INITIALS.fullmatch(name):
            # "Hartvigsen, J." written surname first: the initials belong to the name before.
            names[-1] = f"{names[-1]} {name}"
            continue
        names.append(name)
    return [
        {"@type": "Organization" if _ORGANISATION.search(name) else "Person", "name": name}
        for name in names
    ]


def reference_data(reference) -> dict:
    """One entry of the references block as the work it cites: a ScholarlyArticle in its
    journal, a Book with its publisher, a web page or report with its publisher."""
    kind = reference["kind"]
    if kind == "journal":
        data = {"@type": "ScholarlyArticle", "name": reference["title"]}
        data["isPartOf"] = {"@type": "Periodical", "name": reference["source"]}
    else:
        # A web page has its address; a report known only by its DOI is a work.
        work_type = (
            "Book" if kind == "book" else ("WebPage" if reference["url"] else "CreativeWork")
        )
        data = {"@type": work_type, "name": reference["title"]}
        data["publisher"] = {"@type": "Organization", "name": reference["source"]}
    authors = _reference_authors(reference["authors"] or "")
    if authors:
        data["author"] = authors
    if reference["year"]:
        data["datePublished"] = str(reference["year"])
    doi = doi_alone(reference["doi"] or "")
    address = doi_url(doi) if doi else ""
    if reference["url"] or address:
        data["url"] = reference["url"] or address
    if doi:
        data["sameAs"] = address
        data["identifier"] = {"@type": "PropertyValue", "propertyID": "DOI", "value": doi}
    return data


def health_content_data(*, page, request: HttpRequest | None) -> dict:
    """What a health page adds to its WebPage: the condition it is about, its readers (patients),
    who reviewed it and when. Only what the author has set."""
    data = {}
    if page.condition:
        data["about"] = {"@type": "MedicalCondition", "name": page.condition}
    # Patient is a MedicalAudience; the vocabulary wants an Audience node, not a bare address.
    data["audience"] = {"@type": "Patient"}
    # A review is told with its reviewer: a date whose reviewer was deleted vouches for nothing.
    if page.reviewed_by_id and page.last_reviewed_on:
        data["reviewedBy"] = reviewer_data(reviewer=page.reviewed_by, request=request)
        data["lastReviewed"] = page.last_reviewed_on.isoformat()
    return data


def _day(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


def page_article_data(
    *, page: Page, request: HttpRequest | None, canonical_url: str, image_url: str
) -> dict:
    """MedicalWebPage: headline, author, the condition, the review, the sources cited, the
    dates and the publishing organisation."""
    data = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "headline": page.seo_title or page.title,
        "url": canonical_url,
        "mainEntityOfPage": canonical_url,
    }
    if page.search_description or getattr(page, "lead", ""):
        data["description"] = page.search_description or page.lead
    published = _day(page.article_date or page.first_published_at)
    if published:
        data["datePublished"] = published.isoformat()
    # Changed in substance on the day the author says; never the last typo fix. Never
    # before it was first published.
    modified = max(filter(None, [published, page.last_updated_on]), default=None)
    if modified:
        data["dateModified"] = modified.isoformat()
    if page.author_id:
        data["author"] = author_data(author=page.author, request=request)
    site = Site.find_for_request(request) if request else page.get_site()
    organisation = SiteSettings.for_site(site).organisation_name if site else ""
    if organisation:
        data["publisher"] = {"@type": "Organization", "name": organisation}
    if image_url:
        data["image"] = image_url
    data.update(health_content_data(page=page, request=request))
    citations = [reference_data(reference) for reference in page_references(page=page)]
    if citations:
        data["citation"] = citations
    return data


def product_offer_data(*, product, request: HttpRequest | None, image_url: str = "") -> dict | None:
    """Product with its Offer: the total price; the tryout and the payments are told in
    words. No reviews or ratings: the site collects none."""
    terms = trial_terms_for_product(product)
    if terms is None:
        return None
    url = _absolute(terms.product_url, request)
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": terms.product_title,
        "description": terms.summary,
        "url": url,
        "offers": {
            "@type": "Offer",
            "price": f"{terms.total:.2f}",
            "priceCurrency": terms.currency,
            "availability": IN_STOCK if terms.available else OUT_OF_STOCK,
            "description": terms.summary,
            "url": url,
        },
    }
    if image_url:
        data["image"] = [image_url]
    return data


def product_page_seo(*, product, request: HttpRequest | None) -> PageSeo | None:
    """What the program's page in the shop tells search engines and link previews: the
    title, cover picture and terms the page itself shows. None for other products."""
    cover = product_cover(product)
    image_url = _absolute(cover.url, request) if cover else ""
    offer = product_offer_data(product=product, request=request, image_url=image_url)
    if offer is None:
        return None
    description = strip_tags(product.description or "").strip()
    return PageSeo(
        title=product.get_title(),
        description=" ".join(description.split()) or offer["description"],
        canonical_url=offer["url"],
        og_type="product",
        image_url=image_url,
        structured_data=[offer],
    )


def qa_faq_data(*, page: QAPage, request: HttpRequest | None = None) -> dict | None:
    """FAQPage: the questions with their answers, and, as the page is a health page, the
    condition, its readers, the review and the day it last changed in substance."""
    items = list(page.items.all())
    if not items:
        return None
    data = {
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "mainEntity": [
            {
                "@type": "Question",
                "name": item.question,
                "acceptedAnswer": {
                    "@type": "Answer",
                    "text": strip_tags(expand_db_html(item.answer)).strip(),
                },
            }
            for item in items
        ],
    }
    data.update(health_content_data(page=page, request=request))
    if page.last_updated_on:
        data["dateModified"] = page.last_updated_on.isoformat()
    return data


def page_offered_products(*, page: Page) -> list:
    """The products of the offer blocks on the page, each once, in page order."""
    products = []
    for block in getattr(page, "body", None) or []:
        product = block.value.get("product") if block.block_type == "offer" else None
        if product is not None and product not in products:
            products.append(product)
    return products


def page_seo(*, page: Page, request: HttpRequest | None) -> PageSeo:
    """Everything the <head> says about a page to search engines and link previews."""
    canonical_url = page.get_full_url(request) or ""
    image = page_share_image(page=page)
    image_url = _absolute(image.get_rendition(SHARE_IMAGE_RENDITION).url, request) if image else ""
    description = page.search_description or getattr(page, "lead", "") or ""
    is_article = isinstance(page, ArticleContent)

    data = []
    if is_article:
        data.append(
            page_article_data(
                page=page, request=request, canonical_url=canonical_url, image_url=image_url
            )
        )
    for product in page_offered_products(page=page):
        offer = product_offer_data(product=product, request=request)
        if offer is not None:
            data.append(offer)
    if isinstance(page, QAPage):
        faq = qa_faq_data(page=page, request=request)
        if faq is not None:
            data.append(faq)
    data.append(page_breadcrumbs(page=page, request=request))

    return PageSeo(
        title=page.seo_title or page.title,
        description=description.strip(),
        canonical_url=canonical_url,
        og_type="article" if is_article else "website",
        image_url=image_url,
        structured_data=data,
    )
