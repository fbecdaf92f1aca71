"""An alert: one open (or just resolved) issue, channel-independent."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

STATES = ("firing", "repeat", "resolved")


@dataclass(frozen=True)
class Alert:
    key: str  # stable identity of the issue: the same key while it stays open
    severity: str  # P0..P3
    state: str  # firing | repeat | resolved
    title: str
    text: str

    def as_dict(self) -> dict:
        return asdict(self)

    def with_state(self, state: str) -> Alert:
        if state not in STATES:
            raise ValueError(f"unknown alert state {state!r}")
        prefix = {"firing": "", "repeat": "[still open] ", "resolved": "[resolved] "}[state]
        base = self.title.removeprefix("[still open] ").removeprefix("[resolved] ")
        return replace(self, state=state, title=prefix + base)
