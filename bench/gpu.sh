#!/usr/bin/env bash
# bench:gpu — the GPU worker vs InternVL's PIL tiling, on a node without Node.js (see bench/gpu_bench.py).
#   bash bench/gpu.sh [--photos DIR] [--no-cuda] [--batch-sizes 16,64] [--rounds 3] [--json OUT.json]
# Python: $PYTHON, else python3; it needs torch, torchvision, Pillow and numpy.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
py="${PYTHON:-python3}"
if ! "$py" -c 'import torch, torchvision, PIL, numpy' 2>/dev/null; then
  echo "bench/gpu.sh: $py cannot import torch, torchvision, PIL and numpy; set PYTHON to a python that can" >&2
  exit 1
fi
exec "$py" "$here/gpu_bench.py" "$@"
