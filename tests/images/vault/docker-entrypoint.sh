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
elif [ "$1" = 'version' ] || [ "$1" = 'status' ] || [ "$1" = 'kv' ] || [ "$1" = 'login' ] || [ "$1" = 'read' ] \
	|| [ "$1" = 'write' ] || [ "$1" = 'secrets' ] || [ "$1" = 'operator' ] || [ "$1" = 'token' ]; then
	set -- vault "$@"
fi
if [ "$1" = 'vault' ] && [ "$2" = 'server' ] && [ "$(id -u)" = '0' ]; then
	exec setpriv --reuid=vault --regid=vault --init-groups env HOME=/vault "$@"
fi
exec "$@"
