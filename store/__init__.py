"""Persistence shared by the API and the activities: deployments and read models.

SQLite is the embedded default, PostgreSQL the production database; both run the same code.
"""

from store import data_models as data_models  # registers its table
from store import documents as documents  # registers the document tables
from store.db import Store, StoreError

__all__ = ["Store", "StoreError"]
