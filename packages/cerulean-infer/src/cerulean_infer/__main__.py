"""``python -m cerulean_infer``: the cerulean-infer command line."""

from cerulean_infer.cli import main

raise SystemExit(main())
