# perfect-socket in a container: the CLIs (relay, proxy, send, recv, demo) plus ffmpeg.
#   docker build -t perfect-socket .
#   docker run --rm perfect-socket demo --loss 5%
# compose.yaml runs seed 000's client -> proxy -> server chain with this image.

FROM node:20-bookworm AS build
RUN curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
ENV PATH=/root/.cargo/bin:$PATH
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY Cargo.toml Cargo.lock tsconfig.json ./
COPY crates crates
COPY src src
RUN npm run build && npm prune --omit=dev --omit=optional

FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/perfect-socket
COPY --from=build /src/package.json ./
COPY --from=build /src/dist dist
COPY --from=build /src/native native
RUN ln -s /opt/perfect-socket/dist/cli/main.js /usr/local/bin/perfect-socket && chmod +x dist/cli/main.js
ENTRYPOINT ["perfect-socket"]
CMD ["--help"]
