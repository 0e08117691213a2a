"""``python -m adjudicate.cli``: the same as the ``adjudicate`` console script."""

import sys

from . import main

sys.exit(main())
