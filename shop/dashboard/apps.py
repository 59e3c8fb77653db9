import oscar.apps.dashboard.apps as apps


class DashboardConfig(apps.DashboardConfig):
    # Oscar finds a dashboard section's fork (dashboard.catalogue) under the dashboard's own
    # fork, so forking a section means forking the dashboard that holds it.
    name = "shop.dashboard"
