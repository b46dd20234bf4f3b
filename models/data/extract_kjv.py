"""Rebuild kjv.txt.xz and kjv_valid.txt from Debian's bible-kjv-text (the King James Version, public
domain; the package's copyright file says the text's copyright expired) with the package's own
reader, /usr/bin/bible from bible-kjv:

    apt-get install bible-kjv && python3 models/data/extract_kjv.py

One verse a line, without book, chapter or verse numbers. The last 1000 verses (Hebrews 9:12 to the
end of Revelation) are the validation slice; the rest is training text."""
import lzma
import os
import re
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
VALID_VERSES = 1000


def verses(text):
    """With a wide line (-l10000) each verse is one line: "  <n> <text>"."""
    return [m.group(1).strip() for m in re.finditer(r"^\s+\d+ (.*)$", text, re.M)]


def main():
    text = subprocess.run(["bible", "-l10000", "gen1:1-rev22:21"], check=True, capture_output=True, text=True).stdout
    lines = verses(text)
    train, valid = lines[:-VALID_VERSES], lines[-VALID_VERSES:]
    with lzma.open(os.path.join(HERE, "kjv_train.txt.xz"), "wt", preset=9) as f:
        f.write("\n".join(train) + "\n")
    with open(os.path.join(HERE, "kjv_valid.txt"), "w") as f:
        f.write("\n".join(valid) + "\n")
    print(f"{len(train)} training verses, {len(valid)} validation verses")


if __name__ == "__main__":
    main()
