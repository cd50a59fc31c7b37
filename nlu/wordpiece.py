"""BERT's uncased WordPiece tokenizer, as the sentence encoder was trained with it.

The same steps as Hugging Face's `BertNormalizer` + `BertPreTokenizer` + `WordPiece` (the
encoder's tokenizer.json): drop control characters, space out CJK ideographs, strip accents
and lower-case, split on whitespace and punctuation, then longest-match-first word pieces
("##" continuing), a word that cannot be pieced being one unknown token. Written here rather
than taken from the `tokenizers` package so that the project needs no second native
dependency for a few dozen lines; tests/unit/test_sentence_encoder.py holds ids the reference
tokenizer gave.
"""
from __future__ import annotations

import unicodedata

UNKNOWN, START, END = "[UNK]", "[CLS]", "[SEP]"
LONGEST_WORD = 100  # characters; a longer "word" is one unknown token, as in the reference


def _is_control(char: str) -> bool:
    return char not in "\t\n\r" and unicodedata.category(char).startswith("C")


def _is_whitespace(char: str) -> bool:
    return char in " \t\n\r" or unicodedata.category(char) == "Zs"


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(code: int) -> bool:
    return (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x20000 <= code <= 0x2A6DF
            or 0x2A700 <= code <= 0x2B73F or 0x2B740 <= code <= 0x2B81F or 0x2B820 <= code <= 0x2CEAF
            or 0xF900 <= code <= 0xFAFF or 0x2F800 <= code <= 0x2FA1F)


def _normalise(text: str) -> str:
    kept = []
    for char in text:
        code = ord(char)
        if code == 0 or code == 0xFFFD or _is_control(char):
            continue
        if _is_whitespace(char):
            kept.append(" ")
        elif _is_cjk(code):
            kept.append(f" {char} ")
        else:
            kept.append(char)
    decomposed = unicodedata.normalize("NFD", "".join(kept))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").lower()


def _words(text: str) -> list[str]:
    words: list[str] = []
    for chunk in text.split():
        current = ""
        for char in chunk:
            if _is_punctuation(char):
                if current:
                    words.append(current)
                    current = ""
                words.append(char)
            else:
                current += char
        if current:
            words.append(current)
    return words


class WordPiece:
    def __init__(self, vocabulary: dict[str, int]):
        self.vocabulary = vocabulary
        self.unknown, self.start, self.end = vocabulary[UNKNOWN], vocabulary[START], vocabulary[END]

    @classmethod
    def from_vocabulary(cls, text: str) -> "WordPiece":
        """From a vocab.txt's text: one piece per line, its id its line number."""
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        return cls({token: index for index, token in enumerate(lines)})

    def _pieces(self, word: str) -> list[int]:
        if len(word) > LONGEST_WORD:
            return [self.unknown]
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocabulary:
                    pieces.append(self.vocabulary[piece])
                    break
                end -= 1
            else:
                return [self.unknown]
            start = end
        return pieces

    def ids(self, text: str, longest: int) -> list[int]:
        """[CLS] pieces [SEP], at most `longest` ids in all (the rest cut, as the encoder's
        reference does)."""
        pieces = [piece for word in _words(_normalise(text)) for piece in self._pieces(word)]
        return [self.start, *pieces[:longest - 2], self.end]
