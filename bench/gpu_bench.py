#!/usr/bin/env python3
"""bench:gpu — shardloom's GPU worker (python/shardloom_gpu_worker.py) against InternVL's own tiling, over the same
photos, without Node.js: (1) the worker on cuda (batches of --batch-sizes), (2) the worker on cpu, (3) InternVL's
dynamic_preprocess + PIL JPEG q95 in a process pool of 2 and of all cores (bench/pil_tiles.py's work). The worker
gets exactly what the Node side sends: the plan (cols, rows, thumbnail) from bench/internvl_ref.py, whole JPEG files
(kind jpeg) or PIL-decoded RGB for anything else (kind rgb), JPEG q95 tiles out.
Parity: per image, the worker's grid vs PIL's, and the PSNR of the worker's raw tiles vs PIL's bicubic tiles.

usage: bash bench/gpu.sh [--photos DIR] [--no-cuda] [--batch-sizes 16,64] [--json OUT.json]
"""
import argparse
import glob
import io
import json
import math
import multiprocessing as mp
import os
import random
import sys
import tempfile
import time

import numpy as np
from PIL import Image, ImageOps

sys.dont_write_bytecode = True  # no __pycache__ in the repository (it is not in .gitignore)
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'python'))
from internvl_ref import dynamic_preprocess, plan  # noqa: E402
import pil_tiles  # noqa: E402

S, MAX_TILES, QUALITY = 448, 12, 95


# ---------------------------------------------------------------- photos

def make_photos(outdir, count, seed=1):
    """Crops of the two sample images at aspect 0.4–2.5, resized to a 320–2400 px long side, JPEG q90."""
    srcs = [Image.open(os.path.join(os.path.dirname(HERE), 'sample-data', 'images', n)).convert('RGB')
            for n in ('board.jpg', 'verify.jpg')]
    rng = random.Random(seed)
    paths = []
    for i in range(count):
        src = srcs[i % 2]
        aspect = math.exp(rng.uniform(math.log(0.4), math.log(2.5)))
        sw, sh = src.size
        cw = min(sw, sh * aspect) * rng.uniform(0.5, 1.0)
        ch = cw / aspect
        x, y = rng.uniform(0, sw - cw), rng.uniform(0, sh - ch)
        long_side = rng.randint(320, 2400)
        size = (long_side, max(1, round(long_side / aspect))) if aspect >= 1 else (max(1, round(long_side * aspect)), long_side)
        img = src.resize(size, Image.BICUBIC, box=(x, y, x + cw, y + ch))
        paths.append(os.path.join(outdir, f'{i:05d}.jpg'))
        img.save(paths[-1], quality=90)
    return paths


def load(paths):
    """One request item and blob per photo, as the Node side would send it."""
    photos = []
    for p in paths:
        data = open(p, 'rb').read()
        im = Image.open(io.BytesIO(data))
        plain = (im.format == 'JPEG' and im.mode in ('RGB', 'L') and not im.info.get('icc_profile')
                 and im.getexif().get(0x0112, 1) == 1)
        if plain:
            blob, (w, h), kind = bytearray(data), im.size, 'jpeg'
        else:
            rgb = ImageOps.exif_transpose(im).convert('RGB')
            blob, (w, h), kind = bytearray(rgb.tobytes()), rgb.size, 'rgb'
        cols, rows = plan(w, h, 1, MAX_TILES)
        item = {'kind': kind, 'width': w, 'height': h, 'cols': cols, 'rows': rows, 'thumbnail': cols * rows > 1,
                'tileSize': S, 'encoding': 'jpeg', 'quality': QUALITY}
        photos.append((p, item, blob))
    return photos


# ---------------------------------------------------------------- PIL side (pool children)

def _pil_job(path):
    c0 = time.process_time()
    n = pil_tiles.work(path)
    return n, time.process_time() - c0


def _pil_raw(path):
    img = ImageOps.exif_transpose(Image.open(path)).convert('RGB')
    cols, rows, tiles = dynamic_preprocess(img, 1, MAX_TILES)
    return cols, rows, [t.tobytes() for t in tiles]


def _noop(_):
    return os.getpid()


def pool(n):
    # spawn: the parent may hold a CUDA context and encode threads, neither of which survives a fork.
    p = mp.get_context('spawn').Pool(n)
    p.map(_noop, range(n * 2))  # started and imported before the clock runs
    return p


def bench_pil(paths, procs):
    with pool(procs) as p:
        t0 = time.perf_counter()
        done = p.map(_pil_job, paths, chunksize=1)
        wall = time.perf_counter() - t0
    return {'backend': f'PIL dynamic_preprocess + JPEG q{QUALITY}, {procs} procs', 'batch': None, 'images': len(paths),
            'tiles': sum(d[0] for d in done), 'wall': wall, 'cpu': sum(d[1] for d in done)}


# ---------------------------------------------------------------- worker side

def bench_worker(W, worker, photos, batch, rounds, label):
    items = [(it, blob) for _, it, blob in photos]
    worker.tile([it for it, _ in items[:batch]], [b for _, b in items[:batch]])  # warm-up: kernels, nvJPEG state
    images = tiles = failed = 0
    c0, t0 = time.process_time(), time.perf_counter()
    for _ in range(rounds):
        for i in range(0, len(items), batch):
            part = items[i:i + batch]
            entries, out = worker.tile([it for it, _ in part], [b for _, b in part])
            images += len(part)
            tiles += len(out)
            failed += sum(1 for e in entries if not e['ok'])
            del out
    if worker.dev.type == 'cuda':
        W.torch.cuda.synchronize()
    return {'backend': label, 'batch': batch, 'images': images, 'tiles': tiles, 'failed': failed,
            'wall': time.perf_counter() - t0, 'cpu': time.process_time() - c0}


def parity(workers, photos, procs, batch=16):
    """Per image and device: grid equal to PIL's, tile count equal, PSNR of every raw tile vs PIL's."""
    stats = {name: {'grids': 0, 'counts': 0, 'psnr': [], 'failed': []} for name in workers}
    with pool(procs) as p:
        refs = p.imap(_pil_raw, [path for path, _, _ in photos], chunksize=1)
        for i in range(0, len(photos), batch):
            part = photos[i:i + batch]
            items = [dict(it, encoding='raw') for _, it, _ in part]
            results = {name: w.tile(items, [b for _, _, b in part]) for name, w in workers.items()}
            offsets = {name: np.cumsum([0] + [e.get('tiles', 0) for e in r[0]]) for name, r in results.items()}
            for k, it in enumerate(items):
                cols, rows, ref = next(refs)
                for name, (entries, out) in results.items():
                    st, e = stats[name], entries[k]
                    if not e['ok']:
                        st['failed'].append(f'{part[k][0]}: {e["reason"]} {e["message"]}')
                        continue
                    st['grids'] += (it['cols'], it['rows']) == (cols, rows)
                    st['counts'] += e['tiles'] == len(ref)
                    got = out[offsets[name][k]:offsets[name][k + 1]]
                    st['psnr'] += [psnr(a, b) for a, b in zip(got, ref)]
    return stats


def psnr(a, b):
    x = np.frombuffer(a, dtype=np.uint8).astype(np.float32)
    y = np.frombuffer(b, dtype=np.uint8).astype(np.float32)
    mse = float(np.mean((x - y) ** 2))
    return 99.0 if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)


# ---------------------------------------------------------------- report

def row(r):
    batch = '-' if r['batch'] is None else str(r['batch'])
    ips, tps = r['images'] / r['wall'], r['tiles'] / r['wall']
    return (f'{r["backend"]:<52} {batch:>5} {r["images"]:>6} {r["tiles"]:>6} {r["wall"]:>7.2f} {ips:>9.1f} {tps:>8.0f} '
            f'{r["cpu"]:>7.1f} {1000 * r["cpu"] / r["images"]:>8.1f}')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--photos', help='a directory of photos (default: ~120 made from sample-data/images)')
    ap.add_argument('--count', type=int, default=120, help='photos to make when --photos is not given')
    ap.add_argument('--no-cuda', action='store_true', help='skip the cuda runs even when a GPU is there')
    ap.add_argument('--batch-sizes', default='16,64', help='cuda request sizes to try')
    ap.add_argument('--rounds', type=int, default=3, help='passes over the photos per cuda run')
    ap.add_argument('--threads', type=int, default=None, help="the worker's CPU threads (default: all CPUs)")
    ap.add_argument('--json', help='also write the figures here')
    args = ap.parse_args()
    t_start = time.perf_counter()
    cores = len(os.sched_getaffinity(0))

    with tempfile.TemporaryDirectory() as tmp:
        if args.photos:
            paths = sorted(p for p in glob.glob(os.path.join(args.photos, '*'))
                           if p.lower().endswith(('.jpg', '.jpeg', '.png', '.webp')))
            source = args.photos
        else:
            paths = make_photos(tmp, args.count)
            source = f'{len(paths)} photos made from sample-data/images (320-2400 px, aspect 0.4-2.5, q90)'
        photos = load(paths)
        mpx = sum(it['width'] * it['height'] for _, it, _ in photos) / len(photos) / 1e6
        print(f'photos: {len(photos)} ({source}); {sum(it["kind"] == "jpeg" for _, it, _ in photos)} sent as JPEG, '
              f'mean {mpx:.2f} MP; {cores} CPUs', flush=True)

        # PIL first: nothing of the worker's is loaded yet.
        rows = [bench_pil(paths, 2)]
        if cores != 2:
            rows.append(bench_pil(paths, cores))
        pil2, pil_all = rows[0], rows[-1]

        import shardloom_gpu_worker as W  # torch is imported here, after the pools above are gone
        workers = {}
        if not args.no_cuda and W.torch.cuda.is_available():
            workers['cuda:0'] = W.Worker('cuda:0', threads=args.threads)
        workers['cpu'] = W.Worker('cpu', threads=args.threads)
        for name, w in workers.items():
            print(f'worker {name}: {json.dumps(w.hello())}', flush=True)
        cuda_rows = []
        if 'cuda:0' in workers:
            w = workers['cuda:0']
            label = f'worker cuda:0 ({w.device_name}), CPU encode 4:2:0'
            for b in [int(x) for x in args.batch_sizes.split(',')]:
                cuda_rows.append(bench_worker(W, w, photos, b, args.rounds, label))
            if w.features.get('gpuEncode'):
                g = W.Worker('cuda:0', threads=args.threads, gpu_encode=True)
                b = max(int(x) for x in args.batch_sizes.split(','))
                cuda_rows.append(bench_worker(W, g, photos, b, args.rounds, 'worker cuda:0, nvJPEG encode 4:4:4'))
        cpu_row = bench_worker(W, workers['cpu'], photos, 16, 1, f'worker cpu ({workers["cpu"].threads} threads)')
        stats = parity(workers, photos, cores)

    rows = cuda_rows + [cpu_row] + rows
    print()
    print(f'{"backend":<52} {"batch":>5} {"images":>6} {"tiles":>6} {"wall s":>7} {"images/s":>9} {"tiles/s":>8} '
          f'{"CPU s":>7} {"CPU ms/im":>8}')
    for r in rows:
        print(row(r))
    print()
    best = max(cuda_rows, key=lambda r: r['images'] / r['wall']) if cuda_rows else None
    ratios = {}
    for name, ref in [('PIL on 2 cores', pil2), (f'PIL on all {cores} cores', pil_all)]:
        pil_ips = ref['images'] / ref['wall']
        if best:
            ratios[name] = best['images'] / best['wall'] / pil_ips
            print(f'worker cuda images/s ÷ {name} images/s: {ratios[name]:.1f}x'
                  + (' (target >= 10x)' if name == 'PIL on 2 cores' else '') + f'  [batch {best["batch"]}]')
        else:
            print(f'worker cuda images/s ÷ {name} images/s: not measured (no cuda); '
                  f'worker cpu ÷ {name}: {cpu_row["images"] / cpu_row["wall"] / pil_ips:.2f}x')
    for name, st in stats.items():
        v = np.array(st['psnr'])
        n = len(photos) - len(st['failed'])
        print(f'parity {name}: grids identical {st["grids"]}/{len(photos)}, tile counts identical '
              f'{st["counts"]}/{len(photos)}; raw tiles vs PIL bicubic over {len(v)} tiles: PSNR min {v.min():.1f} / '
              f'p5 {np.percentile(v, 5):.1f} / median {np.median(v):.1f} dB'
              + (f'; {len(st["failed"])} failed: {st["failed"][:3]}' if st['failed'] else '') + ('' if n else ' (none ok)'))
    print(f'total {time.perf_counter() - t_start:.0f}s')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'rows': rows, 'ratios': ratios, 'parity': {
                k: {'grids': s['grids'], 'counts': s['counts'], 'failed': s['failed'],
                    'psnr_min': min(s['psnr']), 'psnr_p5': float(np.percentile(s['psnr'], 5)),
                    'psnr_median': float(np.median(s['psnr']))} for k, s in stats.items()}}, f, indent=1)
    ok = all(s['grids'] == s['counts'] == len(photos) and not s['failed'] for s in stats.values())
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
