"""Live tools: record what ``analyze`` needs on the servers themselves.

* :mod:`.plan` — ``hbtriage plan``: the collection commands (perfmon, dumplog, CVP logs,
  configuration snapshot, sar) to paste on each server.
* :mod:`.probe` — ``hbtriage watch``: a UDP+TCP heartbeat probe pair with a phi accrual
  detector (:mod:`.phi`), recording a rotating ``watch_log`` and, through :mod:`.sampler`,
  a perfmon-style counter CSV.
"""
