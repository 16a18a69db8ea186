#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes the section-3 manual pages of liberrgroup from the public headers.

The header comments are the single source: every `EG_API` function gets a
page NAME.3 made of its declaration and the `/** ... */` comment above it,
the types it uses (with their comments), the introduction of the header
section it is declared in, and its symbol version from c/errgroup.map.
liberrgroup.3 is the overview: the header's opening comment and every
function, by section. A function without a comment is an error (the house
rule: every public function is documented in the header).

Usage: gen_man.py --out DIR [--map c/errgroup.map] [--gzip] HEADER...
Writes DIR/man3/*.3 (or *.3.gz, reproducibly: no name or time in the gzip
header) and removes pages there that no function needs any more.
"""

import argparse
import gzip
import os
import re
import sys

SEE_ALSO_OVERVIEW = "liberrgroup"

TOKEN = re.compile(
    r"(?P<pp>^[ \t]*#[^\n]*(?:\\\n[^\n]*)*)"
    r"|(?P<section>/\* -{10,}\n(?P<stext>.*?)\s*\* -{10,} \*/)"
    r"|(?P<comment>/\*(?P<ctext>.*?)\*/)"
    r"|(?P<api>^EG_API\s+(?P<decl>[^;]*?);)"
    r"|(?P<typedef>typedef\s+(?P<tdecl>[^;]*?);)"
    r"|(?P<other>[^\s])",
    re.S | re.M,
)


def comment_lines(text):
    """The lines of a C comment's body, without the leading ` * `."""
    out = []
    for i, line in enumerate(text.split("\n")):
        line = line.strip() if i == 0 else line.lstrip()
        if line.startswith("*"):
            line = line[1:]
        if line.startswith(" "):
            line = line[1:]
        out.append(line.rstrip())
    while out and not out[0].strip():
        out.pop(0)
    while out and not out[-1].strip():
        out.pop()
    return out


class Function:
    def __init__(self, name, decl, doc, section, header):
        self.name = name
        self.decl = decl
        self.doc = doc
        self.section = section
        self.header = header


def parse_header(path, functions, types, sections, main):
    text = open(path, encoding="utf-8").read()
    header = os.path.basename(path)
    # The opening comment (before the include guard) describes the header.
    intro = None
    pending = None  # the last comment, if nothing but blanks follows it
    section = (header, "", [])
    for m in TOKEN.finditer(text):
        if m.group("section"):
            lines = comment_lines(m.group("stext"))
            title = lines[0].strip() if lines else ""
            body = lines[1:]
            while body and not body[0].strip():
                body.pop(0)
            section = (header, title, body)
            sections.append(section)
            pending = None
        elif m.group("comment"):
            lines = comment_lines(m.group("ctext"))
            if intro is None:
                intro = lines
                # The functions before any section of a header other than
                # the main one (errgroup_async.h) are introduced by its
                # opening comment.
                section = (header, "<%s>" % header, [] if main else lines)
                sections.append(section)
            pending = lines
        elif m.group("api"):
            decl = " ".join(m.group("decl").split())
            name = re.search(r"(\w+)\s*\(", decl)
            if not name:
                sys.exit(f"gen_man: {path}: cannot find the name in: {decl}")
            name = name.group(1)
            if not pending:
                sys.exit(f"gen_man: {path}: {name} has no comment")
            functions.append(Function(name, decl, pending, section, header))
            pending = None
        elif m.group("typedef"):
            tdecl = " ".join(m.group("tdecl").split())
            names = re.findall(r"\(\s*\*\s*(\w+)\s*\)|(\w+)\s*$", tdecl)
            name = next((a or b for a, b in names if a or b), None)
            if name:
                types[name] = ("typedef " + tdecl + ";", pending or [])
            pending = None
        elif m.group("pp"):
            pending = None
        elif m.group("other"):
            # Code ends a comment's reach, except an attribute line
            # (EG_DEPRECATED(...), docs/ABI.md) between it and EG_API.
            start = text.rfind("\n", 0, m.start()) + 1
            if not text[start:].startswith("EG_DEPRECATED"):
                pending = None
    return intro or []


def parse_map(path):
    """Symbol name -> version node, from the linker version script."""
    nodes = {}
    if not path or not os.path.exists(path):
        return nodes
    text = re.sub(r"/\*.*?\*/", "", open(path, encoding="utf-8").read(), flags=re.S)
    for node, body in re.findall(r"([\w.]+)\s*\{(.*?)\}", text, re.S):
        glob = re.search(r"global:(.*?)(local:|$)", body, re.S)
        for sym in re.findall(r"(\w+)\s*;", glob.group(1) if glob else ""):
            nodes[sym] = node
    return nodes


# ---------------------------------------------------------------------------
# roff
# ---------------------------------------------------------------------------


def escape(text):
    return text.replace("\\", "\\e")


def inline(text, names):
    """Prose to roff: `code` in bold, the library's function names too."""
    out = []
    for i, part in enumerate(re.split(r"`([^`]*)`", text)):
        if i % 2:
            out.append("\\fB" + escape(part).replace("-", "\\-") + "\\fR")
        else:
            part = escape(part)
            part = re.sub(
                r"\b(%s)\b" % "|".join(map(re.escape, names)) if names else r"(?!x)x",
                r"\\fB\1\\fR",
                part,
            )
            out.append(part)
    line = "".join(out)
    if line.startswith((".", "'")):
        line = "\\&" + line
    return line


def paragraphs(lines, names):
    """Comment lines to roff: blank lines separate paragraphs, `- ` items
    become bullets (their continuation lines are indented)."""
    out = []
    in_item = False
    new_par = True
    for line in lines:
        if not line.strip():
            new_par = True
            continue
        item = re.match(r"^\s*- (.*)", line)
        if item:
            out.append(".IP \\(bu 2")
            out.append(inline(item.group(1).strip(), names))
            in_item = True
            new_par = False
            continue
        if new_par:
            out.append(".PP")
            in_item = False
            new_par = False
        elif in_item and not line.startswith("   "):
            out.append(".PP")
            in_item = False
        out.append(inline(line.strip(), names))
    return out


def first_sentence(lines):
    text = " ".join(l.strip() for l in lines if l.strip())
    text = text.replace("`", "")
    m = re.match(r"(.+?\.)(\s|$)", text)
    sentence = (m.group(1) if m else text).rstrip(".")
    if len(sentence) > 70 and "; " in sentence:  # a short NAME line
        sentence = sentence.split("; ")[0]
    return sentence


def version_text(node):
    if node == "LIBERRGROUP_EXPERIMENTAL":
        return ("Experimental: exported under the symbol version "
                "\\fBLIBERRGROUP_EXPERIMENTAL\\fR; it may change or go away in "
                "a minor release.")
    m = re.match(r"LIBERRGROUP_(\d+)\.(\d+)$", node or "")
    if m:
        return ("Since liberrgroup %s.%s (symbol version \\fB%s\\fR)."
                % (m.group(1), m.group(2), node))
    return None


def page_header(title, version, what):
    return [
        '.\\" Generated by scripts/gen_man.py from %s; do not edit.' % what,
        '.\\" SPDX-License-Identifier: BSD-3-Clause',
        '.TH %s 3 "" "liberrgroup %s" "liberrgroup manual"' % (title, version),
    ]


def function_page(fn, functions, types, nodes, version):
    names = [f.name for f in functions]
    out = page_header(fn.name, version, "include/" + fn.header)
    out += [".SH NAME", "%s \\- %s" % (fn.name, escape(first_sentence(fn.doc)))]
    out += [".SH LIBRARY", "liberrgroup (\\fIliberrgroup.so.1\\fR, \\fI\\-lerrgroup\\fR)"]
    out += [".SH SYNOPSIS", ".nf", ".B #include <%s>" % fn.header, ""]
    used = [t for t in types if re.search(r"\b%s\b" % re.escape(t), fn.decl)]
    for t in used:
        out.append(escape(types[t][0]))
    if used:
        out.append("")
    # Ends with ';', as every section-3 synopsis (man-pages(7)).
    out.append(".BR " + '"' + escape(fn.decl + ";").replace('"', '\\(dq') + '"')
    out += [".fi", ".SH DESCRIPTION"]
    out += paragraphs(fn.doc, names)
    for t in used:
        if types[t][1]:
            out += [".PP", "\\fB%s\\fR:" % t]
            out += [inline(l.strip(), names) for l in types[t][1] if l.strip()]
    header, title, body = fn.section
    if body:
        out += [".SS %s" % escape(title or header)]
        out += paragraphs(body, names)
    out += [".SH THREAD SAFETY",
            "Thread-safe unless the description says otherwise: any thread "
            "may call it at any time on a handle it holds a reference to."]
    vtext = version_text(nodes.get(fn.name))
    if vtext:
        out += [".SH VERSIONS", vtext]
    related = [f.name for f in functions if f.section is fn.section and f.name != fn.name]
    refs = ["%s (3)" % SEE_ALSO_OVERVIEW] + ["%s (3)" % r for r in related]
    out += [".SH SEE ALSO"]
    out += [".BR %s%s" % (r, "," if i < len(refs) - 1 else "") for i, r in enumerate(refs)]
    return out


def overview_page(intro, sections, functions, version, headers):
    names = [f.name for f in functions]
    out = page_header("LIBERRGROUP", version, ", ".join("include/" + h for h in headers))
    out += [".SH NAME", "liberrgroup \\- Go's errgroup and context semantics for C"]
    out += [".SH LIBRARY", "liberrgroup (\\fIliberrgroup.so.1\\fR, \\fI\\-lerrgroup\\fR;"
            " pkg-config \\fBliberrgroup\\fR or \\fBliberrgroup\\-static\\fR;"
            " CMake \\fBfind_package(liberrgroup)\\fR)"]
    out += [".SH SYNOPSIS", ".nf"] + [".B #include <%s>" % h for h in headers] + [".fi"]
    out += [".SH DESCRIPTION"] + paragraphs(intro, names)
    for section in sections:
        header, title, body = section
        members = [f for f in functions if f.section is section]
        if not members:
            continue
        out += [".SS %s" % escape(title)]
        out += paragraphs(body, names)
        for f in members:
            out += [".TP", ".BR %s (3)" % f.name, escape(first_sentence(f.doc))]
    out += [".SH SEE ALSO"]
    refs = ["%s (3)" % f.name for f in functions]
    out += [".BR %s%s" % (r, "," if i < len(refs) - 1 else "") for i, r in enumerate(refs)]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--map")
    ap.add_argument("--gzip", action="store_true")
    ap.add_argument("headers", nargs="+")
    args = ap.parse_args()

    functions, types, sections = [], {}, []
    intro = None
    version = None
    for path in args.headers:
        text = open(path, encoding="utf-8").read()
        parts = [re.search(r"#define EG_VERSION_%s (\d+)" % p, text) for p in ("MAJOR", "MINOR", "PATCH")]
        if all(parts):
            version = ".".join(p.group(1) for p in parts)
        this_intro = parse_header(path, functions, types, sections, intro is None)
        if intro is None:
            intro = this_intro
    if version is None:
        sys.exit("gen_man: no EG_VERSION_MAJOR/MINOR/PATCH in the headers")
    nodes = parse_map(args.map)
    headers = [os.path.basename(h) for h in args.headers]

    pages = {f.name: function_page(f, functions, types, nodes, version) for f in functions}
    pages["liberrgroup"] = overview_page(intro, sections, functions, version, headers)

    man3 = os.path.join(args.out, "man3")
    os.makedirs(man3, exist_ok=True)
    suffix = ".3.gz" if args.gzip else ".3"
    wanted = set()
    for name, lines in pages.items():
        data = ("\n".join(lines) + "\n").encode("utf-8")
        path = os.path.join(man3, name + suffix)
        wanted.add(os.path.basename(path))
        if args.gzip:
            data = gzip.compress(data, compresslevel=9, mtime=0)
        old = open(path, "rb").read() if os.path.exists(path) else None
        if old != data:
            with open(path, "wb") as f:
                f.write(data)
    for stale in os.listdir(man3):
        if stale not in wanted:
            os.remove(os.path.join(man3, stale))
    return 0


if __name__ == "__main__":
    sys.exit(main())
