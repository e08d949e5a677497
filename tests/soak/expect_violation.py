#!/usr/bin/python3
"""The soak's checks can fail: run tests/soak/soak.py with a planted failure
(ALLOCATION_SOAK_PLANT: the soak corrupts the database itself mid-run) and
require a non-zero exit and the violation that failure must produce.

    expect_violation.py SECONDS [soak.py arguments...]

Each planted failure and the violation it must be reported as:
- figure: one batch's stored allocated figure raised by 1 → "stored figures
  differ from the lines";
- lose-line: one acknowledged line deleted, its batch's figures mended so
  that they still agree → "acknowledged allocation missing" (only the
  ledger of acknowledged allocations can see it).
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED = {
    "figure": "VIOLATION: stored figures differ from the lines",
    "lose-line": "VIOLATION: acknowledged allocation missing",
}


def main():
    seconds, extra = sys.argv[1], sys.argv[2:]
    failures = 0
    for plant, message in EXPECTED.items():
        run = subprocess.run([sys.executable, os.path.join(HERE, "soak.py"), "--duration",
                              seconds, "--plant", plant, *extra],
                             capture_output=True, text=True)
        out = run.stdout + run.stderr
        found = message in out and "PLANTED:" in out and "SOAK FAILED" in out
        print(f"--- plant {plant}: exit {run.returncode}, "
              f"{'reported' if found else 'NOT reported'}: {message!r}")
        print("\n".join(line for line in out.splitlines()
                        if line.startswith(("PLANTED", "VIOLATION", "SOAK", "check", "soak"))))
        if run.returncode != 1 or not found:
            print(out[-4000:])
            failures += 1
    print("every planted failure was caught" if not failures
          else f"{failures} planted failures went unreported")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
