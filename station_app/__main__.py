"""`python -m station_app`: the installed app (see `station_app.cli.installed_main`)."""

import sys

from station_app.cli import installed_main

if __name__ == "__main__":
    sys.exit(installed_main()())
