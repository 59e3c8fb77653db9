"""A signed-in customer's downloads for other front ends. The addresses point at the site's
own delivery view, so every download passes the same checks, log and limits as on the site."""

from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.downloads.selectors import downloads_for_user
from web.api import ErrorSerializer


class DownloadFileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    filename = serializers.CharField()
    size_bytes = serializers.IntegerField()
    download_url = serializers.CharField(help_text="The site's delivery address for this file.")


class ProductDownloadsSerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    product_title = serializers.CharField()
    allowed = serializers.BooleanField()
    reason = serializers.CharField(help_text="Why access has ended; empty while it is open.")
    files = DownloadFileSerializer(many=True)


class DownloadsResponseSerializer(serializers.Serializer):
    items = ProductDownloadsSerializer(many=True)


@extend_schema(responses={200: DownloadsResponseSerializer, 403: ErrorSerializer})
class CustomerDownloadsView(APIView):
    """The signed-in customer's programs: their files while access is open, else why not."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request):
        entries = downloads_for_user(user=request.user, at=timezone.now())
        items = [
            {
                "product_id": entry.product.pk,
                "product_title": entry.product.get_title(),
                "allowed": entry.allowed,
                "reason": entry.reason,
                "files": [
                    {
                        "id": program_file.pk,
                        "title": program_file.title,
                        "description": program_file.description,
                        "filename": program_file.download_name,
                        "size_bytes": program_file.size_bytes,
                        "download_url": request.build_absolute_uri(
                            reverse("downloads:file", args=[program_file.pk])
                        ),
                    }
                    for program_file in entry.files
                ],
            }
            for entry in entries
        ]
        response = Response(DownloadsResponseSerializer({"items": items}).data)
        # One customer's data: never kept by a shared cache or the browser's.
        patch_cache_control(response, private=True, no_store=True)
        return response
