"""An event's evaluation as a list of questions: its organizer's template first (an accrediting
body's standard form, say), then the event's own. Each question's key is its block's id, which
survives rewording and the page's translations; answers are stored by it (registrations'
services/evaluations.py)."""

from dataclasses import dataclass

EVENT, SESSION, PRESENTER = "event", "session", "presenter"


@dataclass(frozen=True)
class Question:
    key: str
    kind: str  # "rating", "choice" or "text" (events.blocks.EvaluationBlock)
    label: str
    asked_for: str  # EVENT, SESSION (each session attended) or PRESENTER (each presenter)
    required: bool
    scale: int = 0
    lowest: str = ""
    highest: str = ""
    choices: tuple = ()
    several: bool = False


def questions_of(stream):
    """The questions of an EvaluationBlock stream, in order."""
    found = []
    for block in stream or ():
        value = block.value
        found.append(
            Question(
                key=block.id,
                kind=block.block_type,
                label=value["question"],
                asked_for=value.get("asked_for") or EVENT,
                required=bool(value.get("required")),
                scale=value.get("scale") or 0,
                lowest=value.get("lowest") or "",
                highest=value.get("highest") or "",
                choices=tuple(value.get("choices") or ()),
                several=bool(value.get("several")),
            )
        )
    return found
