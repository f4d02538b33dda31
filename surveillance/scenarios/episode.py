"""The label of an injected manipulation episode: what a detector should find."""

from dataclasses import dataclass


@dataclass(slots=True)
class Episode:
    pattern: str
    instrument: str
    accounts: tuple[str, ...]  # the manipulators (an alert must name one of them)
    start: int  # ns, first action
    end: int  # ns, last action
    # patterns the same behaviour also shows by their own rules (a ramp is an abnormal
    # price move too): their alerts here are not false positives, nor counted for recall
    also: tuple[str, ...] = ()
    variant: str = "plain"  # how the episode tries to evade (scenarios/evasions.py)
