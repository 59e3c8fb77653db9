"""Plan emails in the back office (/cms/plan-emails/): the author lists the shop's emails and
edits their texts with ``CommunicationEventTypeForm`` (starting from the text customers
receive today), previews one with a real order, and finds who changed what in its history.

No adding or deleting: the shop sends each email by its code, so a new one would never go
out and a deleted one would fall back to the site's files without anyone noticing."""

from django.contrib.sites.shortcuts import get_current_site
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.urls import path
from django.utils.functional import cached_property
from oscar.core.loading import get_model
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views.generic import EditView, IndexView
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.viewsets.model import ModelViewSet

from shop.backoffice.menus import SHOP_MENU_HOOK
from shop.backoffice.screens import ListingNamed
from shop.billing.email_examples import email_context_for
from shop.dashboard.communications.forms import CommunicationEventTypeForm
from shop.emails.look import html_for_mail

CommunicationEventType = get_model("communication", "CommunicationEventType")
Order = get_model("order", "Order")


class PlanEmailForm(CommunicationEventTypeForm):
    """The texts, and the order a preview is made with (the newest program's when empty)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A preview is shown on the page, never sent to an address.
        del self.fields["preview_email"]
        self.fields["preview_order_number"].label = "Preview with order number"
        self.fields[
            "preview_order_number"
        ].help_text = "Empty: the newest customer's program is used."

    def clean_preview_order_number(self):
        if not self.cleaned_data["preview_order_number"].strip():
            return ""
        return super().clean_preview_order_number()

    def order_for_preview(self):
        """The order the preview is written for, if any order exists."""
        # Oscar's clean_preview_order_number sets ``preview_order`` for a number typed in.
        if getattr(self, "preview_order", None) is not None:
            return self.preview_order
        return (
            Order.objects.filter(installment_plan__isnull=False)
            .select_related("user", "installment_plan")
            .order_by("-date_placed", "-pk")
            .first()
            or Order.objects.select_related("user").order_by("-date_placed", "-pk").first()
        )

    class Meta(CommunicationEventTypeForm.Meta):
        fields = [
            "name",
            "email_subject_template",
            "email_body_template",
            "email_body_html_template",
            "preview_order_number",
        ]


def text_source(email: CommunicationEventType) -> str:
    edited = any(
        getattr(email, field) is not None
        for field in ("email_subject_template", "email_body_template")
    )
    return "Edited here" if edited else "The site's text"


class PlanEmailIndexView(ListingNamed, IndexView):
    listing_name = "Plan emails"
    page_title = "Plan emails"

    @cached_property
    def columns(self):
        return [
            TitleColumn("name", label="Email", get_url=self.get_edit_url, sort_key="name"),
            Column("code", label="Code", sort_key="code"),
            Column("text", label="Text", accessor=text_source),
            DateColumn("date_updated", label="Updated", sort_key="date_updated"),
        ]


class PlanEmailEditView(ListingNamed, EditView):
    listing_name = "Plan emails"
    """Saving writes the texts (and Wagtail's history); "Preview" shows the email as the
    chosen order's customer would read it, saving nothing."""

    template_name = "shop/dashboard/communications/plan_email_edit.html"

    def post(self, request, *args, **kwargs):
        if "show_preview" not in request.POST:
            return super().post(request, *args, **kwargs)
        if not hasattr(self, "object"):
            self.object = self.get_object()
        self.form = self.get_form()
        preview = None
        if self.form.is_valid():
            preview = self.preview(self.form)
        return self.render_to_response(self.get_context_data(form=self.form, preview=preview))

    def preview(self, form: PlanEmailForm) -> dict | None:
        """The unsaved texts rendered for the chosen order's plan as the shop would send them
        (``email_context_for``), the HTML as it leaves (stylesheet written into each element)."""
        email = form.save(commit=False)
        context = {"user": self.request.user}
        order = form.order_for_preview()
        plan = getattr(order, "installment_plan", None) if order is not None else None
        if plan is not None:
            context.update(email_context_for(email.code, plan))
        elif order is not None:
            context.update(order=order, user=order.user, lines=order.lines.all())
        context["site"] = get_current_site(self.request)
        try:
            messages = email.get_messages(context)
        except TemplateDoesNotExist as exc:
            form.add_error(
                None,
                f"The email could not be written: it names a file that does not exist ({exc}).",
            )
            return None
        except TemplateSyntaxError as exc:
            form.add_error(None, f"The email could not be written with these texts: {exc}")
            return None
        # Rendered templates come back marked safe: shown on this page as plain text, never
        # as the back office's own HTML (a customer's name may hold markup).
        shown = {name: "".join(value) for name, value in messages.items()}
        shown["html_for_mail"] = html_for_mail(shown["html"])
        shown["order"] = order
        return shown


class PlanEmailHistoryView(ListingNamed, HistoryView):
    listing_name = "Plan emails"
    pass


class PlanEmailViewSet(ModelViewSet):
    """Plan emails: each email's texts, edited in place, with their history."""

    model = CommunicationEventType
    name = "plan_emails"
    url_prefix = "plan-emails"
    icon = "mail"
    menu_label = "Plan emails"
    menu_order = 250
    add_to_admin_menu = True
    menu_hook = SHOP_MENU_HOOK
    index_view_class = PlanEmailIndexView
    edit_view_class = PlanEmailEditView
    history_view_class = PlanEmailHistoryView
    copy_view_enabled = False
    search_fields = ["name", "code"]
    search_backend_name = None

    def get_permissions_to_register(self):
        # Wagtail's group editor offers seeing and changing the texts, never adding or
        # deleting an email the shop sends by its code.
        return (
            super()
            .get_permissions_to_register()
            .exclude(codename__in=["add_communicationeventtype", "delete_communicationeventtype"])
        )

    def get_form_class(self, for_update=False):
        return PlanEmailForm

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            **{"add_url_name": None, "delete_url_name": None, "usage_url_name": None, **kwargs}
        )

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("edit/<int:pk>/", self.edit_view, name="edit"),
            path("history/<int:pk>/", self.history_view, name="history"),
            path("history-results/<int:pk>/", self.history_results_view, name="history_results"),
        ]
