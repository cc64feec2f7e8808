# Sourced: need_command COMMAND PACKAGE — installs the Debian PACKAGE when COMMAND is missing
# and we are root (as in CI), else names the install line and fails.
need_command() {
  command -v "$1" >/dev/null && return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "[need] installing $2 (apt-get)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  else
    echo "[need] $1 is missing: sudo apt-get install -y $2" >&2
    return 1
  fi
}
