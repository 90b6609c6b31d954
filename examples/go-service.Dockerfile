# syntax=docker/dockerfile:1
# The layout of the story in docs: a Go service with two CGO libraries and
# DuckDB extensions fetched at versions set by build args. Every commit changes
# the context, so everything after `COPY . .` re-runs on every build.
FROM golang:1.22-bookworm AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends \
        build-essential curl ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
ARG DUCKDB_VERSION=v1.1.3
RUN CGO_ENABLED=1 go build \
        -ldflags "-X main.version=${VERSION} -X main.commit=${COMMIT}" \
        -o /out/server ./cmd/server
RUN mkdir -p /out/extensions && for ext in httpfs json postgres_scanner iceberg; do \
        curl -fsSL "https://extensions.duckdb.org/${DUCKDB_VERSION}/linux_amd64/${ext}.duckdb_extension.gz" \
            -o "/out/extensions/${ext}.duckdb_extension.gz" || true; \
    done

FROM debian:bookworm-slim
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    apt-get update && apt-get install -y --no-install-recommends ca-certificates
COPY --from=build /out/server /usr/local/bin/server
COPY --from=build /out/extensions /opt/duckdb/extensions
LABEL org.opencontainers.image.title="server" \
      org.opencontainers.image.source="https://example.com/server"
USER 65532:65532
EXPOSE 5432
HEALTHCHECK --interval=30s --timeout=3s CMD ["/usr/local/bin/server", "health"]
ENTRYPOINT ["/usr/local/bin/server"]
