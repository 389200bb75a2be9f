from __future__ import annotations

import pytest

from chalicelib.names import normalize_name


@pytest.mark.parametrize(
    ("spelled", "product"),
    [
        ("Atominex 18 мг", "Atominex 18 mg"),
        ("atominex  18mg", "Atominex 18 mg"),
        (" ATOMINEX 18 MG ", "Atominex 18 mg"),
        ("Jess 20 мкг", "Jess 20 mcg"),
        ("Ozempic 0,5 mg", "Ozempic 0.5 mg"),
        ("Saxenda 6 мг/мл", "Saxenda 6 mg/ml"),
        ("Attex 10 мг (сироп)", "Attex 10 mg (сироп)"),
        ("Витамин Ё 5 мг", "Витамин Е 5 mg"),
    ],
)
def test_spellings_of_one_product_normalize_alike(spelled: str, product: str) -> None:
    assert normalize_name(spelled) == normalize_name(product)


@pytest.mark.parametrize(
    ("one", "other"),
    [("Atominex 18 mg", "Atominex 180 mg"), ("Atominex 18 mg", "Attex 18 mg"), ("Jess 20 mcg", "Jess 20 mg")],
)
def test_different_products_stay_different(one: str, other: str) -> None:
    assert normalize_name(one) != normalize_name(other)


def test_units_inside_words_are_left_alone() -> None:
    assert normalize_name("Omega 3 гранулы") == "omega 3 гранулы"
