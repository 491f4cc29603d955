"""``python -m arenavotes``: the same as the ``arenavotes`` console script."""

import sys

from arenavotes.cli import main

sys.exit(main())
