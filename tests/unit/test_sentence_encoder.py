"""The sentence encoder against the reference: token ids as Hugging Face's fast BERT
tokenizer gave them, and the first six dimensions of each embedding as sentence-transformers
(PyTorch) gave them, both recorded on 2026-12-03 from the same all-MiniLM-L6-v2 files."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from nlu.sentence_encoder import LONGEST, EncoderUnavailable, SentenceEncoder, model_folder, shared_encoder

REFERENCE = [
    ("I cancelled a day late, can I get my money back?",
     [101, 1045, 8014, 1037, 2154, 2397, 1010, 2064, 1045, 2131, 2026, 2769, 2067, 1029, 102],
     [-0.000403, 0.003102, 0.042962, 0.029078, -0.006585, -0.024483]),
    ("Héllo Wörld!!! naïve café", [101, 7592, 2088, 999, 999, 999, 15743, 7668, 102],
     [0.025079, -0.007098, -0.005951, 0.026139, 0.036781, -0.030107]),
    ("refund pls... ASAP :(", [101, 25416, 8630, 20228, 2015, 1012, 1012, 1012, 17306, 2361, 1024, 1006, 102],
     [-0.119883, -0.002401, 0.069627, -0.021721, 0.037689, 0.028303]),
    ("日本語のテキスト and English", [101, 1864, 1876, 1950, 1671, 30239, 30227, 30233, 30240, 1998, 2394, 102],
     [0.008118, 0.059171, 0.063602, -0.036044, -0.049968, 0.052946]),
    ("tab\there\nnewline\u200bzero-width \x00 nul",
     [101, 21628, 2182, 2047, 4179, 6290, 2080, 1011, 9381, 16371, 2140, 102],
     [-0.029489, -0.03014, -0.069059, 0.001976, -0.072305, 0.012278]),
    ("x" * 120 + " ok", [101, 100, 7929, 102], [-0.032564, -0.059507, 0.083276, 0.040434, 0.023282, 0.002693]),
    ("🙂 thanks 👍", [101, 100, 4283, 100, 102], [-0.073109, -0.013326, 0.100184, -0.030314, 0.00073, 0.000774]),
    ("İstanbul ǅemal ﬁnance", [101, 9960, 100, 1984, 7229, 3401, 102],
     [0.051866, 0.014704, 0.017473, 0.044841, -0.068467, -0.009379]),
    ("", [101, 102], [-0.118838, 0.048299, -0.002548, -0.011011, 0.051951, 0.010292]),
    ("e-mail: ana@example.com, order #12345",
     [101, 1041, 1011, 5653, 1024, 9617, 1030, 2742, 1012, 4012, 1010, 2344, 1001, 13138, 19961, 102],
     [-0.057238, -0.019155, 0.09037, -0.020642, -0.022415, 0.036161]),
]


@pytest.mark.parametrize("text, ids, _", REFERENCE)
def test_text_is_tokenised_as_the_reference_tokeniser_does(text, ids, _):
    assert shared_encoder().tokenizer.ids(text, LONGEST) == ids


@pytest.mark.parametrize("text, _, first", REFERENCE)
def test_embeddings_are_the_reference_models(text, _, first):
    embedding = shared_encoder().encode([text])[0]
    assert embedding[:6] == pytest.approx(first, abs=1e-5)
    assert float(np.linalg.norm(embedding)) == pytest.approx(1.0, abs=1e-5)


def test_a_long_message_is_cut_to_the_models_length_as_the_reference_cuts_it():
    encoder = shared_encoder()
    assert len(encoder.tokenizer.ids("refund " * 400, LONGEST)) == LONGEST
    assert encoder.encode(["refund " * 400])[0][:6] == pytest.approx(
        [-0.007223, -0.069984, -0.002173, 0.00382, -0.010642, 0.088179], abs=1e-5)


def test_a_batch_with_padding_gives_each_text_its_own_embedding():
    texts = [text for text, _, _ in REFERENCE]
    encoder = shared_encoder()
    together = encoder.encode(texts, batch_size=4)
    alone = np.vstack([encoder.encode([text]) for text in texts])
    assert together == pytest.approx(alone, abs=1e-5)


def test_weights_that_are_not_the_published_models_are_refused(tmp_path):
    for name in ("vocab.txt", "model.safetensors"):
        shutil.copy(model_folder() / name, tmp_path / name)
    with open(tmp_path / "vocab.txt", "a", encoding="utf-8") as vocabulary:
        vocabulary.write("sneaky\n")
    with pytest.raises(EncoderUnavailable, match="not the published"):
        SentenceEncoder(tmp_path)
