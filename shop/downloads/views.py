import logging
import mimetypes

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from media_config.storages import STORAGE_UNAVAILABLE, storage_is_s3
from shop.downloads.byte_ranges import RangeNotSatisfiable, byte_range_parse
from shop.downloads.models import ProgramFile
from shop.downloads.selectors import download_grant_for, downloads_for_user
from shop.downloads.services import (
    download_limit_for,
    download_record,
    download_resumes_counted,
    downloads_today_count,
)
from web.client_address import client_ip

logger = logging.getLogger(__name__)

STREAM_CHUNK_SIZE = 256 * 1024
NO_STORE = "private, no-store"


class MyDownloadsView(TemplateView):
    """ "My downloads": each product the customer has, its files and a download button."""

    template_name = "shop/downloads/my_downloads.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["products"] = downloads_for_user(user=self.request.user, at=timezone.now())
        context["page_title"] = "My downloads"
        context["active_tab"] = "downloads"
        return context

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        response["Cache-Control"] = NO_STORE
        return response


my_downloads = login_required(MyDownloadsView.as_view())


def _file_chunks(handle, *, start: int, length: int):
    try:
        handle.seek(start)
        remaining = length
        while remaining > 0:
            chunk = handle.read(min(STREAM_CHUNK_SIZE, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()


def _local_file_response(request, program_file: ProgramFile, byte_range):
    storage = program_file.file.storage
    size = storage.size(program_file.file.name)
    content_type = mimetypes.guess_type(program_file.download_name)[0]
    if byte_range is None:
        start, end, status = 0, size - 1, 200
    else:
        (start, end), status = byte_range, 206
    length = max(end - start + 1, 0)
    if request.method == "HEAD":
        chunks = iter(())
    else:
        chunks = _file_chunks(
            storage.open(program_file.file.name, "rb"), start=start, length=length
        )
    response = StreamingHttpResponse(
        chunks,
        status=status,
        content_type=content_type or "application/octet-stream",
    )
    response["Content-Length"] = str(length)
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return response


def _unavailable(request, program_file: ProgramFile):
    response = render(
        request,
        "shop/downloads/unavailable.html",
        {"program_file": program_file, "page_title": "Download unavailable"},
        status=503,
    )
    response["Retry-After"] = "60"
    response["Cache-Control"] = NO_STORE
    return response


def _stored_file_missing(*, storage, program_file: ProgramFile, user, grant) -> bool:
    """Whether the file cannot be handed over now (S3 unreachable, or the object gone);
    logged with the key and who asked, so the author can act on it."""
    context = (
        f"file {program_file.pk} (key {program_file.file.name}) for user {user.pk}, "
        f"grant {grant.pk}"
    )
    try:
        if storage.exists(program_file.file.name):
            return False
    except STORAGE_UNAVAILABLE:
        logger.exception("Download of %s: the storage cannot be reached", context)
        return True
    logger.error("Download of %s: the stored object is missing", context)
    return True


@login_required
@require_safe
def program_file_download(request, file_id: int):
    """Check the customer's grant, log the download, then hand over the file: a short-lived
    presigned link on S3, or a stream with range support from local disk."""
    program_file = get_object_or_404(ProgramFile.objects.select_related("product"), pk=file_id)
    now = timezone.now()
    grant = download_grant_for(user=request.user, product_id=program_file.product_id, at=now)
    if grant is None:
        # The same answer for a guessed id and for a file the customer cannot have.
        raise Http404("No such download.")
    storage = program_file.file.storage
    on_s3 = storage_is_s3(storage)
    range_header = "" if on_s3 else request.headers.get("range", "")
    if_range = request.headers.get("if-range")
    if if_range and if_range.strip('"') != program_file.sha256:
        range_header = ""  # the file changed since the partial download began
    byte_range = None
    if range_header:
        try:
            byte_range = byte_range_parse(
                header=range_header, size=storage.size(program_file.file.name)
            )
        except RangeNotSatisfiable:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{storage.size(program_file.file.name)}"
            response["Cache-Control"] = NO_STORE
            return response
    ip_address = client_ip(request)
    resumed = (
        byte_range is not None
        and byte_range[0] > 0
        and download_resumes_counted(
            user=request.user,
            grant=grant,
            program_file=program_file,
            ip_address=ip_address,
            at=now,
        )
    )
    # A HEAD request (a download manager probing the size) neither counts nor is logged.
    counted = request.method == "GET"
    limit = download_limit_for(grant=grant)
    if (
        counted
        and limit is not None
        and not resumed
        and downloads_today_count(user=request.user, product_id=grant.product_id, at=now) >= limit
    ):
        response = render(
            request,
            "shop/downloads/limit_reached.html",
            {"program_file": program_file, "limit": limit, "page_title": "Download limit"},
            status=429,
        )
        response["Retry-After"] = "3600"
        response["Cache-Control"] = NO_STORE
        return response
    # On S3 the customer's browser fetches the file itself: ask the bucket first, so a
    # download that cannot start is explained here and not counted against the limit.
    if on_s3 and _stored_file_missing(
        storage=storage, program_file=program_file, user=request.user, grant=grant
    ):
        return _unavailable(request, program_file)
    if counted:
        download_record(
            user=request.user,
            program_file=program_file,
            grant=grant,
            ip_address=ip_address,
            user_agent=request.headers.get("user-agent", ""),
            byte_range=range_header,
            resumed=resumed,
            at=now,
        )
    disposition = content_disposition_header(True, program_file.download_name)
    content_type = mimetypes.guess_type(program_file.download_name)[0] or "application/octet-stream"
    if on_s3:
        url = storage.url(
            program_file.file.name,
            parameters={
                "ResponseContentDisposition": disposition,
                "ResponseContentType": content_type,
            },
            expire=min(storage.querystring_expire, 300),
        )
        response = HttpResponseRedirect(url)
    else:
        response = _local_file_response(request, program_file, byte_range)
        response["Content-Disposition"] = disposition
        response["Accept-Ranges"] = "bytes"
        if program_file.sha256:
            response["ETag"] = f'"{program_file.sha256}"'
    response["Cache-Control"] = NO_STORE
    return response
