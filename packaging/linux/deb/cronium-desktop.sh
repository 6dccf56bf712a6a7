#!/bin/sh
# /usr/bin/cronium-desktop: the bundle in /opt, started under its own path so it finds its files.
exec /opt/cronium-desktop/cronium-desktop "$@"
