"""Helpers shared by the closed-loop tests (a module, so tests can import them)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

#: The secret of the Standard Webhooks specification's test vector.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1 in a thread; ``up`` False answers 503."""

    url: str
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    up: bool = True

    def payloads(self) -> list[dict[str, Any]]:
        """The JSON bodies received, in order."""
        return [json.loads(body) for _, body in self.received]
