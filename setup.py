"""Package discovery, which pyproject.toml alone cannot express with the theme's folder mapping.

Every package under generator/ is found, so a new subpackage ships without editing a list; the
default theme lives at the repo root in themes/ and ships inside the package as generator.themes,
so an installed statusgen needs no checkout. Everything else (metadata, package data) is in
pyproject.toml.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["generator", "generator.*"]), "generator.themes"],
    package_dir={"generator.themes": "themes"},
)
