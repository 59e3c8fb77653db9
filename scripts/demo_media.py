"""Writes the demo program's media into demo/content/media/: a short PDF book, an audio
lesson (MP3) and a video session (WebM: VP9 and Opus) with its WebVTT captions. The output
is committed, so the demo loads without this script; run it again only to change them:

    .venv/bin/python scripts/demo_media.py

Needs the development requirements (fpdf2, imageio-ffmpeg, which brings its own ffmpeg).
The texts are the demo's own; the sound is soft chimes that pace the breathing."""

import math
import struct
import subprocess
import sys
import tempfile
import tomllib
import wave
from datetime import UTC, datetime
from pathlib import Path

import imageio_ffmpeg
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
MEDIA = ROOT / "demo" / "content" / "media"
RATE = 24000

# What the video session shows and says, in captions: (start, end, text), seconds.
SESSION_CUES = tomllib.loads((ROOT / "demo" / "content" / "program.toml").read_text())[
    "session_cues"
]
SESSION_SECONDS = 12
VIDEO_SIZE = (640, 360)
VIDEO_FPS = 12

BOOK_PAGES = [
    (
        "Get Free from That Back Pain",
        "A short guide to the somatic exercises of the program.\n\n"
        "This demo book stands in for the full program book. Each lesson is done lying "
        "down, slowly, well within comfort. The aim is not to stretch harder but to "
        "notice the muscles of the lower back and to let them let go.",
    ),
    (
        "Before you start",
        "Find a quiet half hour and a carpeted floor or a firm bed.\n\n"
        "Move slowly: each movement takes about five seconds there and five back.\n\n"
        "Stay within comfort. Nothing in these lessons should hurt. If a movement "
        "does, make it smaller or skip it, and ask your doctor about pain that stays.",
    ),
    (
        "Lesson 1: Pelvic tilts",
        "Lie on your back with your knees bent and your feet flat on the floor.\n\n"
        "Breathe in and let your lower back arch gently away from the floor.\n\n"
        "Breathe out and press the small of your back down towards the floor, "
        "tilting the pelvis.\n\n"
        "Repeat five times, slower each time. Then rest and notice how your back "
        "lies on the floor now.",
    ),
    (
        "Lesson 2: Lying twist",
        "Lie on your back with your knees bent and together.\n\n"
        "Let both knees fall slowly to the left, as far as is comfortable, and turn "
        "your head to the right. Bring them back to the middle.\n\n"
        "Then to the right, head to the left. Five times each way.\n\n"
        "Rest with your legs long and feel the difference from side to side.",
    ),
]


def book_write(path: Path) -> None:
    pdf = FPDF(format="Letter")
    pdf.set_title("Get Free from That Back Pain (demo book)")
    pdf.set_author("The Institute for Somatic Study")
    # A fixed date: the same input gives the same file.
    pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=UTC))
    for title, text in BOOK_PAGES:
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 22)
        pdf.multi_cell(0, 12, title)
        pdf.ln(6)
        pdf.set_font("Helvetica", "", 13)
        pdf.multi_cell(0, 7, text)
    pdf.output(str(path))


def chimes(seconds: float, strikes: list[tuple[float, float]]) -> list[float]:
    """Soft bell strikes (start, pitch in Hz) that fade out, as samples in -1..1."""
    samples = [0.0] * int(seconds * RATE)
    for start, pitch in strikes:
        first = int(start * RATE)
        for n in range(min(int(3.5 * RATE), len(samples) - first)):
            t = n / RATE
            fade = math.exp(-1.6 * t) * min(1.0, t * 200)
            tone = sum(
                amp * math.sin(2 * math.pi * pitch * ratio * t)
                for ratio, amp in ((1, 0.5), (2.01, 0.2), (3.02, 0.08))
            )
            samples[first + n] += 0.5 * fade * tone
    return samples


def wav_write(path: Path, samples: list[float]) -> None:
    with wave.open(str(path), "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(RATE)
        sound.writeframes(
            b"".join(struct.pack("<h", int(max(-1, min(1, s)) * 20000)) for s in samples)
        )


def breathing(seconds: int) -> list[float]:
    # A higher chime to breathe in, a lower one to breathe out, five seconds each.
    return chimes(
        seconds, [(t, 660.0 if (t // 5) % 2 == 0 else 440.0) for t in range(0, seconds, 5)]
    )


def ffmpeg(*args: str) -> None:
    subprocess.run(  # noqa: S603 (our own arguments)
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args],
        check=True,
    )


def lesson_write(path: Path, work: Path) -> None:
    wav = work / "lesson.wav"
    wav_write(wav, breathing(40))
    ffmpeg("-i", str(wav), "-ac", "1", "-codec:a", "libmp3lame", "-b:a", "40k", str(path))


def _wrap(draw, text: str, font, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if draw.textlength(candidate, font=font) > width and line:
            lines.append(line)
            line = word
        else:
            line = candidate
    return [*lines, line]


def frame(t: float) -> bytes:
    """The session at ``t`` seconds: the cue's words, and knees swaying side to side."""
    image = Image.new("RGB", VIDEO_SIZE, "#0b5f7a")
    draw = ImageDraw.Draw(image)
    title = ImageFont.load_default(size=24)
    words = ImageFont.load_default(size=28)
    draw.text((24, 18), "Session 1: Lying twist", fill="#d7eef5", font=title)
    cue = next((text for start, end, text in SESSION_CUES if start <= t < end), "")
    for row, line in enumerate(_wrap(draw, cue, words, VIDEO_SIZE[0] - 48)):
        draw.text((24, 70 + row * 38), line, fill="white", font=words)
    # A person lying down, seen from the feet: the knees sway with the breath.
    floor_y = 300
    draw.line((60, floor_y, 580, floor_y), fill="#7fb8c9", width=3)
    hip = (320, floor_y - 10)
    sway = math.sin(2 * math.pi * t / 6) * 0.9
    for side in (-1, 1):
        knee = (hip[0] + side * 18 + int(70 * math.sin(sway)), hip[1] - int(70 * math.cos(sway)))
        draw.line((hip[0] + side * 18, hip[1], *knee), fill="#ffd27a", width=10)
        draw.ellipse((knee[0] - 9, knee[1] - 9, knee[0] + 9, knee[1] + 9), fill="#ffd27a")
    # How far the session has gone.
    draw.rectangle(
        (0, VIDEO_SIZE[1] - 6, int(VIDEO_SIZE[0] * t / SESSION_SECONDS), VIDEO_SIZE[1]),
        fill="#ffd27a",
    )
    return image.tobytes()


def session_write(path: Path, work: Path) -> None:
    wav = work / "session.wav"
    wav_write(wav, breathing(SESSION_SECONDS))
    writer = imageio_ffmpeg.write_frames(
        str(path),
        VIDEO_SIZE,
        fps=VIDEO_FPS,
        codec="libvpx-vp9",
        quality=None,
        bitrate=None,
        output_params=["-b:v", "0", "-crf", "40", "-row-mt", "1", "-t", str(SESSION_SECONDS)],
        audio_path=str(wav),
        audio_codec="libopus",
        ffmpeg_log_level="error",
        macro_block_size=8,
    )
    writer.send(None)
    for n in range(SESSION_SECONDS * VIDEO_FPS):
        writer.send(frame(n / VIDEO_FPS))
    writer.close()


def _stamp(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes):02d}:{rest:06.3f}"


def captions_write(path: Path) -> None:
    cues = [f"{_stamp(start)} --> {_stamp(end)}\n{text}" for start, end, text in SESSION_CUES]
    path.write_text("WEBVTT\n\n" + "\n\n".join(cues) + "\n", encoding="utf-8")


def main() -> int:
    MEDIA.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        book_write(MEDIA / "book.pdf")
        lesson_write(MEDIA / "lesson-1.mp3", work)
        session_write(MEDIA / "session-1.webm", work)
        captions_write(MEDIA / "session-1.vtt")
    for file in sorted(MEDIA.iterdir()):
        print(f"{file.relative_to(ROOT)}: {file.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
