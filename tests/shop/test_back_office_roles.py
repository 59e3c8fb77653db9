"""The back office's two roles: an Editor edits content and sees no customer and no money;
a Shop manager sees customers and money and edits no page. Both sign in to /cms/ only."""

import re

import pytest
from django.contrib.auth.models import Group
from wagtail.models import Page

pytestmark = pytest.mark.django_db

SHOP_APPS = {"billing", "downloads", "communication", "order", "payment", "checkout"}


def codenames(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}


def menu_names(client) -> list[str]:
    """The names of the CMS sidebar's entries, submenus' entries included, as drawn."""
    page = client.get("/cms/").content.decode()
    props = re.search(r'id="wagtail-sidebar-props"[^>]*>(.*?)</script>', page, re.S)
    assert props, "the CMS page carries its sidebar"
    return re.findall(r'"name": "([^"]+)"', props.group(1))


def test_an_editor_may_edit_content_and_nothing_of_the_shop():
    permissions = codenames("Editor")
    assert "wagtailadmin.access_admin" in permissions
    assert {"home.change_glossaryterm", "home.add_testimonial", "home.change_sitesettings"} <= (
        permissions
    )
    assert not {p for p in permissions if p.split(".")[0] in SHOP_APPS}
    root = Page.objects.get(depth=1)
    on_pages = set(
        Group.objects.get(name="Editor")
        .page_permissions.filter(page=root)
        .values_list("permission__codename", flat=True)
    )
    assert {"add_page", "change_page", "publish_page"} <= on_pages


def test_a_shop_manager_sees_customers_and_money_and_edits_no_content():
    permissions = codenames("Shop manager")
    assert {
        "wagtailadmin.access_admin",
        "billing.view_installmentplan",
        "billing.view_sales",
        "billing.refund_installment",
        "billing.cancel_payments",
        "billing.retry_payment",
        "billing.resend_confirmation",
        "billing.view_outgoingemail",
        "downloads.add_programfile",
        "downloads.change_programfile",
        "downloads.change_downloadlimit",
        "communication.change_communicationeventtype",
    } <= permissions
    assert not {p for p in permissions if p.startswith(("home.", "wagtailcore."))}
    assert not Group.objects.get(name="Shop manager").page_permissions.exists()


def test_an_editor_keeps_the_health_content_and_a_shop_manager_does_not(
    client, editor, shop_manager
):
    assert {
        "home.add_medicalreviewer",
        "home.change_medicalreviewer",
        "home.delete_medicalreviewer",
        "home.change_healthcontentsettings",
    } <= codenames("Editor")
    reviewers = "/cms/snippets/home/medicalreviewer/add/"
    health_settings = "/cms/settings/home/healthcontentsettings/"
    client.force_login(editor)
    assert client.get(reviewers).status_code == 200
    assert client.get(health_settings, follow=True).status_code == 200
    assert "Medical disclaimer" in client.get(health_settings, follow=True).content.decode()
    client.force_login(shop_manager)
    for address in (reviewers, health_settings):
        refused = client.get(address)
        assert refused.status_code == 403 or "/cms/" in refused.get("Location", "")


def test_wagtails_editors_group_became_the_editor_role():
    assert not Group.objects.filter(name="Editors").exists()
    assert Group.objects.filter(name="Editor").count() == 1


def test_an_editor_edits_a_page_and_a_shop_manager_cannot(client, editor, shop_manager):
    home = Page.objects.get(depth=2)
    edit = f"/cms/pages/{home.pk}/edit/"
    client.force_login(editor)
    assert client.get(edit).status_code == 200
    client.force_login(shop_manager)
    refused = client.get(edit)
    assert refused.status_code in (302, 403)
    assert refused.status_code == 403 or "/cms/" in refused["Location"]


def test_neither_role_sees_the_rarely_needed_admin_sites(client, editor, shop_manager):
    for person in (editor, shop_manager):
        client.force_login(person)
        names = menu_names(client)
        assert "shop-dashboard" not in names and "django-admin" not in names
        assert client.get("/shop/dashboard/").status_code in (302, 403)
        assert client.get("/django-admin/").status_code == 302


def test_the_author_finds_the_rarely_needed_admin_sites_under_one_entry(client, admin_user):
    client.force_login(admin_user)
    names = menu_names(client)
    assert "rarely-needed" in names
    assert names.index("shop-dashboard") > names.index("rarely-needed")
    assert names.index("django-admin") > names.index("rarely-needed")


SHOP_SCREENS = {
    "sales": "/cms/sales/",
    "customers-programs": "/cms/programs/",
    "emails-sent": "/cms/emails-sent/",
    "plan-emails": "/cms/plan-emails/",
    "program-files": "/cms/program-files/",
    "download-limits": "/cms/download-limits/",
    "customers-access": "/cms/customers-access/",
    "downloads-and-plays": "/cms/downloads-and-plays/",
    "disputes": "/cms/disputes/",
    "outbox": "/cms/outbox/",
}


def test_a_shop_manager_finds_every_weekly_screen_under_the_shop_menu(client, shop_manager):
    client.force_login(shop_manager)
    names = menu_names(client)
    assert "shop" in names
    for name, url in SHOP_SCREENS.items():
        assert name in names, name
        assert names.index(name) > names.index("shop")
        assert client.get(url).status_code == 200, url


def test_an_editor_sees_no_shop_screen_and_is_turned_away_from_each(client, editor):
    client.force_login(editor)
    names = menu_names(client)
    assert "shop" not in names
    assert not set(SHOP_SCREENS) & set(names)
    for name, url in SHOP_SCREENS.items():
        refused = client.get(url)
        if name == "sales":
            # A plain 403: the report's exports are fetched by spreadsheets, which need it.
            assert refused.status_code == 403
            continue
        # Wagtail sends a person without the permission back to the dashboard, with a message.
        assert refused.status_code == 302 and refused["Location"] == "/cms/", url


def test_the_shop_dashboard_menu_leaves_the_plan_emails_to_the_cms(client, admin_user):
    client.force_login(admin_user)
    dashboard = client.get("/shop/dashboard/").content.decode()
    assert "Email templates" not in dashboard
    assert "/shop/dashboard/comms/" not in dashboard
    assert "Products" in dashboard and "Voucher Sets" in dashboard  # what is rare stays
