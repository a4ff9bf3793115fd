"""Stand-in container images for the compose and testcontainers rehearsals (``nox -s images``).

No container registry is reachable where this project is tested, so every image the rendered compose.yaml
pins is rebuilt here from a Debian rootfs and the programs the native provider runs. They are a test
fixture: never part of a rendered project, never pushed. Selection at run time: harness.images.
"""
