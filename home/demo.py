"""Demo content for local runs: a complete site with the structure and facts of the author's
page, in sentences written for this site. Loaded only where nothing exists yet, so running it
again never overwrites what the author has edited."""

import io
import json
from datetime import date
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.db import transaction
from oscar.core.loading import get_model
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page, Site

from home.forms_demo import forms_demo_create
from home.glossary_demo import glossary_demo_create
from home.models import (
    AuthorProfile,
    ContactFormPage,
    FeedbackFormPage,
    GlossaryPage,
    GlossaryTerm,
    HomePage,
    NavigationItem,
    NavigationSettings,
    QAItem,
    QAPage,
    SiteContentsPage,
    SiteSettings,
    StandardPage,
    Testimonial,
    TestimonialsPage,
    TrustBadge,
)
from home.site_records import sites_point_at_site_url
from shop.billing.models import TrialOffer

PROGRAM_TITLE = "Get Free from That Back Pain"
PROGRAM_UPC = "GFTBP-DOWNLOAD"
DEMO_VIDEO_URL = "https://www.youtube.com/watch?v=demoSession"
HOME_LEAD = (
    "Standing up straight, bending over, lifting a bag of groceries: when your back has been "
    "hurting for a long time, each of these takes thought.\n\n"
    "This article explains why the usual treatments tend to help only a little, and shows a "
    "kind of exercise that goes after the cause instead, so your back can do whatever you ask "
    "of it again."
)

SYMPTOMS = [
    "back muscle spasms",
    "sore, tired back",
    "burning in the buttocks",
    '"catches" in your breathing',
    "popping in your back",
    "inability to straighten up",
]
TRIED = [
    "Physical Therapy",
    "Chiropractic",
    "Massage",
    "Acupuncture",
    "Muscle Relaxant Drugs",
    "Strengthening and Stretching",
    "Electrical Stimulation",
    "Surgery",
]
BADGES = [
    "Health A-to-Z Four Star Award",
    "As Featured On EzineArticles",
    "YOGA SEAL",
    "Elite Site Seal",
    "Better Internet Bureau Seal of Endorsement",
]

QUESTIONS = [
    (
        "What actually causes most lower back pain?",
        "<p>In most people it is muscle: back muscles that stay contracted day and night until "
        "they ache from fatigue. Discs, joints and nerves get involved later, usually because "
        "those muscles keep squeezing them.</p>",
    ),
    (
        "Why do my back muscles stay tight when I am resting?",
        "<p>Because the brain has learned to hold them that way. After an injury, an operation "
        "or years of strain, the nervous system keeps a protective level of tension as its new "
        "normal, and resting does not reset it.</p>",
    ),
    (
        "Isn't stretching the answer to tight muscles?",
        "<p>Stretching pulls on a muscle from the outside; the brain pulls back as soon as you "
        "stop. That is why the relief fades and the stretches never end.</p>",
    ),
    (
        "Should I strengthen my back and abdominal muscles?",
        "<p>Muscles that are already working too hard feel weak because they are tired. Making "
        "them work harder adds to the problem. Once they can relax, their strength comes back "
        "on its own.</p>",
    ),
    (
        "What is somatic education?",
        "<p>A way of retraining how your brain controls your muscles, through slow, gentle "
        "movements done with attention. You learn to sense and release tension you could not "
        "feel before.</p>",
    ),
    (
        "How is this different from physical therapy or chiropractic?",
        "<p>Those approaches act on the body: they adjust, stretch or strengthen it. Somatic "
        "exercises act on the control system, so the change holds after the session ends.</p>",
    ),
    (
        "How soon will I notice a difference?",
        "<p>Many people feel their back settle and lengthen in the first one or two practice "
        "sessions. The effect builds with each session.</p>",
    ),
    (
        "Do the exercises hurt?",
        "<p>No. They are done slowly and well within comfort. If a movement hurts, you make it "
        "smaller.</p>",
    ),
    (
        "Can I do this if I have a herniated disc or sciatica?",
        "<p>Yes, many people with these diagnoses use the program. Tight muscles are often what "
        "presses on the disc or nerve. If you are under a doctor's care, tell them what you are "
        "doing.</p>",
    ),
    (
        "What if it does not work for me?",
        "<p>You find out during the free two-week tryout. If it is not for you, press the quit "
        "button in your account before the tryout ends and you are not charged.</p>",
    ),
]


def _png(text: str, size: tuple[int, int], background: str, text_size: int | None) -> bytes:
    image = PILImage.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    draw.rectangle([2, 2, size[0] - 3, size[1] - 3], outline="#ffffff", width=2)
    font = ImageFont.load_default(size=text_size) if text_size else None
    draw.multiline_text((10, 10), text, fill="#ffffff", spacing=4, font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _image(title: str, *, size=(320, 160), background="#0b5f7a", text_size: int | None = None):
    Image = get_image_model()
    existing = Image.objects.filter(title=title).first()
    if existing:
        return existing
    words, lines, line = title.split(), [], ""
    for word in words:
        if len(line) + len(word) > 22:
            lines.append(line)
            line = ""
        line = f"{line} {word}".strip()
    lines.append(line)
    content = _png("\n".join(lines), size, background, text_size)
    filename = "demo-" + "-".join(title.lower().split())[:40] + ".png"
    image = Image(title=title)
    image.file = ImageFile(io.BytesIO(content), name=filename)
    image.save()
    return image


def _child(parent: Page, model, slug: str, **fields):
    """Return the child with this slug, creating and publishing it when missing."""
    existing = parent.get_children().filter(slug=slug).first()
    if existing:
        return existing.specific, False
    if isinstance(fields.get("body"), list):
        fields["body"] = _stream(fields["body"])
    page = model(slug=slug, **fields)
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page, True


def _author() -> AuthorProfile:
    author, _ = AuthorProfile.objects.get_or_create(
        name="Lawrence Gold",
        defaults={
            "post_nominals": "C.H.S.E.",
            "credentials": "Certified Practitioner, Hanna Somatic Education®",
            "bio": (
                "Lawrence Gold has taught somatic education since the early 1990s, working with "
                "people in pain one on one and through his books and recorded programs."
            ),
            "photo": _image("Lawrence Gold", size=(128, 128), background="#51606b"),
            "linkedin_url": "https://www.linkedin.com/",
            "personal_page_url": "https://www.example.com/lawrence-gold/",
            "publications_url": "https://www.example.com/lawrence-gold/publications/",
            "credentials_url": "https://www.example.com/lawrence-gold/credentials/",
        },
    )
    return author


def _letter() -> Testimonial:
    letter, _ = Testimonial.objects.get_or_create(
        person="Dr. Jordan Ellis",
        kind=Testimonial.LETTER,
        defaults={
            "quote": (
                "Over several years I referred patients to Lawrence whose trouble lay in how "
                "they controlled their muscles: imbalances and movement habits that ordinary "
                "treatment had not changed. Working with somatic re-education, he helped them "
                "regain that control.\n\n"
                "His careful evaluation and his skill at explaining what he finds have made him "
                "a valued part of restoring balance for these patients. He listens, teaches "
                "clearly and writes well, and I recommend him without reservation."
            ),
            "credentials": "D.O., M.P.H., Biomechanics",
            "organisation": "Community Hospital, Wellness and Rehabilitation Center",
            "place": "Watsonville, CA",
            "date": date(2012, 5, 1),
            "consent_to_publish": True,
        },
    )
    return letter


def _program():
    """The downloadable program with its trial-then-installments terms."""
    Product = get_model("catalogue", "Product")
    ProductClass = get_model("catalogue", "ProductClass")
    Partner = get_model("partner", "Partner")
    StockRecord = get_model("partner", "StockRecord")
    product = Product.objects.filter(upc=PROGRAM_UPC).first()
    if product:
        return product
    product_class, _ = ProductClass.objects.get_or_create(
        slug="digital-program",
        defaults={"name": "Digital program", "requires_shipping": False, "track_stock": False},
    )
    product = Product.objects.create(
        title=PROGRAM_TITLE,
        upc=PROGRAM_UPC,
        product_class=product_class,
        structure=Product.STANDALONE,
        is_public=True,
        description=(
            "<p>The complete somatic exercise program for lower back pain, as an electronic "
            "download: the book, the audio lessons and the video sessions.</p>"
        ),
    )
    # Oscar's dashboard asks every stand-alone product for a category.
    from oscar.apps.catalogue.categories import create_from_breadcrumbs

    ProductCategory = get_model("catalogue", "ProductCategory")
    ProductCategory.objects.get_or_create(
        product=product, category=create_from_breadcrumbs("Programs")
    )
    partner, _ = Partner.objects.get_or_create(name="The Institute for Somatic Study")
    StockRecord.objects.create(
        product=product,
        partner=partner,
        partner_sku=PROGRAM_UPC,
        price_currency="USD",
        price=Decimal("197.00"),
    )
    TrialOffer.objects.create(
        product=product,
        trial_days=14,
        installment_count=2,
        installment_amount=Decimal("98.50"),
        interval_days=28,
        currency="USD",
    )
    return product


def _program_cover(product) -> None:
    """A cover picture, so the product page shows the program rather than Oscar's
    placeholder."""
    if product.images.exists():
        return
    ProductImage = get_model("catalogue", "ProductImage")
    content = _png(
        f"{PROGRAM_TITLE}\n\nSomatic exercises\nfor lower back pain", (600, 800), "#0b5f7a", 40
    )
    ProductImage.objects.create(
        product=product,
        original=ImageFile(io.BytesIO(content), name="program-cover.png"),
        caption=PROGRAM_TITLE,
        display_order=0,
    )


GETTING_STARTED = (
    "Get Free from That Back Pain: getting started\n\n"
    "1. Find a quiet half hour and a carpeted floor or a firm bed.\n"
    "2. Play the first audio lesson and follow it slowly, well within comfort.\n"
    "3. Practise once a day; notice how your back feels before and after.\n"
)


def _program_files(product) -> None:
    """A first file of the program, so "My downloads" has something to offer locally."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from shop.downloads.models import ProgramFile
    from shop.downloads.services import program_file_store

    if ProgramFile.objects.filter(product=product).exists():
        return
    program_file_store(
        program_file=ProgramFile(
            product=product,
            title="Getting started",
            description="How to use the lessons, in one page.",
        ),
        upload=SimpleUploadedFile("Getting started.txt", GETTING_STARTED.encode()),
    )


def _document(title: str, text: str):
    Document = get_document_model()
    existing = Document.objects.filter(title=title).first()
    if existing:
        return existing
    document = Document(title=title)
    filename = "-".join(title.lower().split())[:50] + ".txt"
    document.file.save(filename, ContentFile(text.encode()), save=False)
    document.save()
    return document


def _stream(blocks: list[tuple[str, object]]) -> str:
    """StreamField content in its stored form: chosen objects by id, rich text as HTML."""
    return json.dumps([{"type": kind, "value": value} for kind, value in blocks])


def _paragraph(html: str) -> tuple[str, str]:
    return ("paragraph", html)


def _heading(text: str, anchor: str = "", level: str = "h2") -> tuple[str, dict]:
    return ("heading", {"text": text, "level": level, "anchor": anchor})


def _bullets(items, heading="", style="bullets") -> tuple[str, dict]:
    rows = []
    for item in items:
        text, subs = (item, []) if isinstance(item, str) else item
        rows.append({"text": f"<p>{text}</p>", "sub_items": subs})
    return ("bullet_list", {"heading": heading, "items": rows, "style": style})


def _home_body(*, pages: dict, product, letter, photo) -> list:
    return [
        _heading("Lower Back Pain Relief Exercises for Relief That Lasts", "relief-that-lasts"),
        (
            "related_topics",
            {
                "heading": "Start here",
                "topics": [
                    {
                        "title": "How I got free of my own back pain",
                        "page": pages["about"].pk,
                        "url": "",
                    },
                    {
                        "title": "Somatics on Wikipedia",
                        "page": None,
                        "url": "https://en.wikipedia.org/wiki/Somatics",
                    },
                ],
            },
        ),
        _paragraph(
            "<p>What follows describes back pain in terms that fit what you have lived through, "
            "and offers a way to reduce it, often to nothing, within a few weeks.</p>"
            "<p>Don't take it on faith. Try what is here, notice what happens, and then decide "
            "whether it suits you.</p>"
        ),
        (
            "callout",
            {
                "title": "The key points",
                "kind": "key-point",
                "body": (
                    '<ul><li>Poor alignment, subluxations, bulging or worn discs, "spinal '
                    'arthritis", spasms and pain are mostly results of constant, excessive tension '
                    "in the back muscles, not its causes.</li>"
                    "<li>Adjustments treat those results as if they were the cause, so the relief "
                    "does not last.</li>"
                    "<li>Muscle/movement memory, laid down by injuries, operations, repeated "
                    "movements and long stress, keeps that tension going.</li>"
                    "<li>Muscles in spasm are already too tight and so tired they feel weak. "
                    "Strengthening them makes them tighter still.</li></ul>"
                ),
                "link_page": None,
                "link_text": "",
            },
        ),
        _bullets(
            [
                (
                    "Do anything a person with a healthy back can do:",
                    ["sports", "heavy lifting", "bending, straightening, twisting and turning"],
                ),
                (
                    "... without having to:",
                    [
                        "hold a neutral spine",
                        "strengthen your back or abdomen",
                        "keep going back for adjustments or therapy",
                    ],
                ),
            ],
            heading="What to expect",
        ),
        (
            "video",
            {
                "url": DEMO_VIDEO_URL,
                "title": "A real somatic education session for lower back pain",
                "poster": None,
                "caption": (
                    "<p>A recorded session, not a re-enactment. Notes on the screen point out what "
                    "matters most when you practise on your own.</p>"
                ),
                "duration": "20 min",
            },
        ),
        _paragraph(
            "<p>Somatic exercises change the way your brain runs your back muscles. Muscles that "
            "were locked in spasm let go so completely that the spasms stop coming back, even "
            "when you lift something heavy, and your full strength is there when you need "
            "it.</p><p>The change is painless and grows with each session. Expect less pain, "
            "weight that rests more evenly over your feet, and a feeling of being taller.</p>"
        ),
        ("testimonial", {"testimonial": letter.pk, "show_as": "letter"}),
        (
            "pull_quote",
            {
                "quote": "This is not about holding the right posture. It is about no longer "
                "needing to hold any posture at all.",
                "attribution": "",
            },
        ),
        _paragraph(
            "<p>You may have heard that back trouble is simply the price of walking upright. "
            "That idea suits long courses of therapy better than it suits you. A back that has "
            "learned to relax does not need a lifetime of care.</p>"
        ),
        (
            "image",
            {
                "image": photo.pk,
                "alt_text": "Lawrence Gold guiding a client through a slow movement on a table",
                "caption": "Lawrence Gold with a client, during a session.",
                "credit": "",
            },
        ),
        _paragraph(
            "<p>Most therapists agree on how to treat a bad back: strengthen it, stretch it, "
            "adjust it, massage it. And most expect a slow recovery, a back that stays fragile, "
            "and care that never quite ends.</p><p>You can expect more. Exercises that retrain "
            "movement memory bring what treatment is supposed to bring: relief that comes "
            "quickly, reliably, and stays.</p><p>Try what is on this page. If you would like "
            "more help, you can work with me one on one, online or in person.</p>"
        ),
        (
            "page_link",
            {
                "page": pages["sessions"].pk,
                "heading": "One-on-one sessions, online or in person",
                "text": "Personal guidance when you want more than the program.",
            },
        ),
        (
            "related_topics",
            {
                "heading": "Related topics",
                "topics": [
                    {"title": title, "page": None, "url": ""}
                    for title in [
                        "lower back pain",
                        "back muscle tension/spasm",
                        "strengthening and stretching",
                        "the cause of subluxations",
                        "lifting injuries",
                        "spinal misalignment",
                        "bulging/degenerated discs",
                        "sciatica",
                    ]
                ],
            },
        ),
        (
            "glossary_terms",
            {
                "heading": "Terms used in this article",
                "terms": [
                    term.pk
                    for term in GlossaryTerm.objects.filter(
                        slug__in=["sciatica", "subluxation", "muscle-spasm", "neutral-spine"]
                    )
                ],
                "show_definitions": True,
            },
        ),
        (
            "page_link",
            {
                "page": pages["glossary"].pk,
                "heading": "Glossary of medical back pain terms",
                "text": "The words your doctor uses, explained in everyday language; taken from "
                f"{PROGRAM_TITLE}.",
            },
        ),
        (
            "qa_link",
            {
                "page": pages["qa"].pk,
                "heading": "Quick answers to ten basic questions",
                "text": "Back pain questions and answers.",
            },
        ),
        ("contents", {"heading": "Topics in this article"}),
        _paragraph(
            "<p>Before treating back pain, anyone caring for you has to ask what is causing it. "
            "Muscles? Bones? Discs? Nerves? Or something else?</p><p>All four play a part, but "
            'the answer that matters most is "something else", and this article explains '
            "it.</p><p>Pain in the back itself usually comes from muscles in spasm: it is the "
            "burn of muscles that never get to rest. Pain in the buttock or leg often comes "
            "from tight muscles pressing on the sciatic nerve (sciatica). Discs bulge or "
            "rupture mostly because tight muscles squeeze them, and the nerve pain they cause "
            'can be felt far from the disc. "Spinal arthritis" and "facet joint syndrome" '
            "describe vertebrae rubbing against each other because the muscles around them are "
            "pulling too hard.</p>"
        ),
        _heading("A Body Is More Than a Marvellous Machine", "more-than-a-machine"),
        _paragraph(
            "<p>Most treatments for back pain handle the body like a machine: adjust the parts, "
            "stretch the muscles, and they should stay put. But muscles don't stay stretched. "
            "If they did, you would only need to stretch once.</p><p>The machine view misses "
            "what actually sets the tension in your back: muscle/movement memory in the brain. "
            "After an adjustment, a stretch or a massage, that memory returns your muscles to "
            "their old level of tension, often within hours.</p><p>Treatment that ignores how "
            "you feel, forceful manipulation, heavy massage, electrical stimulation or surgery, "
            "can even provoke a rebound spasm and more pain than before.</p>"
        ),
        _heading("An Alternative", "an-alternative"),
        _paragraph(
            "<p>What would work better is an approach that respects how sensitive your back has "
            "become and addresses the memory that controls it. Gentle, self-directed movement "
            "lessons do exactly that: low-tech, hands-on, and in your control.</p><p>Thousands "
            "of people, many after unsuccessful surgery, have used this approach to end their "
            "back pain and move freely again. If you have not watched the video above yet, this "
            "is a good moment, or listen to the webinar recordings.</p>"
        ),
        (
            "page_link",
            {
                "page": pages["webinars"].pk,
                "heading": "Webinar recordings",
                "text": "Listen to recorded talks on back pain and somatic exercise.",
            },
        ),
        _heading("Back Spasms: The Therapist's Dilemma", "therapists-dilemma"),
        _paragraph(
            "<p>Because so much back pain comes from spasm, much of conventional treatment is "
            "spent calming spasms or repairing what they cause. Yet relapse is the rule: one "
            "physical therapist put the chance of a patient returning with another episode at "
            "about 80%, and back surgery has a success rate of only about 15%.</p><p>Patients "
            "face a dilemma of their own: staying with what insurance covers often means a "
            "longer road. Somatic exercises support every other kind of treatment and shorten "
            "recovery to days or weeks rather than months or years.</p>"
        ),
        _heading("Back Pain Therapies, Old and New", "therapies-old-and-new"),
        _paragraph(
            "<p>Many therapists see weak-feeling muscles and prescribe strengthening. The "
            "muscles are not weak; they are exhausted from never letting go. They need rest, "
            "not more work.</p><p>Many see tight muscles and prescribe stretching. Stretching "
            "changes movement memory only very slowly, if at all. If stretching solved back "
            "pain, people who stretch would not have back pain.</p><p>Change the memory and "
            "the muscles follow: they relax, feel stronger, stop needing to be stretched, and "
            "alignment settles by itself. That is the breakthrough.</p>"
        ),
        _heading("Why Back Pain Strikes Suddenly", "why-it-strikes-suddenly"),
        _paragraph(
            "<p>Unless you had a violent accident, your back pain has been building for a long "
            "time. Tension accumulates until it crosses a threshold, and then a small movement, "
            "the last straw, sets off a spasm.</p><p>So what controls that tension? Your brain, "
            "home of muscle/movement memory and the control centre for every muscle you "
            "have.</p>"
        ),
        _heading("Muscle/Movement Memory Runs the Show", "movement-memory"),
        _paragraph(
            "<p>Controlling a muscle takes two abilities: adjusting its tension and sensing it. "
            "Both depend on muscle/movement memory, which sets how far your muscles can relax "
            "and how ready they are to tighten.</p><p>Like any memory, it is formed by habit, "
            "repetition and strong experiences, painful ones included. Retrain it, and you get "
            "back comfortable, free movement and the ability to stay relaxed without thinking "
            "about it.</p>"
        ),
        _heading("A View That Makes Sense", "a-view-that-makes-sense"),
        _bullets(
            [
                "Muscle weakness is not the problem; muscle fatigue is.",
                "Alignment is not the central problem; the muscular pulls that shape it are.",
                "Muscle/movement memory has the final say over your back muscles.",
            ],
        ),
        _paragraph(
            "<p>Be sceptical in an intelligent way: test this yourself, at no risk. Invest "
            "ninety minutes and no money, and let fresh experience, rather than opinion or past "
            "disappointments, tell you what works.</p>"
        ),
        _bullets(
            [
                "the approach makes sense to you",
                "it has worked for other people",
                "advice is available if you need it",
                "you can try it before you pay",
            ],
            heading="Before you try something new, you should know that:",
            style="checks",
        ),
        (
            "offer",
            {
                "heading": "Try the whole program free for two weeks",
                "product": product.pk,
                "text": (
                    "<p>One or two practice sessions are usually enough to feel your back "
                    "relax and lengthen. With the free tryout you get the complete electronic "
                    f"download of <i>{PROGRAM_TITLE}</i>; within a couple of days you will know "
                    "whether it is for you.</p>"
                ),
                "button_text": "Start the free 2-week tryout",
            },
        ),
        _bullets(
            [
                "quick relief that lasts and builds",
                "comfort when lifting and twisting",
                "full flexibility and strength",
                'no need to keep a "neutral" spine',
                "the end of endless therapy",
            ],
            heading="The benefits",
            style="checks",
        ),
        (
            "callout",
            {
                "title": "Tell me how the exercise went",
                "kind": "invite",
                "body": (
                    "<p>Bookmark this page, do the exercise from the video, then come back and let "
                    "me know how your back feels.</p>"
                ),
                "link_page": pages["feedback"].pk,
                "link_text": "Give your feedback on the exercise",
            },
        ),
        ("reproduction_notice", {"text": ""}),
    ]


def _fill_home(home: HomePage, *, author, letter, product, pages) -> None:
    photo = _image("Lawrence Gold with a client", size=(640, 400), background="#4f7a3a")
    home.title = "Get Lower Back Pain Relief"
    home.draft_title = home.title
    home.seo_title = "Lower Back Pain Relief Exercises for Relief That Lasts"
    home.search_description = (
        "Why lower back pain keeps coming back, and somatic exercises that release it at the "
        "source. Try the complete program free for two weeks."
    )
    home.lead = HOME_LEAD
    home.symptoms = _stream([("item", text) for text in SYMPTOMS])
    home.tried = _stream([("item", text) for text in TRIED])
    home.author = author
    home.article_date = date(2024, 3, 1)
    home.body = _stream(_home_body(pages=pages, product=product, letter=letter, photo=photo))
    home.save_revision().publish()


def _fill_site_settings(site: Site, pages: dict) -> None:
    site_settings = SiteSettings.for_site(site)
    if not site_settings.organisation_name:
        site_settings.organisation_name = "The Institute for Somatic Study and Development"
        site_settings.postal_address = "Herrada Road\nSanta Fe, NM 87508"
        site_settings.phone = "505 819-0858"
        site_settings.contact_page = pages["contact"]
        site_settings.terms_page = pages["terms"]
        site_settings.privacy_page = pages["privacy"]
        site_settings.footer_text = "Lawrence Gold, C.H.S.E."
        site_settings.copyright_notice = f"© {date.today().year} Lawrence Gold"
        site_settings.save()
    if not site_settings.trust_badges.exists():
        for order, name in enumerate(BADGES):
            TrustBadge.objects.create(
                settings=site_settings,
                sort_order=order,
                # Twice the size they are shown at, as an author's seal would be: sharp on
                # phones' high-density screens (the template offers both sizes).
                image=_image(name, size=(400, 160), background="#1d2a33", text_size=20),
                alt_text=name,
            )


def _fill_navigation(site: Site, home: HomePage, pages: dict) -> None:
    navigation = NavigationSettings.for_site(site)
    if navigation.items.exists():
        return
    entries = [
        ("home", home, ""),
        ("learn about your condition", pages["condition"], ""),
        ("about somatics", pages["about"], ""),
        ("site contents", pages["contents"], ""),
        ("store", None, "/shop/"),
        ("testimonials", pages["testimonials"], ""),
        ("contact", pages["contact"], ""),
    ]
    for order, (label, page, url) in enumerate(entries):
        NavigationItem.objects.create(
            settings=navigation, sort_order=order, label=label, page=page, url=url
        )


def _create_pages(home: HomePage) -> dict:
    pages = {}
    pages["condition"], _ = _child(
        home,
        StandardPage,
        "learn-about-your-condition",
        title="Learn About Your Condition",
        lead="Common back problems, what tends to cause them, and what helps.",
        body=[
            _paragraph(
                "<p>Each condition below is described in plain words, with what somatic exercise "
                "can and cannot do for it.</p>"
            )
        ],
    )
    pages["about"], _ = _child(
        home,
        StandardPage,
        "about-somatics",
        title="About Somatics",
        lead="Somatic education retrains the brain's control of the muscles.",
        body=[
            _paragraph(
                "<p>Somatic education was developed to help people regain voluntary control of "
                "muscles that had become stuck in habitual tension. It works through slow, "
                "attentive movement rather than force.</p>"
            )
        ],
    )
    pages["sessions"], _ = _child(
        home,
        StandardPage,
        "one-on-one-sessions",
        title="One-on-One Sessions",
        lead="Work with Lawrence Gold personally, live online or in person in Santa Fe.",
        body=[
            _paragraph(
                "<p>A session starts with a conversation and an assessment of how you move, "
                "then a hands-on or guided lesson, and ends with exercises chosen for you.</p>"
            ),
            _bullets(
                ["Live online by video call", "In person in Santa Fe, New Mexico"],
                heading="Ways to work together",
            ),
        ],
    )
    notes = _document(
        "Webinar notes: why back pain comes back",
        "Notes for the webinar 'Why back pain comes back'.\n",
    )
    pages["webinars"], _ = _child(
        home,
        StandardPage,
        "webinar-recordings",
        title="Webinar Recordings",
        lead="Recorded talks on back pain and somatic exercise, free to watch or download.",
        body=[
            (
                "recording",
                {
                    "title": "Why back pain comes back",
                    "recorded_on": "2023-10-12",
                    "summary": "<p>Why relief from adjustments and stretches fades.</p>",
                    "video_url": "https://www.youtube.com/watch?v=demoWebinar",
                    "media": notes.pk,
                },
            ),
            (
                "recording",
                {
                    "title": "Questions from listeners",
                    "recorded_on": "2023-11-09",
                    "summary": "<p>Answers to questions sent in after the first webinar.</p>",
                    "video_url": "",
                    "media": notes.pk,
                },
            ),
        ],
    )
    pages["qa"], created = _child(
        home,
        QAPage,
        "back-pain-questions-and-answers",
        title="Back Pain Q&A: Ten Basic Questions",
        intro="<p>Short, direct answers to the questions people ask most often.</p>",
    )
    if created:
        for order, (question, answer) in enumerate(QUESTIONS):
            item = QAItem(page=pages["qa"], sort_order=order, question=question, answer=answer)
            item.clean()
            item.save()
        pages["qa"].save_revision().publish()
    pages["testimonials"], _ = _child(
        home,
        TestimonialsPage,
        "testimonials",
        title="Testimonials",
        intro="<p>What clients and colleagues say about this work.</p>",
    )
    pages["contents"], _ = _child(
        home,
        SiteContentsPage,
        "site-contents",
        title="Site Contents",
        intro="<p>Every page on this site.</p>",
    )
    pages["terms"], _ = _child(
        home,
        StandardPage,
        "terms-of-use",
        title="Terms of Use",
        show_in_menus=False,
        body=[_paragraph("<p>How you may use this site and its content.</p>")],
    )
    pages["privacy"], _ = _child(
        home,
        StandardPage,
        "privacy-policy",
        title="Privacy Policy",
        show_in_menus=False,
        body=[_paragraph("<p>What we collect, why, and how to ask us to delete it.</p>")],
    )
    glossary_demo_create(home=home)
    forms_demo_create(home=home)
    pages["glossary"] = GlossaryPage.objects.descendant_of(home).first()
    pages["contact"] = ContactFormPage.objects.descendant_of(home).first()
    pages["feedback"] = FeedbackFormPage.objects.descendant_of(home).first()
    return pages


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
        "products": get_model("catalogue", "Product").objects.count,
        "product pictures": get_model("catalogue", "ProductImage").objects.count,
        "program files": get_model("downloads", "ProgramFile").objects.count,
    }
    before = {name: count() for name, count in counted.items()}
    pages = _create_pages(home)
    product = _program()
    _program_cover(product)
    _program_files(product)
    author = _author()
    letter = _letter()
    _fill_site_settings(site, pages)
    _fill_navigation(site, home, pages)
    written = [
        f"{count() - before[name]} {name}"
        for name, count in counted.items()
        if count() != before[name]
    ]
    if home.latest_revision_id is None:
        _fill_home(home, author=author, letter=letter, product=product, pages=pages)
        written.append(f"the home page article '{home.title}'")
    return written
