#!/usr/bin/env bash
# tools.sh installs what the tests need, when it is missing:
#   - a MinIO server binary (the S3 integration tests run one on loopback),
#     built with `go install` into $(go env GOPATH)/bin, or ./bin if that
#     is not writable;
#   - poppler-utils (pdftotext, pdfinfo, pdftoppm: the report tests read
#     PDFs through them), with apt-get where there is one.
# It is idempotent and does nothing slow when everything is present.
#
# MINIO_VERSION overrides the pinned MinIO version ("latest" works too).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

GO=${GO:-go}
# What `go install github.com/minio/minio@latest` resolved to when this was
# pinned; MinIO publishes pseudo-versions only.
MINIO_VERSION=${MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}

log() { echo "tools.sh: $*" >&2; }

# have_minio finds minio where internal/s3test looks for it.
have_minio() {
	if [[ -n ${AUDITLAKE_MINIO:-} ]]; then
		[[ -x $AUDITLAKE_MINIO ]] && return 0
		log "AUDITLAKE_MINIO=$AUDITLAKE_MINIO is not executable"
		return 1
	fi
	command -v minio >/dev/null 2>&1 && return 0
	local gp
	IFS=: read -ra gopaths <<<"$("$GO" env GOPATH)"
	for gp in "${gopaths[@]}"; do
		[[ -x $gp/bin/minio ]] && return 0
	done
	[[ -x bin/minio ]]
}

install_minio() {
	local gobin
	gobin=$("$GO" env GOBIN)
	if [[ -z $gobin ]]; then
		IFS=: read -ra gopaths <<<"$("$GO" env GOPATH)"
		gobin=${gopaths[0]}/bin
	fi
	if ! mkdir -p "$gobin" 2>/dev/null || [[ ! -w $gobin ]]; then
		gobin=$PWD/bin
		mkdir -p "$gobin"
	fi
	log "installing minio@$MINIO_VERSION into $gobin (a large build: a few minutes)"
	# The repository's GOFLAGS (build tags) are not MinIO's business.
	GOFLAGS= GOBIN=$gobin "$GO" install "github.com/minio/minio@$MINIO_VERSION"
	"$gobin/minio" --version >/dev/null
}

have_poppler() {
	command -v pdftotext >/dev/null 2>&1 && command -v pdfinfo >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1
}

install_poppler() {
	if ! command -v apt-get >/dev/null 2>&1; then
		log "WARNING: pdftotext/pdfinfo/pdftoppm missing and no apt-get here: install poppler-utils (brew install poppler, dnf install poppler-utils)"
		return 0
	fi
	local sudo=()
	if [[ $(id -u) -ne 0 ]]; then
		if ! command -v sudo >/dev/null 2>&1; then
			log "WARNING: poppler-utils missing; not root and no sudo: run 'apt-get install poppler-utils' as root"
			return 0
		fi
		sudo=(sudo -n)
	fi
	log "installing poppler-utils with apt-get"
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get update -qq
	"${sudo[@]}" apt-get install -y -qq --no-install-recommends poppler-utils >/dev/null
}

have_minio || install_minio
have_poppler || install_poppler
