"""``python -m cerulean_coco`` runs the CLI."""

import sys

from cerulean_coco.cli import main

sys.exit(main())
