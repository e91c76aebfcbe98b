"""Persistence shared by the API and the activities: deployments and read models.

SQLite is the embedded default, PostgreSQL the production database; both run the same code.
"""

from store.db import Store, StoreError

__all__ = ["Store", "StoreError"]
