"""The bundle format reference (``docs/format.md``), generated from :data:`TABLES`."""

from __future__ import annotations

from b2bcx.model.tables import TABLES, Column, Kind

_HEADER = """# Bundle format reference

Generated from `b2bcx.model.tables.TABLES` — the same specification the
importer validates against — by `python -m b2bcx.model.reference > docs/format.md`.
A test keeps this page in step with the code. How import and export behave is
described in [bundle.md](bundle.md); what each concept means in
[model.md](model.md).

Conventions: ids are non-empty strings; dates ISO 8601 (`2025-03-01`);
timestamps ISO 8601 with or without offset (no offset = UTC); booleans
`true`/`false` (also `1`/`0`, `yes`/`no`); lists `;`-separated; an empty cell is
missing. Unknown extra columns are kept as attributes.
"""


def _type(col: Column) -> str:
    if col.enum is not None:
        values = " \\| ".join(f"`{v.value}`" for v in col.enum)
        return f"list of {values}" if col.kind is Kind.LIST else values
    if col.scale is not None:
        low, high = col.scale.low, col.scale.high
        whole = "integer " if col.scale.integer or col.kind is Kind.INTEGER else ""
        return f"{whole}{low:g}–{high:g}"
    text = {
        Kind.COUNTRY: "ISO 3166-1 alpha-2",
        Kind.LIST: "list of ids",
    }.get(col.kind, col.kind.value)
    if col.minimum is not None:
        text += f" ≥ {col.minimum:g}"
    return text


def _required(col: Column) -> str:
    if col.required:
        return "yes"
    if col.required_when:
        return f"when {col.required_when[0]} is `{col.required_when[1]}`"
    return "no"


def render() -> str:
    """The format reference as Markdown."""
    parts = [_HEADER]
    for spec in TABLES.values():
        need = "required" if spec.required else "optional"
        parts.append(f"## {spec.name} — {spec.doc} ({need})\n")
        key = ", ".join(f"`{k}`" for k in spec.key)
        history = " Keeps history: several versions per entity." if spec.history else ""
        parts.append(f"Key: {key}.{history}\n")
        parts.append("| column | type | required | references | meaning |")
        parts.append("| --- | --- | --- | --- | --- |")
        for col in spec.columns:
            ref = f"`{col.references}`" if col.references else ""
            parts.append(f"| `{col.name}` | {_type(col)} | {_required(col)} | {ref} | {col.doc} |")
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(render(), end="")
