"""``python -m wsspec.targets.clients.thirdparty LIBRARY {url}``: a Python library's echo client."""

import sys

from wsspec.targets.clients.thirdparty.python import main

sys.exit(main())
