# The OpenTelemetry Collector (contrib distribution) with a static busybox at /probe:
# the collector image is distroless (no shell, no wget), so without it the compose
# health check could not ask the health_check extension anything.
FROM busybox:1.37.0-musl AS probe

FROM otel/opentelemetry-collector-contrib:0.116.0
COPY --from=probe /bin/busybox /probe
