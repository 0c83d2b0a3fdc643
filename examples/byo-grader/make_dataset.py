"""Writes tickets.jsonl: 100 support tickets (Nova RFT records) with their queue label, reproducibly.

Run: python examples/byo-grader/make_dataset.py (the file is committed; rerun only to change it).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

SYSTEM = (
    "You route customer support tickets. Reply with only the queue label, one of: "
    "billing, technical, account, shipping, refund."
)
TICKETS = {
    "billing": [
        "I was charged twice for my {plan} subscription this month.",
        "Why does my invoice show {amount} when my plan costs less?",
        "Please update the credit card used for my {plan} plan.",
        "The tax on my last invoice looks wrong, it is {amount}.",
    ],
    "technical": [
        "The app crashes every time I open the {feature} screen.",
        "Uploading a file to {feature} gives error 500 since yesterday.",
        "Sync with {feature} stopped working after the last update.",
        "The {feature} page loads forever on my phone.",
    ],
    "account": [
        "I cannot sign in: the password reset mail never arrives.",
        "Please change the email address on my account to a new one.",
        "How do I add a second admin to our {plan} workspace?",
        "My account was locked after too many attempts, please unlock it.",
    ],
    "shipping": [
        "My order {order} still shows 'in transit' after ten days.",
        "The parcel for order {order} was delivered to the wrong address.",
        "Can you ship order {order} to a different city instead?",
        "Tracking for order {order} has not updated since Monday.",
    ],
    "refund": [
        "I returned order {order} two weeks ago and still have no money back.",
        "I want my money back for the {plan} plan, I cancelled on day one.",
        "The item from order {order} arrived broken, I want a refund.",
        "Please refund the {amount} you charged after I cancelled.",
    ],
}
FILLERS = {
    "plan": ["Pro", "Team", "Basic", "Enterprise"],
    "amount": ["$49.00", "$120.50", "$9.99", "$310.00"],
    "feature": ["reports", "calendar", "export", "dashboard"],
    "order": ["A-1042", "B-2290", "C-3177", "D-4401"],
}


def records(count: int = 100, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    labels = sorted(TICKETS)
    out = []
    for i in range(count):
        label = labels[i % len(labels)]
        template = rng.choice(TICKETS[label])
        text = template.format(**{k: rng.choice(v) for k, v in FILLERS.items()})
        out.append(
            {
                "id": f"ticket-{i + 1:04d}",
                "messages": [
                    {"role": "system", "content": SYSTEM},
                    {"role": "user", "content": f"Ticket: {text}"},
                ],
                "reference_answer": {"label": label},
            }
        )
    return out


if __name__ == "__main__":
    target = Path(__file__).with_name("tickets.jsonl")
    target.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in records()))
    print(f"wrote {target}")
