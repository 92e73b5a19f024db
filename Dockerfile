# logbridge: build with the Rust toolchain, run on a slim Debian as a non-root user.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
COPY benches ./benches
COPY bench ./bench
RUN cargo build --release --locked --bin logbridge

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin logbridge
COPY --from=build /src/target/release/logbridge /usr/local/bin/logbridge
COPY alert-rules /etc/logbridge/alert-rules
# `grafana provision` finds these next to the binary (../share/logbridge).
COPY dashboards /usr/local/share/logbridge/dashboards
COPY grafana /usr/local/share/logbridge/grafana
USER 10001
EXPOSE 4317 4318
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:4318/readyz || exit 1
ENTRYPOINT ["/usr/local/bin/logbridge"]
CMD ["serve"]
