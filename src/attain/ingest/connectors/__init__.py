"""Live CRM sync: connectors that read Salesforce and HubSpot through their APIs.

A connector fetches records (all of them, or those changed since the last sync) and keeps a
snapshot of each CRM object as the export presets read it: a CSV per object, with the same
field names and values as the vendor's export. Each sync imports that snapshot through the
same preset, validation, rejects and history as a file import, in one transaction, as a data
version whose source is `sync:<crm>`. See docs/connectors.md.
"""

from attain.errors import AttainError


class SyncError(AttainError):
    """A sync could not read the CRM (refused, limit reached, server error); nothing changed."""
