"""Program files, download limits and customers' access in the CMS (``/cms/``): Wagtail's
listings, filters, forms and history, gated on the models' Django permissions."""

import django_filters
from django.db import transaction
from django.db.models import Q
from django.http import JsonResponse
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views import View
from wagtail.actions.create import CreateAction
from wagtail.actions.delete import DeleteAction
from wagtail.actions.edit import EditAction
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.log_actions import log

from media_config.storages import private_storage_get, storage_is_s3
from shop.backoffice.menus import SHOP_MENU_HOOK
from shop.backoffice.screens import LeavesOutViews
from shop.downloads.forms import ProgramFileForm
from shop.downloads.models import (
    DownloadGrant,
    DownloadKind,
    DownloadLimit,
    DownloadLog,
    FileKind,
    ProgramFile,
)
from shop.downloads.services import (
    DirectUploadError,
    direct_upload_start,
    program_file_delete,
    program_file_save,
)
from web.content_security import bucket_uploads_allow


class CustomerIndexView(generic.IndexView):
    """A listing whose first column, linked to the row, is the customer's email."""

    @cached_property
    def columns(self):
        columns = super().columns
        columns[0].label = "Customer"
        return columns


class DownloadsViewSet(ModelViewSet):
    """What the screens of this package have in common."""

    add_to_admin_menu = True
    menu_hook = SHOP_MENU_HOOK
    copy_view_enabled = False
    # Nothing links to these rows from pages; indexing them would only cost every save (a
    # download or a play adds a row to the log).
    add_to_reference_index = False


# Program files


class ProgramFileCreateAction(CreateAction):
    """Wagtail's create action (permissions, history), storing through program_file_save."""

    def _save_instance(self):
        self.instance = program_file_save(program_file=self.form.instance, **self.form.changes())


class ProgramFileEditAction(EditAction):
    def _save_instance(self):
        self.instance = program_file_save(program_file=self.form.instance, **self.form.changes())


class ProgramFileDeleteAction(DeleteAction):
    def _delete(self):
        # The log entry first, while the row exists; the stored object goes once committed.
        with transaction.atomic():
            log(instance=self.instance, action=self.log_action, user=self.user, deleted=True)
            program_file_delete(program_file=self.instance)


class DirectUploadOffered:
    """The form offers the upload straight to the bucket when the storage is S3."""

    direct_upload_url_name = None

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if storage_is_s3(private_storage_get()):
            # The page's policy then lets the browser send the file to the bucket.
            bucket_uploads_allow(self.request)
            form.direct_upload_offer(start_url=reverse(self.direct_upload_url_name))
        else:
            form.direct_upload_offer(start_url=None)
        return form


class ProgramFileCreateView(DirectUploadOffered, generic.CreateView):
    action_class = ProgramFileCreateAction


class ProgramFileEditView(DirectUploadOffered, generic.EditView):
    action_class = ProgramFileEditAction


class ProgramFileDeleteView(generic.DeleteView):
    action_class = ProgramFileDeleteAction


class DirectUploadStartView(PermissionCheckedMixin, View):
    """Presign one browser upload to the private bucket (JSON), for an author who may add
    or change program files."""

    model = ProgramFile
    http_method_names = ["post"]

    def dispatch(self, request, *args, **kwargs):
        # Answered in JSON, not with the CMS's redirect: the caller is the upload script.
        if not self.user_has_any_permission(["add", "change"]):
            return JsonResponse(
                {"error": "You may not upload program files; ask for the permission."},
                status=403,
            )
        return super().dispatch(request, *args, **kwargs)

    def post(self, request):
        try:
            started = direct_upload_start(
                filename=request.POST.get("filename", "")[:200] or "file",
                size=_whole_number(request.POST.get("size")),
            )
        except DirectUploadError as exc:
            return JsonResponse({"error": exc.user_message}, status=400)
        return JsonResponse(started)

    def http_method_not_allowed(self, request, *args, **kwargs):
        response = JsonResponse({"error": "Send the file's name and size by POST."}, status=405)
        response["Allow"] = "POST"
        return response


def _whole_number(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def length_or_pages(program_file: ProgramFile) -> str:
    if program_file.page_count is not None:
        return f"{program_file.page_count} pages"
    if program_file.duration_seconds is not None:
        minutes, seconds = divmod(program_file.duration_seconds, 60)
        return f"{minutes}:{seconds:02d}"
    return ""


class ProgramFileFilterSet(WagtailFilterSet):
    kind = django_filters.ChoiceFilter(choices=FileKind.choices, label="Kind")

    class Meta:
        model = ProgramFile
        fields = ["product", "kind"]


class ProgramFileViewSet(DownloadsViewSet):
    model = ProgramFile
    name = "program_files"
    url_prefix = "program-files"
    menu_label = "Program files"
    icon = "doc-full"
    menu_order = 210
    add_view_class = ProgramFileCreateView
    edit_view_class = ProgramFileEditView
    delete_view_class = ProgramFileDeleteView
    list_display = [
        "title",
        "product",
        "kind",
        Column("length", label="Length / pages", accessor=length_or_pages),
        Column(
            "size",
            label="Size",
            accessor=lambda f: filesizeformat(f.size_bytes),
            sort_key="size_bytes",
        ),
        Column("sort_order", label="Order", sort_key="sort_order"),
    ]
    filterset_class = ProgramFileFilterSet
    ordering = ["product", "sort_order", "pk"]
    search_fields = ["title", "original_filename"]
    # The database search is enough for a few dozen files, with no index to keep in step.
    search_backend_name = None
    panels = [
        FieldPanel("product"),
        FieldPanel("title"),
        FieldPanel("description"),
        FieldPanel("file"),
        FieldPanel("direct_upload"),
        FieldPanel("original_filename"),
        FieldPanel("sort_order"),
        MultiFieldPanel(
            [FieldPanel("kind"), FieldPanel("duration_seconds"), FieldPanel("page_count")],
            heading="What the file is",
        ),
        MultiFieldPanel(
            [FieldPanel("captions"), FieldPanel("captions_remove"), FieldPanel("transcript")],
            heading="Captions and transcript",
        ),
        MultiFieldPanel(
            [
                FieldPanel("size_bytes", read_only=True, heading="Size (bytes)"),
                FieldPanel("sha256", read_only=True),
                FieldPanel("uploaded_at", read_only=True),
            ],
            heading="Recorded at upload",
        ),
    ]

    def get_edit_handler(self):
        return ObjectList(self.panels, base_form_class=ProgramFileForm).bind_to_model(self.model)

    def get_add_view_kwargs(self, **kwargs):
        return super().get_add_view_kwargs(
            direct_upload_url_name=self.get_url_name("direct_upload"), **kwargs
        )

    def get_edit_view_kwargs(self, **kwargs):
        return super().get_edit_view_kwargs(
            direct_upload_url_name=self.get_url_name("direct_upload"), **kwargs
        )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("direct-upload/", DirectUploadStartView.as_view(), name="direct_upload"),
        ]


# Download limits


class DownloadLimitViewSet(DownloadsViewSet):
    model = DownloadLimit
    name = "download_limits"
    url_prefix = "download-limits"
    menu_label = "Download limits"
    icon = "time"
    menu_order = 220
    list_display = ["product", "downloads_per_day"]
    list_filter = ["product"]
    form_fields = ["product", "downloads_per_day"]


# Customers' access


class GrantState:
    OPEN = "open"
    ENDED = "ended"
    choices = [(OPEN, "Open"), (ENDED, "Ended")]


class DownloadGrantFilterSet(WagtailFilterSet):
    state = django_filters.ChoiceFilter(
        label="Access", choices=GrantState.choices, method="filter_state"
    )

    class Meta:
        model = DownloadGrant
        fields = ["product", "state"]

    def filter_state(self, queryset, name, value):
        ended = Q(ends_at__lte=timezone.now())
        if value == GrantState.ENDED:
            return queryset.filter(ended)
        if value == GrantState.OPEN:
            return queryset.exclude(ended)
        return queryset


class DownloadGrantEditView(generic.EditView):
    def save_instance(self):
        if {"ends_at", "ended_reason"} & set(self.form.changed_data):
            # The author's own reason: the customer reads it with the day access ended.
            self.form.instance.ended_by_plan = False
        return super().save_instance()


def access_state(grant: DownloadGrant) -> str:
    if grant.ends_at is not None and grant.ends_at <= timezone.now():
        return "Ended"
    return "Open"


class DownloadGrantViewSet(LeavesOutViews, DownloadsViewSet):
    model = DownloadGrant
    name = "customers_access"
    url_prefix = "customers-access"
    menu_label = "Customers' access"
    icon = "key"
    menu_order = 230
    # Orders give access; the author only ends it, or gives it back.
    views_left_out = frozenset({"add", "copy", "delete"})
    inspect_view_enabled = True
    index_view_class = CustomerIndexView
    edit_view_class = DownloadGrantEditView
    list_display = [
        "user__email",
        "product",
        Column("order", label="Order", accessor="order.number"),
        DateColumn("starts_at", label="From", sort_key="starts_at"),
        DateColumn("ends_at", label="Until", sort_key="ends_at"),
        Column("state", label="Access", accessor=access_state),
    ]
    filterset_class = DownloadGrantFilterSet
    search_fields = ["user__email", "order__number"]
    search_backend_name = None
    panels = [
        FieldPanel("user", read_only=True, heading="Customer"),
        FieldPanel("product", read_only=True),
        FieldPanel("order", read_only=True),
        FieldPanel("starts_at", read_only=True),
        FieldPanel("ends_at"),
        FieldPanel("ended_reason"),
        # A customer who needs more (a shared household, a flaky connection) gets their own.
        FieldPanel("downloads_per_day"),
    ]

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(
            queryset=DownloadGrant.objects.select_related("user", "product", "order"),
            page_title=self.menu_label,
            **kwargs,
        )


# Downloads and plays


class DownloadLogFilterSet(WagtailFilterSet):
    kind = django_filters.ChoiceFilter(choices=DownloadKind.choices, label="Kind")
    downloaded_at = django_filters.DateFromToRangeFilter(label="Date", widget=DateRangePickerWidget)

    class Meta:
        model = DownloadLog
        fields = ["kind", "downloaded_at", "product"]


class DownloadLogViewSet(LeavesOutViews, DownloadsViewSet):
    model = DownloadLog
    name = "downloads_and_plays"
    url_prefix = "downloads-and-plays"
    menu_label = "Downloads and plays"
    icon = "download"
    menu_order = 240
    # A record of what happened: read, searched and exported, never changed.
    views_left_out = frozenset({"add", "edit", "copy", "delete"})
    inspect_view_enabled = True
    index_view_class = CustomerIndexView
    list_display = [
        "user__email",
        Column("file_title", label="File", sort_key="file_title"),
        DateColumn("downloaded_at", label="When", sort_key="downloaded_at"),
        "kind",
        Column("ip_address", label="Address"),
        Column("byte_range", label="Range"),
        BooleanColumn("resumed", label="Resumed"),
    ]
    filterset_class = DownloadLogFilterSet
    search_fields = ["user__email", "file_title"]
    search_backend_name = None
    list_export = [
        "downloaded_at",
        "user.email",
        "file_title",
        "get_kind_display",
        "ip_address",
        "byte_range",
        "resumed",
        "user_agent",
    ]
    export_headings = {
        "downloaded_at": "When (UTC)",
        "user.email": "Customer",
        "file_title": "File",
        "get_kind_display": "Kind",
        "ip_address": "Address",
        "byte_range": "Range",
        "resumed": "Resumed",
        "user_agent": "Browser",
    }
    export_filename = "downloads-and-plays"
    form_fields = []

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(
            queryset=DownloadLog.objects.select_related("user"),
            page_title=self.menu_label,
            **kwargs,
        )
