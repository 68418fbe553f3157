"""Live tools: record what ``analyze`` needs on the servers themselves.

* :mod:`.plan` — ``hbtriage plan``: the collection commands (perfmon, dumplog, CVP logs,
  configuration snapshot, sar) to paste on each server.
* :mod:`.probe` — ``hbtriage watch``: a UDP+TCP heartbeat probe pair with a phi accrual
  detector (:mod:`.phi`), messages signed with a shared key and checked against ``--peer``,
  recording two rotating ``watch_log`` files (outages; heartbeat stream) and, through
  :mod:`.sampler`, a perfmon-style counter CSV.
"""
