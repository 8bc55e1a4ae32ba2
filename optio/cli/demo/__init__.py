"""``optio demo``: one options cycle (:mod:`.cycle`) and the whole system as processes (:mod:`.system`).

The demos sit with the command because they compose every service below it: the SDK, the keepers,
the risk service and the simulated pricing feed (:mod:`optio.sim.feed`)."""
