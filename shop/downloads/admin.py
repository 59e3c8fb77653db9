"""Program files in the Django admin (``/django-admin/``). Through the server, a plain file
field streams large uploads to a temporary file; with S3, the author's browser can send the
file straight to the bucket (presigned POST, with a progress bar) and the server checks it
arrived whole before saving."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseNotAllowed, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.html import format_html

from media_config.storages import private_storage_get, storage_is_s3
from shop.downloads.models import (
    DownloadGrant,
    DownloadLimit,
    DownloadLog,
    FileKind,
    PlaybackPosition,
    ProgramFile,
)
from shop.downloads.services import (
    DirectUploadError,
    direct_upload_start,
    direct_upload_verify,
    program_file_attach_upload,
    program_file_delete,
    program_file_store,
)
from shop.downloads.tasks import program_file_checksum_later
from web.content_security import bucket_uploads_allow


class DirectUploadWidget(forms.Widget):
    """A file chooser that uploads to the bucket at once; the form only carries a token."""

    class Media:
        js = ["downloads/direct_upload.js"]

    def __init__(self, *, start_url: str = "", attrs=None):
        super().__init__(attrs)
        self.start_url = start_url

    def render(self, name, value, attrs=None, renderer=None):
        # Rendered here rather than from a template: the admin's form renderer only looks
        # in Django's and the apps' template folders.
        # Not a HiddenInput subclass: the admin would hide the whole row, progress and all.
        field_id = (attrs or {}).get("id", name)
        hidden = format_html(
            '<input type="hidden" name="{}" id="{}" value="{}">', name, field_id, value or ""
        )
        status_id = f"{field_id}-status"
        return format_html(
            '<div class="direct-upload"><input type="file" data-direct-upload '
            'data-start-url="{}" aria-describedby="{}"> '
            '<progress value="0" max="1" hidden></progress> '
            '<span class="direct-upload-status" id="{}" role="status"></span>{}</div>',
            self.start_url,
            status_id,
            status_id,
            hidden,
        )


class StoredFileInput(forms.FileInput):
    """A file chooser that names the file kept now, as text: private storage on disk has
    no URL to link to (customers get files through the download view)."""

    def render(self, name, value, attrs=None, renderer=None):
        chooser = super().render(name, value, attrs, renderer)
        stored_name = getattr(value, "name", "") if value else ""
        if not stored_name:
            return chooser
        return format_html(
            '<p class="file-upload">Currently: {}<br>Change: {}</p>',
            stored_name.rsplit("/", 1)[-1],
            chooser,
        )


# Captions are a few kilobytes of text; anything far larger is not a captions file.
CAPTIONS_MAX_BYTES = 1024 * 1024


class ProgramFileForm(forms.ModelForm):
    direct_upload = forms.CharField(
        required=False,
        label="Upload straight to storage",
        help_text="For large files: sent from your browser to the bucket, with progress.",
    )
    captions_remove = forms.BooleanField(required=False, label="Remove the captions")

    class Meta:
        model = ProgramFile
        fields = [
            "product",
            "title",
            "description",
            "file",
            "original_filename",
            "sort_order",
            "kind",
            "duration_seconds",
            "page_count",
            "captions",
            "transcript",
        ]
        widgets = {"file": StoredFileInput, "captions": StoredFileInput(attrs={"accept": ".vtt"})}

    def clean_captions(self):
        captions = self.cleaned_data.get("captions")
        if not captions or captions == self.instance.captions:
            return captions
        if not captions.name.lower().endswith(".vtt") or captions.size > CAPTIONS_MAX_BYTES:
            raise ValidationError("Captions must be a WebVTT file (.vtt) of at most 1 MB.")
        head = captions.read(16)
        captions.seek(0)
        if not head.removeprefix(b"\xef\xbb\xbf").startswith(b"WEBVTT"):
            raise ValidationError(
                "This is not a WebVTT file: its first line must be WEBVTT. "
                "Save the captions as .vtt from your captioning tool."
            )
        return captions

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].required = False
        # Set from the upload anyway; the author only corrects it.
        self.fields["kind"].required = False
        self.verified_upload = None

    def clean_kind(self):
        return self.cleaned_data.get("kind") or self.instance.kind or FileKind.OTHER

    def clean(self):
        cleaned = super().clean()
        token = cleaned.get("direct_upload")
        if token:
            try:
                self.verified_upload = direct_upload_verify(token=token)
            except DirectUploadError as exc:
                raise ValidationError({"direct_upload": exc.user_message}) from exc
            # The model's own validation then sees the file that is already in the bucket.
            self.instance.file.name = self.verified_upload["name"]
        elif not cleaned.get("file") and not (self.instance.pk and self.instance.file):
            raise ValidationError({"file": "Choose the file to upload."})
        return cleaned


@admin.register(ProgramFile)
class ProgramFileAdmin(admin.ModelAdmin):
    form = ProgramFileForm
    list_display = ["title", "product", "kind", "size", "sort_order", "uploaded_at"]
    list_editable = ["sort_order"]
    list_filter = ["product"]
    search_fields = ["title", "original_filename"]
    autocomplete_fields = ["product"]
    readonly_fields = ["size", "sha256", "uploaded_at"]

    def get_fieldsets(self, request, obj=None):
        captions = ["captions", "transcript"]
        if obj is not None and obj.captions:
            captions.insert(1, "captions_remove")
        return [
            (
                None,
                {
                    "fields": [
                        "product",
                        "title",
                        "description",
                        "file",
                        "direct_upload",
                        "original_filename",
                        "sort_order",
                    ]
                },
            ),
            ("What the file is", {"fields": ["kind", "duration_seconds", "page_count"]}),
            ("Captions and transcript", {"fields": captions}),
            ("Recorded at upload", {"fields": ["size", "sha256", "uploaded_at"]}),
        ]

    @admin.display(description="size", ordering="size_bytes")
    def size(self, obj):
        return filesizeformat(obj.size_bytes)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if storage_is_s3(private_storage_get()):
            bucket_uploads_allow(request)
            form.base_fields["direct_upload"].widget = DirectUploadWidget(
                start_url=reverse("admin:downloads_programfile_direct_upload")
            )
        else:
            form.base_fields["direct_upload"].widget = forms.HiddenInput()
        return form

    def get_urls(self):
        return [
            path(
                "direct-upload/",
                self.admin_site.admin_view(self.direct_upload_view),
                name="downloads_programfile_direct_upload",
            ),
            *super().get_urls(),
        ]

    @staticmethod
    def _size(value) -> int:
        try:
            return int(value)
        except (TypeError, ValueError):
            return 0

    def direct_upload_view(self, request):
        """Presign one browser upload to the private bucket (JSON)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        try:
            started = direct_upload_start(
                filename=request.POST.get("filename", "")[:200] or "file",
                size=self._size(request.POST.get("size")),
            )
        except DirectUploadError as exc:
            return JsonResponse({"error": exc.user_message}, status=400)
        return JsonResponse(started)

    def save_model(self, request, obj, form, change):
        if form.verified_upload:
            program_file_attach_upload(program_file=obj, upload=form.verified_upload)
            program_file_checksum_later(program_file=obj)
        elif "file" in form.changed_data and form.cleaned_data.get("file"):
            upload = form.cleaned_data["file"]
            if "original_filename" in form.changed_data and obj.original_filename:
                # The author typed a name: keep it rather than the uploaded file's.
                chosen_name = obj.original_filename
                program_file_store(program_file=obj, upload=upload)
                obj.original_filename = chosen_name
                obj.save(update_fields=["original_filename"])
            else:
                obj.original_filename = ""
                program_file_store(program_file=obj, upload=upload)
        else:
            obj.save()
        if form.cleaned_data.get("captions_remove") and obj.captions:
            old_captions = obj.captions.name
            obj.captions = ""
            obj.save(update_fields=["captions"])
            storage = obj.file.storage
            transaction.on_commit(lambda: storage.delete(old_captions))

    def delete_model(self, request, obj):
        program_file_delete(program_file=obj)

    def delete_queryset(self, request, queryset):
        for program_file in queryset:
            program_file_delete(program_file=program_file)


@admin.register(DownloadLimit)
class DownloadLimitAdmin(admin.ModelAdmin):
    list_display = ["product", "downloads_per_day"]
    autocomplete_fields = ["product"]


@admin.register(DownloadGrant)
class DownloadGrantAdmin(admin.ModelAdmin):
    list_display = ["user", "product", "order", "starts_at", "ends_at", "downloads_per_day"]
    list_filter = ["product"]
    search_fields = ["user__email", "order__number"]
    fields = [
        "user",
        "product",
        "order",
        "starts_at",
        "ends_at",
        "ended_reason",
        "downloads_per_day",
    ]
    readonly_fields = ["user", "product", "order"]

    def save_model(self, request, obj, form, change):
        if {"ends_at", "ended_reason"} & set(form.changed_data):
            # The author's own reason: the customer reads it with the day access ended.
            obj.ended_by_plan = False
        super().save_model(request, obj, form, change)


@admin.register(DownloadLog)
class DownloadLogAdmin(admin.ModelAdmin):
    list_display = [
        "downloaded_at",
        "user",
        "file_title",
        "kind",
        "ip_address",
        "byte_range",
        "resumed",
    ]
    list_filter = ["product", "kind", "resumed"]
    search_fields = ["user__email", "file_title", "ip_address"]
    date_hierarchy = "downloaded_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PlaybackPosition)
class PlaybackPositionAdmin(admin.ModelAdmin):
    list_display = ["user", "program_file", "seconds", "updated_at"]
    search_fields = ["user__email", "program_file__title"]

    def has_add_permission(self, request):
        return False
