# A minimal image around the static binary: no shell, no libc, CA certificates and a
# non-root user from distroless/static (about 2 MB on top of trib).
#
#   scripts/build-static.sh            # builds target/x86_64-unknown-linux-musl/release/trib
#   docker build -t trib:0.1.0 .
#
# The build context is only that binary (.dockerignore excludes everything else).
FROM gcr.io/distroless/static-debian12:nonroot
COPY target/x86_64-unknown-linux-musl/release/trib /usr/local/bin/trib
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/trib"]
CMD ["--help"]
