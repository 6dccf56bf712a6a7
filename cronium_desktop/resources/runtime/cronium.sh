# Cronium runtime helper for Bash scripts: source cronium.sh
# Talks to the run folder prepared by Cronium Desktop (CRONIUM_RUN_DIR).

: "${CRONIUM_RUN_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}"
CRONIUM_MAX_OUTPUT_BYTES=$((10 * 1024 * 1024))

# The names Cronium Desktop saves; checked here so a bad name fails where it is set.
_cronium_check_key() {
  if ! [[ "$1" =~ ^[A-Za-z_][A-Za-z0-9_.-]{0,199}$ ]]; then
    echo "cronium: invalid variable name '$1': start with a letter or '_', then letters, digits, '_', '.', '-' (at most 200)" >&2
    return 2
  fi
}

# Prints the input JSON ({} if none).
cronium_input() {
  if [ -s "$CRONIUM_RUN_DIR/input.json" ]; then cat "$CRONIUM_RUN_DIR/input.json"; else printf '{}'; fi
  printf '\n'
}

# cronium_output "$json": data passed on to the next event.
# Output over 10 MB is still written, so that Cronium refuses it and fails the run even when the
# script goes on after the error.
cronium_output() {
  local LC_ALL=C  # ${#1} counts bytes, not characters
  local size=${#1}
  printf '%s' "$1" > "$CRONIUM_RUN_DIR/output.json.tmp" && mv -f "$CRONIUM_RUN_DIR/output.json.tmp" "$CRONIUM_RUN_DIR/output.json" || return
  if [ "$size" -gt "$CRONIUM_MAX_OUTPUT_BYTES" ]; then
    echo "cronium_output: output is over the 10 MB limit; write large data to a file and pass its path instead" >&2
    return 1
  fi
}

# cronium_getVariable KEY: prints the value; exit status 1 if not set.
cronium_getVariable() {
  _cronium_check_key "$1" || return 2
  if [ -f "$CRONIUM_RUN_DIR/vars.out/$1" ]; then cat "$CRONIUM_RUN_DIR/vars.out/$1"; return 0; fi
  if [ -f "$CRONIUM_RUN_DIR/vars/$1" ]; then cat "$CRONIUM_RUN_DIR/vars/$1"; return 0; fi
  return 1
}

# cronium_setVariable KEY VALUE
cronium_setVariable() {
  _cronium_check_key "$1" || return 2
  mkdir -p "$CRONIUM_RUN_DIR/vars.out" && printf '%s' "$2" > "$CRONIUM_RUN_DIR/vars.out/$1"
}

# cronium_setCondition true|false
cronium_setCondition() {
  case "$1" in
    true | 1 | yes) printf 'true' > "$CRONIUM_RUN_DIR/condition" ;;
    *) printf 'false' > "$CRONIUM_RUN_DIR/condition" ;;
  esac
}

# Prints {id, name, type, execution_id, attempt, server} as JSON.
cronium_event() {
  cat "$CRONIUM_RUN_DIR/event.json"
  printf '\n'
}
