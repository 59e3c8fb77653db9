"""What is inside a program, for the product page: `{% program_contents product %}`."""

import mimetypes

from django import template
from django.template.defaultfilters import filesizeformat

from shop.downloads.models import ProgramFile

register = template.Library()

# The kind of file a reader recognises, from the first part of its content type.
KINDS = {"audio": "Audio", "video": "Video", "image": "Picture", "text": "Text"}
KINDS_BY_TYPE = {"application/pdf": "PDF", "application/epub+zip": "E-book"}


def file_kind(name: str) -> str:
    content_type, _ = mimetypes.guess_type(name)
    if content_type is None:
        return "File"
    return KINDS_BY_TYPE.get(content_type) or KINDS.get(content_type.split("/")[0], "File")


@register.inclusion_tag("shop/downloads/program_contents.html")
def program_contents(product) -> dict:
    """Each file of the program in the author's order: title, kind and size."""
    files = ProgramFile.objects.filter(product=product).only(
        "title", "description", "file", "original_filename", "size_bytes", "sort_order"
    )
    return {
        "files": [
            {
                "title": program_file.title,
                "description": program_file.description,
                "kind": file_kind(program_file.download_name),
                "size": filesizeformat(program_file.size_bytes) if program_file.size_bytes else "",
            }
            for program_file in files
        ]
    }
