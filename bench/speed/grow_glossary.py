"""Adds made-up glossary terms, one save at a time as an author would, to see what a grown
glossary costs the article and the glossary page.

Run inside the checkout being measured (cwd and PYTHONPATH), with its settings and database:

    python bench/speed/grow_glossary.py --terms 1000

The phrases are invented from anatomy, findings and qualifiers, so none is a real diagnosis;
a fixed seed makes every run add the same terms. Prints {"added": N, "seconds": S}.
"""

import argparse
import itertools
import json
import os
import random
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
django.setup()

from home.models import GlossaryTerm  # noqa: E402

QUALIFIERS = [
    "Acute",
    "Chronic",
    "Recurrent",
    "Postural",
    "Bilateral",
    "Unilateral",
    "Deep",
    "Superficial",
    "Radiating",
    "Referred",
    "Mechanical",
    "Positional",
    "Segmental",
    "Nocturnal",
    "Exertional",
    "Transient",
    "Latent",
    "Diffuse",
    "Focal",
    "Sustained",
]
REGIONS = [
    "lumbar",
    "sacral",
    "thoracolumbar",
    "gluteal",
    "sacroiliac",
    "paraspinal",
    "iliopsoas",
    "piriformis",
    "hamstring",
    "pelvic",
    "facet",
    "coccygeal",
    "quadratus",
    "abdominal",
    "hip flexor",
    "multifidus",
    "erector",
    "intervertebral",
    "obturator",
    "lumbosacral",
]
FINDINGS = [
    "tension",
    "stiffness",
    "guarding",
    "fatigue",
    "imbalance",
    "irritation",
    "tightness",
    "weakness",
    "instability",
    "overload",
    "inhibition",
    "contracture",
    "sensitivity",
    "restriction",
    "asymmetry",
    "strain",
    "cramping",
    "hypertonicity",
    "adhesion",
    "ache",
]
DEFINITION = (
    "<p>A made-up term for the benchmark: {lower} describes {finding} around the {region} "
    "area that comes and goes with posture and habit. Gentle, regular movement usually "
    "eases it.</p>"
)


def phrases(count: int, seed: int) -> list[tuple[str, str, str]]:
    combos = list(itertools.product(QUALIFIERS, REGIONS, FINDINGS))
    random.Random(seed).shuffle(combos)  # noqa: S311 (made-up words, not a secret)
    return combos[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terms", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()
    existing = {t.lower() for t in GlossaryTerm.objects.values_list("term", flat=True)}
    began = time.monotonic()
    added = 0
    for qualifier, region, finding in phrases(args.terms, args.seed):
        term = f"{qualifier} {region} {finding}"
        if term.lower() in existing:
            continue
        GlossaryTerm(
            term=term,
            # The plural, as an article would write it.
            also_matches=f"{term.lower()}s",
            definition=DEFINITION.format(lower=term.lower(), finding=finding, region=region),
            source="Benchmark terms",
        ).save()
        added += 1
    print(json.dumps({"added": added, "seconds": round(time.monotonic() - began, 1)}))


if __name__ == "__main__":
    main()
