"""The public portal (no login, both languages): open and closed tenders, opening records,
awards, contracts, inspection results (INS's pages), the catalog and each city's headline
figures, with Atom feeds. Only published data: every query here filters on publication."""
