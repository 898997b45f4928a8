"""``python -m cerulean_tiling`` runs the CLI."""

import sys

from cerulean_tiling.cli import main

sys.exit(main())
