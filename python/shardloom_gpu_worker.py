#!/usr/bin/env python3
"""shardloom's GPU worker: InternVL tiling (decode, bicubic antialias resize, row-major S×S tiles, thumbnail last,
JPEG or raw encoding) for batches of images and video frames, driven by the Node side over stdin/stdout.
The protocol (v1) is /work/notes/gpu-protocol.md; run as

    python3 -u python/shardloom_gpu_worker.py --device cuda:0|cpu [--threads N] [--gpu-encode]

The pixel work lives in `Worker` (importable: bench/gpu_bench.py drives it directly); `serve` is the protocol loop.
One code path for every device: on `cpu` the same calls run with device cpu. What the installed torchvision can do
(decode a list, decode on the GPU, encode CUDA tensors) is probed once at start, with a per-image path for old
versions. JPEG tiles are encoded on the CPU (libjpeg, 4:2:0, a thread pool) unless --gpu-encode is given:
torchvision's nvJPEG encoder always writes 4:4:4 (see /work/notes/gpu-worker.md).
"""
import argparse
import io
import json
import os
import queue
import re
import struct
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import torch
import torch.nn.functional as F
import torchvision
from torchvision.io import ImageReadMode, decode_jpeg, encode_jpeg

PROTOCOL = 1
# Decoded pixels (W·H·3 bytes) one decode call may hold at once; a request above it is decoded in several calls.
DECODE_BUDGET = 1 << 30
ENCODE_CHUNK = 256  # tiles per nvJPEG encode call (--gpu-encode)


def log(msg):
    sys.stderr.write(f'shardloom-gpu-worker: {msg}\n')
    sys.stderr.flush()


class ItemError(Exception):
    """One item failed; `reason` is the protocol's reject reason."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason


class ProtocolError(Exception):
    """A malformed message: the worker says why on stderr and exits 2."""


# ---------------------------------------------------------------- device and features

def _probe(what, fn):
    try:
        fn()
        return True
    except Exception as e:  # a missing feature shows up as TypeError / RuntimeError, depending on the version
        log(f'probe {what}: no ({type(e).__name__}: {str(e).splitlines()[0][:120] if str(e) else ""})')
        return False


def open_device(name):
    """(device, device name, features) — raises RuntimeError with a one-line reason when the device is unusable.
    The device is really used (an allocation and an op) so that a broken driver fails here, not on the first image."""
    if not re.fullmatch(r'cpu|cuda(:\d+)?', name):
        raise RuntimeError(f'Expected --device to be cpu or cuda[:N] but received "{name}"')
    dev = torch.device(name)
    if dev.type == 'cuda':
        if not torch.cuda.is_available():
            raise RuntimeError(f'CUDA requested but torch.cuda.is_available() is false '
                               f'(torch {torch.__version__}, built for CUDA {torch.version.cuda})')
        index = torch.cuda.current_device() if dev.index is None else dev.index
        if index >= torch.cuda.device_count():
            raise RuntimeError(f'{name} requested but only {torch.cuda.device_count()} CUDA device(s) are visible')
        dev = torch.device('cuda', index)
        torch.cuda.set_device(dev)
        device_name = torch.cuda.get_device_name(dev)
    else:
        device_name = 'cpu'
    x = torch.arange(4096, dtype=torch.float32, device=dev)
    if float((x * 2).sum().item()) != 4095 * 4096:
        raise RuntimeError(f'{name}: a test computation returned a wrong result')
    # The resize this worker exists for: fail at hello, not on every image, where it is missing.
    y = F.interpolate(torch.rand(1, 3, 40, 30, device=dev) * 255, size=(7, 9), mode='bicubic',
                      align_corners=False, antialias=True)
    if dev.type == 'cuda':
        torch.cuda.synchronize(dev)
    del x, y
    return dev, device_name, probe_features(dev)


def probe_features(dev):
    """What this torchvision accepts: JPEGs decoded on `dev`, a list of JPEGs, CUDA tensors (and lists) to encode."""
    img = torch.zeros(3, 16, 24, dtype=torch.uint8)
    img[0] = 200
    jpeg = encode_jpeg(img, 90)
    cuda, on = dev.type == 'cuda', str(dev)

    def decode_on_device():
        _check_decoded(decode_jpeg(jpeg, mode=ImageReadMode.RGB, device=on), on)
    feats = {'gpuDecode': cuda and _probe('decode_jpeg(device=cuda)', decode_on_device)}
    where = on if feats['gpuDecode'] else 'cpu'

    def decode_list():
        for t in _as_list(decode_jpeg([jpeg, jpeg], mode=ImageReadMode.RGB, device=where), 2):
            _check_decoded(t, where)
    feats['batchedDecode'] = _probe('decode_jpeg([...])', decode_list)
    feats['gpuEncode'] = cuda and _probe('encode_jpeg(cuda tensor)', lambda: encode_jpeg(img.to(dev), 90).cpu())
    feats['batchedEncode'] = _probe('encode_jpeg([...])', lambda: _as_list(encode_jpeg([img.to(dev)] * 2, 90), 2))
    return feats


def _check_decoded(t, where):
    if tuple(t.shape) != (3, 16, 24) or t.device.type != torch.device(where).type:
        raise RuntimeError(f'decoded {tuple(t.shape)} on {t.device}')


def _as_list(out, n):
    if not isinstance(out, (list, tuple)) or len(out) != n:
        raise RuntimeError(f'expected a list of {n}, got {type(out).__name__}')
    return out


# ---------------------------------------------------------------- pixels

def resize(img, width, height):
    """uint8 CHW → uint8 CHW of height×width: bicubic with antialias on float32, rounded — the CPU backend's rule."""
    x = img.float().unsqueeze(0)
    try:
        y = _interpolate(x, width, height)
    except RuntimeError as e:
        # CUDA's antialias kernel keeps its filter weights in shared memory, which caps the downscale factor (about
        # 45x on both axes at once, a ~20000 px square to a 448 thumbnail): the CPU runs the same filter uncapped.
        if x.device.type != 'cuda' or 'reduce the scale factor' not in str(e):
            raise
        y = _interpolate(x.cpu(), width, height).to(x.device)
    return y.round_().clamp_(0, 255).to(torch.uint8)[0]


def _interpolate(x, width, height):
    return F.interpolate(x, size=(height, width), mode='bicubic', align_corners=False, antialias=True)


def cut(grid, cols, rows, size):
    """The tiles of an HWC grid, row-major, as views."""
    return [grid[r * size:(r + 1) * size, c * size:(c + 1) * size] for r in range(rows) for c in range(cols)]


def _budget_chunks(items, limit=None):
    """Index ranges of consecutive items whose decoded pixels stay under `limit` (at least one item each)."""
    limit = DECODE_BUDGET if limit is None else limit
    start, used = 0, 0
    for i, it in enumerate(items):
        px = it['width'] * it['height'] * 3
        if i > start and used + px > limit:
            yield range(start, i)
            start, used = i, 0
        used += px
    if start < len(items):
        yield range(start, len(items))


class Worker:
    """Tiles images and frames on one device. `tile` / `frames` take the protocol's items and blobs and return
    (per-item results, output blobs) exactly as the reply carries them."""

    def __init__(self, device='cpu', threads=None, gpu_encode=False):
        self.threads = threads or (len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count())
        self.error = None
        self.dev, self.device_name, self.features = None, None, {}
        try:
            self.dev, self.device_name, self.features = open_device(device)
        except Exception as e:
            self.error = ' '.join(str(e).split()) or type(e).__name__
            log(f'device {device} unusable: {self.error}')
        self.gpu_encode = bool(gpu_encode and self.features.get('gpuEncode'))
        if gpu_encode and not self.gpu_encode and self.error is None:
            log('--gpu-encode: this torchvision cannot encode CUDA tensors; encoding on the CPU')
        self.gpu_decode = bool(self.features.get('gpuDecode'))
        self.pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix='encode')
        if self.error is None:
            log(f'device {self.dev} ({self.device_name}), torch {torch.__version__}, '
                f'torchvision {torchvision.__version__}, features {self.features}, '
                f'encode on {"gpu (4:4:4)" if self.gpu_encode else "cpu"}, {self.threads} threads')

    def hello(self):
        if self.error is not None:
            return {'op': 'hello', 'ok': False, 'error': self.error}
        return {'op': 'hello', 'ok': True, 'protocol': PROTOCOL, 'torch': torch.__version__,
                'torchvision': torchvision.__version__, 'device': str(self.dev), 'deviceName': self.device_name,
                'batchedDecode': self.features['batchedDecode'], 'gpuDecode': self.gpu_decode,
                'gpuEncode': self.gpu_encode}

    # -------------------------------------------------------- requests

    def tile(self, items, blobs):
        return self._run(items, blobs, self._tile_batch, 'image.gpu')

    def frames(self, items, blobs):
        return self._run(items, blobs, self._frames_batch, 'video.error')

    def _run(self, items, blobs, batch, reason):
        """A batch, then — when something hit the batch as a whole (CUDA out of memory, …) — each item alone."""
        if self.error is not None:
            return _pack([ItemError(reason, self.error)] * len(items))
        with torch.inference_mode():
            try:
                return _pack(self._resolve(batch(items, blobs)))
            except Exception as e:
                log(f'batch of {len(items)} failed ({_one_line(e)}); retrying item by item')
            self._release()
            out = []
            for it, blob in zip(items, blobs):
                try:
                    out += self._resolve(batch([it], [blob]))
                except Exception as e:
                    self._release()
                    out.append(ItemError(reason, _one_line(e)))
            return _pack(out)

    def _release(self):
        if self.dev is not None and self.dev.type == 'cuda':
            torch.cuda.empty_cache()

    @staticmethod
    def _resolve(results):
        """Wait for the encodes: each ok item is a list of futures or bytes."""
        return [r if isinstance(r, ItemError) else [t.result() if hasattr(t, 'result') else t for t in r]
                for r in results]

    # -------------------------------------------------------- images

    def _tile_batch(self, items, blobs):
        out = []
        for chunk in _budget_chunks(items):
            images = self._load([items[i] for i in chunk], [blobs[i] for i in chunk])
            for k, i in enumerate(chunk):
                img, images[k] = images[k], None  # free the decoded image as soon as it is resized
                out.append(img if isinstance(img, ItemError) else self._tile_one(items[i], img))
        return out

    def _tile_one(self, it, img):
        S, cols, rows = it['tileSize'], it['cols'], it['rows']
        grid = resize(img, cols * S, rows * S)
        thumb = resize(img, S, S) if it['thumbnail'] else None
        del img
        if thumb is None:
            return self._emit([grid], [(cols, rows)], S, it)
        return self._emit([grid, thumb], [(cols, rows), (1, 1)], S, it)

    def _load(self, items, blobs):
        """The chunk's images as uint8 CHW on the device, or an ItemError per item that cannot be read."""
        jpegs = [k for k, it in enumerate(items) if it['kind'] == 'jpeg']
        out = [None] * len(items)
        for k, it in enumerate(items):
            if it['kind'] == 'rgb':
                out[k] = self._upload_rgb(it, blobs[k], 'image.decode')
        for k, img in zip(jpegs, self._decode([blobs[k] for k in jpegs])):
            it = items[k]
            if not isinstance(img, ItemError) and tuple(img.shape) != (3, it['height'], it['width']):
                img = ItemError('image.decode', f'decoded {img.shape[-1]}x{img.shape[-2]} (channels {img.shape[0]}), '
                                                f'expected {it["width"]}x{it["height"]}')
            out[k] = img
        return out

    def _decode(self, blobs):
        if not blobs:
            return []
        datas = [torch.frombuffer(b, dtype=torch.uint8) if len(b) else None for b in blobs]
        if not self.gpu_decode:  # libjpeg on the CPU, in parallel, then one upload per image
            return [r if isinstance(r, ItemError) else r.to(self.dev) for r in self.pool.map(_decode_cpu, datas)]
        dev = str(self.dev)
        if self.features['batchedDecode'] and len(datas) > 1 and all(d is not None for d in datas):
            try:
                return list(decode_jpeg(datas, mode=ImageReadMode.RGB, device=dev))
            except Exception as e:  # one bad file fails nvJPEG's whole batch: find it one by one
                log(f'batched decode of {len(datas)} failed ({_one_line(e)}); decoding one by one')
                self._release()
        return [_decode_one(d, dev) for d in datas]

    def _upload_rgb(self, it, blob, reason):
        W, H = it['width'], it['height']
        if len(blob) != W * H * 3:
            return ItemError(reason, f'rgb blob is {len(blob)} bytes, expected {W}x{H}x3 = {W * H * 3}')
        hwc = torch.frombuffer(blob, dtype=torch.uint8).view(H, W, 3)
        return hwc.to(self.dev).permute(2, 0, 1).contiguous()

    # -------------------------------------------------------- frames

    def _frames_batch(self, items, blobs):
        """Frames of one size (a clip's) are stacked and resized in one call."""
        out = [None] * len(items)
        groups = {}
        for k, it in enumerate(items):
            W, H = it['width'], it['height']
            if len(blobs[k]) != W * H * 3:
                out[k] = ItemError('video.error',
                                   f'frame blob is {len(blobs[k])} bytes, expected {W}x{H}x3 = {W * H * 3}')
            else:
                groups.setdefault((W, H, it['tileSize']), []).append(k)
        for (W, H, S), ks in groups.items():
            for chunk in _budget_chunks([items[k] for k in ks], DECODE_BUDGET // 4):  # float32 copies are 4× the bytes
                sel = [ks[j] for j in chunk]
                hwc = torch.stack([torch.frombuffer(blobs[k], dtype=torch.uint8).view(H, W, 3) for k in sel])
                hwc = hwc.to(self.dev)
                x = hwc.permute(0, 3, 1, 2).contiguous().float()
                del hwc
                y = _interpolate(x, S, S)  # aspect ratio ignored, as the CPU backend does for frames
                del x
                y = y.round_().clamp_(0, 255).to(torch.uint8)
                for j, k in enumerate(sel):
                    out[k] = self._emit([y[j]], [(1, 1)], S, items[k])
                del y
        return out

    # -------------------------------------------------------- output

    def _emit(self, images, layouts, S, it):
        """Tiles of the resized images (uint8 CHW on the device), in order, as bytes or futures of bytes."""
        encoding, quality = it['encoding'], it.get('quality', 95)
        if encoding == 'jpeg' and self.gpu_encode:
            tiles = [t for img, (c, r) in zip(images, layouts) for t in _cut_chw(img, c, r, S)]
            return _encode_gpu(tiles, quality, self.features['batchedEncode'])
        out = []
        for img, (c, r) in zip(images, layouts):
            hwc = img.permute(1, 2, 0).contiguous().cpu()  # one copy off the device per resized image
            tiles = cut(hwc, c, r, S)
            if encoding == 'raw':
                out += [t.numpy().tobytes() for t in tiles]
            else:
                out += [self.pool.submit(_encode_cpu, t, quality) for t in tiles]
        return out


def _cut_chw(img, cols, rows, S):
    return [img[:, r * S:(r + 1) * S, c * S:(c + 1) * S].contiguous() for r in range(rows) for c in range(cols)]


def _decode_cpu(data):
    return _decode_one(data, 'cpu')


def _decode_one(data, dev):
    if data is None:
        return ItemError('image.decode', 'empty JPEG blob')
    try:
        if dev == 'cpu':
            return decode_jpeg(data, mode=ImageReadMode.RGB)
        return decode_jpeg(data, mode=ImageReadMode.RGB, device=dev)
    except Exception as e:
        if 'out of memory' in str(e).lower():
            raise  # not this file's fault: the batch is retried item by item
        return ItemError('image.decode', _one_line(e))


def _encode_cpu(tile_hwc, quality):
    # torchvision's CPU encoder is libjpeg with its defaults: 4:2:0 for colour, like the CPU backend.
    return encode_jpeg(tile_hwc.permute(2, 0, 1), quality).numpy().tobytes()


def _encode_gpu(tiles, quality, batched):
    out = []
    for i in range(0, len(tiles), ENCODE_CHUNK):
        part = tiles[i:i + ENCODE_CHUNK]
        enc = encode_jpeg(part, quality) if batched else [encode_jpeg(t, quality) for t in part]
        out += [e.cpu().numpy().tobytes() for e in enc]
    return out


def _one_line(e):
    text = ' '.join(str(e).split())
    return f'{type(e).__name__}: {text[:300]}' if text else type(e).__name__


def _pack(results):
    """Per-item reply entries and the blobs of the ok items, in order."""
    entries, blobs = [], []
    for r in results:
        if isinstance(r, ItemError):
            entries.append({'ok': False, 'reason': r.reason, 'message': str(r)})
        else:
            entries.append({'ok': True, 'tiles': len(r)})
            blobs += r
    return entries, blobs


# ---------------------------------------------------------------- protocol

def _int(obj, key, where, lo=1, hi=None):
    v = obj.get(key)
    if not isinstance(v, int) or isinstance(v, bool) or v < lo or (hi is not None and v > hi):
        want = f'an integer >= {lo}' if hi is None else f'an integer from {lo} to {hi}'
        raise ProtocolError(f'{where}.{key}: expected {want} but received {json.dumps(v)}')
    return v


def _one_of(obj, key, where, allowed):
    v = obj.get(key)
    if v not in allowed:
        raise ProtocolError(f'{where}.{key}: expected one of {"|".join(allowed)} but received {json.dumps(v)}')


def validate(header, nblobs):
    """Check a request's shape; anything off is a malformed message (a bug on the sending side, not bad data)."""
    if not isinstance(header, dict):
        raise ProtocolError(f'header: expected an object but received {type(header).__name__}')
    op = header.get('op')
    if op == 'hello':
        return
    if op not in ('tile', 'frames', 'ping'):
        raise ProtocolError(f'header.op: expected hello|tile|frames|ping but received {json.dumps(op)}')
    if 'id' not in header:
        raise ProtocolError(f'{op}: missing id')
    if op == 'ping':
        return
    items = header.get('items')
    if not isinstance(items, list) or len(items) != nblobs:
        got = f'{len(items)} items' if isinstance(items, list) else json.dumps(items)[:100]
        raise ProtocolError(f'{op}.items: expected one item per blob ({nblobs}) but received {got}')
    for n, it in enumerate(items):
        where = f'{op}.items[{n}]'
        if not isinstance(it, dict):
            raise ProtocolError(f'{where}: expected an object')
        for key in ('width', 'height', 'tileSize'):
            _int(it, key, where)
        _one_of(it, 'encoding', where, ('jpeg', 'raw'))
        if it['encoding'] == 'jpeg':
            _int(it, 'quality', where, 1, 100)
        if op == 'tile':
            _one_of(it, 'kind', where, ('jpeg', 'rgb'))
            _int(it, 'cols', where)
            _int(it, 'rows', where)
            if not isinstance(it.get('thumbnail'), bool):
                got = json.dumps(it.get('thumbnail'))
                raise ProtocolError(f'{where}.thumbnail: expected a boolean but received {got}')


def _read_exact(f, n):
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:
        k = f.readinto(view[got:])
        if not k:
            return buf, got
        got += k
    return buf, got


def read_message(f):
    """(header, [memoryview per blob]) or None at a clean end of input; ProtocolError when malformed."""
    head, got = _read_exact(f, 4)
    if got == 0:
        return None
    if got < 4:
        raise ProtocolError(f'short read: {got} of 4 length bytes')
    (n,) = struct.unpack('<I', head)
    raw, got = _read_exact(f, n)
    if got < n:
        raise ProtocolError(f'short read: {got} of {n} header bytes')
    try:
        header = json.loads(raw.decode('utf-8'))
    except ValueError as e:
        raise ProtocolError(f'bad header JSON: {e}')
    lens = header.get('blobs', []) if isinstance(header, dict) else []
    if not isinstance(lens, list) or not all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in lens):
        raise ProtocolError(f'header.blobs: expected an array of byte lengths but received {json.dumps(lens)[:200]}')
    validate(header, len(lens))
    data, got = _read_exact(f, sum(lens))
    if got < len(data):
        raise ProtocolError(f'short read: {got} of {len(data)} blob bytes')
    view, blobs, at = memoryview(data), [], 0
    for x in lens:
        blobs.append(view[at:at + x])
        at += x
    return header, blobs


def write_message(f, header, blobs=()):
    blobs = list(blobs)
    header = dict(header, blobs=[len(b) for b in blobs]) if blobs or 'items' in header else header
    raw = json.dumps(header, separators=(',', ':')).encode('utf-8')
    f.write(struct.pack('<I', len(raw)))
    f.write(raw)
    for b in blobs:
        f.write(b)
    f.flush()


def _fault():
    spec = os.environ.get('SHARDLOOM_GPU_WORKER_FAULT', '')
    kind, _, n = spec.partition(':')
    if kind in ('crash', 'hang', 'gpufail') and n.isdigit():
        return kind, int(n)
    if spec:
        log(f'ignoring SHARDLOOM_GPU_WORKER_FAULT={spec!r} (expected crash:<n>, hang:<n> or gpufail:<n>)')
    return None, 0


def _reader(f, q):
    """Reads requests ahead (at most two waiting) so that the next batch's bytes arrive while this one computes."""
    try:
        while True:
            msg = read_message(f)
            q.put(msg)
            if msg is None:
                return
    except ProtocolError as e:
        q.put(e)
    except Exception as e:  # an I/O error on stdin is as good as a short read
        q.put(ProtocolError(_one_line(e)))


def serve(worker, stdin, stdout):
    """The request loop: one reply per request, in order. Returns the exit status."""
    fault, fault_at = _fault()
    q = queue.Queue(maxsize=2)
    threading.Thread(target=_reader, args=(stdin, q), daemon=True, name='reader').start()
    tiles_seen = 0
    while True:
        msg = q.get()
        if msg is None:
            return 0
        if isinstance(msg, ProtocolError):
            log(f'malformed message: {msg}')
            return 2
        header, blobs = msg
        op = header['op']
        if op == 'hello':
            write_message(stdout, worker.hello())
        elif op == 'ping':
            write_message(stdout, {'op': 'pong', 'id': header['id']})
        else:
            if op == 'tile':
                tiles_seen += 1
                if fault == 'gpufail' and tiles_seen >= fault_at:
                    # A device left unusable: every item fails, the process lives on.
                    items = header['items']
                    write_message(stdout, {'op': op, 'id': header['id'], 'items': [
                        {'ok': False, 'reason': 'image.gpu', 'message': 'fault hook: the device is unusable'} for _ in items]})
                    continue
                if fault in ('crash', 'hang') and tiles_seen == fault_at:
                    log(f'fault hook: {fault} on tile request {tiles_seen}')
                    if fault == 'crash':
                        os._exit(70)
                    while True:
                        time.sleep(3600)
            t0 = time.perf_counter()
            entries, out = (worker.tile if op == 'tile' else worker.frames)(header['items'], blobs)
            write_message(stdout, {'op': op, 'id': header['id'], 'items': entries}, out)
            bad = sum(1 for e in entries if not e['ok'])
            log(f'{op} {header["id"]}: {len(entries)} items ({bad} failed), {len(out)} tiles, '
                f'{time.perf_counter() - t0:.3f}s')
        del msg, header, blobs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--device', default='cuda:0', help='cuda[:N] or cpu')
    ap.add_argument('--threads', type=int, default=None,
                    help='threads for CPU JPEG encode/decode (default: the CPUs this process may use)')
    ap.add_argument('--gpu-encode', action='store_true',
                    help="encode JPEG tiles with nvJPEG when torchvision can (4:4:4, not the protocol's 4:2:0)")
    args = ap.parse_args(argv)
    # The protocol owns fd 1: keep a private copy of it and point fd 1 (and sys.stdout) at stderr, so that a stray
    # print or a C library writing to stdout cannot corrupt a reply.
    stdout = io.BufferedWriter(io.FileIO(os.dup(sys.stdout.buffer.fileno()), 'wb'), buffer_size=1 << 20)
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), 1)
    sys.stdout = sys.stderr
    worker = Worker(args.device, threads=args.threads, gpu_encode=args.gpu_encode)
    status = serve(worker, sys.stdin.buffer, stdout)
    stdout.flush()
    sys.stderr.flush()
    os._exit(status)  # not sys.exit: the reader thread may still sit in a read, and the encode pool needs no join


if __name__ == '__main__':
    main()
