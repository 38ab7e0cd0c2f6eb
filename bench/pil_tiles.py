#!/usr/bin/env python3
"""bench:tiles, PIL side: the same work as shardloom's image stage — decode, InternVL dynamic tiling (bicubic
resize, row-major crops, thumbnail), JPEG quality 95 encode of every tile — over the given images with N
worker processes. Prints "images tiles seconds"."""
import io
import sys
import time
from multiprocessing import Pool

sys.path.insert(0, __file__.rsplit('/', 1)[0])
from internvl_ref import dynamic_preprocess  # noqa: E402


def work(path):
    from PIL import Image, ImageOps
    img = ImageOps.exif_transpose(Image.open(path)).convert('RGB')
    _, _, tiles = dynamic_preprocess(img, 1, 12)
    n = 0
    for t in tiles:
        buf = io.BytesIO()
        t.save(buf, format='JPEG', quality=95)
        n += 1
    return n


def main():
    procs = int(sys.argv[1])
    paths = sys.argv[2:]
    t0 = time.perf_counter()
    with Pool(procs) as pool:
        tiles = sum(pool.map(work, paths, chunksize=1))
    print(len(paths), tiles, time.perf_counter() - t0)


if __name__ == '__main__':
    main()
