"""Built-in starting points for each script language (the "Insert a template…" menu)."""

from __future__ import annotations

TEMPLATES = {
    "PYTHON": {
        "Hello": 'import cronium\n\ndata = cronium.input()\nprint("Hello from", cronium.event()["name"])\ncronium.output({"ok": True})\n',
        "Counter variable": ('import cronium\n\ncount = int(cronium.getVariable("run_count") or 0) + 1\n'
                             'cronium.setVariable("run_count", str(count))\nprint(f"Run number {count}")\n'),
        "Branch on a condition": ('import cronium\n\nrows = cronium.input().get("rows", 0)\n'
                                  'cronium.setCondition(rows > 100)\ncronium.output({"rows": rows})\n'),
    },
    "BASH": {
        "Hello": 'source cronium.sh\n\necho "Hello from $(cronium_event)"\ncronium_output \'{"ok": true}\'\n',
        "Disk usage alert": ('source cronium.sh\n\nused=$(df --output=pcent / | tail -1 | tr -dc 0-9)\n'
                             'echo "Root filesystem is ${used}% full"\n[ "$used" -gt 90 ] && cronium_setCondition true\n'
                             'cronium_output "{\\"used\\": $used}"\n'),
        "Backup a folder": 'set -euo pipefail\n\ntar -czf "/tmp/backup-$(date +%F).tar.gz" "$HOME/Documents"\necho "backup written"\n',
    },
    "NODEJS": {
        "Hello": ('const cronium = require("cronium");\n\n(async () => {\n  const input = await cronium.input();\n'
                  '  console.log("Hello", input);\n  await cronium.output({ ok: true });\n})();\n'),
        "Fetch JSON": ('const cronium = require("cronium");\n\n(async () => {\n  const response = await fetch("https://example.com/api");\n'
                       '  await cronium.output({ status: response.status });\n})();\n'),
    },
}
