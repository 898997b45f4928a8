"""``python -m cerulean_train`` runs the CLI (also under ``torchrun``)."""

import sys

from cerulean_train.cli import main

sys.exit(main())
