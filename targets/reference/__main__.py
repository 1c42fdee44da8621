"""``python -m wsspec.targets.reference``: run the reference server (see :mod:`.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
