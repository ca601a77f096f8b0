"""Open data: OCDS 1.1.5 releases, records and packages of every published procurement process.

Releases are built from the public records only (published tenders, opening records, award
notices, signed contracts) and stored append-only (`models.OcdsRelease`) when something public
happens; `/ocds/...` and `flask ocds export DIR` serve them. See docs/opendata.md.
"""
