"""The station app core: Qt-free domain, rules, store, services and paper."""

__version__ = "0.1.0"
