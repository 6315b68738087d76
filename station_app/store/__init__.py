"""The encrypted station store: keys and unlock, SQLCipher database, migrations, event log."""
