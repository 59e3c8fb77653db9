"""Program files, download limits and customers' access in the CMS."""

from wagtail import hooks

from shop.downloads.viewsets import (
    DownloadGrantViewSet,
    DownloadLimitViewSet,
    DownloadLogViewSet,
    ProgramFileViewSet,
)


@hooks.register("register_admin_viewset")
def register_downloads_viewsets():
    return [
        ProgramFileViewSet(),
        DownloadLimitViewSet(),
        DownloadGrantViewSet(),
        DownloadLogViewSet(),
    ]
