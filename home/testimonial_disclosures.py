"""What a reader must be told next to a testimonial: that its result is not typical, with
what most people can expect, and any payment, gift, discount or personal tie between the
person and the author. The rules on endorsements ask for these in plain words, close to the
testimonial, so every place that shows one (pages, the shop, the API) takes them from here."""

from home.models.snippets import Testimonial

NOT_TYPICAL = "This result is not typical: results vary from person to person."

# What the person received or how they know the author, with their name in front.
CONNECTION_SENTENCES = {
    "free_program": "{person} received the program free of charge.",
    "paid": "{person} was paid for this {kind}.",
    "discount": "{person} received a discount or another reward for this {kind}.",
    "family_or_friend": "{person} is a relative or friend of the author.",
    "business": "{person} works or does business with the author.",
}


def _as_sentence(text: str) -> str:
    text = " ".join(text.split())
    if text and text[-1] not in ".!?":
        text += "."
    return text


def testimonial_disclosures(*, testimonial: Testimonial, typical_results: str) -> list[str]:
    """The sentences to show with ``testimonial``, in order: the result is not typical (then
    ``typical_results``, the author's statement of what most people can expect, when given),
    and the person's connection to the author (the author's own wording when they gave it).
    Empty for a typical result, or no result, given with no connection."""
    sentences = []
    if testimonial.result == Testimonial.NOT_TYPICAL:
        sentences.append(NOT_TYPICAL)
        if typical_results.strip():
            sentences.append(_as_sentence(typical_results))
    if testimonial.connection != Testimonial.NO_CONNECTION:
        if testimonial.connection_details.strip():
            sentences.append(_as_sentence(testimonial.connection_details))
        else:
            template = CONNECTION_SENTENCES[testimonial.connection]
            sentences.append(
                template.format(
                    person=testimonial.person.strip(),
                    kind=testimonial.get_kind_display().lower(),
                )
            )
    return sentences
