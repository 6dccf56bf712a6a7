#!/usr/bin/env bash
# Builds the Linux artefacts from a checkout (run by `./dev package`):
#   dist/cronium-desktop/                              the one-folder bundle (PyInstaller)
#   dist/cronium-desktop-VERSION-linux-ARCH.tar.gz     that folder, to unpack anywhere
#   dist/cronium-desktop_VERSION_ARCH.deb              installs it under /opt, with a launcher in /usr/bin,
#                                                      the desktop entry, icons, AppStream metainfo, systemd user unit
# Usage: packaging/linux/build.sh PYTHON   (the Python of a venv with the project and its `package` extra)
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${1:-.venv/bin/python}
VERSION=$("$PY" -c 'import cronium_desktop; print(cronium_desktop.__version__)')
ARCH=$(dpkg --print-architecture 2>/dev/null || uname -m)
BUNDLE=dist/cronium-desktop
ICONS=cronium_desktop/resources/icons
log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

log "bundle: PyInstaller one-folder build into $BUNDLE"
rm -rf "$BUNDLE"
"$PY" -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
  packaging/cronium-desktop.spec
cp packaging/README.md "$BUNDLE/README.md"
# Debug symbols and the static symbol tables out (~30 MB; the dynamic symbols that libraries and
# extension modules link by stay). Not from libraries a wheel's auditwheel/patchelf rewrote (the
# Scintilla/Lexilla wheels): strip breaks their program headers ("ELF load command
# address/offset not page-aligned"), which is why PyInstaller's own strip option stays off.
find "$BUNDLE/_internal" -type f -name '*.so*' ! -path '*.libs/*' \
  ! -path '*/pyside6_scintilla/*' ! -path '*/lexilla/*' -print0 | xargs -0 strip --strip-unneeded

log "archive: dist/cronium-desktop-$VERSION-linux-$ARCH.tar.gz"
tar -C dist -I "gzip -3" -cf "dist/cronium-desktop-$VERSION-linux-$ARCH.tar.gz" cronium-desktop

log "package: dist/cronium-desktop_${VERSION}_$ARCH.deb"
ROOT=build/deb-root
rm -rf "$ROOT"
mkdir -p "$ROOT/DEBIAN" "$ROOT/opt" "$ROOT/usr/bin" "$ROOT/usr/share/applications" "$ROOT/usr/share/metainfo" \
  "$ROOT/usr/lib/systemd/user" "$ROOT/usr/share/icons/hicolor/scalable/apps"
cp -a "$BUNDLE" "$ROOT/opt/cronium-desktop"
install -m 755 packaging/linux/deb/cronium-desktop.sh "$ROOT/usr/bin/cronium-desktop"
install -m 644 packaging/linux/cronium-desktop.desktop "$ROOT/usr/share/applications/"
install -m 644 packaging/linux/cronium-desktop-headless.service "$ROOT/usr/lib/systemd/user/"
sed -e "s/@VERSION@/$VERSION/" -e "s/@DATE@/$(date -u +%F)/" packaging/linux/org.cronium.CroniumDesktop.metainfo.xml \
  > "$ROOT/usr/share/metainfo/org.cronium.CroniumDesktop.metainfo.xml"
install -m 644 "$ICONS/cronium-desktop.svg" "$ROOT/usr/share/icons/hicolor/scalable/apps/"
for size in 16 24 32 48 64 128 256 512; do
  mkdir -p "$ROOT/usr/share/icons/hicolor/${size}x${size}/apps"
  install -m 644 "$ICONS/cronium-desktop-$size.png" "$ROOT/usr/share/icons/hicolor/${size}x${size}/apps/cronium-desktop.png"
done
SIZE=$(du -sk --exclude=DEBIAN "$ROOT" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@SIZE@/$SIZE/" packaging/linux/deb/control > "$ROOT/DEBIAN/control"
# Files owned by root whoever builds; gzip -3 keeps the build quick (xz or -9 would take minutes more).
dpkg-deb --root-owner-group -Zgzip -z3 --build "$ROOT" "dist/cronium-desktop_${VERSION}_$ARCH.deb" >/dev/null
rm -rf "$ROOT"
du -sh "$BUNDLE" dist/*.tar.gz dist/*.deb >&2
