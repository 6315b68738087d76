"""Use cases over the store. They return plain DTOs, never ORM objects."""
