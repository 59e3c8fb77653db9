"""The content API: Wagtail's pages, images and documents at /api/v2/, and read-only
endpoints for the glossary, testimonials, author profiles, medical reviewers, navigation and
site settings (with the medical disclaimer)."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView
from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.documents.api.v2.views import DocumentsAPIViewSet
from wagtail.images.api.v2.views import ImagesAPIViewSet
from wagtail.models import Site
from wagtail.rich_text import expand_db_html

from home.glossary.selectors import glossary_page_url
from home.glossary.serializers import GlossaryTermSerializer
from home.models import (
    AuthorProfile,
    GlossaryTerm,
    HealthContentSettings,
    MedicalReviewer,
    NavigationItem,
    SiteSettings,
    Testimonial,
    TrustBadge,
)
from home.serializers import (
    AuthorProfileSerializer,
    MedicalReviewerSerializer,
    NavigationSerializer,
    SiteSettingsSerializer,
    TestimonialSerializer,
)
from web.api import ErrorSerializer, ExactFieldFilter, ItemsPagination

BADGE_RENDITION = "max-160x80"

wagtail_api_router = WagtailAPIRouter("wagtailapi")
wagtail_api_router.register_endpoint("pages", PagesAPIViewSet)
wagtail_api_router.register_endpoint("images", ImagesAPIViewSet)
wagtail_api_router.register_endpoint("documents", DocumentsAPIViewSet)


def _request_site(request) -> Site | None:
    return Site.find_for_request(request) or Site.objects.filter(is_default_site=True).first()


LIST_ERRORS = {400: ErrorSerializer, 429: ErrorSerializer}
DETAIL_ERRORS = {400: ErrorSerializer, 404: ErrorSerializer, 429: ErrorSerializer}


class ReadOnlyListView(generics.ListAPIView):
    # Public data: the same answer for everyone, so no sign-in is read.
    authentication_classes = []
    pagination_class = ItemsPagination
    filter_backends = [ExactFieldFilter]
    filter_fields: dict[str, str] = {}


class ReadOnlyDetailView(generics.RetrieveAPIView):
    authentication_classes = []
    # No filters on a single item, but unknown parameters are still refused.
    filter_backends = [ExactFieldFilter]


class GlossaryTermMixin:
    serializer_class = GlossaryTermSerializer
    queryset = GlossaryTerm.objects.all()

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["glossary_url"] = glossary_page_url(_request_site(self.request))
        return context


@extend_schema(responses={200: GlossaryTermSerializer(many=True), **LIST_ERRORS})
class GlossaryTermListView(GlossaryTermMixin, ReadOnlyListView):
    """Glossary terms from A to Z."""

    filter_fields = {"slug": "Only the term with this slug."}


@extend_schema(responses={200: GlossaryTermSerializer, **DETAIL_ERRORS})
class GlossaryTermDetailView(GlossaryTermMixin, ReadOnlyDetailView):
    lookup_field = "slug"


class PublishedTestimonialMixin:
    serializer_class = TestimonialSerializer
    # Only the words their authors agreed to publish.
    queryset = Testimonial.objects.publishable()

    def get_serializer_context(self):
        context = super().get_serializer_context()
        # Read once for the whole list: what most people can expect, on this site.
        site = _request_site(self.request)
        context["typical_results"] = (
            HealthContentSettings.for_site(site).typical_results if site else ""
        )
        return context


@extend_schema(responses={200: TestimonialSerializer(many=True), **LIST_ERRORS})
class TestimonialListView(PublishedTestimonialMixin, ReadOnlyListView):
    """Testimonials and letters of reference published with consent, newest first."""

    filter_fields = {"kind": "letter or testimonial."}


@extend_schema(responses={200: TestimonialSerializer, **DETAIL_ERRORS})
class TestimonialDetailView(PublishedTestimonialMixin, ReadOnlyDetailView):
    pass


class AuthorMixin:
    serializer_class = AuthorProfileSerializer
    queryset = AuthorProfile.objects.select_related("photo")


@extend_schema(responses={200: AuthorProfileSerializer(many=True), **LIST_ERRORS})
class AuthorListView(AuthorMixin, ReadOnlyListView):
    """The authors shown in bylines."""


@extend_schema(responses={200: AuthorProfileSerializer, **DETAIL_ERRORS})
class AuthorDetailView(AuthorMixin, ReadOnlyDetailView):
    pass


class ReviewerMixin:
    serializer_class = MedicalReviewerSerializer
    queryset = MedicalReviewer.objects.select_related("photo")


@extend_schema(responses={200: MedicalReviewerSerializer(many=True), **LIST_ERRORS})
class ReviewerListView(ReviewerMixin, ReadOnlyListView):
    """The health professionals who review pages, shown as "Medically reviewed by"."""


@extend_schema(responses={200: MedicalReviewerSerializer, **DETAIL_ERRORS})
class ReviewerDetailView(ReviewerMixin, ReadOnlyDetailView):
    pass


class SiteScopedView(APIView):
    """An answer about the site the request is for; no query parameters."""

    authentication_classes = []

    def check_no_parameters(self, request) -> None:
        ExactFieldFilter().filter_queryset(request, None, self)


@extend_schema(responses={200: NavigationSerializer, 400: ErrorSerializer, 429: ErrorSerializer})
class NavigationView(SiteScopedView):
    """The main navigation, in the author's order."""

    def get(self, request):
        self.check_no_parameters(request)
        site = _request_site(request)
        items = (
            NavigationItem.objects.filter(settings__site=site)
            .select_related("page")
            .order_by("sort_order")
        )
        data = {"items": [{"label": item.label, "url": item.href(request)} for item in items]}
        return Response(NavigationSerializer(data).data)


@extend_schema(responses={200: SiteSettingsSerializer, 400: ErrorSerializer, 429: ErrorSerializer})
class SiteSettingsView(SiteScopedView):
    """Contact details, footer, trust badges and the medical disclaimer."""

    def get(self, request):
        self.check_no_parameters(request)
        site = _request_site(request)
        chrome = SiteSettings.for_site(site)
        health = HealthContentSettings.for_site(site)
        badges = TrustBadge.objects.filter(settings=chrome).select_related("image")

        def page_url(page):
            return page.get_url(request) if page is not None and page.live else None

        data = {
            "organisation_name": chrome.organisation_name,
            "address_lines": chrome.address_lines,
            "phone": chrome.phone,
            "contact_email": chrome.contact_email,
            "contact_page_url": page_url(chrome.contact_page),
            "terms_page_url": page_url(chrome.terms_page),
            "privacy_page_url": page_url(chrome.privacy_page),
            "footer_text": chrome.footer_text,
            "copyright_notice": chrome.copyright_notice,
            "reproduction_notice": chrome.reproduction_notice,
            "trust_badges": [
                {
                    "alt_text": badge.alt_text,
                    "link_url": badge.link_url,
                    "image_url": badge.image.get_rendition(BADGE_RENDITION).full_url,
                }
                for badge in badges.order_by("sort_order")
            ],
            "medical_disclaimer": {
                "heading": health.disclaimer_heading,
                # The author's rich text with its page and document links made real addresses.
                "html": expand_db_html(health.disclaimer) if health.disclaimer else "",
                "position": health.disclaimer_position,
            },
        }
        return Response(SiteSettingsSerializer(data).data)
