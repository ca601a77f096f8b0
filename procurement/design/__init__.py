"""The design stage: the bill of materials, its requirements and satisfying products, bill import,
and the design -> procurement gates."""
