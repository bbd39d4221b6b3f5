"""Importers: turn another status page's history into statusgen content files.

Each source reader (``statuspage``, ``cstate``) produces a ``Batch`` of source items; the
``writer`` turns a batch into folders and update files, idempotently, and ``sitefile`` adds
missing components to site.yml.
"""
