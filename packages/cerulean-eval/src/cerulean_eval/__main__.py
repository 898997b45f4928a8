"""``python -m cerulean_eval`` runs the CLI."""

import sys

from cerulean_eval.cli import main

sys.exit(main())
