#!/bin/sh
# As docker-library/redis: flags alone mean redis-server; as root, own /data and drop to `redis`.
set -e
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
	set -- redis-server "$@"
fi
if [ "$1" = 'redis-server' ]; then
	if [ "$(id -u)" = '0' ]; then
		find . \! -user redis -exec chown redis '{}' +
		exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
	fi
	shift
	set -- redis-server --protected-mode no "$@"
fi
exec "$@"
