"""Deliveries to the building site against an order line: the automatic checks made when a
delivery is recorded (ordered product, certificate or test report valid on the delivery day,
quantity within the order), the site manager's acceptance or rejection, samples sent to a
testing lab and their reports (a failed sample opens a rectification). `wiring.register(app)`
wires it; nothing registers itself on import."""
