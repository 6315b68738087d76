"""`python -m station_app` (and the frozen app's entry point)."""

import sys

from station_app.cli import main

if __name__ == "__main__":
    sys.exit(main())
