"""Write the shop's copy of Oscar's stylesheet without Font Awesome.

    .venv/bin/python scripts/shop_stylesheet.py          # writes site/static/css/oscar-shop.css
    .venv/bin/python scripts/shop_stylesheet.py --check  # exit 1 when the copy is out of date

Oscar's `oscar/css/styles.css` is Bootstrap, then Font Awesome, then Oscar's own rules. The
public shop pages draw their few icons as inline SVG (heroicons), so they need neither Font
Awesome's rules (46% of the file) nor its 114 KB webfont, which the browser fetched at top
priority before the first paint. The dashboard keeps Oscar's stylesheet with the icons.
Run it again after upgrading Oscar (a test compares the copy with the installed Oscar).
"""

import argparse
import sys
from pathlib import Path

import oscar

ROOT = Path(__file__).resolve().parents[1]
SOURCE = Path(oscar.__file__).resolve().parent / "static" / "oscar" / "css" / "styles.css"
TARGET = ROOT / "site" / "static" / "css" / "oscar-shop.css"
FONT_AWESOME_START = "/*!\n * Font Awesome"
# Oscar's own rules begin with its alert styles (scss/_alerts.scss), right after Font Awesome.
OSCAR_START = "\n.alert {\n"


def shop_stylesheet(source: str) -> str:
    """Oscar's stylesheet with the Font Awesome part cut out, and no source map reference
    (the map describes the whole file; a missing map also breaks collectstatic's manifest)."""
    start = source.index(FONT_AWESOME_START)
    end = source.index(OSCAR_START, start) + 1
    kept = source[:start] + source[end:]
    kept = "\n".join(
        line for line in kept.splitlines() if not line.startswith("/*# sourceMappingURL=")
    )
    if "Font Awesome" in kept or "webfonts/" in kept:
        raise ValueError("Font Awesome is still in the stylesheet: Oscar's layout changed.")
    # After @charset, which must open the file.
    charset, _, rest = kept.partition("\n")
    note = "/* Oscar's styles.css without its icon font; made by scripts/shop_stylesheet.py. */"
    return f"{charset}\n{note}\n{rest}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = parser.parse_args(argv)
    wanted = shop_stylesheet(SOURCE.read_text())
    if args.check:
        if not TARGET.exists() or TARGET.read_text() != wanted:
            print(f"{TARGET.relative_to(ROOT)} is out of date: run {__file__}", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(wanted)
    print(f"Wrote {TARGET.relative_to(ROOT)} ({len(wanted):,} characters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
