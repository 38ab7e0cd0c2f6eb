"""Driver for test/e2e/loader.test.ts: runs the pure-logic part of docs/examples/shardloom_loader.py on rows
handed over as JSON (no pyarrow needed) and writes what it computed as JSON.

usage: python3 loader_driver.py LOADER_DIR IN.json OUT.json
"""
import base64
import json
import sys

LOADER_DIR, IN, OUT = sys.argv[1:4]
sys.path.insert(0, LOADER_DIR)

import numpy as np  # noqa: E402
import torch  # noqa: E402

import shardloom_loader as L  # noqa: E402

job = json.load(open(IN))
meta = L.parse_metadata(job["metadata"])
rows = []
for r in job["rows"]:
    rows.append({
        "input_ids": r["input_ids"],
        "position_ids": np.asarray(r["position_ids"], dtype=np.float32),
        "sample_lengths": r["sample_lengths"],
        "num_tiles": r["num_tiles"],
        "tiles": [base64.b64decode(t) for t in r["tiles"]],
    })

out = {"meta": {k: meta[k] for k in ("img_start_id", "img_end_id", "img_context_id", "eos_id", "vocab_size", "tile_size", "tile_encoding")}}
# Shards of format_version 1 stored the ids as strings: the same ids come out.
raw = job["metadata"]
as_strings = {k: (str(v) if isinstance(v, int) and not isinstance(v, bool) else v) for k, v in json.loads(raw).items()}
out["same_from_strings"] = all(L.parse_metadata(json.dumps(as_strings))[k] == meta[k] for k in out["meta"])

# The ids check: passes against the shard's own ids, fails against another model's.
own = {k: meta[k] for k in ("img_start_id", "img_end_id", "img_context_id")}
L.check_ids(meta, own)
try:
    L.check_ids(meta, {**own, "img_context_id": own["img_context_id"] + 4})
    out["wrong_ids_error"] = None
except ValueError as e:
    out["wrong_ids_error"] = str(e)

examples = []
for r in rows:
    ex = L.to_torch(L.build_example(r, meta, loss_reduction="square"))
    px = ex["pixel_values"]
    examples.append({
        "input_ids_dtype": str(ex["input_ids"].dtype),
        "labels": ex["labels"].tolist(),
        "labels_dtype": str(ex["labels"].dtype),
        "cu_seqlens": ex["cu_seqlens"].tolist(),
        "cu_seqlens_dtype": str(ex["cu_seqlens"].dtype),
        "max_seqlen": ex["max_seqlen"],
        "position_dtype": str(ex["position_ids"].dtype),
        "positions_unchanged": bool(torch.equal(ex["position_ids"], torch.from_numpy(r["position_ids"]))),
        "positions_are_integers": ex["positions_are_integers"],
        "pixel_shape": list(px.shape),
        "pixel_dtype": str(px.dtype),
        "pixel_abs_max": float(px.abs().max()),
        "channel_means": px.mean(dim=(2, 3)).tolist(),
        "image_flags": ex["image_flags"].tolist(),
        "image_flags_dtype": str(ex["image_flags"].dtype),
        "loss_weight": ex["loss_weight"].tolist(),
    })
out["examples"] = examples
out["probes"] = [examples_px[:, y, x].tolist() for (i, t, y, x) in job["probes"]
                 for examples_px in [L.to_torch(L.build_example(rows[i], meta))["pixel_values"][t]]]

# uint8 pixels (normalise on the GPU): same tiles before normalisation; the dummy normalises to zeros.
u8, flags = L.pixel_values_and_flags(rows[job["text_only"]]["tiles"], normalized=False)
mean = np.asarray(L.IMAGENET_MEAN, dtype=np.float32)[None, :, None, None]
std = np.asarray(L.IMAGENET_STD, dtype=np.float32)[None, :, None, None]
out["uint8_dummy"] = {"dtype": str(u8.dtype), "shape": list(u8.shape), "flags": flags.tolist(),
                      "normalised_abs_max": float(np.abs((u8.astype(np.float32) / 255 - mean) / std).max())}

# Two rows collated into one varlen sequence.
a, b = (L.to_torch(L.build_example(rows[i], meta)) for i in job["collate"])
c = L.collate_packed([a, b])
out["collate"] = {
    "input_shape": list(c["input_ids"].shape),
    "labels": c["labels"][0].tolist(),
    "cu_seqlens": c["cu_seqlens"].tolist(),
    "cu_seqlens_dtype": str(c["cu_seqlens"].dtype),
    "pixel_shape": list(c["pixel_values"].shape),
    "image_flags": c["image_flags"].tolist(),
}


# The IterableDataset over three "files" (rows from the JSON instead of pyarrow), split over 2 ranks.
class JsonReader:
    files = {"f0": [0], "f1": [1], "f2": [job["text_only"]]}

    def metadata(self, path):
        return meta

    def rows(self, path):
        for i in self.files[path]:
            yield rows[i]


seen = {}
for rank in (0, 1):
    ds = L.ShardloomDataset(["f0", "f1", "f2"], rank=rank, world_size=2, expect=own, reader=JsonReader())
    loader = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=0)
    seen[rank] = [[int(e["input_ids"].shape[0]), e["input_ids"].dtype == torch.int64, list(e["pixel_values"].shape)] for e in loader]
out["dataset"] = seen
out["split_two_workers"] = [L.ShardloomDataset(["f0", "f1", "f2", "f3"], rank=1, world_size=2).my_paths(w, 2) for w in (0, 1)]
try:
    next(iter(L.ShardloomDataset(["f0"], expect={"img_start_id": 1}, reader=JsonReader())))
    out["dataset_wrong_ids"] = None
except ValueError as e:
    out["dataset_wrong_ids"] = str(e)

# A row whose image span lost a token is refused.
bad = dict(rows[0])
ids = list(bad["input_ids"])
ids.remove(meta["img_context_id"])
bad["input_ids"], bad["position_ids"] = ids, bad["position_ids"][:-1]
bad["sample_lengths"] = list(bad["sample_lengths"][:-1]) + [bad["sample_lengths"][-1] - 1]
try:
    L.build_example(bad, meta)
    out["bad_row_error"] = None
except ValueError as e:
    out["bad_row_error"] = str(e)

json.dump(out, open(OUT, "w"))
