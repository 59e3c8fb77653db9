from django.urls import path

from shop.downloads import views

app_name = "downloads"

urlpatterns = [
    path("", views.my_downloads, name="index"),
    path("file/<int:file_id>/", views.program_file_download, name="file"),
    path("file/<int:file_id>/play/", views.program_file_play, name="play"),
    path("file/<int:file_id>/play/link/", views.program_file_play_link, name="play-link"),
    path("file/<int:file_id>/captions/", views.program_file_captions, name="captions"),
    path("file/<int:file_id>/position/", views.playback_position, name="position"),
]
