import logging
from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST, require_safe
from django.views.generic import RedirectView

from media_config.storages import STORAGE_UNAVAILABLE, storage_is_s3
from shop.downloads.byte_ranges import RangeNotSatisfiable, byte_range_parse
from shop.downloads.file_facts import content_type_of
from shop.downloads.models import DownloadGrant, ProgramFile
from shop.downloads.selectors import download_grant_for
from shop.downloads.services import (
    PositionInvalid,
    download_limit_for,
    download_record,
    download_resumes_counted,
    downloads_today_count,
    play_start_record,
    playback_position_parse,
    playback_position_save,
)
from web.client_address import client_ip

logger = logging.getLogger(__name__)

STREAM_CHUNK_SIZE = 256 * 1024
NO_STORE = "private, no-store"
# How long a presigned link to play a file from S3 lasts; the page asks for a fresh one
# before it ends (static/js/program-player.js).
PLAY_LINK_SECONDS = 300


class MyDownloadsView(RedirectView):
    """ "My downloads" is now part of "My program"; old links and emails lead there."""

    pattern_name = "billing:program"


my_downloads = MyDownloadsView.as_view()


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
    content_type = content_type_of(program_file.download_name)
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
        content_type=content_type,
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


def _file_with_grant(request, file_id: int, at) -> tuple[ProgramFile, DownloadGrant]:
    """The program file and the grant that lets this customer have it now, or 404: the same
    answer for a guessed id and for a file the customer cannot have. Downloads, plays,
    captions and positions all pass here."""
    program_file = get_object_or_404(ProgramFile.objects.select_related("product"), pk=file_id)
    grant = download_grant_for(user=request.user, product_id=program_file.product_id, at=at)
    if grant is None:
        raise Http404("No such download.")
    return program_file, grant


class _Unsatisfiable(Exception):
    def __init__(self, response):
        self.response = response


def _requested_range(request, program_file: ProgramFile):
    """The byte range asked for on local disk (None for the whole file); raises
    _Unsatisfiable carrying the 416 answer."""
    storage = program_file.file.storage
    range_header = request.headers.get("range", "")
    if_range = request.headers.get("if-range")
    if if_range and if_range.strip('"') != program_file.sha256:
        range_header = ""  # the file changed since the partial download began
    if not range_header:
        return "", None
    try:
        return range_header, byte_range_parse(
            header=range_header, size=storage.size(program_file.file.name)
        )
    except RangeNotSatisfiable:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{storage.size(program_file.file.name)}"
        response["Cache-Control"] = NO_STORE
        raise _Unsatisfiable(response) from None


def _presigned_link(program_file: ProgramFile, *, attachment: bool, seconds: int) -> str:
    storage = program_file.file.storage
    return storage.url(
        program_file.file.name,
        parameters={
            "ResponseContentDisposition": content_disposition_header(
                attachment, program_file.download_name
            ),
            "ResponseContentType": content_type_of(program_file.download_name),
        },
        expire=min(storage.querystring_expire, seconds),
    )


@login_required
@require_safe
def program_file_download(request, file_id: int):
    """Check the customer's grant, log the download, then hand over the file: a short-lived
    presigned link on S3, or a stream with range support from local disk."""
    now = timezone.now()
    program_file, grant = _file_with_grant(request, file_id, now)
    storage = program_file.file.storage
    on_s3 = storage_is_s3(storage)
    range_header, byte_range = "", None
    if not on_s3:
        try:
            range_header, byte_range = _requested_range(request, program_file)
        except _Unsatisfiable as refused:
            return refused.response
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
    if on_s3:
        response = HttpResponseRedirect(_presigned_link(program_file, attachment=True, seconds=300))
    else:
        response = _local_file_response(request, program_file, byte_range)
        response["Content-Disposition"] = content_disposition_header(
            True, program_file.download_name
        )
        response["Accept-Ranges"] = "bytes"
        if program_file.sha256:
            response["ETag"] = f'"{program_file.sha256}"'
    response["Cache-Control"] = NO_STORE
    return response


def _play_log(request, program_file, grant, *, byte_range: str, at) -> None:
    play_start_record(
        user=request.user,
        program_file=program_file,
        grant=grant,
        ip_address=client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
        byte_range=byte_range,
        at=at,
    )


@login_required
@require_safe
def program_file_play(request, file_id: int):
    """The file for the page's player: the same grant check as a download, logged as a
    play (once per sitting, not per range) and never counted against the daily limit.
    Locally a stream with ranges; on S3 a short-lived presigned link shown inline."""
    now = timezone.now()
    program_file, grant = _file_with_grant(request, file_id, now)
    storage = program_file.file.storage
    if storage_is_s3(storage):
        if _stored_file_missing(
            storage=storage, program_file=program_file, user=request.user, grant=grant
        ):
            return _unavailable(request, program_file)
        if request.method == "GET":
            _play_log(request, program_file, grant, byte_range="", at=now)
        response = HttpResponseRedirect(
            _presigned_link(program_file, attachment=False, seconds=PLAY_LINK_SECONDS)
        )
        response["Cache-Control"] = NO_STORE
        return response
    try:
        range_header, byte_range = _requested_range(request, program_file)
    except _Unsatisfiable as refused:
        return refused.response
    # A player's first request starts at byte 0; its later ones (seeking, buffering) do not.
    if request.method == "GET" and (byte_range is None or byte_range[0] == 0):
        _play_log(request, program_file, grant, byte_range=range_header, at=now)
    response = _local_file_response(request, program_file, byte_range)
    response["Content-Disposition"] = content_disposition_header(False, program_file.download_name)
    response["Accept-Ranges"] = "bytes"
    if program_file.sha256:
        response["ETag"] = f'"{program_file.sha256}"'
    response["Cache-Control"] = NO_STORE
    return response


@login_required
@require_safe
def program_file_play_link(request, file_id: int):
    """A fresh address for the player and when it stops working (JSON). On S3 the page's
    script asks for one before the last one expires; locally the address never expires."""
    now = timezone.now()
    program_file, grant = _file_with_grant(request, file_id, now)
    storage = program_file.file.storage
    if not storage_is_s3(storage):
        url, seconds, expires_at = reverse("downloads:play", args=[program_file.pk]), None, None
    else:
        if _stored_file_missing(
            storage=storage, program_file=program_file, user=request.user, grant=grant
        ):
            response = JsonResponse(
                {"error": "This file is unavailable for a moment. Please try again soon."},
                status=503,
            )
            response["Retry-After"] = "60"
            response["Cache-Control"] = NO_STORE
            return response
        seconds = min(storage.querystring_expire, PLAY_LINK_SECONDS)
        url = _presigned_link(program_file, attachment=False, seconds=seconds)
        expires_at = (now + timedelta(seconds=seconds)).isoformat()
        _play_log(request, program_file, grant, byte_range="", at=now)
    # expires_in as well as expires_at: the browser's clock may not be ours.
    response = JsonResponse({"url": url, "expires_at": expires_at, "expires_in": seconds})
    response["Cache-Control"] = NO_STORE
    return response


@login_required
@require_safe
def program_file_captions(request, file_id: int):
    """The file's WebVTT captions, behind the same access check as the file itself; served
    from our own address so the player's <track> needs no cross-origin access."""
    program_file, _grant = _file_with_grant(request, file_id, timezone.now())
    if not program_file.captions:
        raise Http404("No captions.")
    try:
        with program_file.captions.open("rb") as handle:
            content = handle.read()
    except STORAGE_UNAVAILABLE:
        logger.exception("Captions of file %s: the storage cannot be reached", program_file.pk)
        return _unavailable(request, program_file)
    response = HttpResponse(content, content_type="text/vtt; charset=utf-8")
    response["Cache-Control"] = NO_STORE
    return response


@login_required
@require_POST
def playback_position(request, file_id: int):
    """Keep where the customer stopped (``seconds``, form-encoded, with the CSRF token), so
    the player resumes there on any device. 400 with the reason for a bad position."""
    program_file, _grant = _file_with_grant(request, file_id, timezone.now())
    if not program_file.playable:
        return JsonResponse({"error": "Only audio and video keep a position."}, status=400)
    try:
        seconds = playback_position_parse(request.POST.get("seconds"))
    except PositionInvalid as exc:
        return JsonResponse({"error": exc.user_message}, status=400)
    position = playback_position_save(user=request.user, program_file=program_file, seconds=seconds)
    response = JsonResponse({"seconds": position.seconds})
    response["Cache-Control"] = NO_STORE
    return response
