"""The item bank and answers files."""

from __future__ import annotations

from pathlib import Path

import pytest

from b2bcx.errors import ConfigurationError
from b2bcx.strategy import item_bank, load_answers
from b2bcx.strategy.answers import SECTIONS


def test_the_shipped_bank_covers_the_papers_factors_and_dimensions() -> None:
    bank = item_bank()
    factors = {i.factor for i in bank.section("impact")}
    # section 4.1 and Table 4 of Wirtz et al. (2025), and the list
    assert {
        "top-management view",
        "rivalry",
        "technological differentiation",
        "switching barriers",
        "deal size",
        "automated transactions",
        "ecosystem position",
        "importance of the offering",
        "relational ties",
        "channel structure",
        "resources",
    } <= factors
    dims = {i.dimension for i in bank.section("scope")}
    assert dims == {
        "touchpoints",
        "cues",
        "journeys",
        "stakeholders",
        "data",
        "metrics",
        "partners",
        "activities",
    }
    assert {i.section for i in bank.items} <= set(SECTIONS)
    # "low rivalry, high technological differentiation, high switching barriers, small
    # deal sizes, or automated transactions" limit impact: agreement lowers the score
    reversed_ = {i.id for i in bank.items if i.direction < 0}
    assert reversed_ == {"tech_differentiation", "switching_barriers", "automated_transactions"}
    assert bank.score(bank.by_id()["rivalry"], 5) == 1.0
    assert bank.score(bank.by_id()["switching_barriers"], 5) == 0.0
    assert bank.score(bank.by_id()["rivalry"], 2) == pytest.approx(0.25)


def test_a_custom_bank_and_its_errors(tmp_path: Path) -> None:
    own = tmp_path / "bank.yaml"
    own.write_text(
        "version: 9\nscale: {low: 0, high: 10}\nperception_share: 0.8\nitems:\n"
        "  - {id: tm_sca, section: impact, group: perception, text: T}\n"
        "  - {id: rivalry, section: impact, group: context, weight: 2, text: R}\n"
    )
    bank = item_bank(own)
    assert bank.version == 9 and bank.perception_share == 0.8
    assert bank.score(bank.by_id()["rivalry"], 5) == 0.5
    own.write_text("items:\n  - {id: x, section: impact, text: T}\n")
    with pytest.raises(
        ConfigurationError, match=r"bank\.yaml: item 'x': an impact item needs group"
    ):
        item_bank(own)
    own.write_text("items:\n  - {id: x, section: vibes, text: T}\n")
    with pytest.raises(ConfigurationError, match="section must be one of"):
        item_bank(own)


def test_answers_from_yaml_and_csv(tmp_path: Path) -> None:
    nested = tmp_path / "a.yaml"
    nested.write_text("respondent: board\nanswers:\n  tm_sca: 4\n  rivalry: 3\n  deal_size:\n")
    answers = load_answers(nested)
    assert answers.values == {"tm_sca": 4.0, "rivalry": 3.0}
    assert answers.respondent == "board" and answers.source == str(nested)
    flat = tmp_path / "f.yml"
    flat.write_text("respondent: cfo\ntm_sca: 2\n")
    assert load_answers(flat).values == {"tm_sca": 2.0}
    table = tmp_path / "a.csv"
    table.write_text("item,answer\ntm_sca,5\nrivalry,\n")
    assert load_answers(table).values == {"tm_sca": 5.0}
    assert not load_answers(tmp_path / "a.csv").get("rivalry")


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("b.yaml", "tm_sca: 9\n", r"b\.yaml, key tm_sca: item 'tm_sca' is 9, outside 1–5"),
        ("b.yaml", "tm_scaa: 3\n", r"unknown item 'tm_scaa' \(did you mean tm_sca"),
        ("b.yaml", "tm_sca: lots\n", "answer with a number from 1"),
        ("b.yaml", "tm_sca: true\n", "answer with a number"),
        ("b.yaml", "- 1\n- 2\n", "expected a mapping of item: answer"),
        ("b.yaml", "answers: [1]\n", "'answers' must be a mapping"),
        ("b.yaml", "tm_sca: [\n", "not valid YAML"),
        ("w.csv", "question,value\nx,1\n", "needs the header item,answer"),
        ("e.csv", "item,answer\ntm_sca,3\n,4\n", r"e\.csv, row 3, column item: empty item id"),
        ("d.csv", "item,answer\ntm_sca,3\ntm_sca,4\n", "row 3: item 'tm_sca' is answered twice"),
        ("v.csv", "item,answer\ntm_sca,3\nrivalry,0\n", r"v\.csv, row 3: item 'rivalry' is 0"),
        ("a.txt", "tm_sca: 3\n", r"\.yaml, \.yml or \.csv"),
    ],
)
def test_answers_errors_name_the_file_the_place_and_the_fix(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigurationError, match=message):
        load_answers(path)


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read the answers file"):
        load_answers(tmp_path / "nope.yaml")


def test_the_example_answers_file_is_valid() -> None:
    example = Path(__file__).parents[2] / "examples" / "strategy" / "answers.yaml"
    answers = load_answers(example)
    assert set(answers.values) == {i.id for i in item_bank().items}
