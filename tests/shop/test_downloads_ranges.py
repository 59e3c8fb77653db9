"""The byte-range helper: what a download manager or video player sends."""

import pytest

from shop.downloads.byte_ranges import RangeNotSatisfiable, byte_range_parse


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("bytes=0-99", (0, 99)),
        ("bytes=100-", (100, 999)),
        ("bytes=-100", (900, 999)),
        ("bytes=-5000", (0, 999)),
        ("bytes=990-5000", (990, 999)),
        ("bytes=999-999", (999, 999)),
        ("bytes = 5-9", (5, 9)),
        # Not understood, or several ranges: the whole file is sent, as the RFC allows.
        ("items=0-9", None),
        ("bytes=0-9,20-29", None),
        ("bytes=9-5", None),
        ("bytes=-", None),
        ("bytes=abc-", None),
    ],
)
def test_byte_range_parse(header, expected):
    assert byte_range_parse(header=header, size=1000) == expected


@pytest.mark.parametrize(
    ("header", "size"),
    [("bytes=1000-", 1000), ("bytes=-0", 1000), ("bytes=0-", 0), ("bytes=5000-6000", 1000)],
)
def test_ranges_past_the_end_cannot_be_satisfied(header, size):
    with pytest.raises(RangeNotSatisfiable):
        byte_range_parse(header=header, size=size)
