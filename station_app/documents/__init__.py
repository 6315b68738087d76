"""Printed papers (reportlab, Qt-free): each module builds one family from DTOs into PDF bytes.

`registry.BUILDERS` maps each case paper to its `build(ctx, case) -> Built`; the monthly statistics
report is `station_app.documents.report.build(ctx, stats)`. Numbering, signing keys and the
`paper_printed` event live in `station_app.services.paper_service`.
"""
