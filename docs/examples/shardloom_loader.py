"""Read shardloom shards into PyTorch training examples (see docs/training.md).

One shard row is one packed sequence. This module turns a row into what an InternVL-style trainer
consumes:

    input_ids     int64  [L]          the packed tokens, as written
    labels        int64  [L]          HF convention (the model shifts): -100 where no loss
    position_ids  float32 [L]         V2PE positions, as written (integers when v2pe.stride is 256)
    cu_seqlens    int32  [S+1]        running sum of sample_lengths with a leading 0 (varlen attention)
    max_seqlen    int                 longest sample of the row
    pixel_values  float32 [T,3,448,448]  ImageNet-normalised tiles (T >= 1)
    image_flags   int64  [T]          1 per real tile; one dummy all-zero tile with flag 0 in a text-only row
    loss_weight   float32 [L]         optional, InternVL's token / sample / square loss reduction

Layout: the pure logic (labels, cu_seqlens, positions, image flags, the dummy tile, normalisation) is in
functions over plain Python / NumPy values, so it runs without pyarrow; the pyarrow part (`ArrowShardReader`)
is thin. The logic part is run by this repository's test suite (test/e2e/loader.test.ts, Debian's
python3-torch on the CPU); the pyarrow part is not (no pyarrow in that environment).

Requires: numpy, Pillow (JPEG/PNG tiles), torch (only `to_torch` / `ShardloomDataset` / `collate_packed`),
pyarrow (only `ArrowShardReader`).
"""
from __future__ import annotations

import io
import json
import math
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple

import numpy as np

IGNORE_INDEX = -100  # what torch.nn.CrossEntropyLoss (and HF's LabelSmoother.ignore_index) skip
TOKENS_PER_TILE = 256  # 448 px tile, 14 px patches, pixel-unshuffle 0.5
TILE_SIZE = 448
# InternVL: internvl_chat/internvl/train/constants.py
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# Columns the loader needs (the others - sample_sources, sample_ids, image_grids, ... - are for people).
COLUMNS = ("input_ids", "position_ids", "sample_lengths", "tiles", "num_tiles")


# ----------------------------------------------------------------------------------------------------
# File metadata
# ----------------------------------------------------------------------------------------------------

def _int_or_none(v: Any) -> Optional[int]:
    if v is None or v == "" or v == "null":
        return None
    return int(v)  # a JSON number, or a numeric string (shards of format_version 1)


def parse_metadata(raw: Any) -> Dict[str, Any]:
    """The `shardloom` file-metadata value (bytes, str or an already-parsed dict) -> a dict with ints.

    Keys: format_version (str), tokenizer, img_start_id, img_end_id, img_context_id, eos_id (None when the
    shards append no end-of-sample token, or when the shard predates the key), vocab_size (None when absent),
    tile_size, tile_encoding, tile_encoder, config_hash.
    """
    if isinstance(raw, (bytes, bytearray)):
        raw = raw.decode("utf-8")
    md = json.loads(raw) if isinstance(raw, str) else dict(raw)
    out = dict(md)
    out["format_version"] = str(md.get("format_version"))
    for k in ("img_start_id", "img_end_id", "img_context_id"):
        if md.get(k) is None:
            raise ValueError(f"shard metadata has no {k}: {md!r}")
        out[k] = int(md[k])
    out["eos_id"] = _int_or_none(md.get("eos_id"))
    out["vocab_size"] = _int_or_none(md.get("vocab_size"))
    out["tile_size"] = int(md.get("tile_size", TILE_SIZE))
    out["tile_encoding"] = md.get("tile_encoding", "jpeg")
    return out


def check_ids(meta: Mapping[str, Any], expect: Mapping[str, Any]) -> None:
    """Raise if the shard's token ids are not the ones the model expects.

    `expect` holds any of img_start_id, img_end_id, img_context_id, eos_id, vocab_size (for vocab_size the
    shard's must be <= the expected one: the model's embedding may be larger than the tokenizer).
    """
    bad = []
    for k, want in expect.items():
        have = meta.get(k)
        if k == "vocab_size":
            if have is not None and want is not None and int(have) > int(want):
                bad.append(f"vocab_size {have} > the model's {want}")
        elif (None if have is None else int(have)) != (None if want is None else int(want)):
            bad.append(f"{k} is {have}, the model expects {want}")
    if bad:
        raise ValueError("shard token ids do not match the model: " + "; ".join(bad)
                         + f" (shard tokenizer: {meta.get('tokenizer')!r})")


# ----------------------------------------------------------------------------------------------------
# Pure logic: NumPy in, NumPy out
# ----------------------------------------------------------------------------------------------------

def cu_seqlens(sample_lengths: Sequence[int]) -> np.ndarray:
    """[0, l0, l0+l1, ...] as int32 - what flash_attn_varlen_func takes as cu_seqlens_q / cu_seqlens_k."""
    out = np.zeros(len(sample_lengths) + 1, dtype=np.int64)
    out[1:] = np.cumsum(np.asarray(sample_lengths, dtype=np.int64))
    if out[-1] > np.iinfo(np.int32).max:
        raise ValueError(f"row of {out[-1]} tokens does not fit int32 cu_seqlens")
    return out.astype(np.int32)


def make_labels(input_ids: Sequence[int], sample_lengths: Sequence[int], image_token_ids: Iterable[int]) -> np.ndarray:
    """Pretraining labels, HF convention (labels aligned with input_ids; the model shifts them by one).

    - every text token is a target, the end-of-sample token included;
    - `<img>`, `<IMG_CONTEXT>` and `</img>` are not (-100);
    - the first token of every sample after the first is not (-100): with the shift, position t predicts
      labels[t+1], so this stops the last token of one sample from predicting the first of the next -
      no sample is predicted from another's context (varlen attention already keeps their attention apart).
    labels[0] is never a target after the shift; it is left as input_ids[0].
    """
    ids = np.asarray(input_ids, dtype=np.int64)
    labels = ids.copy()
    labels[np.isin(ids, np.fromiter(image_token_ids, dtype=np.int64))] = IGNORE_INDEX
    starts = cu_seqlens(sample_lengths)[1:-1]
    labels[starts] = IGNORE_INDEX
    return labels


def loss_weights(labels: np.ndarray, sample_lengths: Sequence[int], reduction: str = "token") -> np.ndarray:
    """Per-token loss weights as InternVL's packed trainer computes them (internvl_chat_finetune.py
    `len2weight`, dataset_packed.py `get_cu_seqlens_and_indexes`): for a sample with n target tokens,
    token -> 1, sample -> 1/n, square -> 1/sqrt(n); 0 where labels == -100 and at labels[0]. InternVL's
    forward then uses loss = sum(ce * w[1:]) / sum(w[1:]) over the shifted positions."""
    target = np.asarray(labels) != IGNORE_INDEX
    target[:1] = False  # labels[0] is never a target after the shift: not counted, weight 0
    w = np.zeros(target.shape[0], dtype=np.float32)
    bounds = cu_seqlens(sample_lengths)
    for a, b in zip(bounds[:-1], bounds[1:]):
        n = int(np.count_nonzero(target[a:b]))
        if n == 0:
            continue
        if reduction == "token":
            v = 1.0
        elif reduction == "sample":
            v = 1.0 / n
        elif reduction == "square":
            v = 1.0 / math.sqrt(n)
        else:
            raise ValueError(f"unknown loss reduction {reduction!r} (token, sample, square)")
        w[a:b] = v
    w[~target] = 0.0
    return w


def position_ids(positions: Sequence[float]) -> Tuple[np.ndarray, bool]:
    """The stored V2PE positions as float32, unchanged, and whether they are all integers (v2pe.stride 256:
    plain RoPE positions, which a model that indexes a cos/sin cache can take as int64)."""
    p = np.array(positions, dtype=np.float32)  # a copy: pyarrow's zero-copy arrays are read-only
    return p, bool(np.all(np.floor(p) == p))


def decode_tile(data: bytes, encoding: str = "jpeg", size: int = TILE_SIZE) -> np.ndarray:
    """One stored tile -> uint8 [size, size, 3] RGB."""
    if encoding == "raw":
        a = np.frombuffer(data, dtype=np.uint8)
        if a.size != size * size * 3:
            raise ValueError(f"raw tile of {a.size} bytes, expected {size * size * 3}")
        return a.reshape(size, size, 3)
    from PIL import Image  # jpeg, png

    with Image.open(io.BytesIO(data)) as im:
        rgb = im.convert("RGB")
        if rgb.size != (size, size):
            raise ValueError(f"tile is {rgb.size[0]}x{rgb.size[1]}, expected {size}x{size}")
        return np.asarray(rgb, dtype=np.uint8)


def normalize(tiles_hwc: np.ndarray) -> np.ndarray:
    """uint8 [N, H, W, 3] -> float32 [N, 3, H, W]: /255, then (x - mean) / std with ImageNet mean/std, in
    the order torchvision's ToTensor + Normalize do it (InternVL's build_transform, dataset.py)."""
    x = tiles_hwc.astype(np.float32) / np.float32(255)
    x = (x - np.asarray(IMAGENET_MEAN, dtype=np.float32)) / np.asarray(IMAGENET_STD, dtype=np.float32)
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def pixel_values_and_flags(tiles: Sequence[bytes], encoding: str = "jpeg", size: int = TILE_SIZE,
                           normalized: bool = True) -> Tuple[np.ndarray, np.ndarray]:
    """Tiles of a row -> (pixel_values [T,3,size,size], image_flags [T]).

    A text-only row gets ONE dummy tile of zeros (after normalisation) with image_flags 0, as InternVL's
    trainer does (pure_text_get_item in internvl_chat_finetune.py: a blank image with image_flags 0;
    PackedDataset.pad_buffer in dataset_packed.py: torch.zeros_like tiles with image_flags 0). InternVL's
    forward always runs the vision tower on pixel_values and keeps vit_embeds[image_flags == 1], so the
    dummy reaches no token. With normalized=False the result is uint8 (normalise on the GPU instead);
    the dummy is then the ImageNet mean colour, which normalises to the same zeros.
    """
    if len(tiles) == 0:
        if normalized:
            return np.zeros((1, 3, size, size), dtype=np.float32), np.zeros(1, dtype=np.int64)
        mean = np.round(np.asarray(IMAGENET_MEAN) * 255).astype(np.uint8)
        return np.broadcast_to(mean[None, :, None, None], (1, 3, size, size)).copy(), np.zeros(1, dtype=np.int64)
    hwc = np.stack([decode_tile(t, encoding, size) for t in tiles])
    px = normalize(hwc) if normalized else np.ascontiguousarray(hwc.transpose(0, 3, 1, 2))
    return px, np.ones(len(tiles), dtype=np.int64)


def check_row(input_ids: Sequence[int], sample_lengths: Sequence[int], num_tiles: int, meta: Mapping[str, Any]) -> None:
    """Cheap consistency checks a trainer should not skip: the lengths cover the row, and the number of
    <IMG_CONTEXT> tokens is 256 per tile (InternVL's forward otherwise zeroes the loss of the batch)."""
    ids = np.asarray(input_ids)
    if int(np.sum(sample_lengths)) != ids.shape[0]:
        raise ValueError(f"sum(sample_lengths) = {int(np.sum(sample_lengths))} but the row has {ids.shape[0]} tokens")
    ctx = int(np.count_nonzero(ids == meta["img_context_id"]))
    if ctx != TOKENS_PER_TILE * num_tiles:
        raise ValueError(f"{ctx} <IMG_CONTEXT> tokens for {num_tiles} tiles (expected {TOKENS_PER_TILE * num_tiles}); "
                         f"are these shards from the tokenizer whose <IMG_CONTEXT> is {meta['img_context_id']}?")


def build_example(row: Mapping[str, Any], meta: Mapping[str, Any], loss_reduction: Optional[str] = None,
                  normalized: bool = True) -> Dict[str, Any]:
    """One shard row (a mapping with input_ids, position_ids, sample_lengths, tiles, num_tiles - lists or
    arrays) -> a dict of NumPy arrays (see the module docstring)."""
    ids = np.asarray(row["input_ids"], dtype=np.int64)
    lengths = [int(x) for x in row["sample_lengths"]]
    tiles = list(row["tiles"])
    check_row(ids, lengths, len(tiles), meta)
    image_ids = (meta["img_start_id"], meta["img_context_id"], meta["img_end_id"])
    labels = make_labels(ids, lengths, image_ids)
    pos, integral = position_ids(row["position_ids"])
    if pos.shape[0] != ids.shape[0]:
        raise ValueError(f"{pos.shape[0]} positions for {ids.shape[0]} tokens")
    px, flags = pixel_values_and_flags(tiles, meta.get("tile_encoding", "jpeg"), int(meta.get("tile_size", TILE_SIZE)), normalized)
    ex = {
        "input_ids": ids,
        "labels": labels,
        "position_ids": pos,
        "positions_are_integers": integral,
        "cu_seqlens": cu_seqlens(lengths),
        "max_seqlen": max(lengths) if lengths else 0,
        "pixel_values": px,
        "image_flags": flags,
    }
    if loss_reduction is not None:
        ex["loss_weight"] = loss_weights(labels, lengths, loss_reduction)
    return ex


# ----------------------------------------------------------------------------------------------------
# PyTorch
# ----------------------------------------------------------------------------------------------------

def to_torch(ex: Mapping[str, Any]) -> Dict[str, Any]:
    """NumPy example -> tensors (CPU). Scalars stay Python values."""
    import torch

    return {k: (torch.from_numpy(np.ascontiguousarray(v)) if isinstance(v, np.ndarray) else v) for k, v in ex.items()}


def collate_packed(examples: Sequence[Mapping[str, Any]]) -> Dict[str, Any]:
    """Several packed rows -> ONE varlen sequence [1, sum L] (no padding): cu_seqlens joined with offsets,
    tiles and flags concatenated, and the first token of every row after the first also set to -100
    (it starts a sample, like any sample start). Batch size 1 needs no collation: add the leading dim."""
    import torch

    ex = [dict(e) for e in examples]
    offsets = np.cumsum([0] + [int(e["input_ids"].shape[0]) for e in ex])
    labels = []
    for i, e in enumerate(ex):
        lab = e["labels"].clone()
        if i > 0:
            lab[0] = IGNORE_INDEX
        labels.append(lab)
    cu = [ex[0]["cu_seqlens"]] + [e["cu_seqlens"][1:] + int(offsets[i]) for i, e in enumerate(ex) if i > 0]
    out = {
        "input_ids": torch.cat([e["input_ids"] for e in ex])[None],
        "labels": torch.cat(labels)[None],
        "position_ids": torch.cat([e["position_ids"] for e in ex])[None],
        "positions_are_integers": all(e["positions_are_integers"] for e in ex),
        "cu_seqlens": torch.cat(cu).to(torch.int32),
        "max_seqlen": max(int(e["max_seqlen"]) for e in ex),
        "pixel_values": torch.cat([e["pixel_values"] for e in ex]),
        "image_flags": torch.cat([e["image_flags"] for e in ex]),
    }
    if all("loss_weight" in e for e in ex):
        out["loss_weight"] = torch.cat([e["loss_weight"] for e in ex])[None]
    return out


class ArrowShardReader:
    """The pyarrow part: file metadata and rows of a Parquet (.parquet) or Arrow IPC (.arrow) shard.
    Not run in shardloom's CI (no pyarrow there); see docs/training.md."""

    def __init__(self, batch_rows: int = 8):
        self.batch_rows = batch_rows

    @staticmethod
    def _is_arrow(path: str) -> bool:
        return path.endswith((".arrow", ".feather", ".ipc"))

    def metadata(self, path: str) -> Dict[str, Any]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._is_arrow(path):
            with pa.memory_map(path) as src:
                kv = pa.ipc.open_file(src).schema.metadata
        else:
            # The Parquet footer's key/value metadata (also in the embedded Arrow schema from format 2 on;
            # the footer holds it in every version).
            kv = pq.read_metadata(path).metadata
        if not kv or b"shardloom" not in kv:
            raise ValueError(f"{path}: no 'shardloom' key in the file metadata - not a shardloom shard?")
        return parse_metadata(kv[b"shardloom"])

    def rows(self, path: str) -> Iterator[Dict[str, Any]]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._is_arrow(path):
            with pa.memory_map(path) as src:
                reader = pa.ipc.open_file(src)
                for i in range(reader.num_record_batches):
                    yield from self._batch_rows(reader.get_batch(i))
        else:
            for b in pq.ParquetFile(path).iter_batches(batch_size=self.batch_rows, columns=list(COLUMNS)):
                yield from self._batch_rows(b)

    @staticmethod
    def _batch_rows(b: Any) -> Iterator[Dict[str, Any]]:
        cols = {name: b.column(name) for name in COLUMNS}
        for i in range(b.num_rows):
            yield {
                "input_ids": cols["input_ids"][i].values.to_numpy(zero_copy_only=False),
                "position_ids": cols["position_ids"][i].values.to_numpy(zero_copy_only=False),
                "sample_lengths": cols["sample_lengths"][i].values.to_numpy(zero_copy_only=False),
                "tiles": cols["tiles"][i].as_py(),
                "num_tiles": cols["num_tiles"][i].as_py(),
            }


def _iterable_dataset_base() -> type:
    try:
        from torch.utils.data import IterableDataset
        return IterableDataset
    except ImportError:  # the pure functions above stay importable without torch
        return object


class ShardloomDataset(_iterable_dataset_base()):  # type: ignore[misc]
    """Rows of shard files, one training example (dict of tensors) per row.

    Files are split over data-parallel ranks and DataLoader workers: file k goes to the k-th of
    world_size * num_workers readers (give each rank enough files; ranks with fewer rows run out first).
    `expect` (e.g. {"img_start_id": 151665, "img_end_id": 151666, "img_context_id": 151667,
    "eos_id": 151643, "vocab_size": 151674}) is checked against every file's metadata before its rows.
    `reader` defaults to ArrowShardReader(); anything with .metadata(path) and .rows(path) will do.
    """

    def __init__(self, paths: Sequence[str], rank: int = 0, world_size: int = 1, expect: Optional[Mapping[str, Any]] = None,
                 loss_reduction: Optional[str] = None, normalized: bool = True, reader: Any = None):
        super().__init__()
        self.paths = list(paths)
        self.rank, self.world_size = rank, world_size
        self.expect = dict(expect or {})
        self.loss_reduction = loss_reduction
        self.normalized = normalized
        self.reader = reader if reader is not None else ArrowShardReader()

    def my_paths(self, worker_id: int = 0, num_workers: int = 1) -> List[str]:
        k, n = self.rank * num_workers + worker_id, self.world_size * num_workers
        return self.paths[k::n]

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        from torch.utils.data import get_worker_info

        info = get_worker_info()
        paths = self.my_paths(info.id, info.num_workers) if info is not None else self.my_paths()
        for path in paths:
            meta = self.reader.metadata(path)
            check_ids(meta, self.expect)
            for row in self.reader.rows(path):
                yield to_torch(build_example(row, meta, self.loss_reduction, self.normalized))


if __name__ == "__main__":  # python3 shardloom_loader.py SHARD... : a summary of each row (needs pyarrow)
    import sys

    reader = ArrowShardReader()
    for p in sys.argv[1:]:
        m = reader.metadata(p)
        print(p, {k: m[k] for k in ("tokenizer", "img_start_id", "img_end_id", "img_context_id", "eos_id", "vocab_size")})
        for r, row in enumerate(reader.rows(p)):
            ex = build_example(row, m)
            n_target = int(np.count_nonzero(ex["labels"][1:] != IGNORE_INDEX))  # labels[0] is never a target
            print(f"  row {r}: {ex['input_ids'].shape[0]} tokens, {len(ex['cu_seqlens']) - 1} samples, "
                  f"{n_target} targets, pixel_values {tuple(ex['pixel_values'].shape)}, flags {ex['image_flags'].tolist()[:4]}...")
