#!/usr/bin/env bash
# Java for Spark local mode: prints the `java` that will be used, installing Debian's
# openjdk-17-jre-headless with apt-get when there is none (PySpark 4.0 needs Java 17 or 21).
#
#   scripts/java.sh        find or install Java and print the path of its `java`
#
# Only the path goes to stdout; progress and errors go to stderr, and any failure exits
# non-zero with the reason. JAVA_HOME, when set, wins over PATH.
set -euo pipefail

# Parallel test workers (pytest-xdist) may all find the package missing: one apt-get at a time.
APT="flock /tmp/attain-apt.lock apt-get"

die() {
    echo "java.sh: $*" >&2
    exit 1
}

find_java() {
    if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
        echo "$JAVA_HOME/bin/java"
    elif command -v java >/dev/null; then
        readlink -f "$(command -v java)"
    else
        return 1
    fi
}

install_java() {
    [[ $(id -u) -eq 0 ]] || die "Java is not installed, and installing it needs root" \
        "(apt-get install openjdk-17-jre-headless); or set JAVA_HOME to a Java 17 install"
    command -v apt-get >/dev/null || die "Java is not installed and there is no apt-get;" \
        "install Java 17 and set JAVA_HOME"
    echo "java.sh: installing Debian's openjdk-17-jre-headless (once)" >&2
    export DEBIAN_FRONTEND=noninteractive
    $APT update -qq >&2 || die "apt-get update failed, so Java cannot be installed"
    # The JRE's post-install step wants the man page folder, which slim images delete.
    mkdir -p /usr/share/man/man1
    $APT install -y -qq --no-install-recommends openjdk-17-jre-headless >&2 \
        || die "apt-get install openjdk-17-jre-headless failed"
}

java=$(find_java) || {
    install_java
    java=$(find_java) || die "openjdk-17-jre-headless was installed but no java was found"
}
version=$("$java" -version 2>&1 | head -n 1)
[[ "$version" =~ \"(17|21)[.\"] ]] \
    || echo "java.sh: warning: $version; PySpark 4.0 is tested with Java 17 and 21" >&2
echo "$java"
