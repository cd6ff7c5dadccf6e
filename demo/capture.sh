#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# demo/capture.sh - the dashboard picture of docs/ (docs/dashboard-demo.png):
# a tmux client of the running demo session, attached inside a private
# tmux server of a fixed size so that the whole window (every pane, the
# borders, the status line) is one pane there; `capture-pane -e` keeps
# the colours, Debian's ansi2html (colorized-logs) turns that into HTML
# and wkhtmltoimage (wkhtmltopdf) renders it.  Neither tool is a
# dependency of hms-ebpf: only this script needs them.
#
#   demo/capture.sh [SESSION [OUT.png [COLSxROWS]]]   hms-demo, dashboard.png, 200x50
set -eu
session=${1:-hms-demo}
out=${2:-dashboard.png}
size=${3:-200x50}
cols=${size%x*}
rows=${size#*x}
for t in tmux ansi2html wkhtmltoimage; do
	command -v $t >/dev/null || {
		echo "demo/capture.sh: $t missing (apt-get install tmux" \
		     "colorized-logs wkhtmltopdf fonts-dejavu-core)" >&2
		exit 1
	}
done
tmux has-session -t "$session" 2>/dev/null || {
	echo "demo/capture.sh: no tmux session $session (make demo first)" >&2
	exit 1
}
cap=hms-capture-$$
tmp=$(mktemp -d /tmp/hms-capture.XXXXXX)
trap 'tmux -L $cap kill-server 2>/dev/null; rm -rf "$tmp"' EXIT
tmux -L "$cap" -f /dev/null new-session -d -s "$cap" -x "$cols" -y "$rows" \
	"env -u TMUX tmux attach -t $session"
tmux -L "$cap" set -g status off >/dev/null
sleep 3		# the client draws the whole window
tmux -L "$cap" capture-pane -e -p -t "$cap:" >"$tmp/screen.ansi"
ansi2html <"$tmp/screen.ansi" >"$tmp/body.html"
# a terminal's look: dark background, one monospace font, no wrapping
{
	printf '<html><head><meta charset="utf-8"><style>'
	printf 'body{background:#1c1c1c;color:#d0d0d0;margin:8px;}'
	printf 'pre{font-family:"DejaVu Sans Mono",monospace;font-size:12px;'
	printf 'line-height:1.2;white-space:pre;margin:0}</style></head><body>'
	# ansi2html writes a whole document: keep its <pre> part
	sed -n '/<pre/,/<\/pre>/p' "$tmp/body.html"
	printf '</body></html>\n'
} >"$tmp/page.html"
wkhtmltoimage --quiet --quality 20 --width $((cols * 73 / 10 + 16)) "$tmp/page.html" "$out"
echo "demo/capture.sh: $out"
