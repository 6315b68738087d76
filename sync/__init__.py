"""Bundles between stations and the city (format, USB and HTTP transports, relay)."""
