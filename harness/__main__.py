"""``python -m wsspec``: the ``wsspec`` command (see :mod:`wsspec.cli`)."""

from wsspec.cli import main

raise SystemExit(main())
