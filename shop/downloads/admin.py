"""Program files in the Django admin (``/django-admin/``): a plain file field streams large
uploads to a temporary file, and sort order is editable right in the list."""

from django import forms
from django.contrib import admin
from django.template.defaultfilters import filesizeformat

from shop.downloads.models import DownloadGrant, DownloadLimit, DownloadLog, ProgramFile
from shop.downloads.services import program_file_store


class ProgramFileForm(forms.ModelForm):
    class Meta:
        model = ProgramFile
        fields = ["product", "title", "description", "file", "original_filename", "sort_order"]


@admin.register(ProgramFile)
class ProgramFileAdmin(admin.ModelAdmin):
    form = ProgramFileForm
    list_display = ["title", "product", "size", "sort_order", "uploaded_at"]
    list_editable = ["sort_order"]
    list_filter = ["product"]
    search_fields = ["title", "original_filename"]
    autocomplete_fields = ["product"]
    readonly_fields = ["size", "sha256", "uploaded_at"]

    @admin.display(description="size", ordering="size_bytes")
    def size(self, obj):
        return filesizeformat(obj.size_bytes)

    def save_model(self, request, obj, form, change):
        if "file" in form.changed_data and form.cleaned_data.get("file"):
            upload = form.cleaned_data["file"]
            if "original_filename" in form.changed_data:
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


@admin.register(DownloadLog)
class DownloadLogAdmin(admin.ModelAdmin):
    list_display = ["downloaded_at", "user", "file_title", "ip_address", "byte_range", "resumed"]
    list_filter = ["product", "resumed"]
    search_fields = ["user__email", "file_title", "ip_address"]
    date_hierarchy = "downloaded_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
