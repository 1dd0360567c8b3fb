"""What every handler shares: keys, knobs, stores, and where the two origins live."""

from __future__ import annotations

from dataclasses import dataclass, field

from .behaviour import Behaviour
from .blobs import BlobStore
from .jobs import JobBook
from .recording import RequestLog
from .scripts import ScriptBook


@dataclass
class EmulatorState:
    """The emulator's shared state; handlers read it, the emulator owns it."""

    keys: frozenset[str]
    behaviour: Behaviour = field(default_factory=Behaviour)
    log: RequestLog = field(default_factory=RequestLog)
    scripts: ScriptBook = field(default_factory=ScriptBook)
    blobs: BlobStore = field(default_factory=BlobStore)
    jobs: JobBook = field(default_factory=JobBook)
    api_url: str = ""
    cdn_url: str = ""

    def accepts(self, key: object) -> bool:
        """Whether a presented key is one of the accepted ones."""
        return isinstance(key, str) and key in self.keys
