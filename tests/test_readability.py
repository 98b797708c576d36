"""The readability measure itself (tests/readability.py): what counts as a word, a syllable and a sentence."""

import pytest
from readability import fernandez_huerta, sentences, spoken, syllables, word_count


@pytest.mark.parametrize(("number", "words"), [
    (2026, "dos mil veintiséis"), (100, "cien"), (1130, "mil ciento treinta"),
    (50560, "cincuenta mil quinientos sesenta"), (31560, "treinta y un mil quinientos sesenta"),
    (21000, "veintiún mil"), (1_000_000, "un millón")])
def test_numbers_are_read_as_spoken_spanish(number, words):
    assert spoken(number) == words


@pytest.mark.parametrize(("word", "count"), [
    ("minería", 4), ("formalización", 5), ("cooperativas", 6), ("que", 1), ("ley", 1), ("día", 2), ("ahora", 3)])
def test_syllables_follow_spanish_diphthongs_and_hiatus(word, count):
    assert syllables(word) == count


def test_headings_addresses_and_sources_are_not_text_and_colons_do_not_end_sentences():
    markdown = ("## Un título largo que no es una oración\n\nLee esto: es corto; muy corto. Mira www.gob.pe hoy.\n\n"
                "- Uno\n- Dos\n\n## Fuentes\n\n- [Fuente](https://example.org)\n\nDónde verificar: en gob.pe.\n")
    assert sentences(markdown) == [["Lee", "esto", "es", "corto", "muy", "corto"], ["Mira", "hoy"], ["Uno"], ["Dos"]]
    assert word_count(markdown) == 10


def test_the_formula_uses_syllables_per_100_words_and_words_per_sentence():
    # 4 words, 1 sentence, 2+1+2+2 = 7 syllables: 206.84 - 0.60 * 175 - 1.02 * 4
    assert fernandez_huerta("Casa de mina roja.") == pytest.approx(206.84 - 0.60 * 175 - 1.02 * 4)
