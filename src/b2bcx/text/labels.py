"""Label sets of the text heads: GoEmotions (Demszky et al. 2020) with Google's
Ekman and sentiment roll-ups, the six customer goals (Wirtz et al. 2025) and
their value propositions."""

from __future__ import annotations

#: The 28 GoEmotions labels in their published order (ids 0–27).
EMOTIONS: tuple[str, ...] = (
    "admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion",
    "curiosity", "desire", "disappointment", "disapproval", "disgust", "embarrassment",
    "excitement", "fear", "gratitude", "grief", "joy", "love", "nervousness", "optimism",
    "pride", "realization", "relief", "remorse", "sadness", "surprise", "neutral",
)  # fmt: skip

#: Google's Ekman mapping (goemotions/data/ekman_mapping.json); neutral stays neutral.
EKMAN_MAP: dict[str, tuple[str, ...]] = {
    "anger": ("anger", "annoyance", "disapproval"),
    "disgust": ("disgust",),
    "fear": ("fear", "nervousness"),
    "joy": ("joy", "amusement", "approval", "excitement", "gratitude", "love", "optimism",
            "relief", "pride", "admiration", "desire", "caring"),
    "sadness": ("sadness", "disappointment", "embarrassment", "grief", "remorse"),
    "surprise": ("surprise", "realization", "confusion", "curiosity"),
    "neutral": ("neutral",),
}  # fmt: skip
EKMAN: tuple[str, ...] = ("anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral")

#: Google's sentiment mapping (goemotions/data/sentiment_dict.json).
SENTIMENT_MAP: dict[str, tuple[str, ...]] = {
    "positive": ("amusement", "excitement", "joy", "love", "desire", "optimism", "caring",
                 "pride", "admiration", "gratitude", "relief", "approval"),
    "negative": ("fear", "nervousness", "remorse", "embarrassment", "disappointment", "sadness",
                 "grief", "disgust", "anger", "annoyance", "disapproval"),
    "ambiguous": ("realization", "surprise", "curiosity", "confusion"),
}  # fmt: skip

#: The six customer goals → (level, value proposition), Table 1 of Wirtz et al. (2025).
GOALS: dict[str, tuple[str, str]] = {
    "efficiency": ("organizational", "relieving"),
    "differentiation": ("organizational", "enabling"),
    "association": ("organizational", "enriching"),
    "convenience": ("individual", "relieving"),
    "empowerment": ("individual", "enabling"),
    "relationships": ("individual", "enriching"),
}
VALUE_PROPOSITIONS: tuple[str, ...] = ("relieving", "enabling", "enriching")
COGNITIVE: tuple[str, ...] = ("value", "price", "quality", "reliability")
