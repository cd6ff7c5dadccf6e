#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""schema_validate.py - checks hms-ebpf's JSON events against
docs/events.schema.json (python3-jsonschema) for the tests.

  schema_validate.py SCHEMA [--require TYPE,...] FILE...
      every line of every FILE ("-": stdin) must be one event valid against
      SCHEMA, with no float noise (at most 9 significant digits); with
      --require, every listed type must appear. Prints a summary per type.
  schema_validate.py --doc SCHEMA DOC
      every event type and every field name of SCHEMA must be mentioned in
      DOC (docs/events.md) as `name`, and its example lines must be valid.
Exit 0 ok, 1 a check failed, 2 usage or missing module.
"""
import json
import re
import sys

try:
    import jsonschema
except ImportError:
    print("schema_validate: python3-jsonschema is missing "
          "(tools/install-deps.sh installs it)", file=sys.stderr)
    sys.exit(2)


def noisy(text):
    """A float written with more than 9 significant digits."""
    digits = re.sub(r"[eE].*$", "", text).replace("-", "").replace(".", "")
    return len(digits.lstrip("0")) > 9


def fields(schema, node, out):
    if isinstance(node, dict):
        if "$ref" in node:
            fields(schema, schema["$defs"][node["$ref"].split("/")[-1]], out)
        for k, v in node.get("properties", {}).items():
            out.add(k)
            fields(schema, v, out)
        for key in ("items", "additionalProperties", "then"):
            if isinstance(node.get(key), dict):
                fields(schema, node[key], out)
        for sub in node.get("allOf", []):
            fields(schema, sub, out)


def check_doc(schema, doc_path):
    doc = open(doc_path, encoding="utf-8").read()
    names = set()
    fields(schema, schema, names)
    names.update(schema["properties"]["type"]["enum"])
    missing = sorted(n for n in names if "`%s`" % n not in doc)
    for n in missing:
        print("%s: `%s` (in the schema) is not described" % (doc_path, n))
    # the examples are events too
    v = jsonschema.Draft202012Validator(schema)
    bad = 0
    for no, line in enumerate(doc.splitlines(), 1):
        if line.startswith('{"schema_version"'):
            for e in v.iter_errors(json.loads(line)):
                print("%s:%d: example: %s" % (doc_path, no, e.message))
                bad += 1
    return 1 if missing or bad else 0


def check_lines(schema, paths, require):
    v = jsonschema.Draft202012Validator(schema)
    seen, bad = {}, 0
    for path in paths:
        f = sys.stdin if path == "-" else open(path, encoding="utf-8")
        for no, line in enumerate(f, 1):
            if not line.strip():
                continue
            floats = []
            try:
                ev = json.loads(line, parse_float=lambda s: floats.append(s)
                                or float(s))
            except ValueError as e:
                print("%s:%d: not JSON: %s" % (path, no, e))
                bad += 1
                continue
            errs = sorted(v.iter_errors(ev), key=lambda e: list(e.path))
            for e in errs:
                print("%s:%d: %s: %s: %s" % (path, no, ev.get("type"),
                      "/".join(map(str, e.path)) or "(event)", e.message))
            for s in floats:
                if noisy(s):
                    print("%s:%d: float noise: %s" % (path, no, s))
                    errs.append(s)
            bad += bool(errs)
            seen[ev.get("type")] = seen.get(ev.get("type"), 0) + 1
    for t in sorted(seen, key=str):
        print("  %-16s %d" % (t, seen[t]))
    missing = [t for t in require if t not in seen]
    if missing:
        print("types never seen: %s" % ", ".join(missing))
    return 1 if bad or missing else 0


def main(argv):
    if len(argv) == 4 and argv[1] == "--doc":
        return check_doc(json.load(open(argv[2])), argv[3])
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    schema = json.load(open(argv[1]))
    jsonschema.Draft202012Validator.check_schema(schema)
    args, require = argv[2:], []
    if args[0] == "--require":
        require = [t for t in args[1].split(",") if t]
        args = args[2:]
    return check_lines(schema, args, require)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
