"""Fernández-Huerta readability of Spanish lesson text (used by the curriculum tests and report)."""

import re
import statistics

STRONG = set("aeoáéó")
ACCENTED_WEAK = set("íú")
VOWELS = set("aeiouáéíóúü")
WORD = re.compile(r"[a-záéíóúüñ]+", re.IGNORECASE)
SENTENCE_END = re.compile(r"[.!?¡¿:;]+|\n\s*[-*]\s|\n{2,}")


def syllables(word: str) -> int:
    """Approximate Spanish syllable count: vowel groups, split at hiatus."""
    word = word.lower()
    count, prev = 0, ""
    for ch in word:
        if ch in VOWELS:
            if not prev or (ch in STRONG and prev in STRONG) or ch in ACCENTED_WEAK or prev in ACCENTED_WEAK:
                count += 1
            prev = ch
        else:
            prev = ""
    return max(count, 1)


def plain_text(markdown: str) -> str:
    """Drop Markdown syntax, links' targets and source lines that are not prose."""
    text = re.sub(r"```.*?```", " ", markdown, flags=re.S)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"[#>*_`|\[\]]", " ", text)
    return text


def fernandez_huerta(markdown: str) -> float:
    """206.84 − 60·(syllables/word) − 1.02·(words/sentence); 70–80 is «bastante fácil»."""
    text = plain_text(markdown)
    words = WORD.findall(text)
    if not words:
        return 0.0
    sentences = [s for s in SENTENCE_END.split(text) if WORD.search(s)]
    n_syll = sum(syllables(w) for w in words)
    return 206.84 - 60 * n_syll / len(words) - 1.02 * len(words) / max(len(sentences), 1)


def word_count(markdown: str) -> int:
    return len(WORD.findall(plain_text(markdown)))


def median(values):
    return statistics.median(values) if values else 0.0
