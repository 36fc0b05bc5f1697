#!/usr/bin/env bash
# Chromium for the browser tests (tests/browser): prints the path of Debian's `chromium`,
# installing it with apt-get when it is missing. Playwright (the Python package) drives this
# browser through `executable_path`; `playwright install` and its browser downloads are never
# used.
#
#   scripts/browser.sh        find or install Chromium and print the path of its executable
#
# Only the path goes to stdout; progress and errors go to stderr, and any failure exits
# non-zero with the reason. Running it again once Chromium is there changes nothing.
set -euo pipefail

# Parallel test workers (pytest-xdist) may all find the package missing: one apt-get at a time.
APT="flock /tmp/attain-apt.lock apt-get"

CHROMIUM=/usr/bin/chromium

die() {
    echo "browser.sh: $*" >&2
    exit 1
}

install_chromium() {
    [[ $(id -u) -eq 0 ]] || die "Chromium is not installed, and installing it needs root" \
        "(apt-get install chromium)"
    command -v apt-get >/dev/null || die "Chromium is not installed and there is no apt-get;" \
        "install Chromium so that $CHROMIUM runs it"
    echo "browser.sh: installing Debian's chromium (once)" >&2
    export DEBIAN_FRONTEND=noninteractive
    $APT update -qq >&2 || die "apt-get update failed, so Chromium cannot be installed"
    $APT install -y -qq chromium >&2 || die "apt-get install chromium failed"
}

[[ -x $CHROMIUM ]] || install_chromium
[[ -x $CHROMIUM ]] || die "chromium was installed but $CHROMIUM is missing"
# Debian's launcher script prints a harmless shell warning on some machines; only the
# version line matters.
version=$("$CHROMIUM" --version 2>/dev/null | head -n 1) || die "$CHROMIUM --version failed"
[[ $version == Chromium* ]] || die "$CHROMIUM does not look like Chromium: $version"
echo "browser.sh: $version" >&2
echo "$CHROMIUM"
