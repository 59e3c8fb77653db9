from django.urls import path
from django.views.generic import RedirectView

from shop.accounts import views

app_name = "personal_data"

urlpatterns = [
    path("my-data/", views.MyDataView.as_view(), name="my-data"),
    path("my-data/download/", views.MyDataDownloadView.as_view(), name="download"),
    path("delete/", views.AccountDeleteView.as_view(), name="delete"),
    path("deleted/", views.account_deleted, name="deleted"),
    # Oscar's own "Delete profile" would delete the user row with its orders' link:
    # deleting goes through our page, which keeps orders and stops plans first.
    path("profile/delete/", RedirectView.as_view(pattern_name="personal_data:delete")),
]
