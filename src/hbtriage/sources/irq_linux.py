"""Linux IRQ and softirq reports: which interrupt (NIC queue, disk, timer) or softirq (NET_RX ...)
used the CPUs, and when. The Linux analogue of a Windows DPC/ISR report.

Two readers live here (the layouts are parsed in :mod:`irq_bcc` and :mod:`irq_proc`); sysstat's
``mpstat -I`` and ``sadf -d`` INTR blocks are read by :mod:`hbtriage.sources.sar` through
:mod:`irq_sysstat`:

* ``bcc_irq``: the output of bcc's (or libbpf-tools') ``hardirqs`` and ``softirqs``: total time
  per IRQ action / softirq (``TOTAL_usecs``, ``TOTAL_nsecs``, ``TOTAL_msecs``), counts (``-C``,
  ``TOTAL_count``) or log2 histograms (``-d``), once or per interval, with ``-T`` time stamps.
* ``proc_interrupts``: snapshots of ``/proc/interrupts`` and ``/proc/softirqs`` (``date; cat
  /proc/interrupts; sleep 10; date; cat /proc/interrupts``), the deltas between them.

Module names are kept as the tool writes them: the IRQ action (device) names (``eth0-TxRx-0``,
``mlx5_comp3@pci:0000:3b:00.0``, ``nvme0q1``, ``ehci_hcd:usb1, eth0`` for a shared line), the
architecture rows (``LOC``, ``RES``, ``NMI``), the softirq names (``NET_RX``; bcc: ``net_rx`` or
``net_rx_action``). An interrupt line with no action name, and a numbered column of mpstat or
sar, is ``irq 24``. ``share`` is per kind, of the time when the report has time, else of the
counts. The readers never judge: a healthy report is read like any other.

Rows (``DpcTrace.rows``) are per interval: ``ts_local`` is the *start* of the interval (the tools
print its end; the span is taken off) and ``span_us`` its length. Intervals in which a module had
no interrupt are left out (a /proc capture of 64 CPUs and 200 lines would otherwise be mostly
zeros): a module missing from an interval had none in it.
"""

from __future__ import annotations

from collections.abc import Callable

from hbtriage.sources import irq_bcc, irq_proc
from hbtriage.sources.base import InputFile, ReadResult
from hbtriage.sources.encoding import read_text
from hbtriage.sources.options import DEFAULT, ReadOptions


class IrqReader:
    """A reader of one of the layouts above: ``parse(text, item)`` of the whole decoded file."""

    def __init__(
        self,
        kind: str,
        sniffer: Callable[[str], bool],
        parser: Callable[[str, InputFile], ReadResult],
    ) -> None:
        self.kind = kind
        self._sniff = sniffer
        self._parse = parser

    def sniff(self, head: str, name: str) -> bool:
        return self._sniff(head)

    def read(
        self, item: InputFile, text_encoding: str, options: ReadOptions = DEFAULT
    ) -> ReadResult:
        text, enc = read_text(item.path, text_encoding or None)
        result = self._parse(text.lstrip("\ufeff"), item)
        result.encoding = enc
        return result


#: bcc / libbpf-tools ``hardirqs`` and ``softirqs`` output.
BCC_READER = IrqReader(irq_bcc.KIND, irq_bcc.sniff, irq_bcc.parse)
#: Snapshots of ``/proc/interrupts`` and ``/proc/softirqs``.
PROC_READER = IrqReader(irq_proc.KIND, irq_proc.sniff, irq_proc.parse)
READERS = (BCC_READER, PROC_READER)
