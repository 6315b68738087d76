"""The PySide6 desktop app (a thin layer over station_app.services)."""
