#!/usr/bin/env python3
"""Fill cells of an .xlsx as a reviewer typing into Excel would, keeping the rest (pictures too).

Usage: xlsx-fill.py IN.xlsx OUT.xlsx [--part xl/worksheets/sheet1.xml] REF=TEXT|REF=#NUMBER ...
  REF=TEXT     the cell becomes an inline string (t="inlineStr")
  REF=#NUMBER  the cell becomes a number
The cell must exist in the sheet (flag --xlsx writes every reviewer_label cell, empty);
its style stays, its value is replaced.
Standard library only: openpyxl would drop the pictures when it saves.
"""
import re
import sys
import zipfile
from xml.sax.saxutils import escape


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    src, dst, cells = args[0], args[1], args[2:]
    part = "xl/worksheets/sheet1.xml"
    if cells[:1] == ["--part"]:
        part, cells = cells[1], cells[2:]
    zin = zipfile.ZipFile(src)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == part:
                x = data.decode("utf-8")
                for c in cells:
                    ref, val = c.split("=", 1)
                    if val.startswith("#"):
                        new = r'<c r="%s"\1><v>%s</v></c>' % (ref, val[1:])
                    else:
                        new = r'<c r="%s"\1 t="inlineStr"><is><t>%s</t></is></c>' % (ref, escape(val))
                    x, n = re.subn(r'<c r="%s"( s="\d+")?[^>]*?(?:/>|>.*?</c>)' % ref, new, x)
                    if n != 1:
                        sys.exit("xlsx-fill.py: no cell %s in %s" % (ref, part))
                data = x.encode("utf-8")
            zout.writestr(item, data)


main()
