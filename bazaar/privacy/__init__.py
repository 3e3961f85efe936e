"""Privacy: a person's data export, their erasure, and erasure by retention period.

Each domain owns its tables and says, in its own ``privacy.py``, what it exports about a person
and how it erases them (a "shredder", as pretix calls them, registered in :mod:`.registry`).
This package only runs them: :mod:`.services` for the right of access and to erasure,
:mod:`.retention` for the scheduled purge of an event's visitors.
"""
