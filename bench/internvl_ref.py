#!/usr/bin/env python3
"""The InternVL dynamic-preprocess rules, written the way the reference (internvl_chat/.../dataset.py) does,
used as the independent reference of shardloom's tiling:

  plan   : read "W H MIN MAX" lines on stdin, print "cols rows" per line (the chosen grid)
  tiles  : tile image files with PIL exactly as the reference does (bicubic resize to cols*448 x rows*448,
           row-major crops, a 448x448 thumbnail when there is more than one tile) and write raw RGB tiles
           to OUTDIR/<n>.rgb; one line per image on stdout: "cols rows tiles"
"""
import sys


def find_closest_aspect_ratio(aspect_ratio, target_ratios, width, height, image_size):
    best_ratio_diff = float('inf')
    best_ratio = (1, 1)
    area = width * height
    for ratio in target_ratios:
        target_aspect_ratio = ratio[0] / ratio[1]
        ratio_diff = abs(aspect_ratio - target_aspect_ratio)
        if ratio_diff < best_ratio_diff:
            best_ratio_diff = ratio_diff
            best_ratio = ratio
        elif ratio_diff == best_ratio_diff:
            if area > 0.5 * image_size * image_size * ratio[0] * ratio[1]:
                best_ratio = ratio
    return best_ratio


def target_ratios_for(min_num, max_num):
    target_ratios = set(
        (i, j) for n in range(min_num, max_num + 1) for i in range(1, n + 1) for j in range(1, n + 1)
        if i * j <= max_num and i * j >= min_num)
    return sorted(target_ratios, key=lambda x: x[0] * x[1])


def plan(width, height, min_num, max_num, image_size=448):
    return find_closest_aspect_ratio(width / height, target_ratios_for(min_num, max_num), width, height, image_size)


def dynamic_preprocess(image, min_num=1, max_num=12, image_size=448, use_thumbnail=True):
    from PIL import Image
    orig_width, orig_height = image.size
    cols, rows = plan(orig_width, orig_height, min_num, max_num, image_size)
    target_width, target_height = image_size * cols, image_size * rows
    blocks = cols * rows
    resized_img = image.resize((target_width, target_height), Image.BICUBIC)
    processed = []
    for i in range(blocks):
        box = ((i % (target_width // image_size)) * image_size, (i // (target_width // image_size)) * image_size,
               ((i % (target_width // image_size)) + 1) * image_size, ((i // (target_width // image_size)) + 1) * image_size)
        processed.append(resized_img.crop(box))
    if use_thumbnail and len(processed) != 1:
        processed.append(image.resize((image_size, image_size), Image.BICUBIC))
    return cols, rows, processed


def main():
    mode = sys.argv[1]
    if mode == 'plan':
        cache = {}
        out = []
        for line in sys.stdin:
            w, h, mn, mx = map(int, line.split())
            key = (mn, mx)
            if key not in cache:
                cache[key] = target_ratios_for(mn, mx)
            c, r = find_closest_aspect_ratio(w / h, cache[key], w, h, 448)
            out.append(f'{c} {r}')
        sys.stdout.write('\n'.join(out) + '\n')
    elif mode == 'tiles':
        from PIL import Image, ImageOps
        outdir, max_num = sys.argv[2], int(sys.argv[3])
        n = 0
        for path in sys.argv[4:]:
            img = ImageOps.exif_transpose(Image.open(path)).convert('RGB')
            cols, rows, tiles = dynamic_preprocess(img, 1, max_num)
            for t in tiles:
                with open(f'{outdir}/{n}.rgb', 'wb') as f:
                    f.write(t.tobytes())
                n += 1
            print(cols, rows, len(tiles))


if __name__ == '__main__':
    main()
