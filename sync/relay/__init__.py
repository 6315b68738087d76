"""The relay: a zero-knowledge mailbox between stations and the city (SYNC.md §4).

It stores signed, encrypted bundles it cannot open, one mailbox per recipient, with tus-style
resumable uploads and Range downloads; every request is signed with the sender's Ed25519
transport key from the city-signed keyring. `sync.relay.app.create_app` builds the FastAPI app,
`sync.relay.server` runs it under uvicorn, `sync.relay.cli` registers `station-app relay serve`,
`sync.relay.auth` holds the request-signing scheme shared with the client (`sync.relay_client`).

This package's `__init__` imports nothing heavy: FastAPI, uvicorn and SQLAlchemy load only when a
relay is built.
"""
