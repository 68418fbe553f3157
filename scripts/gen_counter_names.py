#!/usr/bin/env python3
"""Generate src/hbtriage/catalog/counters.toml from PAL's CounterLang.xml.

Usage: python scripts/gen_counter_names.py path/to/CounterLang.xml [-o out.toml]

CounterLang.xml (clinthuffman/PAL, MIT) holds perfmon object and counter names in 17
Windows UI languages: ``<CounterObject enUS=.. deDE=..><CounterName enUS=.. deDE=../>``.
This script keeps only the counters the diagnosis needs (``WANTED`` below), with the
localized ``Object\\Counter`` spelling for every language where the XML gives one.

Everything in the output file from the ``HAND_MARKER`` line on is maintained by hand
(counters of other systems, e.g. Linux ``sar``) and is carried over on regeneration. Names PAL
gets wrong for a language (English for Russian and Chinese Windows, which localize) are put
right in ``counters_local.toml`` beside the output, by hand and with a source each; this script
never writes that file.
"""

from __future__ import annotations

import argparse
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

PAL_COMMIT = "7cfe6d8d238db7edd68f13116d1909cfe685c8ff"
LANGS = [
    "csCZ",
    "deDE",
    "enUS",
    "esES",
    "frFR",
    "huHU",
    "itIT",
    "jaJP",
    "koKR",
    "nlNL",
    "plPL",
    "ptBR",
    "ptPT",
    "ruRU",
    "svSE",
    "trTR",
    "zhCN",
]
HAND_MARKER = "# ==== HAND-MAINTAINED SECTION (not generated; kept by gen_counter_names.py) ===="
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "src/hbtriage/catalog/counters.toml"

# (object, counter, semantics, title, reference)
WANTED: tuple[tuple[str, str, str, str, str], ...] = (
    ("Processor", "% DPC Time", "percent",
     "Share of the sample interval the CPU spent running deferred procedure calls",
     "Microsoft Docs: Processor object counters (% DPC Time)"),
    ("Processor", "DPC Rate", "instant",
     "DPCs queued per clock tick, last observed value (never multiply by the interval)",
     "Microsoft Docs: Processor object counters (DPC Rate)"),
    ("Processor", "DPCs Queued/sec", "rate",
     "DPCs queued per second, averaged over the sample",
     "Microsoft Docs: Processor object counters (DPCs Queued/sec)"),
    ("Processor", "% Interrupt Time", "percent",
     "Share of the sample interval spent servicing hardware interrupts",
     "Microsoft Docs: Processor object counters (% Interrupt Time)"),
    ("Processor", "Interrupts/sec", "rate",
     "Hardware interrupts per second",
     "Microsoft Docs: Processor object counters (Interrupts/sec)"),
    ("Processor", "% Processor Time", "percent",
     "CPU busy share of the sample interval",
     "Microsoft Docs: Processor object counters (% Processor Time)"),
    ("Processor", "% Privileged Time", "percent",
     "CPU share spent in kernel mode",
     "Microsoft Docs: Processor object counters (% Privileged Time)"),
    ("Network Interface", "Packets Received Discarded", "cumulative",
     "Inbound packets discarded although error-free (e.g. no receive buffer), count since boot",
     "Microsoft Docs: Network Interface object counters (Packets Received Discarded)"),
    ("Network Interface", "Packets Received Errors", "cumulative",
     "Inbound packets with errors, count since boot",
     "Microsoft Docs: Network Interface object counters (Packets Received Errors)"),
    ("Network Interface", "Packets Outbound Discarded", "cumulative",
     "Outbound packets discarded, count since boot",
     "Microsoft Docs: Network Interface object counters (Packets Outbound Discarded)"),
    ("Network Interface", "Packets Outbound Errors", "cumulative",
     "Outbound packets not sent because of errors, count since boot",
     "Microsoft Docs: Network Interface object counters (Packets Outbound Errors)"),
    ("Network Interface", "Output Queue Length", "gauge",
     "Packets waiting in the output queue",
     "Microsoft Docs: Network Interface object counters (Output Queue Length)"),
    ("Network Interface", "Bytes Total/sec", "rate",
     "Bytes sent and received per second",
     "Microsoft Docs: Network Interface object counters (Bytes Total/sec)"),
    ("Network Interface", "Packets Received/sec", "rate",
     "Packets received per second",
     "Microsoft Docs: Network Interface object counters (Packets Received/sec)"),
    ("UDPv4", "Datagrams Received Errors", "cumulative",
     "UDP datagrams received that could not be delivered (not port errors), count since boot",
     "Microsoft Docs: UDPv4 object counters (Datagrams Received Errors)"),
    ("UDPv4", "Datagrams/sec", "rate",
     "UDP datagrams sent and received per second",
     "Microsoft Docs: UDPv4 object counters (Datagrams/sec)"),
    ("UDPv6", "Datagrams Received Errors", "cumulative",
     "UDP datagrams received that could not be delivered (not port errors), count since boot",
     "Microsoft Docs: UDPv6 object counters (Datagrams Received Errors)"),
    ("UDPv6", "Datagrams/sec", "rate",
     "UDP datagrams sent and received per second",
     "Microsoft Docs: UDPv6 object counters (Datagrams/sec)"),
    ("TCPv4", "Segments Retransmitted/sec", "rate",
     "TCP segments retransmitted per second",
     "Microsoft Docs: TCPv4 object counters (Segments Retransmitted/sec)"),
    ("TCPv4", "Connections Reset", "cumulative",
     "TCP connections reset (ESTABLISHED or CLOSE-WAIT to CLOSED), count since boot",
     "Microsoft Docs: TCPv4 object counters (Connections Reset)"),
    ("TCPv4", "Connections Established", "gauge",
     "TCP connections currently ESTABLISHED or CLOSE-WAIT",
     "Microsoft Docs: TCPv4 object counters (Connections Established)"),
    ("TCPv6", "Segments Retransmitted/sec", "rate",
     "TCP segments retransmitted per second",
     "Microsoft Docs: TCPv6 object counters (Segments Retransmitted/sec)"),
    ("TCPv6", "Connections Reset", "cumulative",
     "TCP connections reset (ESTABLISHED or CLOSE-WAIT to CLOSED), count since boot",
     "Microsoft Docs: TCPv6 object counters (Connections Reset)"),
    ("TCPv6", "Connections Established", "gauge",
     "TCP connections currently ESTABLISHED or CLOSE-WAIT",
     "Microsoft Docs: TCPv6 object counters (Connections Established)"),
    ("System", "Processor Queue Length", "gauge",
     "Threads ready to run but waiting for a CPU (instantaneous count)",
     "Microsoft Docs: System object counters (Processor Queue Length)"),
    ("System", "Context Switches/sec", "rate",
     "Thread context switches per second",
     "Microsoft Docs: System object counters (Context Switches/sec)"),
    ("Memory", "Pages/sec", "rate",
     "Pages read from or written to disk to resolve hard faults, per second",
     "Microsoft Docs: Memory object counters (Pages/sec)"),
    ("Memory", "Available MBytes", "gauge",
     "Physical memory immediately available, in MB",
     "Microsoft Docs: Memory object counters (Available MBytes)"),
    ("Memory", "Pages Input/sec", "rate",
     "Pages read from disk to resolve hard faults, per second",
     "Microsoft Docs: Memory object counters (Pages Input/sec)"),
)  # fmt: skip


#: (object, the object it counts as): newer Windows offer the same counters under a second
#: object (Processor Information, per NUMA node, beside Processor; Network Adapter, Server
#: 2012 on, beside Network Interface), and collector sets often take that one. Its names are
#: written as an [[object]] with ``counts_as``, and the loader reads its counters as the
#: counted-as object's; ``[object.counters]`` lists the spellings of the wanted counters
#: that differ from the counted-as object's in a language (PAL's Italian writes
#: "Frequenza DPC" under Processor Information, "Velocità DPC" under Processor).
STAND_INS: tuple[tuple[str, str], ...] = (
    ("Processor Information", "Processor"),
    ("Network Adapter", "Network Interface"),
)


def slug(text: str) -> str:
    out = []
    for ch in text.lower():
        if ch.isalnum():
            out.append(ch)
        elif ch == "%":
            out.append("pct")
        elif ch == "/":
            out.append("_per_")
        else:
            out.append("_")
    s = "".join(out)
    while "__" in s:
        s = s.replace("__", "_")
    return s.strip("_")


def counter_id(obj: str, counter: str) -> str:
    return f"{slug(obj)}.{slug(counter)}"


def q(text: str) -> str:
    """A TOML basic string (JSON string escaping is valid TOML)."""
    return json.dumps(text, ensure_ascii=False)


def load_xml(path: Path) -> dict[str, tuple[dict[str, str], dict[str, dict[str, str]]]]:
    """enUS object -> (object names by lang, {enUS counter -> counter names by lang})."""
    root = ET.parse(path).getroot()
    out: dict[str, tuple[dict[str, str], dict[str, dict[str, str]]]] = {}
    for obj in root.iter("CounterObject"):
        en = obj.get("enUS")
        if not en:
            continue
        onames = {lang: v for lang in LANGS if (v := (obj.get(lang) or "").strip())}
        counters: dict[str, dict[str, str]] = {}
        for c in obj.iter("CounterName"):
            cen = c.get("enUS")
            if cen:
                counters.setdefault(
                    cen, {lang: v for lang in LANGS if (v := (c.get(lang) or "").strip())}
                )
        if en in out:  # the same object twice: merge counters, first spelling wins
            out[en][1].update({k: v for k, v in counters.items() if k not in out[en][1]})
        else:
            out[en] = (onames, counters)
    return out


def render(xml_path: Path, hand_section: str) -> str:
    data = load_xml(xml_path)
    lines = [
        "# Perfmon counters hbtriage uses, with their localized names.",
        "#",
        "# GENERATED by scripts/gen_counter_names.py from PAL's CounterLang.xml",
        f"# (clinthuffman/PAL, MIT licence, commit {PAL_COMMIT},",
        "#  PAL2/PALWizard/bin/Debug/CounterLang.xml). Do not edit the generated part by hand:",
        "# change WANTED in the script and re-run it. Localized names are exactly as PAL gives",
        "# them: some languages lost their diacritics there (lookups ignore case and",
        "# diacritics), and jaJP, koKR, ruRU and zhCN keep the English names, right for Japanese",
        "# only. counters_local.toml beside this file (kept by hand, never written here) holds",
        "# the names real Windows write where PAL is wrong, with their sources (Russian ...);",
        "# the loader puts them in place of these.",
        "#",
        "# semantics: instant (last observed value, e.g. DPC Rate) | rate (average per second",
        "# over the sample) | cumulative (raw count since boot: difference it) | percent |",
        "# gauge (current level).",
        "",
    ]
    objects_done: list[str] = []
    for obj, counter, sem, title, ref in WANTED:
        if obj not in objects_done:
            objects_done.append(obj)
        entry = data.get(obj)
        names: dict[str, str] = {}
        if entry is not None and counter in entry[1]:
            onames, counters = entry
            cnames = counters[counter]
            for lang in LANGS:
                if lang in onames and lang in cnames:
                    names[lang] = f"{onames[lang]}\\{cnames[lang]}"
        else:
            lines.append(f"# {obj}\\{counter}: not in CounterLang.xml, English name only")
            names["enUS"] = f"{obj}\\{counter}"
        lines += [
            "[[counter]]",
            f"id = {q(counter_id(obj, counter))}",
            f"object = {q(obj)}",
            f"counter = {q(counter)}",
            f"semantics = {q(sem)}",
            f"title = {q(title)}",
            f"reference = {q(ref)}",
            "[counter.names]",
        ]
        lines += [f"{lang} = {q(name)}" for lang, name in names.items()]
        lines.append("")
    for obj in objects_done:
        entry = data.get(obj)
        onames = entry[0] if entry else {"enUS": obj}
        lines += ["[[object]]", f"id = {q(slug(obj))}", f"object = {q(obj)}", "[object.names]"]
        lines += [f"{lang} = {q(name)}" for lang, name in onames.items()]
        lines.append("")
    for obj, counted in STAND_INS:
        if obj not in data or counted not in objects_done:
            continue
        onames, counters = data[obj]
        own = data.get(counted, ({}, {}))[1]
        lines += [
            "[[object]]",
            f"id = {q(slug(obj))}",
            f"object = {q(obj)}",
            f"counts_as = {q(counted)}",
            "[object.names]",
        ]
        lines += [f"{lang} = {q(name)}" for lang, name in onames.items()]
        for wobj, counter, *_ in WANTED:
            if wobj != counted or counter not in counters:
                continue
            differ = {
                lang: name
                for lang, name in counters[counter].items()
                if name != own.get(counter, {}).get(lang)
            }
            if differ:
                lines.append(f"[object.counters.{q(counter)}]")
                lines += [f"{lang} = {q(name)}" for lang, name in differ.items()]
        lines.append("")
    text = "\n".join(lines)
    if hand_section:
        text += "\n" + hand_section.rstrip("\n") + "\n"
    return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("xml", type=Path, help="PAL CounterLang.xml")
    ap.add_argument("-o", "--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    hand = ""
    if args.out.exists():
        old = args.out.read_text(encoding="utf-8")
        if HAND_MARKER in old:
            hand = old[old.index(HAND_MARKER) :]
    args.out.write_text(render(args.xml, hand), encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
