"""Make `resources/fonts/hanazono-ext-subset.ttf`, the fallback font for rare characters.

The paper font (WenQuanYi Micro Hei) has almost nothing of the CJK extensions, so a name such
as 刘䶮 would lose its second character. This script cuts a TrueType subset out of Hanazono
Mincho (Debian's `fonts-hanazono`, GlyphWiki project; Hanazono Font License or SIL OFL 1.1):

- all of Extension A (U+3400-U+4DBF) from HanaMinA.ttf, and
- from HanaMinB.ttf, the characters of Extensions B to F that have a Mandarin reading
  (pypinyin's table): those a worker can type with a pinyin input method.

Extension G is not in Hanazono; such characters, and the readingless rest of B to F, are
refused by the printer with the character named, never dropped.

Run by hand (needs `fonttools` and the two Hanazono files; not part of the app):
    python scripts/make_fallback_font.py /usr/share/fonts/truetype/hanazono resources/fonts
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from pypinyin.pinyin_dict import pinyin_dict

EXT_A = "U+3400-4DBF"
EXT_B_TO_F = (0x20000, 0x2EBEF)
OUT_NAME = "hanazono-ext-subset.ttf"
SUBSET_OPTIONS = ["--no-hinting", "--layout-features=", "--notdef-outline", "--drop-tables+=FFTM"]


def main(src: Path, dest: Path) -> None:
    """Write the merged subset of Hanazono A and B into `dest`."""
    readable = sorted(c for c in pinyin_dict if EXT_B_TO_F[0] <= c <= EXT_B_TO_F[1])
    with tempfile.TemporaryDirectory() as tmp:
        part_a, part_b, codes = Path(tmp, "a.ttf"), Path(tmp, "b.ttf"), Path(tmp, "b.txt")
        codes.write_text("\n".join(f"U+{c:X}" for c in readable), encoding="ascii")
        subset = [sys.executable, "-m", "fontTools.subset"]
        subprocess.run(
            [*subset, str(src / "HanaMinA.ttf"), f"--unicodes={EXT_A}", f"--output-file={part_a}", *SUBSET_OPTIONS],
            check=True,
        )
        subprocess.run(
            [
                *subset,
                str(src / "HanaMinB.ttf"),
                f"--unicodes-file={codes}",
                f"--output-file={part_b}",
                *SUBSET_OPTIONS,
            ],
            check=True,
        )
        merge = [sys.executable, "-m", "fontTools.merge", f"--output-file={dest / OUT_NAME}"]
        subprocess.run([*merge, str(part_a), str(part_b)], check=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
