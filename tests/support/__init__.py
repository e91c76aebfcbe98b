"""Test helpers: real servers (Temporal dev server, PostgreSQL) started on free ports."""
