"""Optio: an on-chain options protocol's Python side, in layers (lower never import higher).

- :mod:`optio.pricing`: pure math (Black-76, implied vol, SVI surfaces, the AMM's quote formula);
- :mod:`optio.sdk`: deployments, typed contract reads and calls, units;
- :mod:`optio.formats`: what several services read (guardian decisions, keeper metrics);
- :mod:`optio.keepers`, :mod:`optio.risk`, :mod:`optio.sim`: the services, side by side;
- :mod:`optio.cli`: the ``optio`` command.

``tools/check_layers.py`` (run by ``make lint`` and ``make test``) enforces the order.
"""
