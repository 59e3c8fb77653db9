from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from shop.backoffice.menus import SHOP_MENU_HOOK
from shop.sales.panels import SalesPanel
from shop.sales.views import SalesReportView, can_see_sales


@hooks.register("register_admin_urls")
def sales_urls():
    urls = [
        path("", SalesReportView.as_view(), name="report"),
        path("results/", SalesReportView.as_view(results_only=True), name="report_results"),
    ]
    return [path("sales/", include((urls, "sales"), namespace="sales"))]


class SalesMenuItem(MenuItem):
    def is_shown(self, request):
        return can_see_sales(request.user)


@hooks.register(SHOP_MENU_HOOK)
def sales_menu_item():
    return SalesMenuItem(
        "Sales", reverse("sales:report"), name="sales", icon_name="success", order=190
    )


@hooks.register("construct_homepage_panels")
def sales_panel(request, panels):
    # First on the dashboard: "how is the program selling?" is the author's first question.
    if can_see_sales(request.user):
        panels.insert(0, SalesPanel())
