#!/usr/bin/env python3
"""`make build` prints what each function ships: its binary and the zip Lambda receives (the
binary zipped as `sam deploy` packages it), against the 5 MB budget of docs/performance.md.

  scripts/package-sizes.py .aws-sam/build
"""

import io
import sys
import zipfile
from pathlib import Path

BUDGET = 5 * 1000 * 1000


def main() -> int:
    build = Path(sys.argv[1] if len(sys.argv) > 1 else ".aws-sam/build")
    over = 0
    for bootstrap in sorted(build.glob("*/bootstrap")):
        packed = io.BytesIO()
        with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            archive.write(bootstrap, "bootstrap")
        zipped = len(packed.getvalue())
        status = "ok" if zipped <= BUDGET else "OVER the 5 MB budget"
        over += zipped > BUDGET
        print(f"{bootstrap.parent.name:<20} binary {bootstrap.stat().st_size:>11,} bytes   zipped {zipped:>10,} bytes   {status}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
