"""`python -m station_launcher` (and the frozen app's entry point): the whole app."""

import sys

from station_launcher import main

if __name__ == "__main__":
    sys.exit(main())
