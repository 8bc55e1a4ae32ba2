"""The central risk service and its dashboard (top layer, beside ``keepers`` and ``sim``).

``optio.risk.aggregate`` (pure) ← ``optio.risk.service`` (reads the chain through ``optio``) ← ``optio.risk.server``
(HTTP: dashboard, JSON API, /metrics). Run it with ``python -m optio.risk`` or ``optio risk``.
"""
