"""The content tests (sniffs) of the readers whose test is a few regular expressions, with what
they need: the one definition, which the reader modules import. It imports nothing but
:mod:`re`, so :func:`hbtriage.sources.sniff` can try a file against these formats without
importing their readers (and polars code, tables and patterns a run does not use): a reader
module is imported when a file is of its kind, or when its own sniff must run (see
:data:`hbtriage.sources.READERS`).

Each ``<kind>(head, name)`` function is the reader's ``sniff``: ``head`` is the first ~64 KiB of
the file, decoded; ``name`` its base name.
"""

from __future__ import annotations

import re

# ------------------------------------------------------------------------ sar (sysstat)

SADF_HEADER_RE = re.compile(r"^# hostname;interval;timestamp;", re.M)
#: ``Linux <release> (<host>) \t<date> \t_<machine>_\t(<n> CPU)``: the date is strftime %x of
#: the LC_TIME sar ran under (01/23/2013, 23.01.2013, 2013年01月23日, 2013년 01월 23일 ...; read
#: by :mod:`hbtriage.sources._sysstat_time`), up to the tab (spaces in a copy off a web page).
SAR_BANNER_RE = re.compile(
    r"^Linux \S+ \((?P<host>[^)]+)\)\s+(?P<date>\d[^\t\n]*?)\s*(?=\t|\s_\S+_|\s\(\d+ CPU\)|\r?$)",
    re.M,
)
#: A table's first line: the time (any LC_TIME: ``07:35:00 AM``, ``07시 35분 00초``), then the
#: first column of a sar table (-u/-P, -n DEV/EDEV, -q, -n UDP, -I, -n TCP/ETCP, -n NFS, -n
#: SOCK, -r, -w, -B, -b, -d).
_SAR_TABLE_RE = re.compile(
    r"^\d[^\t\n]{0,20}?\s+(CPU|IFACE|runq-sz|idgm/s|INTR|active/s|atmptf/s|call/s|totsck"
    r"|kbmemfree|proc/s|pgpgin/s|pswpin/s|tps|DEV)\b",
    re.M,
)


#: sadf -j (JSON) output starts so (sources/sadf_json.py)
SADF_JSON_RE = re.compile(r'^\s*\{\s*"sysstat"\s*:\s*\{')


def sar(head: str, name: str) -> bool:
    head = head.lstrip("\ufeff")
    if SADF_HEADER_RE.search(head[:4096]) or SADF_JSON_RE.match(head[:256]):
        return True
    banner = SAR_BANNER_RE.search(head[:1024])
    return banner is not None and _SAR_TABLE_RE.search(head) is not None


# ------------------------------------------------------------------------ hbtriage watch

WATCH_HEADER_PREFIX = "# hbtriage-watch"

#: event name -> severity written in ``ReadResult.events.severity``.
WATCH_EVENTS: dict[str, str] = {
    "started": "info",
    "hb_rx": "info",
    "hb_missed": "warning",
    "suspicion_raised": "warning",
    "suspicion_cleared": "info",
    "tcp_disconnect": "warning",
    "tcp_reconnect": "info",
    "peer_restarted": "warning",
    "peer_stopped": "info",
    "stopped": "info",
    # messages that failed the sender, format, number or signature checks, per interval
    "rejected": "warning",
    # the probe runs without a shared key: said once, at start
    "unauthenticated": "warning",
    # the outbound TCP client hit an unexpected error (it reconnects)
    "tcp_client_error": "warning",
    # a periodic task of the probe failed once (it keeps running)
    "probe_error": "warning",
    # records held back by the per-minute limit (count of what was not written)
    "records_suppressed": "info",
}

WATCH_RECORD = (
    r"^(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?)Z "
    r"(?P<host>\S+) (?P<event>[a-z][a-z0-9_]*)(?: (?P<fields>.*))?$"
)
WATCH_RECORD_RE = re.compile(WATCH_RECORD)


def watch_log(head: str, name: str) -> bool:
    lines = [ln for ln in head.splitlines()[:50] if ln.strip()]
    if not lines:
        return False
    if lines[0].startswith(WATCH_HEADER_PREFIX):
        return True
    records = [ln for ln in lines if not ln.startswith("#")][:10]
    hits = 0
    for ln in records:
        m = WATCH_RECORD_RE.match(ln)
        if m and m.group("event") in WATCH_EVENTS:
            hits += 1
    return hits > 0 and hits >= 0.8 * len(records)


# ------------------------------------------------------------------------ DPC/ISR reports

LATENCYMON_RE = re.compile(
    r"LatencyMon has been analy[sz]ing|Highest DPC routine execution time|"
    r"Driver with highest DPC (?:routine|total) execution time",
    re.I,
)


def latencymon(head: str, name: str) -> bool:
    return LATENCYMON_RE.search(head[:65536]) is not None


XPERF_RE = re.compile(
    r"^\s*(DPC Info|Interrupt Info)\s*$|^\s*Total\s*=\s*\d+\s+for\s+module\s|"
    r"^\s*Elapsed Time,\s*>\s*\d+\s*usecs|^\s*CPU Usage Summing By Module\b|"
    r"^\s*CPU Usage from \d+ us to \d+ us:",
    re.M | re.I,
)


def xperf_dpcisr(head: str, name: str) -> bool:
    found = {m.group(0).strip().lower()[:5] for m in XPERF_RE.finditer(head[:65536])}
    # a section line and a histogram line, or two kinds of histogram line
    return len(found) >= 2


TRACERPT_RE = re.compile(
    r"(DPC|ISR) execution times for the whole trace|(DPC|ISR) processor utilization for the "
    r"whole trace|DPC latencies for the whole trace",
    re.I,
)


def tracerpt_dpcisr(head: str, name: str) -> bool:
    return "|" in head and TRACERPT_RE.search(head[:65536]) is not None


# ------------------------------------------------------------------------ Linux IRQ

BCC_RE = re.compile(
    r"^(Tracing (hard|soft) irq event|(HARDIRQ|SOFTIRQ)\s+TOTAL_(usecs|nsecs|msecs|count)\s*$"
    r"|(hardirq|softirq) = \S)",
    re.M,
)


def bcc_irq(head: str, name: str = "") -> bool:
    return BCC_RE.search(head[:8192]) is not None


PROC_WATCH_HEADER = "# hbtriage-irq 1"
PROC_RE = re.compile(r"^[ \t]*CPU\d+(?:[ \t]+CPU\d+)*[ \t]*\r?\n[ \t]*[A-Za-z0-9_]+:[ \t]+\d", re.M)


def proc_interrupts(head: str, name: str = "") -> bool:
    return head.startswith(PROC_WATCH_HEADER) or PROC_RE.search(head) is not None


# ------------------------------------------------------------------------ Windows event logs

PS_TIME = ("TimeCreated", "TimeGenerated", "TimeWritten")
PS_ID = ("Id", "EventID", "EventId")
PS_SOURCE = ("ProviderName", "Source")

W2003_LINE = re.compile(
    r'^"?([0-9]{1,4}[./-][0-9]{1,2}[./-][0-9]{1,4})"?,"?([0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\s?[AaPp][Mm])?)"?,'
    r'"?([^,"]*)"?,"?([^,"]*)"?,"?([^,"]*)"?,"?([0-9]+)"?,"?([^,"]*)"?,"?([^,"]*)"?,(.*)$'
)
#: The same record in the 2003 Event Viewer's "Text (Tab delimited)" save (``.txt``).
W2003_TAB_LINE = re.compile(
    r"^([0-9]{1,4}[./-][0-9]{1,2}[./-][0-9]{1,4})\t([0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\s?[AaPp][Mm])?)\t"
    r"([^\t]*)\t([^\t]*)\t([^\t]*)\t([0-9]+)\t([^\t]*)\t([^\t]*)\t(.*)$"
)

#: ``Event[0]:``; Windows Server 2022 and Windows 11 write ``Event[0]`` without the colon.
WEVT_START = re.compile(r"^Event\[[0-9]+\]:?[ \t\r]*$", re.M)
#: ``Get-WinEvent | Format-List`` (and ``Get-EventLog``): ``Name : value`` lines, the property
#: names English in every UI language.
PS_LIST_LINE = re.compile(r"^([A-Za-z][A-Za-z]{1,30})[ \t]*: ?(.*)$")
_PS_LIST_TIME = re.compile(r"^(?:TimeCreated|TimeGenerated)[ \t]*: \S", re.M)
_PS_LIST_ID = re.compile(r"^(?:Id|EventID|InstanceId)[ \t]*: [0-9]", re.M)
_PS_LIST_SOURCE = re.compile(r"^(?:ProviderName|Source|Message)[ \t]*: ", re.M)


def csv_fields(line: str, sep: str = ",") -> list[str]:
    return [f.strip().strip('"').strip() for f in line.split(sep)]


def _viewer_header(fields: list[str]) -> bool:
    # The words are the catalog's (catalog/eventlog.toml), loaded only for a head that has the
    # shape of Event Viewer's: five or more names, no digit in the first two.
    if len(fields) < 5 or any(c.isdigit() for c in fields[0] + fields[1]):
        return False
    from hbtriage.sources._eventlog_words import words

    return (fields[0].casefold(), fields[1].casefold()) in words().viewer_headers


def ps_csv_separator(header: str) -> str | None:
    """The separator of an Export-Csv header (``,``; ``;`` under ``-UseCulture`` on a German or
    French Windows, or ``-Delimiter ';'``; a tab), or None when it is none of Export-Csv's."""
    for sep in (",", ";", "\t"):
        names = set(csv_fields(header, sep))
        if (
            names & set(PS_TIME)
            and names & set(PS_ID)
            and (names & set(PS_SOURCE) or "Message" in names)
        ):
            return sep
    return None


def eventlog_layout(head: str) -> str | None:
    """Which event log export layout ``head`` is, or None."""
    lines = [ln for ln in head.splitlines()[:50] if ln.strip()]
    if not lines:
        return None
    first = lines[0].lstrip("\ufeff")
    for sep, layout in ((",", "eventviewer_csv"), ("\t", "eventviewer_tsv")):
        if _viewer_header(csv_fields(first, sep)):
            return layout
    ps_header = lines[1] if first.startswith("#TYPE") and len(lines) > 1 else first
    if ps_csv_separator(ps_header) is not None:
        return "powershell_csv"
    if W2003_LINE.match(first) and sum(1 for ln in lines[:10] if W2003_LINE.match(ln)) >= 1:
        return "w2003_csv"
    if W2003_TAB_LINE.match(first):
        return "w2003_tsv"
    if WEVT_START.search(head):
        from hbtriage.sources._eventlog_words import words

        label = re.compile(rf"^[ \t]+(?:{words().wevtutil_label_re()}):", re.M | re.I)
        if label.search(head):
            return "wevtutil"
    if (
        PS_LIST_LINE.match(first)
        and _PS_LIST_TIME.search(head)
        and _PS_LIST_ID.search(head)
        and _PS_LIST_SOURCE.search(head)
    ):
        return "powershell_list"
    return None


def eventlog(head: str, name: str) -> bool:
    return eventlog_layout(head) is not None
