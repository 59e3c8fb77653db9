from oscar.apps.dashboard.communications import apps


class CommunicationsDashboardConfig(apps.CommunicationsDashboardConfig):
    name = "shop.dashboard.communications"
