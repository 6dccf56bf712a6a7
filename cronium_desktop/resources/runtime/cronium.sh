# Cronium runtime helper for Bash scripts: source cronium.sh
# Talks to the run folder prepared by Cronium Desktop (CRONIUM_RUN_DIR).

: "${CRONIUM_RUN_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}"
CRONIUM_MAX_OUTPUT_BYTES=$((10 * 1024 * 1024))

_cronium_check_key() {
  case "$1" in
    "" | . | .. | */*) echo "cronium: invalid variable name '$1'" >&2; return 2 ;;
  esac
}

# Prints the input JSON ({} if none).
cronium_input() {
  if [ -s "$CRONIUM_RUN_DIR/input.json" ]; then cat "$CRONIUM_RUN_DIR/input.json"; else printf '{}'; fi
  printf '\n'
}

# cronium_output "$json": data passed on to the next event.
cronium_output() {
  local size=${#1}
  if [ "$size" -gt "$CRONIUM_MAX_OUTPUT_BYTES" ]; then
    echo "cronium_output: output is over the 10 MB limit; write large data to a file and pass its path instead" >&2
    return 1
  fi
  printf '%s' "$1" > "$CRONIUM_RUN_DIR/output.json.tmp" && mv -f "$CRONIUM_RUN_DIR/output.json.tmp" "$CRONIUM_RUN_DIR/output.json"
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
