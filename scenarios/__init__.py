"""Packaged scenario files, imported as ``enablement.scenarios``."""
