"""Fernández-Huerta readability of a Spanish lesson's body text (used by the curriculum tests and report).

    L = 206.84 − 0.60·P − 1.02·F,   P = syllables per 100 words,   F = words per sentence

What is measured, so that every lesson is scored the same way:
- only the body: from «## Fuentes» on, and the «Dónde verificar» / «Última revisión» lines, are left out;
- headings are not text: they are neither words nor sentences;
- a sentence ends at «.», «!», «?» or «…», at the end of a paragraph and at the end of each list item;
  «:» and «;» do not end a sentence;
- numbers are read as spoken Spanish words («2026» → «dos mil veintiséis», «4,89» → «cuatro coma ochenta y
  nueve»), «%» as «por ciento» and «S/» as «soles»; web addresses are left out (nobody reads them aloud).
"""

import re
import statistics

STRONG = set("aeoáéó")
ACCENTED_WEAK = set("íú")
VOWELS = set("aeiouáéíóúü")
WORD = re.compile(r"[a-záéíóúüñ]+", re.IGNORECASE)
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n")
NOT_BODY = re.compile(r"^## Fuentes\b.*", re.M | re.S)
NOT_PROSE_LINE = re.compile(r"^(Dónde verificar|Última revisión)\b.*$", re.M)
ADDRESS = re.compile(r"https?://\S+|\b(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:pe|com|org|net|gob|edu|br|info)\b"
                     r"(?:/[^\s)]*)?", re.I)
NUMBER = re.compile(r"\d{1,3}(?: \d{3})+(?!\d)|\d+(?:,\d+)?")

UNITS = ("cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez", "once", "doce",
         "trece", "catorce", "quince", "dieciséis", "diecisiete", "dieciocho", "diecinueve", "veinte", "veintiuno",
         "veintidós", "veintitrés", "veinticuatro", "veinticinco", "veintiséis", "veintisiete", "veintiocho",
         "veintinueve")
TENS = {3: "treinta", 4: "cuarenta", 5: "cincuenta", 6: "sesenta", 7: "setenta", 8: "ochenta", 9: "noventa"}
HUNDREDS = {1: "ciento", 2: "doscientos", 3: "trescientos", 4: "cuatrocientos", 5: "quinientos", 6: "seiscientos",
            7: "setecientos", 8: "ochocientos", 9: "novecientos"}


def spoken(n: int) -> str:
    """A whole number as it is said in Spanish: 50560 → «cincuenta mil quinientos sesenta»."""
    if n < 30:
        return UNITS[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        return TENS[tens] + (f" y {UNITS[unit]}" if unit else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return "cien" if n == 100 else HUNDREDS[hundreds] + (f" {spoken(rest)}" if rest else "")
    if n < 1_000_000:
        thousands, rest = divmod(n, 1000)
        head = "mil" if thousands == 1 else re.sub(r"(veinti)?uno$", lambda m: "veintiún" if m.group(1) else "un",
                                                   spoken(thousands)) + " mil"
        return head + (f" {spoken(rest)}" if rest else "")
    millions, rest = divmod(n, 1_000_000)
    head = "un millón" if millions == 1 else f"{spoken(millions)} millones"
    return head + (f" {spoken(rest)}" if rest else "")


def _say_number(match: re.Match) -> str:
    whole, _comma, decimals = match.group().replace(" ", "").partition(",")
    said = spoken(int(whole))
    return f" {said} coma {spoken(int(decimals))} " if decimals else f" {said} "


def body_text(markdown: str) -> str:
    """The lesson's prose: without its sources, where-to-check and review lines."""
    return NOT_PROSE_LINE.sub("", NOT_BODY.sub("", markdown))


def plain_text(markdown: str) -> str:
    """Body text as read aloud, one block a line: no headings or Markdown or addresses, numbers in words.

    A block is a paragraph or one list item; soft-wrapped lines of a block are joined.
    """
    text = re.sub(r"```.*?```", " ", body_text(markdown), flags=re.S)
    blocks, current = [], []
    for line in text.splitlines():
        item = re.match(r"^\s*(?:[-*+]|\d+[.)])\s+", line)
        if not line.strip() or line.lstrip().startswith("#") or item:
            blocks.append(" ".join(current))
            current = []
        if line.strip() and not line.lstrip().startswith("#"):
            current.append(line[item.end():] if item else line.strip())
    blocks.append(" ".join(current))
    text = "\n".join(block for block in blocks if block.strip())
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = ADDRESS.sub(" ", text)
    text = re.sub(r"[#>*_`|\[\]]", " ", text)
    text = text.replace("%", " por ciento ").replace("S/", " soles ")
    return NUMBER.sub(_say_number, text)


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


def sentences(markdown: str) -> list[list[str]]:
    """The words of each sentence of the body text."""
    units = (WORD.findall(part) for part in SENTENCE_END.split(plain_text(markdown)))
    return [words for words in units if words]


def fernandez_huerta(markdown: str) -> float:
    """206.84 − 0.60·(syllables per 100 words) − 1.02·(words per sentence); 70–80 is «bastante fácil»."""
    found = sentences(markdown)
    words = [word for sentence in found for word in sentence]
    if not words:
        return 0.0
    per_100_words = 100 * sum(syllables(word) for word in words) / len(words)
    return 206.84 - 0.60 * per_100_words - 1.02 * len(words) / len(found)


def word_count(markdown: str) -> int:
    return sum(len(sentence) for sentence in sentences(markdown))


def median(values):
    return statistics.median(values) if values else 0.0
