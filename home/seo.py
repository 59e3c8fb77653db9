"""What search engines and link previews read about a page: title, description, canonical
address, sharing image and structured data (JSON-LD)."""

import json
from dataclasses import dataclass, field

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe
from wagtail.models import Page, Site
from wagtail.rich_text import expand_db_html

from home.models import QAPage, SiteSettings
from home.models.pages import ArticleContent
from shop.billing.selectors import trial_terms_for_product
from shop.search.selectors import product_cover

SHARE_IMAGE_RENDITION = "fill-1200x630"
IN_STOCK = "https://schema.org/InStock"
OUT_OF_STOCK = "https://schema.org/OutOfStock"

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
        url = crumb.get_full_url(request)
        items.append({"@type": "ListItem", "position": position, "name": crumb.title, "item": url})
    return {"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": items}


def page_article_data(
    *, page: Page, request: HttpRequest | None, canonical_url: str, image_url: str
) -> dict:
    """Article: headline, author, dates and the publishing organisation."""
    data = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": page.seo_title or page.title,
        "mainEntityOfPage": canonical_url,
        "url": canonical_url,
    }
    if page.search_description or getattr(page, "lead", ""):
        data["description"] = page.search_description or page.lead
    published = page.article_date or page.first_published_at
    if published:
        data["datePublished"] = published
    if page.last_published_at:
        data["dateModified"] = page.last_published_at
    author = page.author
    if author is not None:
        person = {"@type": "Person", "name": author.name}
        if author.credentials:
            person["jobTitle"] = author.credentials
        same_as = [url for _, url in author.links]
        if same_as:
            person["sameAs"] = same_as
        data["author"] = person
    site = Site.find_for_request(request) if request else page.get_site()
    organisation = SiteSettings.for_site(site).organisation_name if site else ""
    if organisation:
        data["publisher"] = {"@type": "Organization", "name": organisation}
    if image_url:
        data["image"] = image_url
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


def qa_faq_data(*, page: QAPage) -> dict | None:
    items = list(page.items.all())
    if not items:
        return None
    return {
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
        faq = qa_faq_data(page=page)
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
