"""The author edits the emails' texts (the CMS's Plan emails, and Oscar's Communications).

Oscar's form shows empty fields for a text still read from the site's template files and
requires an HTML body. Here the fields start from the texts the customer receives today, and
an empty HTML body means "plain text only": saving an email unchanged changes nothing for
the customer."""

from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from oscar.apps.dashboard.communications import forms

FIELDS = ("email_subject_template", "email_body_template", "email_body_html_template")


def file_template_source(event_type, field: str) -> str:
    """The text of the template file Oscar falls back to for ``field`` ("" when none)."""
    name = getattr(event_type, f"{field}_file") % event_type.code.lower()
    try:
        return get_template(name).template.source
    except TemplateDoesNotExist:
        return ""


class CommunicationEventTypeForm(forms.CommunicationEventTypeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email_body_html_template"].required = False
        self.fields[
            "email_body_html_template"
        ].help_text = "Leave empty to send the email as plain text only."
        if self.instance.pk and not self.is_bound:
            for field in FIELDS:
                if getattr(self.instance, field) is None:
                    self.initial[field] = file_template_source(self.instance, field)

    def clean_email_body_html_template(self):
        # Kept empty, not None: None would fall back to the site's HTML file, whose words
        # are not the edited text's.
        return super().clean_email_body_html_template() or ""
