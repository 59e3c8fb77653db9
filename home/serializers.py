"""How the content API shows the author's content. The page models use the author's
serializer for the byline, so this module reads only the snippets it describes."""

from rest_framework import serializers

from home.models.medical_review import MedicalReviewer
from home.models.snippets import AuthorProfile, Testimonial
from home.testimonial_disclosures import testimonial_disclosures

# The size of an author's or a reviewer's photo, in the API and in the pages' JSON-LD.
PHOTO_RENDITION = "fill-400x400"


def photo_url(photo) -> str | None:
    """The full address of a person's photo at PHOTO_RENDITION; None without a photo."""
    return photo.get_rendition(PHOTO_RENDITION).full_url if photo is not None else None


class AuthorProfileSerializer(serializers.ModelSerializer):
    photo_url = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta:
        model = AuthorProfile
        fields = ["id", "name", "post_nominals", "credentials", "bio", "photo_url", "links"]

    def get_photo_url(self, author) -> str | None:
        return photo_url(author.photo)

    def get_links(self, author) -> list[dict[str, str]]:
        return [{"label": label, "url": url} for label, url in author.links]


class MedicalReviewerSerializer(serializers.ModelSerializer):
    photo_url = serializers.SerializerMethodField()

    class Meta:
        model = MedicalReviewer
        fields = ["id", "name", "post_nominals", "credentials", "profile_url", "bio", "photo_url"]

    def get_photo_url(self, reviewer) -> str | None:
        return photo_url(reviewer.photo)


class TestimonialSerializer(serializers.ModelSerializer):
    """A testimonial published with the person's consent, and what readers must be told with
    it."""

    paragraphs = serializers.ListField(child=serializers.CharField(), read_only=True)
    # The view puts the site's ``typical_results`` in the context, read once for the list.
    disclosures = serializers.SerializerMethodField(
        help_text=(
            "Sentences to show with the testimonial, close to it and as clearly as its words: "
            "that the result is not typical and what most people can expect, and any payment, "
            "gift, discount or personal tie. Empty when there is nothing to say."
        )
    )

    class Meta:
        model = Testimonial
        fields = [
            "id",
            "kind",
            "quote",
            "paragraphs",
            "person",
            "credentials",
            "organisation",
            "place",
            "date",
            "result",
            "connection",
            "disclosures",
        ]
        extra_kwargs = {
            "result": {"help_text": "Whether the result described is typical."},
            "connection": {
                "help_text": "What the person received from the author, or how they know them."
            },
        }

    def get_disclosures(self, testimonial) -> list[str]:
        return testimonial_disclosures(
            testimonial=testimonial, typical_results=self.context.get("typical_results", "")
        )


class NavigationItemSerializer(serializers.Serializer):
    label = serializers.CharField()
    url = serializers.CharField()


class NavigationSerializer(serializers.Serializer):
    items = NavigationItemSerializer(many=True)


class TrustBadgeSerializer(serializers.Serializer):
    alt_text = serializers.CharField()
    link_url = serializers.CharField(allow_blank=True)
    image_url = serializers.CharField()


class MedicalDisclaimerSerializer(serializers.Serializer):
    heading = serializers.CharField()
    html = serializers.CharField(allow_blank=True, help_text="Empty when there is no disclaimer.")
    position = serializers.ChoiceField(
        choices=["top", "end"], help_text="Near the top of a health page, or at its end."
    )


class SiteSettingsSerializer(serializers.Serializer):
    organisation_name = serializers.CharField(allow_blank=True)
    address_lines = serializers.ListField(child=serializers.CharField())
    phone = serializers.CharField(allow_blank=True)
    contact_email = serializers.CharField(allow_blank=True)
    contact_page_url = serializers.CharField(allow_null=True)
    terms_page_url = serializers.CharField(allow_null=True)
    privacy_page_url = serializers.CharField(allow_null=True)
    footer_text = serializers.CharField(allow_blank=True)
    copyright_notice = serializers.CharField(allow_blank=True)
    reproduction_notice = serializers.CharField(allow_blank=True)
    trust_badges = TrustBadgeSerializer(many=True)
    medical_disclaimer = MedicalDisclaimerSerializer(
        help_text="Show it on every page that gives health information, and at checkout."
    )
