"""Plain data that crosses from the services into the CLI, the paper builders, sync and the GUI.

Frozen dataclasses with no behaviour beyond their own JSON; services build them, everyone else
reads them. Here, not under `services`, so that the paper builders can take them without
importing the services that call the builders.
"""
