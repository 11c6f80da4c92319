"""Reading a LOCOMO-format file: conversations, their sessions and turns, questions, observations.

LOCOMO (Maharana et al. 2024) is CC BY-NC 4.0: it is read from wherever it lies (``--data``) and
never copied into this repository.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}
_SESSION_KEY = re.compile(r"^session_(\d+)$")
_DIA_ID = re.compile(r"D\d+:\d+")


def default_data_path() -> Path:
    """``$LOCOMO_PATH``, else the dev split in the ``shared/`` folder beside the repository."""
    env = os.environ.get("LOCOMO_PATH")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "shared" / "data" / "locomo" / "locomo_dev5.json"


@dataclass(frozen=True)
class Turn:
    dia_id: str
    speaker: str
    text: str


@dataclass(frozen=True)
class Session:
    number: int
    timestamp: str  # ISO-8601, UTC
    turns: list[Turn]


@dataclass(frozen=True)
class Question:
    text: str
    category: int
    evidence: frozenset[str]


@dataclass(frozen=True)
class Observation:
    session: int
    text: str
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class Conversation:
    sample_id: str
    speakers: tuple[str, str]
    sessions: list[Session]
    questions: list[Question]
    observations: list[Observation]

    @property
    def turn_count(self) -> int:
        return sum(len(s.turns) for s in self.sessions)


def parse_session_time(text: str) -> str:
    """``'1:56 pm on 8 May, 2023'`` → ``'2023-05-08T13:56:00+00:00'``."""
    moment = datetime.strptime(text.strip(), "%I:%M %p on %d %B, %Y")
    return moment.replace(tzinfo=timezone.utc).isoformat()


def turn_text(raw: dict[str, Any]) -> str:
    """A turn's words, plus the caption of a photo it shares (the photo itself is not text)."""
    text = str(raw.get("text", "")).strip()
    caption = raw.get("blip_caption")
    if caption:
        text = f"{text} [shared a photo: {caption}]".strip()
    return text


def evidence_ids(raw: list[Any]) -> frozenset[str]:
    """Evidence ids as written, tolerating the data's few malformed entries (``'D10:19; D10:20'``)."""
    found: set[str] = set()
    for entry in raw:
        found.update(_DIA_ID.findall(str(entry).replace("D:", "D")))
    return frozenset(found)


def _sessions(conv: dict[str, Any]) -> list[Session]:
    sessions = []
    for key, value in conv.items():
        match = _SESSION_KEY.match(key)
        if not match or not isinstance(value, list) or not value:
            continue
        number = int(match.group(1))
        stamp = parse_session_time(conv[f"session_{number}_date_time"])
        turns = [Turn(str(t["dia_id"]), str(t["speaker"]), turn_text(t)) for t in value if turn_text(t)]
        sessions.append(Session(number, stamp, turns))
    return sorted(sessions, key=lambda s: s.number)


def _observations(raw: dict[str, Any]) -> list[Observation]:
    found = []
    for key, by_speaker in raw.items():
        number = int(re.findall(r"\d+", key)[0])
        for facts in by_speaker.values():
            for fact in facts:
                text, evidence = fact[0], fact[1]
                ids = evidence if isinstance(evidence, list) else [evidence]
                found.append(Observation(number, str(text), tuple(sorted(evidence_ids(ids)))))
    return found


def load(path: str | os.PathLike[str]) -> list[Conversation]:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    conversations = []
    for sample in data:
        conv = sample["conversation"]
        questions = [
            Question(str(q["question"]), int(q["category"]), evidence_ids(q.get("evidence", [])))
            for q in sample["qa"]
        ]
        conversations.append(
            Conversation(
                sample_id=str(sample["sample_id"]),
                speakers=(str(conv["speaker_a"]), str(conv["speaker_b"])),
                sessions=_sessions(conv),
                questions=[q for q in questions if q.evidence],
                observations=_observations(sample.get("observation", {})),
            )
        )
    return conversations
