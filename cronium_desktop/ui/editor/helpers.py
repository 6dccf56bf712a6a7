"""What the editor knows about each language without asking anyone: the `cronium` helpers with their
documented signatures (SPEC §3), keywords, common globals, and the template context of `{{ … }}`."""

from __future__ import annotations

# name → (signature, one-line description). Same helpers in every language (SPEC §3).
PYTHON_HELPERS = {
    "input": ("input() -> dict", "Data from the previous event or the caller; {} if none."),
    "output": ("output(data)", "Pass data on to the next event (JSON-serialisable, at most 10 MB)."),
    "getVariable": ("getVariable(key: str) -> str | None", "The variable's value, or None if it is not set."),
    "setVariable": ("setVariable(key: str, value: str)", "Set a variable; saved when the run ends."),
    "setCondition": ("setCondition(flag: bool)", "Drive ON_CONDITION actions and edges."),
    "event": ("event() -> dict", "{id, name, type, execution_id, attempt, server} of the running event."),
    "get_variable": ("get_variable(key: str) -> str | None", "Same as getVariable."),
    "set_variable": ("set_variable(key: str, value: str)", "Same as setVariable."),
    "set_condition": ("set_condition(flag: bool)", "Same as setCondition."),
    "executeToolAction": ("executeToolAction(tool: str, action: str, params: dict)", "Run a configured tool's action."),
    "sendEmail": ("sendEmail(params: dict)", "Send an email through a configured tool."),
    "sendSlack": ("sendSlack(params: dict)", "Post to Slack through a configured tool."),
    "sendDiscord": ("sendDiscord(params: dict)", "Post to Discord through a configured tool."),
}
NODE_HELPERS = {
    "input": ("await cronium.input() -> object", "Data from the previous event or the caller; {} if none."),
    "output": ("await cronium.output(data)", "Pass data on to the next event."),
    "getVariable": ("await cronium.getVariable(key) -> string | null", "The variable's value, or null."),
    "setVariable": ("await cronium.setVariable(key, value)", "Set a variable; saved when the run ends."),
    "setCondition": ("await cronium.setCondition(flag)", "Drive ON_CONDITION actions and edges."),
    "event": ("cronium.event() -> object", "{id, name, type, execution_id, attempt, server}; plain or awaited."),
    "executeToolAction": ("await cronium.executeToolAction(tool, action, params)", "Run a configured tool's action."),
    "sendEmail": ("await cronium.sendEmail(params)", "Send an email through a configured tool."),
    "sendSlack": ("await cronium.sendSlack(params)", "Post to Slack through a configured tool."),
    "sendDiscord": ("await cronium.sendDiscord(params)", "Post to Discord through a configured tool."),
}
BASH_HELPERS = {
    "cronium_input": ("cronium_input  # prints JSON", "Data from the previous event or the caller."),
    "cronium_output": ('cronium_output "$json"', "Pass data on to the next event."),
    "cronium_getVariable": ("cronium_getVariable KEY", "Prints the variable's value."),
    "cronium_setVariable": ("cronium_setVariable KEY VALUE", "Set a variable; saved when the run ends."),
    "cronium_setCondition": ("cronium_setCondition true|false", "Drive ON_CONDITION actions and edges."),
    "cronium_event": ("cronium_event  # prints JSON", "{id, name, type, execution_id, attempt, server}."),
}
HELPERS = {"PYTHON": PYTHON_HELPERS, "NODEJS": NODE_HELPERS, "BASH": BASH_HELPERS}

KEYWORDS = {
    "PYTHON": ("and as assert async await break class continue def del elif else except finally for from global if "
               "import in is lambda nonlocal not or pass raise return try while with yield True False None"),
    "BASH": ("if then else elif fi case esac for while until do done in function select time return exit export "
             "local readonly source echo printf set unset shift trap cd"),
    "NODEJS": ("async await break case catch class const continue debugger default delete do else export extends "
               "finally for function if import in instanceof let new return super switch this throw try typeof var "
               "void while with yield true false null undefined require"),
}
GLOBALS = {
    "NODEJS": ("console process require module exports Buffer JSON Math Date Promise Array Object String Number "
               "Boolean Map Set Error RegExp fetch setTimeout setInterval clearTimeout clearInterval parseInt "
               "parseFloat encodeURIComponent decodeURIComponent __dirname __filename cronium").split(),
    "BASH": ("awk basename cat chmod chown cp curl cut date dirname echo env find grep gzip head jq kill ln ls "
             "mkdir mktemp mv printf pwd read rm rmdir sed sleep sort ssh tail tar tee test touch tr uniq wc "
             "xargs HOME PATH PWD USER SHELL HOSTNAME RANDOM").split(),
    "PYTHON": [],
}
# `{{ … }}` templates of conditional actions (SPEC §4).
TEMPLATE_CONTEXT = {
    "": ["event", "execution", "output", "variables", "input"],
    "event": ["id", "name", "type", "execution_id", "attempt", "server"],
    "execution": ["status", "exit_code", "duration", "error", "log_tail"],
}


def signature_of(language: str, name: str) -> str | None:
    """The tooltip for a helper: its signature and what it does."""
    helper = HELPERS.get(language, {}).get(name)
    return f"{helper[0]}\n{helper[1]}" if helper else None
