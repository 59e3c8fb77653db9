from django.urls import path

from shop.downloads import views

app_name = "downloads"

urlpatterns = [
    path("", views.my_downloads, name="index"),
    path("file/<int:file_id>/", views.program_file_download, name="file"),
]
