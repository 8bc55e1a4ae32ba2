"""The central risk service and its dashboard (top layer, beside ``keepers`` and ``sim``).

``risk.aggregate`` (pure) ← ``risk.service`` (reads the chain through ``optio``) ← ``risk.server``
(HTTP: dashboard, JSON API, /metrics). Run it with ``python -m risk`` or ``optio risk``.
"""
