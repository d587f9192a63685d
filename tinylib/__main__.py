"""`python -m tinylib` runs the command-line interface."""

from tinylib.cli import main

raise SystemExit(main())
