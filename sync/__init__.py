"""Bundles between stations and the city (format, USB and HTTP transports, relay).

The bundle format v1 is a pure library (no Qt, no store):
`sync.writer.write_bundle` and `sync.reader.open_bundle` (with `peek_header`, `verify_bundle`,
`decrypt_bundle`), the typed manifest in `sync.manifest`, keys, key ids and fingerprints in
`sync.keys`, the refusal classes in `sync.errors`, replay checks in `sync.replay`, and the
pipeline benchmark `sync.bench.bundle_bench`.
"""
