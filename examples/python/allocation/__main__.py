"""python3 -m allocation: the version and the libraries this package loads."""

import sys

import allocation
from allocation import _lib


def main() -> int:
    print(f"allocation {allocation.__version__} ({allocation.__file__})")
    paths = allocation.library_paths()
    for name in _lib.LIBRARIES:
        print(f"  lib{name}: {paths.get(name, 'not found')}")
    dirs = "".join(d + ", " for d in _lib.search_dirs())
    print(f"searched: {dirs}the dynamic loader's path, /usr/local/lib")
    return 0


if __name__ == "__main__":
    sys.exit(main())
