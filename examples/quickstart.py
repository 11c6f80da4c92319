"""memspan's main job: an assistant that remembers a user across runs, offline.

Run it twice (or just once: the first run spawns a second, fresh process to prove the memories
survived). Everything stays in one SQLite file; no API key, no server, no download.

    python examples/quickstart.py [--db PATH]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from memspan import Memory

CONVERSATION = [
    {"role": "user", "content": "I'm vegetarian and allergic to peanuts.", "name": "Maya"},
    {"role": "assistant", "content": "Noted, Maya!"},
    {
        "role": "user",
        "content": "I prefer window seats when I fly, and I usually travel with my dog Biscuit.",
        "name": "Maya",
    },
    {
        "role": "user",
        "content": "Last week I started learning Portuguese for a trip to Lisbon in May.",
        "name": "Maya",
    },
]
QUESTIONS = [
    "What should I cook for Maya tonight?",
    "Book a flight for Maya: which seat?",
    "Why is Maya learning a language?",
]


def learn(db: Path) -> None:
    with Memory(db) as memory:
        result = memory.add(CONVERSATION, user_id="maya", run_id="chat-1")
        print(f"run 1 (pid {__import__('os').getpid()}): remembered {len(result.added)} things about Maya")
        for change in result.changes:
            print(f"  {change.event.value:5} {change.item.text}")


def recall(db: Path) -> None:
    with Memory(db) as memory:
        print(f"run 2 (pid {__import__('os').getpid()}), a fresh process: what do I know about Maya?")
        for question in QUESTIONS:
            hits = memory.search(question, user_id="maya", limit=2)
            print(f"  Q: {question}")
            for item in hits:
                print(f"     {item.score:.2f}  {item.text}")
        # another user's memory is never visible to Maya's scope
        others = memory.search("peanuts", user_id="someone-else", limit=3)
        print(f"  someone-else's search for 'peanuts' finds {len(others)} memories")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, default=Path("memspan-demo.db"))
    parser.add_argument("--phase", choices=["learn", "recall"])
    args = parser.parse_args()
    if args.phase == "learn":
        learn(args.db)
    elif args.phase == "recall":
        recall(args.db)
    else:
        fresh = not args.db.exists()
        if fresh:
            learn(args.db)
        else:
            print(f"{args.db} exists: skipping run 1, recalling what an earlier run stored")
        subprocess.run([sys.executable, __file__, "--db", str(args.db), "--phase", "recall"], check=True)
        print(f"\nMemories live in {args.db.resolve()}; run again to see them recalled without re-learning.")


if __name__ == "__main__":
    main()
