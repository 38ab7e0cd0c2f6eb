# shardloom as a container image (for Kubernetes Indexed Jobs, or any container runtime):
#   docker build -t shardloom:0.1.0 .            (or: podman build / buildah bud)
#   docker run --rm -v /data:/data shardloom:0.1.0 run /data/mix.yaml --out /data/shards
# Two stages: the build stage compiles TypeScript with the dev dependencies; the runtime stage has only the
# production node_modules, dist/, the schema, the GPU worker script and the bundled sample, plus Debian's
# ffmpeg (video decoding) and libturbojpeg (JPEG tiles with PIL's bytes). It runs as the unprivileged `node`
# user; tini is PID 1 and forwards SIGTERM from the kubelet to shardloom, which stops gracefully (finished
# shards kept, exit 143, `--resume` continues). Built with podman 4.3 (runc) on 2026-12-01 over a
# stand-in for node:20-bookworm-slim (debootstrap'd bookworm + Node 20.20.2: no registry could be pulled
# from there); --version, --help, the sample, validate, and SIGTERM → 143 → --resume passed in the image.
# bench/container-proof.sh repeats it; docs/container.md has the results and what could not be run.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No install scripts: every native dependency ships prebuilt binaries (sharp, koffi, tiktoken, ffmpeg-installer).
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY schemas ./schemas
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg libturbojpeg0 ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/shardloom
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json README.md LICENSE ./
COPY schemas ./schemas
COPY pipelines ./pipelines
COPY sample-data ./sample-data
COPY python ./python
COPY docs ./docs
# The prepared-tokenizer cache (src/tokenize/prepared.ts) in a directory the node user can write.
ENV SHARDLOOM_CACHE_DIR=/tmp/shardloom-cache NODE_ENV=production
USER node
# tini as PID 1 forwards signals to shardloom and reaps the ffmpeg children.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/opt/shardloom/dist/cli/main.js"]
CMD ["--help"]
