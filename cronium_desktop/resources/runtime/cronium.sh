# Cronium runtime helper for Bash scripts: source cronium.sh
# Talks to the run folder prepared by Cronium Desktop (CRONIUM_RUN_DIR). Variables, tool actions and
# messages are asked of the app through the run's socket (or, on servers over SSH, a forwarded port),
# with cronium.py as the client (the app's own Python where it gives one in CRONIUM_PYTHON, else
# python3; found in CRONIUM_HELPERS_DIR where the app keeps the helpers out of the run folder); a
# run with neither reads variables from vars/<KEY>.

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

_cronium_has_app() {
  [ -n "${CRONIUM_RUN_TOKEN:-}" ] && { [ -n "${CRONIUM_APP_PORT:-}" ] || [ -S "$CRONIUM_RUN_DIR/.cronium.sock" ]; }
}

# _cronium_request OP ARGS_JSON: prints the app's result (JSON, or the text of a string).
_cronium_request() {
  if ! _cronium_has_app; then
    echo "cronium: $1: this run cannot reach Cronium Desktop (the server does not allow SSH port forwarding, AllowTcpForwarding); run the event on this computer or allow forwarding." >&2
    return 1
  fi
  "${CRONIUM_PYTHON:-python3}" "${CRONIUM_HELPERS_DIR:-$CRONIUM_RUN_DIR}/cronium.py" request "$1" "$2"
}

# JSON string of "$1" (for building requests without jq).
_cronium_json_string() {
  local s=$1
  s=${s//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\n'/\\n}; s=${s//$'\r'/\\r}; s=${s//$'\t'/\\t}
  printf '"%s"' "$s"
}

# cronium_getVariable KEY: prints the value; exit status 1 if not set.
cronium_getVariable() {
  _cronium_check_key "$1" || return 2
  if [ -f "$CRONIUM_RUN_DIR/vars.out/$1" ]; then cat "$CRONIUM_RUN_DIR/vars.out/$1"; return 0; fi
  if _cronium_has_app; then _cronium_request getVariable "{\"key\": \"$1\"}"; return; fi
  if [ -f "$CRONIUM_RUN_DIR/vars/$1" ]; then cat "$CRONIUM_RUN_DIR/vars/$1"; return 0; fi
  return 1
}

# cronium_executeToolAction TOOL ACTION [PARAMS_JSON]: runs a configured tool's action, prints its result.
cronium_executeToolAction() {
  local params=${3:-'{}'}
  _cronium_request executeToolAction "{\"tool\": $(_cronium_json_string "$1"), \"action\": $(_cronium_json_string "$2"), \"params\": $params}"
}

# cronium_sendEmail TO SUBJECT MESSAGE [TOOL]
cronium_sendEmail() {
  _cronium_request send "{\"kind\": \"email\", \"options\": {\"to\": $(_cronium_json_string "$1"), \"subject\": $(_cronium_json_string "$2"), \"message\": $(_cronium_json_string "$3")${4:+, \"tool\": $(_cronium_json_string "$4")}}}"
}

# cronium_sendSlack MESSAGE [TOOL]
cronium_sendSlack() {
  _cronium_request send "{\"kind\": \"slack\", \"options\": {\"message\": $(_cronium_json_string "$1")${2:+, \"tool\": $(_cronium_json_string "$2")}}}"
}

# cronium_sendDiscord MESSAGE [TOOL]
cronium_sendDiscord() {
  _cronium_request send "{\"kind\": \"discord\", \"options\": {\"message\": $(_cronium_json_string "$1")${2:+, \"tool\": $(_cronium_json_string "$2")}}}"
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
