#!/bin/sh
# As hashicorp/vault's entrypoint: `server` gets the dev root token and listen address from the
# environment (default 0.0.0.0:8200 inside the container); other vault subcommands run as `vault ...`;
# the server drops to the `vault` user. No mlock with OpenBao, so SKIP_SETCAP needs no action.
set -e
if [ "${1#-}" != "$1" ]; then
	set -- vault "$@"
fi
if [ "$1" = 'server' ]; then
	shift
	set -- vault server \
		-dev-root-token-id="$VAULT_DEV_ROOT_TOKEN_ID" \
		-dev-listen-address="${VAULT_DEV_LISTEN_ADDRESS:-0.0.0.0:8200}" \
		"$@"
elif ! command -v "$1" > /dev/null 2>&1; then
	# not a program: a vault subcommand (status, kv, version, ...), as upstream's `vault --help "$1"` test
	set -- vault "$@"
fi
if [ "$1" = 'vault' ] && [ "$2" = 'server' ] && [ "$(id -u)" = '0' ]; then
	exec setpriv --reuid=vault --regid=vault --init-groups env HOME=/vault "$@"
fi
exec "$@"
