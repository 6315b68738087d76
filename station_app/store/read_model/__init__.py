"""The read model: every query the services ask of the projection tables, by name.

The schema is known in the models, the projection, the migrations and here, nowhere else:
services compose these answers into DTOs and hold no SQL of their own. Each function takes an
open connection (`store.db.read` or, inside a write, `store.db.write`) and returns plain rows,
dataclasses or builtins; none decides a rule.

- `cases`: one case (its row, departments, notes, events, papers).
- `case_list`: the case list's filters, pages and counts, search lookups, duplicates.
- `stats`: the period queries of the statistics and 绩效考评 (五(四)).
- `papers`: paper numbers, reprints and the print events behind a paper's QR code.
- `station`: accounts, settings, the work calendar, approvals and the store's own checks.
"""
