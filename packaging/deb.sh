#!/usr/bin/env bash
# Builds vigil's Debian package with CPack from a release build (never with the test key
# derivation or sanitizers; CPack refuses those builds), and prints the package's path.
#
#   packaging/deb.sh [BUILD-DIR]      (default build-deb)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$top/build-deb}
bash "$top/packaging/install-deps.sh" >&2
cmake -S "$top" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
	-DVIGIL_BUILD_TESTS=OFF -DVIGIL_TEST_KDF=OFF -DVIGIL_SANITIZE=OFF -DVIGIL_FUZZ=OFF \
	-DVIGIL_WERROR=ON >&2
cmake --build "$dir" -j "$(nproc)" >&2
rm -f "$dir"/vigil_*.deb
(cd "$dir" && cpack -G DEB >&2)
ls "$dir"/vigil_*.deb
