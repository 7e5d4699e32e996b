"""String tables, one module per area; each defines STRINGS = {key: (zh, en)}."""
