"""``python -m wsspec.targets.clients.reference [options] URL``: run the reference client."""

import sys

from .client import main

if __name__ == "__main__":
    sys.exit(main())
