"""Generate the JSON-extraction dataset and its candidate responses (deterministic, seeded).

    python datasets/tools/make_json_extraction.py          # writes the dataset and responses files
    python datasets/tools/make_json_extraction.py --check  # exit 1 if the committed files are stale

Files: datasets/json_extraction.jsonl, datasets/responses/json_extraction.responses.jsonl.

Each record asks the model to turn a short text (a contact note, an order, an event, a product
listing, a flight booking) into a JSON object with given fields. `reference_answer` is
`{"expected": {...}, "schema": {...}}`: the object and a JSON Schema hint for it, which the
`json_extraction` spec's `json_match` dimension checks.

Responses: seven variants per prompt, in this order: fenced (right, in a ```json fence),
reordered (right, keys reordered, strings in other case), one_wrong (one field wrong),
missing_field (a required field left out: fails the schema), wrong_type (a number as a string:
fails the schema), malformed (not valid JSON), prose (right JSON inside chatty prose: fails the
format check). `variant_responses()` returns them with the expected field credit, for tests.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEED = 20261122
PER_TEMPLATE = 22
ROOT = Path(__file__).resolve().parents[2]
DATASET = ROOT / "datasets" / "json_extraction.jsonl"
RESPONSES = ROOT / "datasets" / "responses" / "json_extraction.responses.jsonl"

SYSTEM = (
    "You extract structured data from text. Reply with only one JSON object that has exactly the "
    "requested fields and types, and nothing else: no explanations."
)
FIRST = ["Ada", "Bruno", "Carmen", "Dmitri", "Elif", "Femi", "Greta", "Hiro", "Ines", "Jonas", "Kaia", "Luis"]
LAST = ["Lovelace", "Okafor", "Silva", "Novak", "Yilmaz", "Adeyemi", "Berg", "Tanaka", "Costa", "Weber"]
COMPANIES = ["Acme Corp", "Globex", "Initech", "Umbrella Labs", "Stark Industries", "Wayne Foods"]
CITIES = ["Lisbon", "Nairobi", "Osaka", "Denver", "Tallinn", "Montreal", "Porto", "Seoul"]
PRODUCTS = ["trail backpack", "espresso grinder", "desk lamp", "rain jacket", "e-reader", "chef knife"]
CURRENCIES = ("USD", "EUR", "GBP")
AIRLINES = [("Skyway", "SW"), ("Nordair", "NA"), ("Pacifica", "PC"), ("Atlas Air", "AT")]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


@dataclass(frozen=True)
class Task:
    """One extraction task: the text, the field descriptions, the expected object and its schema."""

    topic: str
    text: str
    fields: dict[str, str]  # field -> human description with its type
    expected: dict[str, Any]
    schema: dict[str, Any]


def _schema(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties)}


def _date(rng: random.Random) -> tuple[str, str]:
    """(ISO date, spoken date) of a day in 2026."""
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    return f"2026-{month:02d}-{day:02d}", f"{MONTHS[month - 1]} {day}, 2026"


def _contact(rng: random.Random) -> Task:
    first, last, company = rng.choice(FIRST), rng.choice(LAST), rng.choice(COMPANIES)
    email = f"{first.lower()}.{last.lower()}@{company.split()[0].lower()}.example"
    phone = f"+1-555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"
    text = rng.choice(
        [
            f"Met {first} {last} from {company} at the fair. Reach them at {email} or call {phone}.",
            f"New lead: {first} {last} ({company}). Phone {phone}; email {email}.",
        ]
    )
    expected = {"name": f"{first} {last}", "email": email, "phone": phone, "company": company}
    fields = {"name": "string", "email": "string", "phone": "string", "company": "string"}
    return Task("contact", text, fields, expected, _schema({k: {"type": "string"} for k in expected}))


def _order(rng: random.Random) -> Task:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    product, qty = rng.choice(PRODUCTS), rng.randint(1, 9)
    unit = rng.choice([19.5, 24.0, 35.25, 49.99, 80.0])
    total = round(qty * unit, 2)
    order_id = f"ORD-{rng.randint(10000, 99999)}"
    text = (
        f"Order {order_id} was placed by {first} {last} ({first.lower()}@mail.example): {qty} x {product}, "
        f"total ${total:.2f}."
    )
    expected = {
        "order_id": order_id,
        "item": product,
        "quantity": qty,
        "total": total,
        "customer": {"name": f"{first} {last}", "email": f"{first.lower()}@mail.example"},
    }
    fields = {
        "order_id": "string",
        "item": "string",
        "quantity": "integer",
        "total": "number (dollars)",
        "customer": 'object {"name": string, "email": string}',
    }
    schema = _schema(
        {
            "order_id": {"type": "string"},
            "item": {"type": "string"},
            "quantity": {"type": "integer"},
            "total": {"type": "number"},
            "customer": _schema({"name": {"type": "string"}, "email": {"type": "string"}}),
        }
    )
    return Task("order", text, fields, expected, schema)


def _event(rng: random.Random) -> Task:
    city = rng.choice(CITIES)
    iso, spoken = _date(rng)
    title = rng.choice(["Data Summit", "Open Source Day", "Robotics Meetup", "Climate Forum"])
    attendees = rng.randint(40, 900)
    speakers = sorted(rng.sample([f"{f} {rng.choice(LAST)}" for f in FIRST], rng.randint(1, 3)))
    text = (
        f"The {title} takes place in {city} on {spoken} (ISO date {iso}). About {attendees} people "
        f"registered. Speakers: {', '.join(speakers)}."
    )
    expected = {"title": title, "city": city, "date": iso, "attendees": attendees, "speakers": speakers}
    fields = {
        "title": "string",
        "city": "string",
        "date": "string, YYYY-MM-DD",
        "attendees": "integer",
        "speakers": "array of strings",
    }
    schema = _schema(
        {
            "title": {"type": "string"},
            "city": {"type": "string"},
            "date": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
            "attendees": {"type": "integer"},
            "speakers": {"type": "array", "items": {"type": "string"}},
        }
    )
    return Task("event", text, fields, expected, schema)


def _product(rng: random.Random) -> Task:
    name = rng.choice(PRODUCTS)
    price = rng.choice([12.99, 29.0, 45.5, 99.95, 149.0])
    currency = rng.choice(CURRENCIES)
    in_stock = rng.random() < 0.5
    stock_text = "in stock, ships today" if in_stock else "currently sold out"
    text = f"Listing: {name.title()}, priced at {price} {currency}, {stock_text}."
    expected = {"name": name, "price": price, "currency": currency, "in_stock": in_stock}
    fields = {"name": "string", "price": "number", "currency": "string (ISO code)", "in_stock": "boolean"}
    schema = _schema(
        {
            "name": {"type": "string"},
            "price": {"type": "number"},
            "currency": {"type": "string", "enum": list(CURRENCIES)},
            "in_stock": {"type": "boolean"},
        }
    )
    return Task("product", text, fields, expected, schema)


def _flight(rng: random.Random) -> Task:
    (airline, code), number = rng.choice(AIRLINES), rng.randint(100, 999)
    origin, destination = rng.sample(CITIES, 2)
    iso, spoken = _date(rng)
    text = (
        f"Your booking: {airline} flight {code}{number} from {origin} to {destination} on {spoken} ({iso})."
    )
    expected = {
        "airline": airline,
        "flight_number": f"{code}{number}",
        "origin": origin,
        "destination": destination,
        "date": iso,
    }
    fields = {k: "string" for k in expected}
    fields["date"] = "string, YYYY-MM-DD"
    return Task("flight", text, fields, expected, _schema({k: {"type": "string"} for k in expected}))


TEMPLATES: list[Callable[[random.Random], Task]] = [_contact, _order, _event, _product, _flight]


def tasks() -> list[tuple[str, Task]]:
    """(id, task) for every record, in file order."""
    rng = random.Random(SEED)
    out: list[tuple[str, Task]] = []
    seen: set[str] = set()
    for _ in range(PER_TEMPLATE):
        for template in TEMPLATES:
            task = template(rng)
            while task.text in seen:
                task = template(rng)
            seen.add(task.text)
            out.append((f"json-{len(out) + 1:04d}", task))
    return out


def record(tid: str, task: Task) -> dict:
    field_lines = "\n".join(f"- {name}: {kind}" for name, kind in task.fields.items())
    user = f"Extract these fields as JSON:\n{field_lines}\n\nText:\n{task.text}"
    return {
        "id": tid,
        "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}],
        "reference_answer": {"expected": task.expected, "schema": task.schema},
        "domain": "json_extraction",
        "topic": task.topic,
    }


def _recase(value: Any) -> Any:
    if isinstance(value, str) and "@" not in value and "-" not in value:
        return value.upper()
    if isinstance(value, dict):
        return {k: _recase(v) for k, v in value.items()}
    return value


def _spoil(value: Any) -> Any:
    """A wrong value of the same type."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 7
    if isinstance(value, str):
        if value in CURRENCIES:  # stay inside the schema's enum
            return CURRENCIES[(CURRENCIES.index(value) + 1) % len(CURRENCIES)]
        if len(value) == 10 and value[4] == "-" and value[7] == "-":  # keep the date pattern
            return value[:8] + ("01" if value[8:] != "01" else "02")
        return value + " X"
    if isinstance(value, list):
        return ["Nobody"]
    if isinstance(value, dict):
        return {k: _spoil(v) for k, v in value.items()}
    return value


def variant_responses(tid: str, task: Task) -> list[tuple[str, float, str]]:
    """(variant, expected json_match value, response) for one task."""
    rng = random.Random(f"{SEED}:{tid}")
    expected = task.expected
    keys = list(expected)
    dumped = json.dumps(expected, ensure_ascii=False)
    reordered = {k: _recase(expected[k]) for k in reversed(keys)}
    wrong_key = rng.choice(keys)
    one_wrong = {**expected, wrong_key: _spoil(expected[wrong_key])}
    missing = {k: v for k, v in expected.items() if k != keys[-1]}
    typed_key = next(
        (k for k, v in expected.items() if isinstance(v, int | float) and not isinstance(v, bool)), None
    )
    wrong_type = (
        {**expected, typed_key: str(expected[typed_key])} if typed_key else {**expected, keys[0]: 123}
    )
    malformed = dumped[:-1] + ",}"
    return [
        ("fenced", 1.0, f"```json\n{json.dumps(expected, indent=2, ensure_ascii=False)}\n```"),
        ("reordered", 1.0, json.dumps(reordered, ensure_ascii=False)),
        ("one_wrong", (len(keys) - 1) / len(keys), json.dumps(one_wrong, ensure_ascii=False)),
        ("missing_field", 0.0, json.dumps(missing, ensure_ascii=False)),
        ("wrong_type", 0.0, json.dumps(wrong_type, ensure_ascii=False)),
        ("malformed", 0.0, malformed.replace('"', "'", 2)),
        ("prose", 1.0, f"Sure! Here is the data you asked for: {dumped} Let me know if you need more."),
    ]


def render() -> tuple[str, str]:
    """The dataset and responses files' exact text."""
    data_lines, response_lines = [], []
    for tid, task in tasks():
        data_lines.append(json.dumps(record(tid, task), ensure_ascii=False, sort_keys=True))
        for _variant, _credit, text in variant_responses(tid, task):
            response_lines.append(json.dumps({"id": tid, "response": text}, ensure_ascii=False))
    return "\n".join(data_lines) + "\n", "\n".join(response_lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed files are stale")
    args = parser.parse_args(argv)
    dataset, responses = render()
    files = ((DATASET, dataset), (RESPONSES, responses))
    if args.check:
        stale = [path for path, text in files if not path.exists() or path.read_text("utf-8") != text]
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)} (run python {Path(__file__).relative_to(ROOT)})")
        return 1 if stale else 0
    RESPONSES.parent.mkdir(parents=True, exist_ok=True)
    for path, text in files:
        path.write_text(text, "utf-8")
    print(f"wrote {DATASET.relative_to(ROOT)} and {RESPONSES.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
