"""The closed-loop record: hash-chained per project (`chain`, on `core.hashchain`), append-only
(`models`), written by every use case (`services.append_record`), verified by `flask records verify`."""
