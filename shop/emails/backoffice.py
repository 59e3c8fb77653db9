"""The back office's outbox (Shop → Outbox, /cms/outbox/): every email the site kept instead
of, or before, handing it on (shop.emails.outbox), to read as customers get it.

Read-only: the listing (time, to, subject; searched by address or subject) and one page per
email with both bodies. The HTML body is shown in a sandboxed frame loaded from its own
address, which answers with a policy of its own: no script, no request anywhere but images
over HTTPS, so an email's HTML can neither run nor fetch anything in the back office."""

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.functional import cached_property
from wagtail.admin.auth import permission_denied
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views.generic import IndexView, InspectView
from wagtail.admin.viewsets.model import ModelViewSet

from shop.backoffice.menus import SHOP_MENU_HOOK
from shop.backoffice.screens import LeavesOutViews, ListingNamed
from shop.emails.models import OutboxMessage
from shop.emails.providers import OUTBOX

LISTING_NAME = "Outbox"
# The policy of an email's HTML shown in the back office: its inline styles and images over
# HTTPS (or inline), nothing else; only the back office may frame it.
EMAIL_HTML_POLICY = (
    "default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)


def outbox_keeps_new_emails() -> bool:
    """False when a provider sends the emails: the outbox then keeps nothing new."""
    return getattr(settings, "EMAIL_PROVIDER", OUTBOX) == OUTBOX


class OutboxIndexView(ListingNamed, IndexView):
    listing_name = page_title = LISTING_NAME
    template_name = "shop/emails/backoffice/outbox_index.html"

    @cached_property
    def columns(self):
        return [
            # The subject first, as the link: on a phone the first column keeps its width.
            TitleColumn(
                "subject",
                label="Subject",
                sort_key="subject",
                get_url=lambda message: reverse(self.inspect_url_name, args=(message.pk,)),
            ),
            Column("to", label="To", sort_key="to"),
            DateColumn("created_at", label="Time", sort_key="created_at"),
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["outbox_keeps_new_emails"] = outbox_keeps_new_emails()
        context["email_provider"] = getattr(settings, "EMAIL_PROVIDER", OUTBOX)
        return context


class OutboxInspectView(ListingNamed, InspectView):
    listing_name = LISTING_NAME
    page_title = "Outbox email"
    template_name = "shop/emails/backoffice/outbox_inspect.html"
    html_url_name = None

    def get_object(self, queryset=None):
        return get_object_or_404(OutboxMessage, pk=self.pk)

    def get_fields(self):
        return []

    def get_page_subtitle(self):
        return self.object.subject

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["message"] = self.object
        context["html_url"] = (
            reverse(self.html_url_name, args=(self.object.pk,)) if self.object.body_html else ""
        )
        return context


def email_html_view(request, pk: int):
    """The email's HTML alone, under its own strict policy, for the inspect page's frame."""
    if not request.user.has_perm("emails.view_outboxmessage"):
        return permission_denied(request)
    message = get_object_or_404(OutboxMessage, pk=pk)
    response = HttpResponse(message.body_html, content_type="text/html; charset=utf-8")
    # Set here, so the site's policy (which lets the back office run inline scripts) is not
    # added: django-csp leaves a response that has its own policy alone.
    response["Content-Security-Policy"] = EMAIL_HTML_POLICY
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Referrer-Policy"] = "no-referrer"
    return response


class OutboxViewSet(LeavesOutViews, ModelViewSet):
    """Outbox: the emails kept by the outbox backend, newest first."""

    model = OutboxMessage
    name = "outbox"
    url_prefix = "outbox"
    icon = "mail"
    menu_label = LISTING_NAME
    menu_order = 265
    add_to_admin_menu = True
    menu_hook = SHOP_MENU_HOOK
    index_view_class = OutboxIndexView
    inspect_view_class = OutboxInspectView
    inspect_view_enabled = True
    copy_view_enabled = False
    views_left_out = frozenset({"add", "edit", "delete", "history", "usage"})
    # Nothing links to a kept email: indexing them would cost a query on every email sent.
    add_to_reference_index = False
    search_fields = ["to", "subject"]
    search_backend_name = None
    list_per_page = 50

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(html_url_name=self.get_url_name("html"), **kwargs)

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("<int:pk>/", self.inspect_view, name="inspect"),
            path("<int:pk>/html/", email_html_view, name="html"),
        ]
