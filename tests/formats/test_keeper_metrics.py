"""The keeper runtime writes its counters under optio.formats.keeper_metrics' names, and the
health reader (optio.formats.keeper_health) parses exactly those: one definition, two ends."""

from prometheus_client import generate_latest

from optio.formats import keeper_metrics
from optio.formats.keeper_health import SAMPLE
from optio.keepers.runtime.metrics import Metrics


def test_the_reader_parses_what_the_runtime_writes():
    metrics = Metrics("oracle")
    metrics.attempts.labels(outcome="mined").inc(3)
    metrics.errors.labels(kind="rpc").inc()
    text = generate_latest(metrics.registry).decode()
    found = {f"{m[1]}:{m[2]}": float(m[3]) for m in SAMPLE.finditer(text)}
    assert found == {"tx_attempts:mined": 3.0, "cycle_errors:rpc": 1.0}


def test_every_runtime_metric_is_named_in_the_format():
    names = {m.name for m in Metrics("x").registry.collect()}
    declared = {v for k, v in vars(keeper_metrics).items() if k.isupper() and isinstance(v, str)}
    assert declared <= names | {n + "_total" for n in names} | {n.removesuffix("_total") for n in names}
