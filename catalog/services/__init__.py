"""Catalog use cases (one module per area). Each public function commits once with its audit event."""
