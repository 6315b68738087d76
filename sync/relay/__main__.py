"""`python -m sync.relay serve|migrate ...`: the relay's own commands, without the desktop app.

A relay host needs neither Qt nor a station store. Same options and exit codes as
`station-app relay ...`.
"""

import sys

from station_app import cli
from sync.relay.cli import register

if __name__ == "__main__":
    if register not in cli.EXTRA_COMMANDS:
        cli.EXTRA_COMMANDS.append(register)
    sys.exit(cli.main(["relay", *sys.argv[1:]]))
