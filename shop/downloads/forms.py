"""The author's form for a program file, with its two ways to upload: through the server (a
plain file field, streamed to a temporary file) or, with S3, straight from the browser to the
bucket (presigned POST, with a progress bar), checked to have arrived whole before saving."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from wagtail.admin.forms import WagtailAdminModelForm

from shop.downloads.models import FileKind, ProgramFile
from shop.downloads.services import DirectUploadError, direct_upload_verify


class DirectUploadWidget(forms.Widget):
    """A file chooser that uploads to the bucket at once; the form only carries a token."""

    class Media:
        js = ["downloads/direct_upload.js"]

    def __init__(self, *, start_url: str = "", attrs=None):
        super().__init__(attrs)
        self.start_url = start_url

    def render(self, name, value, attrs=None, renderer=None):
        # Not a HiddenInput subclass: the CMS would leave out the whole field, progress and
        # all. The file chooser has no name, so the file itself is never posted to us.
        # The field's label names the file chooser; the token travels in the hidden input.
        field_id = (attrs or {}).get("id", name)
        hidden = format_html(
            '<input type="hidden" name="{}" id="{}-token" value="{}">', name, field_id, value or ""
        )
        status_id = f"{field_id}-status"
        return format_html(
            '<div class="direct-upload"><input type="file" id="{}" data-direct-upload '
            'data-start-url="{}" aria-describedby="{}"> '
            '<progress value="0" max="1" hidden></progress> '
            '<span class="direct-upload-status" id="{}" role="status"></span>{}</div>',
            field_id,
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


class ProgramFileForm(WagtailAdminModelForm):
    direct_upload = forms.CharField(
        required=False,
        label="Upload straight to storage",
        help_text="For large files: sent from your browser to the bucket, with progress.",
        # Offered only where the storage is S3 (direct_upload_offer).
        widget=forms.HiddenInput,
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].required = False
        # Set from the upload anyway; the author only corrects it.
        self.fields["kind"].required = False
        if not (self.instance.pk and self.instance.captions):
            # Nothing to remove: the field is left out, and so is its row in the form.
            self.fields.pop("captions_remove", None)
        self.verified_upload = None

    def direct_upload_offer(self, *, start_url: str | None) -> None:
        """Offer the upload straight to the bucket, presigned at ``start_url``; without one
        (storage on disk) the field is left out, and so is its row in the form."""
        if start_url is None:
            self.fields.pop("direct_upload", None)
        elif "direct_upload" in self.fields:
            self.fields["direct_upload"].widget = DirectUploadWidget(start_url=start_url)

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

    def changes(self) -> dict:
        """What ``program_file_save`` needs to know beyond the instance's fields."""
        upload = self.cleaned_data.get("file") if "file" in self.changed_data else None
        return {
            "direct_upload": self.verified_upload,
            "upload": upload or None,
            "filename_typed": "original_filename" in self.changed_data,
            "captions_remove": bool(self.cleaned_data.get("captions_remove")),
        }
