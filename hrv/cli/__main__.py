"""``python -m hrv.cli``: the ``hrv`` command."""

from hrv.cli import main

raise SystemExit(main())
