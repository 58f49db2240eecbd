# syntax=docker/dockerfile:1
# The Anirohi API: a static binary on distroless, run as a non-root user.
#   docker build --build-arg VERSION=$(git describe --tags --always) --build-arg COMMIT=$(git rev-parse HEAD) -t anirohi-api .

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
# The same command is run by CI (cmd/anirohi/docker_test.go) without Docker.
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.buildVersion=${VERSION} -X main.buildCommit=${COMMIT}" -o /out/anirohi ./cmd/anirohi

# distroless/static: CA certificates, tzdata, /etc/passwd with "nonroot"; no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/anirohi /anirohi
USER nonroot:nonroot
# A writable working directory for the SQLite default (./data); production uses PostgreSQL.
WORKDIR /home/nonroot
ENV HOST=0.0.0.0 PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=10s --start-period=40s --retries=3 CMD ["/anirohi", "healthcheck"]
ENTRYPOINT ["/anirohi"]
CMD ["serve"]
