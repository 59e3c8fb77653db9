"""A way from the CMS to the program files, which are kept in the Django admin."""

from django.urls import reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem


@hooks.register("register_admin_menu_item")
def program_files_menu_item():
    return MenuItem(
        "Program files",
        reverse("admin:downloads_programfile_changelist"),
        icon_name="doc-full",
        order=900,
    )
