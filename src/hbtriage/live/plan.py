"""``hbtriage plan``: the commands to paste on each server so that ``analyze`` gets what it needs.

The knowledge (counter list, commands, texts in English and Japanese) is data in
``catalog/plan.toml``; this module only renders it.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

from hbtriage.errors import UsageError

OSES = ("windows", "linux")
LANGS = ("en", "ja")
_HOST_PLACEHOLDER = {"windows": "%COMPUTERNAME%", "linux": "$(hostname)"}


@cache
def load_plan() -> dict[str, Any]:
    """The parsed ``catalog/plan.toml``."""
    text = resources.files("hbtriage").joinpath("catalog/plan.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def plan_counters() -> list[str]:
    """Perfmon counter paths the plan asks for (``\\Object(*)\\Counter``)."""
    return [c["path"] for c in load_plan()["counter"]]


def _quote_counters(paths: list[str]) -> str:
    # Double quotes work the same in cmd.exe and PowerShell; '%' is left alone by an
    # interactive cmd and PowerShell (paste the lines, do not put them in a .bat file).
    return " ".join(f'-c "{p}"' if i == 0 else f'"{p}"' for i, p in enumerate(paths))


def render_plan(os: str, hosts: list[str], lang: str) -> str:
    """Plain text plan for ``os`` ("windows" or "linux"), one command block per host.

    With no hosts the commands use the machine's own name (``%COMPUTERNAME%`` /
    ``$(hostname)``) so they can be pasted anywhere. ``lang`` is "en" or "ja".
    Raises :class:`UsageError` for an unknown ``os`` or ``lang``.
    """
    if os not in OSES:
        raise UsageError(f"unknown --os {os!r}: expected one of {', '.join(OSES)}")
    if lang not in LANGS:
        raise UsageError(f"unknown --lang {lang!r}: expected one of {', '.join(LANGS)}")
    data = load_plan()
    meta = data["meta"]
    folder = meta["windows_dir"] if os == "windows" else meta["linux_dir"]
    counters = _quote_counters(plan_counters())
    targets = list(dict.fromkeys(h.strip() for h in hosts if h.strip())) or [_HOST_PLACEHOLDER[os]]
    out = [f"# {meta['title'][lang]} ({os})", ""]
    for section in data["section"]:
        if section["os"] not in (os, "both"):
            continue
        out.append(f"## {section['title'][lang]}")
        out += [ln for ln in section["text"][lang].strip().splitlines()]
        out.append("")
        for host in targets:
            others = [t for t in targets if t != host]
            peer = others[0] if len(targets) == 2 else "<other-server>"
            if len(targets) > 1:
                out.append(meta["for_host"][lang].replace("{host}", host))
            for cmd in section["commands"]:
                line = cmd.replace("{counters}", counters).replace("{dir}", folder)
                line = line.replace("{sep}", "\\" if os == "windows" else "/")
                out.append("    " + line.replace("{host}", host).replace("{peer}", peer))
            out.append("")
    return "\n".join(out).rstrip() + "\n"
