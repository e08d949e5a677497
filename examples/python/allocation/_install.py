"""Where ``cmake --install`` put the C libraries, for _lib.search_dirs().

In the source tree and in a pip install LIBDIR is None; ``cmake --install``
installs its own copy of this file with LIBDIR set to the library directory,
relative to this package's directory (so the prefix can be moved).
"""

from typing import Optional

LIBDIR: Optional[str] = None
