"""Rendering one audience's tree: the theme, its HTML pages, feeds, the JSON API, calendar and badges."""
