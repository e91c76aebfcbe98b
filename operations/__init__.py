"""Operations: what Baton does, written once, under every API family and activity.

Routers translate HTTP into these calls and their errors into problems; activities wrap
them for workflows. They talk to Temporal (the truth) and the store (projections and
buffers) and import nothing from ``api``.
"""
