"""A keeper's health as its own HTTP endpoint reports it (``/healthz`` and ``/metrics`` of the
keeper runtime): healthy or not and why, when its last cycle ended, and its transaction counts."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request

from optio.formats.keeper_metrics import COUNTERS

#: One sample of a counter of :data:`COUNTERS`: ``<name>_total{<label>="<value>"} <count>``.
SAMPLE = re.compile(r"^keeper_(" + "|".join(n.removeprefix("keeper_") for n in COUNTERS)
                    + r')_total\{\w+="([^"]+)"\} ([0-9.e+]+)$', re.M)


def keeper_counts(base_url: str, timeout: float = 2.0) -> dict[str, float]:
    """``tx_attempts:<outcome>`` and ``cycle_errors:<kind>`` counters from ``/metrics`` ({} if
    the keeper does not answer)."""
    try:
        text = urllib.request.urlopen(f"{base_url}/metrics", timeout=timeout).read().decode()
    except OSError:
        return {}
    return {f"{m[1]}:{m[2]}": float(m[3]) for m in SAMPLE.finditer(text)}


def probe(base_url: str, *, stale_after_s: float = 30.0, timeout: float = 2.0) -> dict:
    """One keeper's state: ``up`` (answers), ``healthy`` (its own verdict and a cycle within
    ``stale_after_s`` seconds, wall clock), ``reason``, ``last_cycle_age_s``, ``mined``,
    ``reverted``, ``refused`` and ``cycle_errors``."""
    try:
        with urllib.request.urlopen(f"{base_url}/healthz", timeout=timeout) as answer:
            status = json.loads(answer.read())
    except urllib.error.HTTPError as err:  # 503: the keeper says it is unhealthy
        status = json.loads(err.read() or b"{}")
    except (OSError, ValueError) as err:
        return {"up": False, "healthy": False, "reason": f"no answer ({type(err).__name__})",
                "last_cycle_age_s": None, "mined": 0, "reverted": 0, "refused": 0, "cycle_errors": 0}
    last = status.get("last_cycle") or 0.0
    age = time.time() - last if last else None
    healthy = bool(status.get("healthy")) and age is not None and age <= stale_after_s
    reason = status.get("reason", "")
    if status.get("healthy") and not healthy:
        reason = "no cycle yet" if age is None else f"last cycle {age:.0f} s ago"
    counts = keeper_counts(base_url, timeout)
    return {"up": True, "healthy": healthy, "reason": reason, "last_cycle_age_s": age,
            "mined": counts.get("tx_attempts:mined", 0), "reverted": counts.get("tx_attempts:reverted", 0),
            "refused": counts.get("tx_attempts:simulation", 0),
            "cycle_errors": sum(v for k, v in counts.items() if k.startswith("cycle_errors"))}
