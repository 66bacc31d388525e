# gatehouse container image.
#   docker build -t gatehouse .
#   docker run -v /path/to/config:/etc/gatehouse -v gatehouse-data:/var/lib/gatehouse gatehouse
# The image runs `gatehouse serve --config /etc/gatehouse/gatehouse.yaml`:
# inside a container the zero-config loopback listeners are unreachable, so
# the config must set listen addresses (e.g. 0.0.0.0:9091) and public_url.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/gatehouse . \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/gatehouse /gatehouse
COPY --from=build --chown=nonroot:nonroot --chmod=0700 /out/data /var/lib/gatehouse
ENV GATEHOUSE_DATA_DIR=/var/lib/gatehouse
USER nonroot:nonroot
VOLUME ["/var/lib/gatehouse"]
EXPOSE 9091 9092 9093
ENTRYPOINT ["/gatehouse"]
CMD ["serve", "--config", "/etc/gatehouse/gatehouse.yaml"]
