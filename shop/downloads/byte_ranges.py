"""HTTP byte ranges (RFC 9110 §14): one range per request, which is what download
managers and video players send. Neither Django's FileResponse nor whitenoise (which only
serves static files) does this for files served by a view."""

import re

_SINGLE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(Exception):
    """The range lies wholly past the end of the file: answer 416."""


def byte_range_parse(*, header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte positions asked for, or None to send the whole
    file (no header, a header we do not understand, or several ranges at once, all of which
    the RFC allows a server to ignore). Raises RangeNotSatisfiable when nothing of the
    file lies in the range."""
    if not header:
        return None
    match = _SINGLE_RANGE.match(header.strip().replace(" ", ""))
    if not match:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable
        return max(size - suffix, 0), size - 1
    first = int(first)
    if last != "" and int(last) < first:
        return None
    if first >= size:
        raise RangeNotSatisfiable
    return first, size - 1 if last == "" else min(int(last), size - 1)
