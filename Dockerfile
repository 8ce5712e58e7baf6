# orderdesk as a small static image: one pure-Go binary (modernc SQLite, no
# cgo) on an empty base, run as an unprivileged user, serving on :8080, with
# the SQLite database (and its generated JWT secret) in the /data volume.
#
#   docker build -t orderdesk .
#   docker run -p 8080:8080 -v orderdesk-data:/data orderdesk
#   docker run --rm orderdesk migrate -status      # any subcommand or flag
#
# For MariaDB/MySQL set ORDERDESK_DB_DRIVER=mysql, ORDERDESK_DB_DSN and
# ORDERDESK_JWT_SECRET; /data is then unused.
#
# Without Docker Hub (the golang image), scripts/image builds the same files
# locally and passes them in place of the rootfs stage below
# (--build-context rootfs=DIR), so only the last stage runs and nothing is
# pulled. (No "# syntax=" line for the same reason: it would pull the
# Dockerfile frontend; the built-in one of Docker ≥ 23 suffices.)

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /rootfs/orderdesk . \
 && mkdir -p /rootfs/data /rootfs/tmp && chmod 1777 /rootfs/tmp

# rootfs: the image's files. scripts/image replaces this stage with a
# directory of the same layout.
FROM scratch AS rootfs
COPY --from=build /rootfs/ /

FROM scratch
COPY --from=rootfs /orderdesk /orderdesk
# SQLite spills large sorts to a temporary directory.
COPY --from=rootfs /tmp /tmp
COPY --from=rootfs --chown=65532:65532 /data /data
USER 65532:65532
ENV ORDERDESK_ADDR=:8080 \
    ORDERDESK_DB_DSN=/data/orderdesk.db
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["/orderdesk"]
