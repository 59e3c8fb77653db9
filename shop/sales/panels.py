"""The CMS dashboard's panel: how the program sells this week, at a glance."""

from django.urls import reverse
from wagtail.admin.ui.components import Component

from shop.sales import charts, figures


class SalesPanel(Component):
    name = "sales"
    template_name = "sales/panel.html"
    # Before Wagtail's own panels (pages in moderation 210, recent edits 250).
    order = 90

    class Media:
        css = {"all": ["sales/sales.css"]}

    def get_context_data(self, parent_context):
        glance = figures.at_a_glance()
        return {
            "glance": glance,
            "chart": charts.money_chart(glance.weeks, title="Collected, last 8 weeks"),
            "report_url": reverse("sales:report"),
            "chase_url": reverse("sales:report") + "#payments-to-chase",
        }
