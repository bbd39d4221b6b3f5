"""The default theme, installed as the ``generator.themes`` package data (see default/)."""
