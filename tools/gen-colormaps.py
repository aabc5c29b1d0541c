#!/usr/bin/env python3
"""Prints the colour tables of lib/src/colormaps.h from matplotlib's own.

Usage: tools/gen-colormaps.py /usr/lib/python3/dist-packages/matplotlib/_cm_listed.py

matplotlib's _cm_listed.py holds viridis and magma (Nathaniel J. Smith, Stefan
van der Walt, Eric Firing; released under CC0) as 256 [r, g, b] triples in
[0, 1]. Each channel is written as round(255 * v), two hex digits, six per
entry. Read as data (ast.literal_eval), not imported.
"""
import ast
import sys


def main(path):
    tables = {}
    for node in ast.parse(open(path).read()).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            tables[node.targets[0].id] = node.value
    for name in ("viridis", "magma"):
        rgb = ast.literal_eval(tables["_%s_data" % name])
        assert len(rgb) == 256, name
        text = "".join("%02x%02x%02x" % tuple(int(round(255 * v)) for v in c) for c in rgb)
        print("const char k%sHex[] =" % name.capitalize())
        lines = [text[i:i + 96] for i in range(0, len(text), 96)]
        print("\n".join('    "%s"' % line for line in lines) + ";")


if __name__ == "__main__":
    main(sys.argv[1])
