"""Bid bonds (bid security): paid by card through Stripe (a PaymentIntent captured at once) or
given as an electronic bank guarantee that the procurement centre verifies after the bid
deadline; held until refunded on the rules' schedule or forfeited. Module texts of `services`,
`webhooks`, `policy` and `views` say how. `wiring.register(app)` wires the package."""
