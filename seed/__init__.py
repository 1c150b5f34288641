"""Reference data (provinces, districts) and demo data, loaded by ``flask seed ...``."""
