"""Loads the demo site from the files in demo/content/. Only what is missing is added, so
running it again never overwrites what the author has edited."""

import io
import json
import tomllib
from datetime import date
from decimal import Decimal
from email.utils import parseaddr
from functools import cache
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from oscar.apps.catalogue.categories import create_from_breadcrumbs
from oscar.core.loading import get_model
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page, Site

from home.models import (
    AuthorProfile,
    ContactFormField,
    ContactFormPage,
    FeedbackFormField,
    FeedbackFormPage,
    GlossaryPage,
    GlossaryTerm,
    HealthContentSettings,
    HomePage,
    MedicalReviewer,
    NavigationItem,
    NavigationSettings,
    QAItem,
    SiteSettings,
    Testimonial,
    TrustBadge,
)
from home.site_records import sites_point_at_site_url
from shop.billing.models import TrialOffer
from shop.downloads.models import ProgramFile
from shop.downloads.services import program_file_store

CONTENT_DIR = Path(__file__).parent / "content"
Product = get_model("catalogue", "Product")


@cache
def demo_content(name: str) -> dict:
    """The content of ``demo/content/<name>.toml``, read once."""
    with (CONTENT_DIR / f"{name}.toml").open("rb") as file:
        return tomllib.load(file)


def _png(text: str, size: list[int], background: str, text_size: int | None = None) -> bytes:
    image = PILImage.new("RGB", tuple(size), background)
    draw = ImageDraw.Draw(image)
    draw.rectangle([2, 2, size[0] - 3, size[1] - 3], outline="#ffffff", width=2)
    font = ImageFont.load_default(size=text_size) if text_size else None
    draw.multiline_text((10, 10), text, fill="#ffffff", spacing=4, font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _picture(title: str, **drawing):
    """The picture with this title; drawn as site.toml's [pictures] says when missing."""
    Image = get_image_model()
    existing = Image.objects.filter(title=title).first()
    if existing:
        return existing
    lines, line = [], ""
    for word in title.split():
        if len(line) + len(word) > 22:
            lines.append(line)
            line = ""
        line = f"{line} {word}".strip()
    lines.append(line)
    content = _png("\n".join(lines), **(drawing or demo_content("site")["pictures"][title]))
    image = Image(title=title)
    filename = "demo-" + "-".join(title.lower().split())[:40] + ".png"
    image.file = ImageFile(io.BytesIO(content), name=filename)
    image.save()
    return image


def _document(title: str):
    Document = get_document_model()
    existing = Document.objects.filter(title=title).first()
    if existing:
        return existing
    document = Document(title=title)
    text = demo_content("site")["documents"][title]["text"]
    filename = "-".join(title.lower().split())[:50] + ".txt"
    document.file.save(filename, ContentFile(text.encode()), save=False)
    document.save()
    return document


def _stored(value, pages: dict, key: str = ""):
    """A StreamField value from the content files, with what it names replaced by ids."""
    lookups = {
        "page": lambda slug: pages[slug].pk,
        "link_page": lambda slug: pages[slug].pk,
        "image": lambda title: _picture(title).pk,
        "poster": lambda title: _picture(title).pk,
        "media": lambda title: _document(title).pk,
        "testimonial": lambda person: Testimonial.objects.filter(person=person).first().pk,
        "product": lambda upc: Product.objects.get(upc=upc).pk,
        "terms": lambda slugs: list(
            GlossaryTerm.objects.filter(slug__in=slugs).values_list("pk", flat=True)
        ),
    }
    if key in lookups:
        return lookups[key](value) if value else None
    if isinstance(value, dict):
        return {name: _stored(item, pages, name) for name, item in value.items()}
    if isinstance(value, list):
        return [_stored(item, pages) for item in value]
    return value


def _stream(blocks: list[dict], pages: dict) -> str:
    """StreamField content in its stored form: chosen objects by id, rich text as HTML."""
    return json.dumps([{"type": b["type"], "value": _stored(b["value"], pages)} for b in blocks])


def _page_add(parent: Page, fields: dict, pages: dict) -> None:
    """Publish the page under ``parent`` unless a child has its slug already."""
    existing = parent.get_children().filter(slug=fields["slug"]).first()
    if existing:
        pages[fields["slug"]] = existing.specific
        return
    model = apps.get_model("home", fields["type"])
    values = {name: value for name, value in fields.items() if name not in ("type", "questions")}
    if "reviewed_by" in values:
        values["reviewed_by"] = MedicalReviewer.objects.filter(name=values["reviewed_by"]).first()
    if "body" in values:
        values["body"] = _stream(values["body"], pages)
    page = pages[fields["slug"]] = model(**values)
    parent.add_child(instance=page)
    for order, question in enumerate(fields.get("questions", [])):
        item = QAItem(page=page, sort_order=order, **question)
        item.clean()
        item.save()
    page.save_revision().publish()


@transaction.atomic
def glossary_demo_create(*, home: HomePage) -> list[str]:
    """Add the missing starting terms and, if the site has none, a glossary page."""
    glossary = demo_content("glossary")
    written = []
    for entry in glossary["terms"]:
        _, created = GlossaryTerm.objects.get_or_create(
            slug=GlossaryTerm.slug_for(entry["term"]),
            defaults={**entry, "source": glossary["source"]},
        )
        if created:
            written.append(f"glossary term '{entry['term']}'")
    if not GlossaryPage.objects.exists():
        page = GlossaryPage(**glossary["page"])
        home.add_child(instance=page)
        page.save_revision().publish()
        written.append(f"glossary page '{page.title}'")
    return written


@transaction.atomic
def forms_demo_create(*, home: Page) -> list[str]:
    """Publish the contact and feedback pages under ``home`` where it has none of their kind
    and their slug is free."""
    written = []
    forms = demo_content("forms")
    to_address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    for kind, page_model, field_model in (
        ("contact", ContactFormPage, ContactFormField),
        ("feedback", FeedbackFormPage, FeedbackFormField),
    ):
        data = {**forms[kind]}
        fields = data.pop("fields")
        if page_model.objects.descendant_of(home).exists():
            continue
        if home.get_children().filter(slug=data["slug"]).exists():
            continue
        page = page_model(**data, to_address=to_address)
        page.form_fields = [field_model(**field) for field in fields]
        home.add_child(instance=page)
        page.save_revision().publish()
        written.append(f"{kind} page '{page.title}'")
    return written


def _program() -> Product:
    """The program on sale with its category, price and trial terms, cover and files."""
    data = demo_content("program")
    product = Product.objects.filter(upc=data["upc"]).first()
    if product is None:
        ProductClass = get_model("catalogue", "ProductClass")
        product_class, _ = ProductClass.objects.get_or_create(
            slug=data["product_class"]["slug"], defaults=data["product_class"]
        )
        product = Product.objects.create(
            title=data["title"],
            upc=data["upc"],
            product_class=product_class,
            structure=Product.STANDALONE,
            is_public=True,
            description=data["description"],
        )
        get_model("catalogue", "ProductCategory").objects.get_or_create(
            product=product, category=create_from_breadcrumbs(data["category"])
        )
        partner, _ = get_model("partner", "Partner").objects.get_or_create(name=data["partner"])
        get_model("partner", "StockRecord").objects.create(
            product=product,
            partner=partner,
            partner_sku=data["upc"],
            price_currency=data["currency"],
            price=Decimal(data["price"]),
        )
        trial = {
            **data["trial"],
            "installment_amount": Decimal(data["trial"]["installment_amount"]),
        }
        TrialOffer.objects.create(product=product, currency=data["currency"], **trial)
    if not product.images.exists():
        cover = data["cover"]
        get_model("catalogue", "ProductImage").objects.create(
            product=product,
            original=ImageFile(io.BytesIO(_png(**cover)), name="program-cover.png"),
            caption=data["title"],
            display_order=0,
        )
    _program_files_add(product, data["files"])
    return product


def _program_files_add(product: Product, files: list[dict]) -> None:
    """The demo program's book, audio lesson and video session, each added when no file of
    the product has its title (an author's edit or replacement is kept)."""
    titles = set(ProgramFile.objects.filter(product=product).values_list("title", flat=True))
    for order, file in enumerate(files):
        if file["title"] in titles:
            continue
        content = (CONTENT_DIR / "media" / file["media"]).read_bytes()
        program_file = ProgramFile(
            product=product,
            title=file["title"],
            description=file["description"],
            transcript=file.get("transcript", "").strip(),
            duration_seconds=file.get("duration_seconds"),
            sort_order=order,
        )
        if "captions" in file:
            captions = (CONTENT_DIR / "media" / file["captions"]).read_bytes()
            program_file.captions.save(file["captions"], ContentFile(captions), save=False)
        program_file_store(
            program_file=program_file, upload=SimpleUploadedFile(file["filename"], content)
        )


def _site_settings_fill(site: Site, pages: dict) -> None:
    data = demo_content("site")
    site_settings = SiteSettings.for_site(site)
    if not site_settings.organisation_name:
        for name, value in data["site_settings"].items():
            if name.endswith("_page"):
                value = pages[value]
            setattr(site_settings, name, value)
        site_settings.copyright_notice = site_settings.copyright_notice.format(
            year=date.today().year
        )
        site_settings.save()
    badges = data["trust_badges"]
    if not site_settings.trust_badges.exists():
        for order, name in enumerate(badges["names"]):
            image = _picture(name, **badges["picture"])
            TrustBadge.objects.create(
                settings=site_settings, sort_order=order, image=image, alt_text=name
            )
    navigation = NavigationSettings.for_site(site)
    if not navigation.items.exists():
        for order, item in enumerate(data["navigation"]["items"]):
            NavigationItem.objects.create(
                settings=navigation,
                sort_order=order,
                label=item["label"],
                page=pages.get(item.get("page")),
                url=item.get("url", ""),
            )


def _health_settings_fill(site: Site) -> None:
    """The medical disclaimer and the review intervals, unless the disclaimer was written."""
    health = HealthContentSettings.for_site(site)
    if health.disclaimer:
        return
    for name, value in demo_content("site")["health"].items():
        setattr(health, name, value.strip() if isinstance(value, str) else value)
    health.save()


def _reviewer() -> None:
    """The medical reviewer the health pages name, unless one of that name exists."""
    reviewer = {**demo_content("site")["reviewer"]}
    reviewer["photo"] = _picture(reviewer["photo"])
    MedicalReviewer.objects.get_or_create(name=reviewer.pop("name"), defaults=reviewer)


def _home_fill(home: HomePage, pages: dict) -> None:
    data = demo_content("home")
    home.title = home.draft_title = data["title"]
    for name in ("seo_title", "search_description", "lead", "article_date"):
        setattr(home, name, data[name])
    home.symptoms = json.dumps([{"type": "item", "value": text} for text in data["symptoms"]])
    home.tried = json.dumps([{"type": "item", "value": text} for text in data["tried"]])
    home.author = AuthorProfile.objects.filter(name=data["author"]).first()
    home.reviewed_by = MedicalReviewer.objects.filter(name=data["reviewed_by"]).first()
    for name in ("condition", "last_reviewed_on", "last_updated_on"):
        setattr(home, name, data[name])
    home.body = _stream(data["body"], pages)
    home.save_revision().publish()


@transaction.atomic
def demo_content_load() -> list[str]:
    """Fill what was never edited; return what was written. Safe to run again."""
    sites_point_at_site_url()
    site = Site.objects.get(is_default_site=True)
    home = HomePage.objects.order_by("path").first()
    if home is None:
        return []
    counted = {
        "pages": Page.objects.count,
        "glossary terms": GlossaryTerm.objects.count,
        "images": get_image_model().objects.count,
        "menu items": NavigationItem.objects.count,
        "trust badges": TrustBadge.objects.count,
        "products": Product.objects.count,
        "product pictures": get_model("catalogue", "ProductImage").objects.count,
        "program files": ProgramFile.objects.count,
        "testimonials": Testimonial.objects.count,
        "medical reviewers": MedicalReviewer.objects.count,
    }
    before = {name: count() for name, count in counted.items()}
    content = demo_content("site")
    pages = {"home": home}
    # Before the pages, which name their reviewer.
    _reviewer()
    for fields in content["pages"]:
        _page_add(home, fields, pages)
    glossary_demo_create(home=home)
    forms_demo_create(home=home)
    pages["glossary"] = GlossaryPage.objects.descendant_of(home).first()
    pages["contact"] = ContactFormPage.objects.descendant_of(home).first()
    pages["feedback"] = FeedbackFormPage.objects.descendant_of(home).first()
    _program()
    author = {**content["author"], "photo": _picture(content["author"]["photo"])}
    AuthorProfile.objects.get_or_create(name=author.pop("name"), defaults=author)
    letter = {**content["letter"]}
    Testimonial.objects.get_or_create(
        person=letter.pop("person"), kind=letter.pop("kind"), defaults=letter
    )
    for testimonial in content.get("testimonials", []):
        fields = {**testimonial}
        Testimonial.objects.get_or_create(
            person=fields.pop("person"), kind=Testimonial.TESTIMONIAL, defaults=fields
        )
    _site_settings_fill(site, pages)
    _health_settings_fill(site)
    written = [
        f"{count() - before[name]} {name}"
        for name, count in counted.items()
        if count() != before[name]
    ]
    if home.latest_revision_id is None:
        _home_fill(home, pages)
        written.append(f"the home page article '{home.title}'")
    return written
