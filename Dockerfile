# duijie（对接）in a container: a multi-stage build (compile with the Rust toolchain,
# run on a slim Debian with only the binary). Everything the service needs — the
# dictionaries, the thesaurus, the shipped ranker, the web page — is embedded in the
# binary, so nothing is fetched at run time.
#
#   docker build -t duijie .
#   docker run --rm -p 127.0.0.1:8080:8080 -v duijie-data:/var/lib/duijie duijie
#
# With PostgreSQL, see compose.yaml. The container listens on 0.0.0.0, so it serves only
# with API keys (fail-closed): create the first admin key before starting it, e.g.
#   docker run --rm -v duijie-data:/var/lib/duijie duijie keys create --role admin

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked \
    && strip target/release/duijie

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home-dir /var/lib/duijie --shell /usr/sbin/nologin duijie \
    && install -d -o duijie -g duijie -m 0750 /var/lib/duijie
COPY --from=build /src/target/release/duijie /usr/local/bin/duijie
USER duijie
WORKDIR /var/lib/duijie
ENV DUIJIE_DATA_DIR=/var/lib/duijie \
    DUIJIE_ADDR=0.0.0.0:8080 \
    DUIJIE_LOG_FORMAT=json \
    RUST_LOG=info
VOLUME ["/var/lib/duijie"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s \
    CMD curl -fsS http://127.0.0.1:8080/readyz >/dev/null || exit 1
ENTRYPOINT ["duijie"]
CMD ["serve"]
