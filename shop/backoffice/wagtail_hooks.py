"""The CMS menu of the back office: one "Shop" entry gathering what the author does every
week (sales, customers' programs, program files, plan emails), and a "Rarely needed" entry
for the two other admin sites, kept for what happens seldom."""

from django.urls import reverse
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from shop.backoffice.menus import RARELY_NEEDED_MENU_HOOK, SHOP_MENU_HOOK


@hooks.register("register_admin_menu_item")
def shop_menu():
    # Shown only when the person may open at least one of its entries: an editor has none.
    return SubmenuMenuItem(
        "Shop",
        Menu(register_hook_name=SHOP_MENU_HOOK),
        name="shop",
        icon_name="tag",
        order=150,
    )


class StaffOnlyMenuItem(MenuItem):
    """Oscar's dashboard and Django's admin let in staff accounts only."""

    def is_shown(self, request):
        return request.user.is_staff


@hooks.register("register_admin_menu_item")
def rarely_needed_menu():
    return SubmenuMenuItem(
        "Rarely needed",
        Menu(register_hook_name=RARELY_NEEDED_MENU_HOOK),
        name="rarely-needed",
        icon_name="cogs",
        order=100000,
    )


@hooks.register(RARELY_NEEDED_MENU_HOOK)
def shop_dashboard_menu_item():
    return StaffOnlyMenuItem(
        "Catalogue, prices and vouchers (shop dashboard)",
        reverse("dashboard:index"),
        name="shop-dashboard",
        icon_name="link-external",
        order=100,
    )


@hooks.register(RARELY_NEEDED_MENU_HOOK)
def django_admin_menu_item():
    return StaffOnlyMenuItem(
        "Sign-in lockouts, background tasks and other records (Django admin)",
        reverse("admin:index"),
        name="django-admin",
        icon_name="link-external",
        order=200,
    )
