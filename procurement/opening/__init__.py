"""Bid opening and automatic qualification (issue 12).

After the bid deadline k named key holders unlock their shares of the tender's opening key in an
opening session (`services`); at the k-th share the key is recombined in memory, every submitted
bid is checked against its signed receipt and the published Merkle root, decrypted and stored as
an opened bid; each lot's valid bids are qualified automatically (`qualification`), lots with too
few valid bids fail, and the opening record is published. `reading` holds the functions the next
steps (scoring, award) call. Nothing registers itself on import: `wiring.register(app)`.
"""
