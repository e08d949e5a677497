#!/usr/bin/env python3
"""The rings of docs/architecture.md, checked over every #include.

Each source file belongs to a ring (by its folder); each ring may include
only the rings inside it and the public headers it is allowed to see.
Prints one line per violation and exits 1 when there is any.

    check_layers.py ROOT            check the tree at ROOT
    check_layers.py ROOT --plant    check a copy of ROOT with a violation
                                    planted in lib/domain; exits 0 only
                                    when the check catches it
"""
import os
import re
import shutil
import sys
import tempfile

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)

PUBLIC = {  # include/allocation/<name>: what a user of the library reads
    "allocation.h", "common.h", "messages.h", "model.h", "store.h", "views.h",
    "bus.h", "memory.h", "validation.h", "policy.h", "check.h",
}
ADAPTER_HEADERS = {"sqlite.h", "postgres.h", "csv.h", "redis.h", "smtp.h"}
SYS = {"sys/ports.h", "sys/store_port.h", "sys/product.h", "sys/errors.h", "sys/cache.h"}

# The domain sees only the domain: no store port, bus or views.
DOMAIN_PUBLIC = {"common.h", "messages.h", "model.h", "validation.h", "policy.h",
                 "sys/product.h", "sys/errors.h"}

# ring: (internal folders it may include, public headers it may include)
RINGS = {
    "util": ({"lib/util"}, {"common.h"}),
    "common": ({"lib/util", "lib/common"}, {"common.h", "messages.h", "validation.h",
                                            "sys/errors.h"}),
    "domain": ({"lib/util", "lib/common", "lib/domain"}, DOMAIN_PUBLIC),
    "service": ({"lib/util", "lib/common", "lib/domain", "lib/service"},
                (PUBLIC - {"memory.h"}) | SYS),
    "adapter": ({"lib/util"}, PUBLIC | ADAPTER_HEADERS | SYS),
    "program": ({"examples/common"}, PUBLIC | ADAPTER_HEADERS | {"sys/errors.h"}),
    "example_adapter": (set(), PUBLIC | SYS),
}


def ring_of(rel):
    parts = rel.split("/")
    if parts[0] == "lib" and len(parts) > 2:
        return {"util": "util", "common": "common", "domain": "domain",
                "service": "service", "adapters": "adapter"}.get(parts[1])
    if parts[0] == "adapters":
        return "adapter"
    if parts[0] == "examples" and len(parts) > 2:
        return "example_adapter" if parts[1] == "adapter" else "program"
    return None  # include/, tests/, ...: not a ring of their own


def own_folder(rel):
    parts = rel.split("/")
    return "/".join(parts[:2]) if parts[0] in ("adapters", "examples") else "/".join(parts[:2])


def resolve(root, rel, name):
    """The project file a quoted include names, relative to the tree."""
    here = os.path.dirname(rel)
    for base in (here, "lib", "examples/common"):
        candidate = os.path.normpath(os.path.join(base, name))
        if os.path.isfile(os.path.join(root, candidate)):
            return candidate
    return None


def public_closure(root, name, seen=None):
    """A public header and every public header it includes, transitively."""
    seen = set() if seen is None else seen
    if name in seen:
        return seen
    seen.add(name)
    path = os.path.join(root, "include/allocation", name)
    if os.path.isfile(path):
        here = os.path.dirname(name)
        for _, inc in INCLUDE.findall(open(path, encoding="utf-8").read()):
            target = os.path.normpath(os.path.join(here, inc))
            if os.path.isfile(os.path.join(root, "include/allocation", target)):
                public_closure(root, target, seen)
    return seen


def violations(root):
    found = []
    for top in ("lib", "adapters", "examples"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if not f.endswith((".c", ".h")):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, f), root)
                ring = ring_of(rel)
                if not ring:
                    continue
                folders, headers = RINGS[ring]
                text = open(os.path.join(root, rel), encoding="utf-8").read()
                for kind, name in INCLUDE.findall(text):
                    public = None
                    if name.startswith("allocation/"):
                        public = name[len("allocation/"):]
                    elif kind == '"':
                        target = resolve(root, rel, name)
                        if target and target.startswith("include/allocation/"):
                            public = target[len("include/allocation/"):]
                        elif target:
                            folder = "/".join(target.split("/")[:2])
                            if folder == own_folder(rel) or folder in folders:
                                continue
                            if ring == "adapter" and folder == own_folder(rel):
                                continue
                            found.append(f"{rel}: ring '{ring}' includes {target}")
                        continue
                    if public is None:
                        continue  # a system header
                    for seen in sorted(public_closure(root, public)):
                        own_header = ring == "adapter" and seen in ADAPTER_HEADERS
                        if seen in headers or own_header:
                            continue
                        via = "" if seen == public else f" (through {public})"
                        found.append(f"{rel}: ring '{ring}' includes <allocation/{seen}>{via}")
    return found


def plant(root):
    tmp = tempfile.mkdtemp(prefix="layers-")
    try:
        for top in ("lib", "adapters", "examples", "include"):
            shutil.copytree(os.path.join(root, top), os.path.join(tmp, top))
        victim = os.path.join(tmp, "lib/domain/product.c")
        with open(victim, "a", encoding="utf-8") as f:
            f.write("\n#include <allocation/bus.h>\n")
        found = violations(tmp)
        print("\n".join(found))
        caught = any("lib/domain/product.c" in v and "bus.h" in v for v in found)
        print(f"planted violation: {1 if caught else 0} passed, {0 if caught else 1} failed")
        return 0 if caught else 1
    finally:
        shutil.rmtree(tmp)


def main():
    root = os.path.abspath(sys.argv[1])
    if "--plant" in sys.argv[2:]:
        return plant(root)
    found = violations(root)
    for v in found:
        print(v)
    print(f"layering: {0 if found else 1} passed, {1 if found else 0} failed"
          f" ({len(found)} violations)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
