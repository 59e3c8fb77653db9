"""Small real files of each kind for program file tests, made in memory: a PDF of a few
pages (pypdf) and a WAV tone of a known length (the standard library)."""

import io
import math
import struct
import wave

from pypdf import PdfWriter

VTT = b"WEBVTT\n\n00:00.000 --> 00:02.000\nLie on your back, knees bent.\n"


def pdf_bytes(pages: int = 3) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def wav_bytes(seconds: int = 3, rate: int = 8000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(rate)
        sound.writeframes(
            b"".join(
                struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / rate)))
                for n in range(seconds * rate)
            )
        )
    return out.getvalue()
