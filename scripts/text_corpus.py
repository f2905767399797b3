"""Split the G2 reviews of ``../shared/data/g2-reviews`` into sentences with
stable ids, and join the committed codes (``benchmarks/text_codes/``) back onto
them: the coded training and evaluation corpus of issue 20, rebuilt from the
shared data (the sentences themselves are never committed).

    python scripts/text_corpus.py sentences --out build/text-corpus/sentences.csv
    python scripts/text_corpus.py corpus --out build/text-corpus/corpus.csv

A sentence id is ``<review_id>:<field>:<k>``: the review, the review field
(``title``, ``like_best``, ``dislike``, ``benefits``, ``recommendations``) and
the sentence's position in it (from 1).
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterator
from pathlib import Path

from b2bcx.text.sentences import split_sentences as _split

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "g2-reviews" / "g2_reviews_wide.csv"
CODES = ROOT / "benchmarks" / "text_codes"
FIELDS = ("title", "like_best", "dislike", "benefits", "recommendations")


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` (at least two words each), in order (the
    package's splitter, :func:`b2bcx.text.sentences.split_sentences`).

    >>> split_sentences("Easy to use. Support is slow!\\n- great reports")
    ['Easy to use.', 'Support is slow!', 'great reports']
    """
    return _split(text)


def sentences(path: Path = SHARED) -> Iterator[dict[str, str]]:
    """Every sentence of every review field, with its id, review and field."""
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            for field in FIELDS:
                for k, sentence in enumerate(split_sentences(row.get(field) or ""), start=1):
                    yield {
                        "sentence_id": f"{row['review_id']}:{field}:{k}",
                        "review_id": row["review_id"],
                        "field": field,
                        "nps": row.get("ans_nps") or "",
                        "sentence": sentence,
                    }


def sample(rows: list[dict[str, str]], n: int, seed: int) -> list[dict[str, str]]:
    """``n`` sentences drawn at random (the coding sample), in a random order."""
    import random

    picked = random.Random(seed).sample(rows, min(n, len(rows)))
    return [{"sentence_id": r["sentence_id"], "sentence": r["sentence"]} for r in picked]


GOALS = (
    "efficiency",
    "differentiation",
    "association",
    "convenience",
    "empowerment",
    "relationships",
)


def read_codes(path: Path) -> dict[str, tuple[frozenset[str], int]]:
    """One coder's codes: sentence id → (goals, sentiment)."""
    out = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            goals = frozenset(g for g in (row["goals"] or "").split(";") if g)
            out[row["sentence_id"]] = (goals, int(row["sentiment"]))
    return out


def cohen_kappa(a: list[int], b: list[int]) -> float:
    """Cohen's kappa of two coders' labels (any hashable categories).

    >>> round(cohen_kappa([1, 1, 0, 0], [1, 0, 0, 0]), 3)
    0.5
    """
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    cats = set(a) | set(b)
    expected = sum((a.count(c) / n) * (b.count(c) / n) for c in cats)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def agreement(first: Path, second: Path) -> dict[str, object]:
    """Per-goal and sentiment agreement of two coders over the sentences both coded."""
    one, two = read_codes(first), read_codes(second)
    ids = [i for i in one if i in two]
    out: dict[str, object] = {"sentences": len(ids), "goals": {}}
    for goal in GOALS:
        x = [int(goal in one[i][0]) for i in ids]
        y = [int(goal in two[i][0]) for i in ids]
        out["goals"][goal] = {  # type: ignore[index]
            "kappa": round(cohen_kappa(x, y), 3),
            "agree": round(sum(p == q for p, q in zip(x, y, strict=True)) / len(ids), 3),
            "coder1": sum(x),
            "coder2": sum(y),
            "both": sum(p & q for p, q in zip(x, y, strict=True)),
        }
    s1, s2 = [one[i][1] for i in ids], [two[i][1] for i in ids]
    out["sentiment"] = {
        "kappa": round(cohen_kappa(s1, s2), 3),
        "agree": round(sum(p == q for p, q in zip(s1, s2, strict=True)) / len(ids), 3),
    }
    out["disagreements"] = sum(one[i] != two[i] for i in ids)
    return out


def final_codes(folder: Path = CODES) -> dict[str, tuple[frozenset[str], int]]:
    """The final codes: the codes both coders gave where they agree, and the
    adjudicator's (``adjudicated.csv``) where they did not; a disagreement not yet
    adjudicated is left out."""
    one, two = read_codes(folder / "coder1.csv"), read_codes(folder / "coder2.csv")
    final = {i: one[i] for i in one if i in two and one[i] == two[i]}
    adjudicated = folder / "adjudicated.csv"
    if adjudicated.exists():
        settled = read_codes(adjudicated)
        final.update({i: c for i, c in settled.items() if i in one and i in two})
    return final


def corpus(path: Path = SHARED, folder: Path = CODES) -> list[dict[str, str]]:
    """The coded corpus: every sentence with a final code, in sentence order, with
    its review, field, the reviewer's NPS answer, its goals (``;``-joined, in
    codebook order) and sentiment (−1, 0, 1)."""
    codes = final_codes(folder)
    out = []
    for row in sentences(path):
        code = codes.get(row["sentence_id"])
        if code is None:
            continue
        goals, sentiment = code
        out.append({**row, "goals": ";".join(g for g in GOALS if g in goals),
                    "sentiment": str(sentiment)})  # fmt: skip
    return out


def _write(rows: list[dict[str, str]], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("sentences", "sample", "agreement", "corpus"))
    parser.add_argument("--n", type=int, default=2400, help="sample: how many sentences")
    parser.add_argument("--seed", type=int, default=2026, help="sample: the random seed")
    parser.add_argument("--data", type=Path, default=SHARED)
    parser.add_argument(
        "--out", type=Path, default=ROOT / "build" / "text-corpus" / "sentences.csv"
    )
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(
            f"{args.data} not found: the G2 reviews live in ../shared/data/g2-reviews",
            file=sys.stderr,
        )
        return 2
    if args.what == "agreement":
        import json

        result = agreement(CODES / "coder1.csv", CODES / "coder2.csv")
        (CODES / "agreement.json").write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, indent=2))
        return 0
    if args.what == "corpus":
        rows = corpus(args.data)
        if args.out.name == "sentences.csv":
            args.out = args.out.with_name("corpus.csv")
        missing = len(read_codes(CODES / "coder1.csv")) - len(rows)
        if missing:
            print(f"{missing} coded sentences have no final code yet (disagreements not "
                  "adjudicated, or ids no longer in the data)", file=sys.stderr)  # fmt: skip
    else:
        rows = list(sentences(args.data))
    if args.what == "sample":
        rows = sample(rows, args.n, args.seed)
        if args.out.name == "sentences.csv":
            args.out = args.out.with_name("sample.csv")
    _write(rows, args.out)
    reviews = len({r["sentence_id"].split(":")[0] for r in rows})
    print(f"{len(rows)} sentences from {reviews} reviews → {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
