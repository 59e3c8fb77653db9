"""The glossary's starting terms and page, written for this site in everyday words."""

from django.db import transaction

from home.models import GlossaryPage, GlossaryTerm, HomePage

GLOSSARY_SOURCE = "Get Free from That Back Pain (glossary)"
GLOSSARY_TITLE = "Glossary of Back Pain Terms"
GLOSSARY_INTRO = (
    "<p>The words doctors and therapists use about the back, explained in plain language. "
    "Wherever the article first uses one of these words, it links here.</p>"
)

# (term, also matches, definition). Each definition is a few sentences a reader with no
# medical training can follow; none of them replaces a visit to a doctor.
DEMO_TERMS = [
    (
        "Lower back pain",
        "low back pain, lower-back pain, lumbar pain",
        "<p>Pain, aching or stiffness anywhere between the bottom of the ribs and the top of "
        "the legs. It is one of the most common reasons people see a doctor. Most of the time "
        "no serious damage is found: tight, tired or overworked muscles are a frequent cause, "
        "and gentle movement usually helps more than rest.</p>",
    ),
    (
        "Muscle spasm",
        "muscle spasms, back spasm, back spasms, spasm, spasms",
        "<p>A muscle that suddenly tightens and will not let go, often painfully. In the back, "
        "a spasm can make it hard to stand up straight, bend or turn. It may last a few "
        "seconds or linger for days, and the area often feels sore afterwards.</p>",
    ),
    (
        "Sciatica",
        "sciatic pain, sciatic nerve pain",
        "<p>Pain that travels from the lower back or buttock down the back of one leg, "
        "sometimes with tingling, numbness or weakness. It happens when the sciatic nerve, the "
        "longest nerve in the body, or one of the nerve roots that form it is squeezed or "
        "irritated. Sciatica describes what you feel, not what causes it.</p>",
    ),
    (
        "Subluxation",
        "subluxations",
        "<p>In medicine, a partial dislocation: the two surfaces of a joint have slipped part "
        "of the way out of their usual place. Chiropractors also use the word for a small "
        "shift of a spinal bone that they believe affects health. That second meaning is not "
        "the medical one, and the evidence for it is disputed.</p>",
    ),
    (
        "Spinal misalignment",
        "spinal misalignments, misaligned spine, misalignment of the spine",
        "<p>The idea that one or more bones of the spine have moved out of line and are "
        "causing pain. Small differences in how the bones line up show on the scans of plenty "
        "of people who feel fine, so a misalignment alone rarely explains back pain. Muscles "
        "that pull harder on one side can make the back look and feel crooked.</p>",
    ),
    (
        "Herniated disc",
        "herniated discs, herniated disk, bulging disc, bulging discs, bulging disk, "
        "slipped disc, disc herniation",
        "<p>Between the bones of the spine sit discs: a tough outer ring around a soft, "
        "gel-like core. In a <b>bulging disc</b> the ring sags outwards; in a <b>herniated "
        "disc</b> some of the soft core pushes through a split in the ring. Either can press "
        "on a nearby nerve and hurt, yet many people have one on a scan and feel nothing.</p>",
    ),
    (
        "Degenerated disc",
        "degenerated discs, degenerative disc disease, disc degeneration",
        "<p>A disc that has become thinner, drier and less springy over the years. This is a "
        "normal part of getting older, rather like grey hair, and it shows on the scans of "
        "many people with no back pain. Despite the name <i>degenerative disc disease</i>, it "
        "is not really a disease and it does not always get worse.</p>",
    ),
    (
        "Facet joint syndrome",
        "facet joint pain, facet syndrome, facet joints, facet joint",
        "<p>Pain coming from the facet joints: the small pairs of joints at the back of the "
        "spine that link each bone to the next and guide how the back bends and twists. When "
        "they are stiff or irritated, the ache is usually felt on one or both sides of the "
        "lower back and tends to be worse when leaning back or twisting.</p>",
    ),
    (
        "Spinal arthritis",
        "arthritis of the spine, spinal osteoarthritis",
        "<p>Wear and change in the joints of the spine as we age, most often in the facet "
        "joints. The smooth cartilage that lines the joints gets thinner and small bony "
        "growths may form, which can bring stiffness and aching. Many people whose X-rays "
        "show arthritis have little or no pain, and staying gently active usually helps.</p>",
    ),
    (
        "Neutral spine",
        "neutral spine position",
        "<p>The comfortable, balanced position of the back, keeping its natural gentle "
        "curves: neither arched nor slumped. In this position the joints, discs and muscles "
        "share the load evenly, which is why many exercises ask you to start from it.</p>",
    ),
    (
        "Muscle memory",
        "movement memory",
        "<p>The way the brain learns patterns of movement and muscle tension and then repeats "
        "them without thinking, like riding a bike. The same learning can work against you: "
        "after an injury or years of stress, the brain can keep back muscles tight out of "
        "habit, long after the reason has gone.</p>",
    ),
    (
        "Somatic education",
        "somatics, somatic exercises, somatic exercise, somatic movement",
        "<p>Slow, gentle movement lessons in which you pay close attention to how your body "
        "feels from the inside. By sensing muscles that have learned to stay tight and then "
        "releasing them little by little, you teach the brain to control and relax them "
        "again. Thomas Hanna's somatics and the Feldenkrais Method are well-known "
        "examples.</p>",
    ),
]


@transaction.atomic
def glossary_demo_create(*, home: HomePage) -> list[str]:
    """Add the starting glossary terms and a published glossary page under ``home``.

    Terms are matched by slug and only the missing ones are created, so a term the author
    edited or renamed keeps its wording. The page is made only if the site has none.
    Returns what was written, for the command's output; empty when nothing changed.
    """
    written = []
    for term, also_matches, definition in DEMO_TERMS:
        _, created = GlossaryTerm.objects.get_or_create(
            slug=GlossaryTerm.slug_for(term),
            defaults={
                "term": term,
                "also_matches": also_matches,
                "definition": definition,
                "source": GLOSSARY_SOURCE,
            },
        )
        if created:
            written.append(f"glossary term '{term}'")
    if not GlossaryPage.objects.exists():
        page = GlossaryPage(title=GLOSSARY_TITLE, slug="glossary", intro=GLOSSARY_INTRO)
        home.add_child(instance=page)
        page.save_revision().publish()
        written.append(f"glossary page '{page.title}'")
    return written
