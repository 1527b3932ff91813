# A minimal image around the static binary: no shell, no libc, CA certificates and a
# non-root user from distroless/static (about 2 MB on top of trib). Multi-arch: the binary
# is the one for the platform being built (TARGETARCH, set by BuildKit: amd64 or arm64).
#
#   scripts/build-static.sh            # dist/linux-amd64/trib and dist/linux-arm64/trib
#   docker buildx build --platform linux/amd64,linux/arm64 -t trib:0.1.0 .
#   docker build -t trib:0.1.0 .       # this machine's platform only
#
# Without BuildKit, pass --build-arg TARGETARCH=amd64 (or arm64).
# The build context is only those binaries (.dockerignore excludes everything else).
FROM gcr.io/distroless/static-debian12:nonroot
ARG TARGETARCH
COPY dist/linux-${TARGETARCH}/trib /usr/local/bin/trib
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/trib"]
CMD ["--help"]
