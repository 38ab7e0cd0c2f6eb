#!/usr/bin/env python3
"""Self-test of python/shardloom_gpu_worker.py over its pipe protocol (notes/gpu-protocol.md), on --device cpu
(and cuda:0 when this machine has one). Framing is written here again, independently of the worker.

usage: python3 test/compute/gpu-worker.py-selftest.py [--device cpu|cuda:0] [--photos DIR]
Exit status 0 when every check passes; each check prints one line.
"""
import argparse
import glob
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image

sys.dont_write_bytecode = True  # no __pycache__ in the repository (it is not in .gitignore)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKER = os.path.join(ROOT, 'python', 'shardloom_gpu_worker.py')
REF = os.path.join(ROOT, 'bench', 'internvl_ref.py')
sys.path.insert(0, os.path.join(ROOT, 'bench'))
from internvl_ref import plan  # noqa: E402

S = 448
failures = []


def check(ok, what):
    print(('ok    ' if ok else 'FAIL  ') + what, flush=True)
    if not ok:
        failures.append(what)


class Proc:
    def __init__(self, device, env=None):
        self.p = subprocess.Popen([sys.executable, '-u', WORKER, '--device', device], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})})

    def send(self, header, blobs=()):
        blobs = list(blobs)
        if blobs or 'items' in header:
            header = dict(header, blobs=[len(b) for b in blobs])
        raw = json.dumps(header).encode()
        self.p.stdin.write(struct.pack('<I', len(raw)) + raw + b''.join(blobs))
        self.p.stdin.flush()

    def recv(self):
        head = self.p.stdout.read(4)
        if len(head) < 4:
            return None
        header = json.loads(self.p.stdout.read(struct.unpack('<I', head)[0]))
        return header, [self.p.stdout.read(n) for n in header.get('blobs', [])]

    def call(self, header, blobs=()):
        self.send(header, blobs)
        return self.recv()

    def close(self, timeout=30):
        self.p.stdin.close()
        rc = self.p.wait(timeout)
        self.stderr = self.p.stderr.read().decode()
        return rc


def jpeg_bytes(img, **kw):
    buf = io.BytesIO()
    img.save(buf, format='JPEG', **kw)
    return buf.getvalue()


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float('inf') if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def item(kind, w, h, encoding='raw', quality=95):
    cols, rows = plan(w, h, 1, 12)
    return {'kind': kind, 'width': w, 'height': h, 'cols': cols, 'rows': rows, 'thumbnail': cols * rows > 1,
            'tileSize': S, 'encoding': encoding, 'quality': quality}


def pil_tiles(paths, tmp):
    """PIL's raw tiles, from bench/internvl_ref.py tiles (the reference the CPU backend is tested against)."""
    out = subprocess.run([sys.executable, REF, 'tiles', tmp, '12', *paths], check=True, capture_output=True, text=True)
    n, tiles = 0, []
    for line in out.stdout.strip().splitlines():
        k = int(line.split()[2])
        tiles.append([np.fromfile(f'{tmp}/{n + j}.rgb', dtype=np.uint8).reshape(S, S, 3) for j in range(k)])
        n += k
    return tiles


def test_protocol(device, photos, tmp):
    w = Proc(device)
    t0 = time.perf_counter()
    hello = w.call({'op': 'hello'})[0]
    check(hello.get('ok') is True and hello.get('protocol') == 1 and hello.get('device', '').startswith(device.split(':')[0]),
          f'hello on {device} ({time.perf_counter() - t0:.1f}s): {json.dumps(hello)}')

    # A batch: real photos (raw), one corrupt JPEG, one truncated, a size mismatch, a grey and a progressive JPEG,
    # an RGB item, and a photo encoded as JPEG tiles.
    src = photos[:6]
    grey_path, prog_path = f'{tmp}/grey.jpg', f'{tmp}/prog.jpg'
    Image.open(photos[0]).convert('L').save(grey_path, quality=90)
    Image.open(photos[1]).save(prog_path, quality=90, progressive=True)
    rgb_img = Image.open(photos[2]).convert('RGB')
    items, blobs, refs = [], [], []
    for p in src + [grey_path, prog_path]:
        im = Image.open(p)
        items.append(item('jpeg', *im.size))
        blobs.append(open(p, 'rb').read())
        refs.append(p)
    good = open(photos[3], 'rb').read()
    im3 = Image.open(photos[3])
    items += [item('jpeg', 300, 200), item('jpeg', *im3.size), item('jpeg', im3.size[0] + 1, im3.size[1])]
    blobs += [b'\xff\xd8\xff\xe0 this is not a jpeg', good[:len(good) // 3], good]
    items.append(item('rgb', *rgb_img.size))
    blobs.append(rgb_img.tobytes())
    refs.append(photos[2])
    items.append(item('jpeg', *Image.open(photos[4]).size, encoding='jpeg', quality=95))
    blobs.append(open(photos[4], 'rb').read())
    t0 = time.perf_counter()
    rep, out = w.call({'op': 'tile', 'id': 7, 'items': items}, blobs)
    dt = time.perf_counter() - t0
    res = rep['items']
    check(rep['op'] == 'tile' and rep['id'] == 7 and len(res) == len(items), f'tile reply: id 7, {len(res)} items ({dt:.2f}s)')
    want = [it['cols'] * it['rows'] + it['thumbnail'] for it in items]
    n = len(src) + 2
    check(all(r['ok'] and r['tiles'] == k for r, k in zip(res[:n], want[:n])), f'tile counts of the {n} JPEGs: {[r.get("tiles") for r in res[:n]]} == {want[:n]}')
    check([r.get('reason') for r in res[n:n + 3]] == ['image.decode'] * 3,
          f'corrupt / truncated / wrong-size JPEGs fail with image.decode: {[(r.get("reason"), r.get("message", "")[:60]) for r in res[n:n + 3]]}')
    check(res[n + 3]['ok'] and res[n + 3]['tiles'] == want[n + 3], 'rgb item tiled')
    check(res[n + 4]['ok'] and res[n + 4]['tiles'] == want[n + 4], 'jpeg-encoded item tiled')
    check(len(out) == sum(r.get('tiles', 0) for r in res), f'{len(out)} blobs = sum of ok tiles')

    # Pixels: every raw tile against PIL's bicubic tiles (bench/internvl_ref.py tiles).
    ok_items = [k for k in range(len(items)) if res[k]['ok']]
    offsets, at = {}, 0
    for k in ok_items:
        offsets[k] = at
        at += res[k]['tiles']
    raw_items = list(range(n)) + [n + 3]
    ref_tiles = pil_tiles([refs[k] if k < n else refs[-1] for k in raw_items], tmp)
    values = []
    for k, ref in zip(raw_items, ref_tiles):
        got = [np.frombuffer(out[offsets[k] + j], dtype=np.uint8).reshape(S, S, 3) for j in range(res[k]['tiles'])]
        check(len(got) == len(ref), f'item {k}: {len(got)} tiles, PIL {len(ref)}')
        values += [psnr(a, b) for a, b in zip(got, ref)]
    check(min(values) >= 35, f'raw tiles vs PIL bicubic: {len(values)} tiles, PSNR min {min(values):.1f} dB, '
                             f'median {float(np.median(values)):.1f} dB (>= 35)')

    # JPEG tiles decode to S×S, 4:2:0 (libjpeg's default; --gpu-encode would be 4:4:4), close to the raw tiles.
    from PIL import JpegImagePlugin
    k = n + 4
    jt = [Image.open(io.BytesIO(out[offsets[k] + j])) for j in range(res[k]['tiles'])]
    ref = pil_tiles([photos[4]], tmp)[0]
    jp = [psnr(np.asarray(a.convert('RGB')), b) for a, b in zip(jt, ref)]
    sampling = {JpegImagePlugin.get_sampling(t) for t in jt}
    check(all(t.size == (S, S) and t.mode == 'RGB' for t in jt) and min(jp) >= 30,
          f'JPEG tiles: {len(jt)} of {S}x{S}, sampling {sampling} (2 = 4:2:0), PSNR vs PIL min {min(jp):.1f} dB')

    # Frames: two good, one with a wrong length.
    fr = rgb_img.resize((640, 360))
    fr2 = Image.open(photos[5]).convert('RGB').resize((640, 360))
    fitems = [{'width': 640, 'height': 360, 'tileSize': S, 'encoding': 'raw', 'quality': 95}] * 3
    rep, fout = w.call({'op': 'frames', 'id': 8, 'items': fitems}, [fr.tobytes(), fr2.tobytes()[:-3], fr2.tobytes()])
    check([r.get('tiles', r.get('reason')) for r in rep['items']] == [1, 'video.error', 1] and len(fout) == 2,
          f'frames: {rep["items"]}')
    fp = [psnr(np.frombuffer(b, dtype=np.uint8).reshape(S, S, 3), np.asarray(f.resize((S, S), Image.BICUBIC)))
          for b, f in zip(fout, [fr, fr2])]
    check(min(fp) >= 35, f'frames vs PIL bicubic: PSNR {[round(x, 1) for x in fp]}')

    # An empty batch, a ping, then end of input → exit 0.
    rep, none = w.call({'op': 'tile', 'id': 9, 'items': []})
    check(rep == {'op': 'tile', 'id': 9, 'items': [], 'blobs': []}, f'empty tile request: {rep}')
    check(w.call({'op': 'ping', 'id': 10})[0] == {'op': 'pong', 'id': 10}, 'ping → pong')
    check(w.close() == 0, 'end of stdin → exit 0')
    return w.stderr


def test_timing(device, photos, batch):
    w = Proc(device)
    w.call({'op': 'hello'})
    items, blobs = [], []
    for p in photos:
        items.append(item('jpeg', *Image.open(p).size, encoding='jpeg', quality=95))
        blobs.append(open(p, 'rb').read())
    w.call({'op': 'tile', 'id': 0, 'items': items[:2]}, blobs[:2])  # warm-up
    t0, tiles = time.perf_counter(), 0
    for i in range(0, len(items), batch):
        rep, out = w.call({'op': 'tile', 'id': i + 1, 'items': items[i:i + batch]}, blobs[i:i + batch])
        tiles += len(out)
    dt = time.perf_counter() - t0
    w.close()
    print(f'info  timing on {device}: {len(items)} photos in batches of {batch}, {tiles} JPEG q95 tiles: {dt:.2f}s = '
          f'{len(items) / dt:.1f} images/s, {tiles / dt:.0f} tiles/s')


def test_faults(device, photos):
    blob = open(photos[0], 'rb').read()
    it = item('jpeg', *Image.open(photos[0]).size)
    w = Proc(device, {'SHARDLOOM_GPU_WORKER_FAULT': 'crash:2'})
    first = w.call({'op': 'tile', 'id': 1, 'items': [it]}, [blob])
    second = w.call({'op': 'tile', 'id': 2, 'items': [it]}, [blob])
    check(first is not None and first[0]['items'][0]['ok'] and second is None and w.p.wait(30) == 70,
          f'crash:2 → first tile answered, exit {w.p.returncode} on the second')

    w = Proc(device, {'SHARDLOOM_GPU_WORKER_FAULT': 'hang:1'})
    check(w.call({'op': 'ping', 'id': 1})[0]['op'] == 'pong', 'hang:1: ping before it still answered')
    w.send({'op': 'tile', 'id': 2, 'items': [it]}, [blob])
    try:
        w.p.wait(3)
        hung = False
    except subprocess.TimeoutExpired:
        hung = True
    w.p.kill()
    w.p.wait()
    check(hung, 'hang:1 → no reply, still running after 3 s (killed)')

    for what, data in [('bad JSON', struct.pack('<I', 5) + b'{nope'), ('short read', struct.pack('<I', 100) + b'{"op"'),
                       ('unknown op', struct.pack('<I', 13) + b'{"op":"nope"}'),
                       ('items/blobs mismatch', (lambda h: struct.pack('<I', len(h)) + h)(
                           json.dumps({'op': 'tile', 'id': 1, 'items': [it], 'blobs': []}).encode()))]:
        w = Proc(device)
        w.p.stdin.write(data)
        w.p.stdin.close()
        rc = w.p.wait(30)
        err = w.p.stderr.read().decode().strip().splitlines()
        check(rc == 2 and w.p.stdout.read() == b'', f'malformed ({what}) → exit {rc}: {err[-1] if err else ""}')


def test_in_process(photos):
    """Paths the pipe cannot reach on a CPU box: a batch-wide failure (as CUDA out of memory would be) retried item
    by item, one item failing alone (image.gpu), and a request split by the decode budget."""
    sys.path.insert(0, os.path.join(ROOT, 'python'))
    import shardloom_gpu_worker as W
    w = W.Worker('cpu', threads=2)
    items = [item('jpeg', *Image.open(p).size) for p in photos[:4]]
    blobs = [bytearray(open(p, 'rb').read()) for p in photos[:4]]
    base = w.tile(items, blobs)
    real, calls = W.resize, []

    def flaky(img, width, height):
        calls.append(img.shape)
        if len(calls) == 1 or img.shape[-2:] == (items[2]['height'], items[2]['width']):
            raise RuntimeError('CUDA out of memory. Tried to allocate 2.00 GiB (simulated)')
        return real(img, width, height)
    W.resize = flaky
    try:
        entries, out = w.tile(items, blobs)
    finally:
        W.resize = real
    want = [e.get('tiles') for e in base[0]]
    want[2] = 'image.gpu'
    check([e.get('tiles', e.get('reason')) for e in entries] == want, f'batch failure retried item by item: {entries[2]}')
    offs = np.cumsum([0] + [e['tiles'] for e in base[0]])
    keep = [b for k in range(4) if k != 2 for b in base[1][offs[k]:offs[k + 1]]]
    check(out == keep, 'the retried items give the same bytes as the batch')
    W.DECODE_BUDGET = 1
    try:
        split = w.tile(items, blobs)
    finally:
        W.DECODE_BUDGET = 1 << 30
    check(split == base, 'a request decoded in several chunks gives the same reply')

    # The branches a new torchvision takes (a list to decode_jpeg on the device, a list to encode_jpeg), emulated on
    # the CPU with list-accepting wrappers: the same bytes as the per-image path, a corrupt file found one by one.
    dec, enc = W.decode_jpeg, W.encode_jpeg
    W.decode_jpeg = lambda x, mode, device='cpu': [dec(t, mode) for t in x] if isinstance(x, list) else dec(x, mode)
    W.encode_jpeg = lambda x, q: [enc(t, q) for t in x] if isinstance(x, list) else enc(x, q)
    try:
        w.gpu_decode = w.gpu_encode = w.features['batchedDecode'] = w.features['batchedEncode'] = True
        jitems = [dict(it, encoding='jpeg', quality=95) for it in items]
        want = W.Worker('cpu', threads=2).tile(jitems, blobs)
        got = w.tile(jitems, blobs)
        check(got == want, 'emulated batched decode + list encode: the same reply and bytes as the per-image path')
        bad = w.tile(jitems[:2] + [item('jpeg', 300, 200)], blobs[:2] + [bytearray(b'\xff\xd8 not a jpeg')])
        check([e.get('tiles', e.get('reason')) for e in bad[0]] == [e['tiles'] for e in want[0][:2]] + ['image.decode'],
              'emulated batched decode with a corrupt file: found one by one')
    finally:
        W.decode_jpeg, W.encode_jpeg = dec, enc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--photos', default=os.path.join(ROOT, '.bench-data', 'e2e', 'photos-120'))
    args = ap.parse_args()
    photos = sorted(glob.glob(os.path.join(args.photos, '*.jpg')))
    made = tempfile.TemporaryDirectory()
    if len(photos) < 16:
        # No benchmark photos (a fresh clone): 16 of distinct sizes and aspect ratios cut from the sample photos
        # (distinct sizes: the in-process tests tell items apart by their decoded size).
        samples = sorted(glob.glob(os.path.join(ROOT, 'sample-data', 'images', '*.jpg')))
        photos = []
        for i in range(16):
            im = Image.open(samples[i % len(samples)]).convert('RGB')
            w = 320 + 97 * i
            h = max(200, int(w / (0.5 + (i * 0.37) % 2.0)))
            p = os.path.join(made.name, f'{i:02d}.jpg')
            im.resize((w, h), Image.LANCZOS).save(p, quality=90)
            photos.append(p)
    with tempfile.TemporaryDirectory() as tmp:
        stderr = test_protocol(args.device, photos, tmp)
    print('info  worker stderr (first lines):\n      ' + '\n      '.join(stderr.strip().splitlines()[:6]))
    test_faults(args.device, photos)
    test_in_process(photos)
    if args.device == 'cpu':
        w = Proc('cuda:0')
        h = w.call({'op': 'hello'})[0]
        pong = w.call({'op': 'ping', 'id': 3})
        import torch
        if not torch.cuda.is_available():
            check(h['ok'] is False and 'error' in h and pong[0]['op'] == 'pong', f'hello on cuda:0 without CUDA: {h}; still alive')
        w.close()
    test_timing(args.device, photos[:32], 16)
    print('FAILED: ' + '; '.join(failures) if failures else 'all checks passed')
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()
